/*
 * util.h: shared helpers of the C tests: checks that report file/line and keep going, named
 * subtests, status names, the thread's last error message, event waiting and small builders on
 * top of pb.h. Every test program links pb.c and util.c.
 */
#ifndef HAPTIX_TESTS_UTIL_H
#define HAPTIX_TESTS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "haptix.h"
#include "pb.h"

/* Generous timeouts: the tests also run under valgrind, which is 20-50x slower. */
#define T_SHORT_MS 2000u
#define T_LONG_MS 30000u

/* Number of failed checks so far in this process (all threads). */
extern _Atomic int t_failures;

void t_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* CHECK(cond) / CHECKF(cond, fmt, ...): record a failure and continue. */
#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            t_fail(__FILE__, __LINE__, "check failed: %s", #cond);                                \
        }                                                                                         \
    } while (0)
#define CHECKF(cond, ...)                                                                         \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);                                              \
        }                                                                                         \
    } while (0)

/* REQUIRE: like CHECK but returns from the current (void) subtest function on failure. */
#define REQUIRE(cond)                                                                             \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            t_fail(__FILE__, __LINE__, "requirement failed: %s", #cond);                          \
            return;                                                                               \
        }                                                                                         \
    } while (0)

const char *status_name(int32_t status);
int is_error_status(int32_t status);

/* Reads the calling thread's last error message into buf (always NUL-terminated); returns the
 * status of haptix_last_error_message. */
haptix_status last_error(char *buf, size_t cap);

/* Checks `status` against up to two accepted values. When the accepted status is an error
 * (>= 100), also checks that haptix_last_error_message gives a non-empty message. Returns 1 when
 * the status was accepted. Use through EXPECT_STATUS / EXPECT_STATUS2. */
int t_expect_status(const char *file, int line, const char *expr, int32_t got, int32_t want1,
                    int32_t want2);
#define EXPECT_STATUS(expr, want)                                                                 \
    t_expect_status(__FILE__, __LINE__, #expr, (int32_t)(expr), (int32_t)(want), (int32_t)(want))
#define EXPECT_STATUS2(expr, want1, want2)                                                        \
    t_expect_status(__FILE__, __LINE__, #expr, (int32_t)(expr), (int32_t)(want1),                 \
                    (int32_t)(want2))

/* Runs a named subtest and prints PASS/FAIL for it. */
void t_run(const char *name, void (*fn)(void));
#define RUN(fn) t_run(#fn, fn)
/* Prints the summary line and returns the process exit status (0 when nothing failed). */
int t_finish(const char *program);

uint64_t now_ms(void);
void sleep_ms(uint32_t ms);

/* Fetches one event (blocking up to timeout_ms) and parses it. Returns the status of
 * haptix_client_next_event; a parse failure is recorded as a test failure. */
haptix_status next_event(haptix_client *client, uint32_t timeout_ms, hx_event *ev);

/* Waits until an event of the given kind (and, when request_id != 0, that request id) arrives;
 * other events are skipped. Returns 1 when found, 0 on timeout/closed/error (not recorded as a
 * failure: callers check). */
int wait_event(haptix_client *client, uint32_t kind, uint64_t request_id, uint32_t timeout_ms,
               hx_event *ev);

/* Sends an encoded request; records a failure unless the call returns OK. Returns the request
 * id (0 on failure). */
uint64_t send_request(haptix_client *client, const pb_buf *req);
/* Sends and waits for the response event of that request. Returns 1 when it arrived. */
int roundtrip(haptix_client *client, const pb_buf *req, hx_event *resp, uint32_t timeout_ms);

/* Context with the given simulated devices (log level WARN) or NULL after recording a failure. */
haptix_context *new_context(const sim_device *devs, size_t ndevs, uint32_t worker_threads);
/* Client of the embedded server; NULL after recording a failure. */
haptix_client *new_client(haptix_context *ctx, const char *name);

/* Connects an embedded client, scans and waits for the first DeviceAdded; returns its index
 * through *index. Returns 1 on success. */
int scan_for_device(haptix_client *client, uint32_t *index);

/* Takes the recorded writes of a simulated device (one take_writes round trip). Returns 1 when
 * the response arrived with status OK. */
int take_writes(haptix_client *client, const char *address, hx_event *resp);

#endif
