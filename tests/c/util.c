/* util.c: see util.h. */
#define _POSIX_C_SOURCE 200809L

#include "util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Atomic int t_failures = 0;

void t_fail(const char *file, int line, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "    FAIL %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    atomic_fetch_add(&t_failures, 1);
}

const char *status_name(int32_t s) {
    switch (s) {
#define S(name)                                                                                   \
    case HAPTIX_STATUS_##name:                                                                    \
        return #name
        S(OK);
        S(TIMEOUT);
        S(CLOSED);
        S(BUFFER_TOO_SMALL);
        S(ERROR_NULL_POINTER);
        S(ERROR_INVALID_ARGUMENT);
        S(ERROR_INVALID_HANDLE);
        S(ERROR_INVALID_UTF8);
        S(ERROR_INVALID_PROTOBUF);
        S(ERROR_ABI_MISMATCH);
        S(ERROR_INVALID_CONFIG);
        S(ERROR_SHUT_DOWN);
        S(ERROR_WOULD_DEADLOCK);
        S(ERROR_POISONED);
        S(ERROR_RUNTIME);
        S(ERROR_CANCELLED);
        S(ERROR_TIMED_OUT);
        S(ERROR_NOT_CONNECTED);
        S(ERROR_PROTOCOL);
        S(ERROR_HANDSHAKE);
        S(ERROR_PING);
        S(ERROR_SERVER);
        S(ERROR_DEVICE_NOT_FOUND);
        S(ERROR_FEATURE_NOT_FOUND);
        S(ERROR_NOT_SUPPORTED);
        S(ERROR_OUT_OF_RANGE);
        S(ERROR_DEVICE);
        S(ERROR_DEVICE_DISCONNECTED);
        S(ERROR_DEVICE_TIMEOUT);
        S(ERROR_CONNECT);
        S(ERROR_TRANSPORT);
        S(ERROR_PANIC);
        S(ERROR_INTERNAL);
#undef S
    default:
        return "(unknown status)";
    }
}

int is_error_status(int32_t s) { return s >= 100; }

haptix_status last_error(char *buf, size_t cap) {
    size_t full = 0;
    haptix_status st = haptix_last_error_message(buf, cap, &full);
    if (cap > 0 && st != HAPTIX_STATUS_OK && st != HAPTIX_STATUS_BUFFER_TOO_SMALL) {
        buf[0] = '\0';
    }
    return st;
}

int t_expect_status(const char *file, int line, const char *expr, int32_t got, int32_t want1,
                    int32_t want2) {
    char msg[512];
    if (got != want1 && got != want2) {
        if (is_error_status(got)) {
            (void)last_error(msg, sizeof msg);
        } else {
            msg[0] = '\0';
        }
        if (want1 == want2) {
            t_fail(file, line, "%s returned %d %s, expected %d %s (last error: \"%s\")", expr,
                   (int)got, status_name(got), (int)want1, status_name(want1), msg);
        } else {
            t_fail(file, line, "%s returned %d %s, expected %d %s or %d %s (last error: \"%s\")",
                   expr, (int)got, status_name(got), (int)want1, status_name(want1), (int)want2,
                   status_name(want2), msg);
        }
        return 0;
    }
    if (is_error_status(got)) {
        haptix_status st = last_error(msg, sizeof msg);
        if (st != HAPTIX_STATUS_OK && st != HAPTIX_STATUS_BUFFER_TOO_SMALL) {
            t_fail(file, line, "%s: haptix_last_error_message returned %s", expr,
                   status_name(st));
            return 0;
        }
        if (msg[0] == '\0') {
            t_fail(file, line, "%s returned %s but the last error message is empty", expr,
                   status_name(got));
            return 0;
        }
        if (getenv("HAPTIX_C_TESTS_VERBOSE") != NULL) {
            fprintf(stderr, "      %s -> %s: %s\n", expr, status_name(got), msg);
        }
    }
    return 1;
}

static int t_subtests_failed = 0;
static int t_subtests_run = 0;

void t_run(const char *name, void (*fn)(void)) {
    int before = atomic_load(&t_failures);
    uint64_t start = now_ms();
    fprintf(stderr, "  %-40s ...\n", name);
    fflush(stderr);
    fn();
    int failed = atomic_load(&t_failures) != before;
    t_subtests_run++;
    t_subtests_failed += failed;
    fprintf(stderr, "  %-40s %s (%llu ms)\n", name, failed ? "FAIL" : "PASS",
            (unsigned long long)(now_ms() - start));
    fflush(stderr);
}

int t_finish(const char *program) {
    fprintf(stderr, "%s: %d of %d subtests passed\n", program,
            t_subtests_run - t_subtests_failed, t_subtests_run);
    return atomic_load(&t_failures) == 0 ? 0 : 1;
}

uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sleep_ms(uint32_t ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000u;
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
}

haptix_status next_event(haptix_client *client, uint32_t timeout_ms, hx_event *ev) {
    haptix_buffer buf = {NULL, 0};
    haptix_status st = haptix_client_next_event(client, timeout_ms, &buf);
    if (st == HAPTIX_STATUS_OK) {
        if (buf.data == NULL && buf.len != 0) {
            t_fail(__FILE__, __LINE__, "event buffer has NULL data and len %zu", buf.len);
        } else if (hx_parse_event(buf.data, buf.len, ev) != 0) {
            t_fail(__FILE__, __LINE__, "malformed Event (%zu bytes)", buf.len);
            memset(ev, 0, sizeof *ev);
        }
        haptix_buffer_free(&buf);
        if (buf.data != NULL || buf.len != 0) {
            t_fail(__FILE__, __LINE__, "haptix_buffer_free did not zero the buffer");
        }
    } else if (buf.data != NULL || buf.len != 0) {
        t_fail(__FILE__, __LINE__, "next_event returned %s but wrote the out buffer",
               status_name(st));
    }
    return st;
}

int wait_event(haptix_client *client, uint32_t kind, uint64_t request_id, uint32_t timeout_ms,
               hx_event *ev) {
    uint64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        uint64_t now = now_ms();
        if (now >= deadline) {
            return 0;
        }
        haptix_status st = next_event(client, (uint32_t)(deadline - now), ev);
        if (st != HAPTIX_STATUS_OK) {
            if (st != HAPTIX_STATUS_TIMEOUT) {
                fprintf(stderr, "      wait_event(%s): next_event returned %s\n",
                        hx_kind_name(kind), status_name(st));
            }
            return 0;
        }
        if (ev->kind == kind && (request_id == 0 || ev->request_id == request_id)) {
            return 1;
        }
        if (ev->kind == EV_DISCONNECTED && kind != EV_DISCONNECTED) {
            fprintf(stderr, "      wait_event(%s): client disconnected: status %d, \"%s\"\n",
                    hx_kind_name(kind), (int)ev->status, ev->message);
        }
    }
}

uint64_t send_request(haptix_client *client, const pb_buf *req) {
    uint64_t id = 0;
    if (!EXPECT_STATUS(haptix_client_send(client, req->data, req->len, &id), HAPTIX_STATUS_OK)) {
        return 0;
    }
    CHECKF(id != 0, "haptix_client_send returned OK with request id 0");
    return id;
}

int roundtrip(haptix_client *client, const pb_buf *req, hx_event *resp, uint32_t timeout_ms) {
    uint64_t id = send_request(client, req);
    if (id == 0) {
        return 0;
    }
    if (!wait_event(client, EV_RESPONSE, id, timeout_ms, resp)) {
        t_fail(__FILE__, __LINE__, "no response to request %llu within %u ms",
               (unsigned long long)id, timeout_ms);
        return 0;
    }
    return 1;
}

haptix_context *new_context(const sim_device *devs, size_t ndevs, uint32_t worker_threads) {
    pb_buf opts;
    pb_init(&opts);
    build_context_options(&opts, devs, ndevs, LOG_LEVEL_WARN, worker_threads);
    haptix_context *ctx = NULL;
    int ok = EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                           HAPTIX_STATUS_OK);
    pb_free(&opts);
    if (ok) {
        CHECKF(ctx != NULL, "haptix_context_new returned OK and a NULL context");
    }
    return ok ? ctx : NULL;
}

haptix_client *new_client(haptix_context *ctx, const char *name) {
    pb_buf opts;
    pb_init(&opts);
    build_client_options(&opts, name, NULL);
    haptix_client *client = NULL;
    int ok = EXPECT_STATUS(haptix_client_new(ctx, opts.data, opts.len, &client), HAPTIX_STATUS_OK);
    pb_free(&opts);
    if (ok) {
        CHECKF(client != NULL, "haptix_client_new returned OK and a NULL client");
    }
    return ok ? client : NULL;
}

int scan_for_device(haptix_client *client, uint32_t *index) {
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_START_SCANNING);
    uint64_t id = send_request(client, &req);
    pb_free(&req);
    if (id == 0) {
        return 0;
    }
    /* The response and the DeviceAdded event may come in either order. */
    int got_response = 0, got_device = 0;
    uint64_t deadline = now_ms() + T_LONG_MS;
    hx_event ev;
    while ((!got_response || !got_device) && now_ms() < deadline) {
        haptix_status st = next_event(client, (uint32_t)(deadline - now_ms()), &ev);
        if (st != HAPTIX_STATUS_OK) {
            t_fail(__FILE__, __LINE__, "scan: next_event returned %s", status_name(st));
            return 0;
        }
        if (ev.kind == EV_RESPONSE && ev.request_id == id) {
            got_response = 1;
            CHECKF(ev.status == 0, "start_scanning answered %d %s: %s", (int)ev.status,
                   status_name(ev.status), ev.message);
        } else if (ev.kind == EV_DEVICE_ADDED && !got_device) {
            got_device = 1;
            *index = ev.device_index;
        } else if (ev.kind == EV_DISCONNECTED) {
            t_fail(__FILE__, __LINE__, "scan: disconnected (status %d: %s)", (int)ev.status,
                   ev.message);
            return 0;
        }
    }
    CHECKF(got_response && got_device, "scan: response %d, device_added %d", got_response,
           got_device);
    return got_response && got_device;
}

int take_writes(haptix_client *client, const char *address, hx_event *resp) {
    pb_buf req;
    pb_init(&req);
    build_request_take_writes(&req, 0, address);
    int ok = roundtrip(client, &req, resp, T_LONG_MS);
    pb_free(&req);
    if (!ok) {
        return 0;
    }
    CHECKF(resp->status == 0, "take_writes answered %d %s: %s", (int)resp->status,
           status_name(resp->status), resp->message);
    CHECKF(resp->status != 0 || resp->has_writes || resp->total_writes == 0,
           "take_writes response without writes");
    return resp->status == 0;
}
