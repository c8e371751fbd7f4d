/*
 * test_misuse: every way a C caller can hold the API wrong must give a status (and a last error
 * message), never a crash, a leak or an invalid memory access (the script runs this under
 * valgrind): NULL handles and out-parameters, NULL data with a length, zero lengths, garbage and
 * truncated protobuf, invalid UTF-8, unknown enum values, freed and double-freed handles, handles
 * of the wrong type, made-up pointers, ABI mismatch, error message truncation.
 *
 * Invalid UTF-8 inside a protobuf string field: prost rejects it while decoding, so the library
 * answers HAPTIX_STATUS_ERROR_INVALID_PROTOBUF (its message names the field, e.g. "ClientOptions.
 * client_name: invalid string value: data is not UTF-8 encoded"). HAPTIX_STATUS_ERROR_INVALID_UTF8
 * would be as good and is accepted too; any other status fails.
 *
 * A NULL handle is HAPTIX_STATUS_ERROR_NULL_POINTER (a required pointer was NULL); a freed, foreign
 * or wrong-type handle is HAPTIX_STATUS_ERROR_INVALID_HANDLE. Expected statuses follow the
 * documentation in include/haptix.h.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define EXPECT_NULL_HANDLE(expr) EXPECT_STATUS(expr, HAPTIX_STATUS_ERROR_NULL_POINTER)
#define EXPECT_BAD_UTF8(expr)                                                                     \
    EXPECT_STATUS2(expr, HAPTIX_STATUS_ERROR_INVALID_UTF8, HAPTIX_STATUS_ERROR_INVALID_PROTOBUF)

static const sim_device HUSH = {"LVS-Hush", "hush-1"};
static const uint8_t BAD_UTF8[] = {0xff, 0xfe, 'x'};

/* Sentinels: outputs must be written only on success. */
#define CTX_SENTINEL ((haptix_context *)(uintptr_t)0x5a5a5a50)
#define CLIENT_SENTINEL ((haptix_client *)(uintptr_t)0x5a5a5a60)
#define SERVER_SENTINEL ((haptix_server *)(uintptr_t)0x5a5a5a70)

/* Garbage that no protobuf decoder may accept. */
typedef struct garbage {
    const char *what;
    uint8_t bytes[12];
    size_t len;
} garbage;
static const garbage GARBAGE[] = {
    {"overlong varint tag", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 11},
    {"wire type 7", {0x0f}, 1},
    {"length past the end", {0x0a, 0x05, 'a'}, 3},
    {"tag without value", {0x08}, 1},
    {"field number 0", {0x00, 0x01}, 2},
    {"unterminated varint value", {0x08, 0x80, 0x80}, 3},
    {"end group without start", {0x0c}, 1},
};
#define N_GARBAGE (sizeof GARBAGE / sizeof GARBAGE[0])

static void dummy_event_cb(void *ud, const uint8_t *ev, size_t len) {
    (void)ud;
    (void)ev;
    (void)len;
}
static void dummy_wakeup_cb(void *ud) { (void)ud; }
static int g_ud_frees = 0;
static void count_free(void *ud) {
    (void)ud;
    g_ud_frees++;
}

/* ---- ABI version and error message -------------------------------------------------------- */

static void abi_mismatch(void) {
    haptix_context *ctx = CTX_SENTINEL;
    EXPECT_STATUS(haptix_context_new(0, NULL, 0, &ctx), HAPTIX_STATUS_ERROR_ABI_MISMATCH);
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION + 1, NULL, 0, &ctx),
                  HAPTIX_STATUS_ERROR_ABI_MISMATCH);
    EXPECT_STATUS(haptix_context_new(UINT32_MAX, NULL, 0, &ctx), HAPTIX_STATUS_ERROR_ABI_MISMATCH);
    CHECK(ctx == CTX_SENTINEL);
}

typedef struct thread_err {
    char before[256];
    size_t before_len;
    haptix_status before_status;
    int32_t failing_status;
    char after[256];
} thread_err;

static void *other_thread(void *arg) {
    thread_err *t = arg;
    /* A fresh thread has no error message. */
    t->before_len = 12345;
    t->before_status = haptix_last_error_message(t->before, sizeof t->before, &t->before_len);
    /* Make a different error on this thread. */
    t->failing_status = haptix_client_send(NULL, NULL, 0, NULL);
    (void)last_error(t->after, sizeof t->after);
    return NULL;
}

static void last_error_message(void) {
    haptix_context *ctx = NULL;
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION + 7, NULL, 0, &ctx),
                  HAPTIX_STATUS_ERROR_ABI_MISMATCH);
    char full[512];
    size_t full_len = 0;
    EXPECT_STATUS(haptix_last_error_message(full, sizeof full, &full_len), HAPTIX_STATUS_OK);
    CHECKF(full_len > 0 && full_len == strlen(full), "full_len %zu, strlen %zu", full_len,
           strlen(full));
    REQUIRE(full_len > 4);

    /* Length query without a buffer. */
    size_t len = 0;
    EXPECT_STATUS(haptix_last_error_message(NULL, 0, &len), HAPTIX_STATUS_BUFFER_TOO_SMALL);
    CHECKF(len == full_len, "length query gave %zu, expected %zu", len, full_len);

    /* Truncation: 4 bytes hold 3 characters and the NUL. */
    char small[4];
    memset(small, 'Z', sizeof small);
    len = 0;
    EXPECT_STATUS(haptix_last_error_message(small, sizeof small, &len),
                  HAPTIX_STATUS_BUFFER_TOO_SMALL);
    CHECKF(len == full_len, "truncated call reported %zu, expected the full length %zu", len,
           full_len);
    CHECKF(memchr(small, '\0', sizeof small) != NULL, "truncated message is not NUL-terminated");
    CHECKF(strncmp(small, full, strlen(small)) == 0, "truncated message is not a prefix");
    CHECKF(strlen(small) >= 1, "truncated message is empty (ASCII message expected)");

    /* Exactly full_len bytes: still one short for the NUL. */
    char *exact = malloc(full_len + 1);
    REQUIRE(exact != NULL);
    EXPECT_STATUS(haptix_last_error_message(exact, full_len, &len),
                  HAPTIX_STATUS_BUFFER_TOO_SMALL);
    EXPECT_STATUS(haptix_last_error_message(exact, full_len + 1, &len), HAPTIX_STATUS_OK);
    CHECK(strcmp(exact, full) == 0);
    free(exact);

    /* out_len may be NULL; cap 1 holds only the NUL. */
    char one = 'Z';
    EXPECT_STATUS(haptix_last_error_message(&one, 1, NULL), HAPTIX_STATUS_BUFFER_TOO_SMALL);
    CHECK(one == '\0');
    EXPECT_STATUS(haptix_last_error_message(full, sizeof full, NULL), HAPTIX_STATUS_OK);

    /* NULL buffer with a capacity. */
    haptix_status st = haptix_last_error_message(NULL, 16, &len);
    CHECKF(st == HAPTIX_STATUS_ERROR_NULL_POINTER, "NULL buf, cap 16: %s", status_name(st));

    /* That failure replaced the message; make the ABI error again and check that successful
     * calls do not clear it. */
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION + 7, NULL, 0, &ctx),
                  HAPTIX_STATUS_ERROR_ABI_MISMATCH);
    CHECK(haptix_abi_version() == HAPTIX_ABI_VERSION);
    ctx = new_context(NULL, 0, 1);
    char again[512];
    EXPECT_STATUS(haptix_last_error_message(again, sizeof again, NULL), HAPTIX_STATUS_OK);
    CHECKF(strcmp(again, full) == 0, "successful call changed the last error: \"%s\" -> \"%s\"",
           full, again);

    /* Thread-local: another thread has its own (initially empty) message. */
    thread_err t;
    memset(&t, 0, sizeof t);
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, other_thread, &t) == 0);
    pthread_join(th, NULL);
    CHECKF(t.before_status == HAPTIX_STATUS_OK, "fresh thread: %s", status_name(t.before_status));
    CHECKF(t.before_len == 0 && t.before[0] == '\0', "fresh thread has message \"%s\" (%zu)",
           t.before, t.before_len);
    CHECKF(t.failing_status == HAPTIX_STATUS_ERROR_NULL_POINTER, "other thread: %s",
           status_name(t.failing_status));
    CHECK(t.after[0] != '\0');
    EXPECT_STATUS(haptix_last_error_message(again, sizeof again, NULL), HAPTIX_STATUS_OK);
    CHECKF(strcmp(again, full) == 0, "another thread's failure changed this thread's message");
    haptix_context_free(ctx);
}

static void buffer_free(void) {
    haptix_buffer_free(NULL);
    haptix_buffer b = {NULL, 0};
    haptix_buffer_free(&b);
    haptix_buffer_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

/* ---- NULL pointers ------------------------------------------------------------------------ */

static void null_handles(void) {
    uint8_t byte = 0;
    haptix_buffer buf = {NULL, 0};
    uint16_t port = 0;
    uint64_t id = 77;
    haptix_client *client = CLIENT_SENTINEL;
    haptix_server *server = SERVER_SENTINEL;
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_PING);

    EXPECT_NULL_HANDLE(haptix_context_shutdown(NULL, 0));
    EXPECT_NULL_HANDLE(haptix_context_next_event(NULL, 0, &buf));
    EXPECT_NULL_HANDLE(haptix_context_next_event(NULL, 0, NULL));
    g_ud_frees = 0;
    EXPECT_NULL_HANDLE(haptix_context_set_event_callback(NULL, dummy_event_cb, &byte, count_free));
    CHECKF(g_ud_frees <= 1, "user_data_free ran %d times", g_ud_frees);
    EXPECT_NULL_HANDLE(haptix_client_new(NULL, NULL, 0, &client));
    EXPECT_NULL_HANDLE(haptix_client_send(NULL, req.data, req.len, &id));
    EXPECT_NULL_HANDLE(haptix_client_send(NULL, NULL, 0, NULL));
    EXPECT_NULL_HANDLE(haptix_client_next_event(NULL, 0, &buf));
    EXPECT_NULL_HANDLE(haptix_client_next_event(NULL, 100, &buf));
    g_ud_frees = 0;
    EXPECT_NULL_HANDLE(haptix_client_set_event_callback(NULL, dummy_event_cb, &byte, count_free));
    EXPECT_NULL_HANDLE(haptix_client_set_wakeup_callback(NULL, dummy_wakeup_cb, &byte, count_free));
    EXPECT_NULL_HANDLE(haptix_client_set_event_callback(NULL, NULL, NULL, NULL));
    CHECKF(g_ud_frees <= 2, "user_data_free ran %d times for two failed registrations",
           g_ud_frees);
    EXPECT_NULL_HANDLE(haptix_server_new(NULL, NULL, 0, &server));
    EXPECT_NULL_HANDLE(haptix_server_port(NULL, &port));
    EXPECT_NULL_HANDLE(haptix_server_stop(NULL, 0));
    haptix_client_free(NULL);
    haptix_server_free(NULL);
    haptix_context_free(NULL);
    CHECK(client == CLIENT_SENTINEL && server == SERVER_SENTINEL && id == 77);
    CHECK(buf.data == NULL && buf.len == 0 && port == 0);
    pb_free(&req);
}

static void null_out_params(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C null out");
    pb_buf opts;
    pb_init(&opts);
    build_server_options(&opts, "127.0.0.1:0");
    haptix_server *server = NULL;
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK);

    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, NULL, 0, NULL),
                  HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_STATUS(haptix_context_next_event(ctx, 0, NULL), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_STATUS(haptix_client_new(ctx, NULL, 0, NULL), HAPTIX_STATUS_ERROR_NULL_POINTER);
    if (client != NULL) {
        EXPECT_STATUS(haptix_client_next_event(client, 0, NULL), HAPTIX_STATUS_ERROR_NULL_POINTER);
        EXPECT_STATUS(haptix_client_next_event(client, 100, NULL),
                      HAPTIX_STATUS_ERROR_NULL_POINTER);
    }
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, NULL),
                  HAPTIX_STATUS_ERROR_NULL_POINTER);
    if (server != NULL) {
        EXPECT_STATUS(haptix_server_port(server, NULL), HAPTIX_STATUS_ERROR_NULL_POINTER);
    }

    /* NULL data with a non-zero length. */
    haptix_context *ctx2 = CTX_SENTINEL;
    haptix_client *client2 = CLIENT_SENTINEL;
    haptix_server *server2 = SERVER_SENTINEL;
    uint64_t id = 77;
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, NULL, 5, &ctx2),
                  HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_STATUS(haptix_client_new(ctx, NULL, 5, &client2), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_STATUS(haptix_server_new(ctx, NULL, 5, &server2), HAPTIX_STATUS_ERROR_NULL_POINTER);
    if (client != NULL) {
        EXPECT_STATUS(haptix_client_send(client, NULL, 5, &id), HAPTIX_STATUS_ERROR_NULL_POINTER);
    }
    CHECK(ctx2 == CTX_SENTINEL && client2 == CLIENT_SENTINEL && server2 == SERVER_SENTINEL);
    CHECK(id == 77);

    /* Clearing callbacks that were never set is fine. */
    if (client != NULL) {
        EXPECT_STATUS(haptix_client_set_event_callback(client, NULL, NULL, NULL),
                      HAPTIX_STATUS_OK);
        EXPECT_STATUS(haptix_client_set_wakeup_callback(client, NULL, NULL, NULL),
                      HAPTIX_STATUS_OK);
    }
    EXPECT_STATUS(haptix_context_set_event_callback(ctx, NULL, NULL, NULL), HAPTIX_STATUS_OK);

    haptix_server_free(server);
    haptix_client_free(client);
    haptix_context_free(ctx);
    pb_free(&opts);
}

/* ---- options ------------------------------------------------------------------------------ */

static void zero_length_options(void) {
    /* NULL,0 and ptr,0 both mean defaults. */
    static const uint8_t nothing[1] = {0};
    haptix_context *ctx = NULL;
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, nothing, 0, &ctx), HAPTIX_STATUS_OK);
    REQUIRE(ctx != NULL);
    haptix_client *client = NULL;
    EXPECT_STATUS(haptix_client_new(ctx, nothing, 0, &client), HAPTIX_STATUS_OK);
    if (client != NULL) {
        hx_event ev;
        CHECKF(wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev),
               "default client did not connect to the embedded server");
    }
    haptix_client_free(client);
    haptix_context_free(ctx);
}

static void bad_context_options(void) {
    haptix_context *ctx = CTX_SENTINEL;
    pb_buf opts;
    pb_init(&opts);

    for (size_t i = 0; i < N_GARBAGE; i++) {
        int32_t st = haptix_context_new(HAPTIX_ABI_VERSION, GARBAGE[i].bytes, GARBAGE[i].len, &ctx);
        CHECKF(t_expect_status(__FILE__, __LINE__, GARBAGE[i].what, st,
                               HAPTIX_STATUS_ERROR_INVALID_PROTOBUF,
                               HAPTIX_STATUS_ERROR_INVALID_PROTOBUF),
               "context options: %s", GARBAGE[i].what);
    }

    /* Every strict prefix of a message made of one nested field is truncated protobuf. */
    build_context_options(&opts, &HUSH, 1, 0, 0);
    for (size_t cut = 1; cut < opts.len; cut++) {
        int32_t st = haptix_context_new(HAPTIX_ABI_VERSION, opts.data, cut, &ctx);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF,
               "ContextOptions cut to %zu of %zu bytes: %s", cut, opts.len, status_name(st));
    }

    /* Invalid UTF-8 in SimulatedDevice.identifier. */
    pb_buf dev;
    pb_init(&dev);
    pb_bytes(&dev, 1, BAD_UTF8, sizeof BAD_UTF8);
    pb_reset(&opts);
    pb_message(&opts, 6, &dev);
    EXPECT_BAD_UTF8(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx));
    /* ... and in ContextOptions.server_name. */
    pb_reset(&opts);
    pb_bytes(&opts, 8, BAD_UTF8, sizeof BAD_UTF8);
    EXPECT_BAD_UTF8(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx));
    pb_free(&dev);

    /* Unknown enum value in comm_managers. */
    pb_reset(&opts);
    pb_uint(&opts, 1, 99);
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    /* Unknown log level. */
    pb_reset(&opts);
    pb_uint(&opts, 7, 99);
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    /* A simulated device without an identifier. */
    pb_reset(&opts);
    pb_empty_message(&opts, 6);
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    /* A device database that is not JSON, and one that does not exist. */
    pb_reset(&opts);
    pb_string(&opts, 2, "{ not json");
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                  HAPTIX_STATUS_ERROR_INVALID_CONFIG);
    pb_reset(&opts);
    pb_string(&opts, 3, "/nonexistent/haptix/devices.json");
    EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                  HAPTIX_STATUS_ERROR_INVALID_CONFIG);

    CHECK(ctx == CTX_SENTINEL);
    pb_free(&opts);
}

static void bad_client_and_server_options(void) {
    haptix_context *ctx = new_context(NULL, 0, 1);
    REQUIRE(ctx != NULL);
    haptix_client *client = CLIENT_SENTINEL;
    haptix_server *server = SERVER_SENTINEL;
    pb_buf opts;
    pb_init(&opts);

    for (size_t i = 0; i < N_GARBAGE; i++) {
        int32_t st = haptix_client_new(ctx, GARBAGE[i].bytes, GARBAGE[i].len, &client);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF, "client options %s: %s",
               GARBAGE[i].what, status_name(st));
        st = haptix_server_new(ctx, GARBAGE[i].bytes, GARBAGE[i].len, &server);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF, "server options %s: %s",
               GARBAGE[i].what, status_name(st));
    }

    /* Truncated: ClientOptions{client_name "C truncated"} cut anywhere inside. */
    pb_string(&opts, 1, "C truncated");
    for (size_t cut = 1; cut < opts.len; cut++) {
        int32_t st = haptix_client_new(ctx, opts.data, cut, &client);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF, "ClientOptions cut to %zu: %s", cut,
               status_name(st));
    }
    build_server_options(&opts, "127.0.0.1:0");
    for (size_t cut = 1; cut < opts.len; cut++) {
        int32_t st = haptix_server_new(ctx, opts.data, cut, &server);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF, "ServerOptions cut to %zu: %s", cut,
               status_name(st));
    }

    /* Invalid UTF-8 in ClientOptions.client_name, websocket_url and ServerOptions.listen_address. */
    pb_reset(&opts);
    pb_bytes(&opts, 1, BAD_UTF8, sizeof BAD_UTF8);
    EXPECT_BAD_UTF8(haptix_client_new(ctx, opts.data, opts.len, &client));
    pb_reset(&opts);
    pb_bytes(&opts, 3, BAD_UTF8, sizeof BAD_UTF8);
    EXPECT_BAD_UTF8(haptix_client_new(ctx, opts.data, opts.len, &client));
    pb_reset(&opts);
    pb_bytes(&opts, 1, BAD_UTF8, sizeof BAD_UTF8);
    EXPECT_BAD_UTF8(haptix_server_new(ctx, opts.data, opts.len, &server));

    /* A listen address that is not an address. */
    build_server_options(&opts, "not an address");
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    CHECK(client == CLIENT_SENTINEL && server == SERVER_SENTINEL);

    /* A port that is already taken: ERROR_CONNECT, no handle. */
    build_server_options(&opts, "127.0.0.1:0");
    haptix_server *first = NULL;
    if (EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &first), HAPTIX_STATUS_OK)) {
        uint16_t port = 0;
        EXPECT_STATUS(haptix_server_port(first, &port), HAPTIX_STATUS_OK);
        char addr[64];
        snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
        build_server_options(&opts, addr);
        EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server),
                      HAPTIX_STATUS_ERROR_CONNECT);
        CHECK(server == SERVER_SENTINEL);
        /* Stopping twice is OK. */
        EXPECT_STATUS(haptix_server_stop(first, 5000), HAPTIX_STATUS_OK);
        EXPECT_STATUS(haptix_server_stop(first, 5000), HAPTIX_STATUS_OK);
        haptix_server_free(first);
    }

    /* URLs that are not WebSocket URLs. */
    build_client_options(&opts, "C bad url", "definitely not a url");
    EXPECT_STATUS(haptix_client_new(ctx, opts.data, opts.len, &client),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    build_client_options(&opts, "C bad url", "http://127.0.0.1:1");
    EXPECT_STATUS(haptix_client_new(ctx, opts.data, opts.len, &client),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    CHECK(client == CLIENT_SENTINEL);

    pb_free(&opts);
    haptix_context_free(ctx);
}

/* ---- requests ----------------------------------------------------------------------------- */

/* A request with an unknown enum value is refused: either at once by haptix_client_send, or
 * (the library checks enums when it runs the request) through a response with status
 * INVALID_ARGUMENT. Both satisfy the contract that unknown values are an error, never a panic. */
static void expect_invalid_request(haptix_client *client, const pb_buf *req, const char *what) {
    uint64_t id = 0;
    int32_t st = haptix_client_send(client, req->data, req->len, &id);
    if (st == HAPTIX_STATUS_OK) {
        hx_event ev;
        if (!wait_event(client, EV_RESPONSE, id, T_LONG_MS, &ev)) {
            t_fail(__FILE__, __LINE__, "%s: no response", what);
            return;
        }
        CHECKF(ev.status == HAPTIX_STATUS_ERROR_INVALID_ARGUMENT && ev.message[0] != '\0',
               "%s: accepted, then answered %d %s (\"%s\")", what, (int)ev.status,
               status_name(ev.status), ev.message);
    } else {
        CHECKF(t_expect_status(__FILE__, __LINE__, what, st, HAPTIX_STATUS_ERROR_INVALID_ARGUMENT,
                               HAPTIX_STATUS_ERROR_INVALID_ARGUMENT),
               "%s", what);
    }
}

/* A caller-chosen id that is still in flight is refused. Sent twice in a row right after the
 * client was created (the request is queued until the connection is ready); if the first one
 * was nevertheless answered in between, both are answered and the attempt is repeated. */
static void duplicate_id_in_flight(void) {
    haptix_context *ctx = new_context(NULL, 0, 0);
    REQUIRE(ctx != NULL);
    pb_buf req;
    pb_init(&req);
    int refused = 0;
    for (int attempt = 0; attempt < 5 && !refused; attempt++) {
        haptix_client *client = new_client(ctx, "C duplicate id");
        if (client == NULL) {
            break;
        }
        uint64_t id = 900 + (uint64_t)attempt, got = 0;
        build_request_empty(&req, id, REQ_PING);
        EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &got), HAPTIX_STATUS_OK);
        uint64_t second = 77;
        int32_t st = haptix_client_send(client, req.data, req.len, &second);
        hx_event ev;
        if (st == HAPTIX_STATUS_OK) {
            /* Both accepted: then both must be answered. */
            int n = 0;
            while (n < 2 && wait_event(client, EV_RESPONSE, id, T_LONG_MS, &ev)) {
                n++;
            }
            CHECKF(n == 2, "id %llu accepted twice but answered %d times",
                   (unsigned long long)id, n);
        } else {
            refused = t_expect_status(__FILE__, __LINE__, "second send of an id in flight", st,
                                      HAPTIX_STATUS_ERROR_INVALID_ARGUMENT,
                                      HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
            CHECK(second == 77);
            refused = refused || st != HAPTIX_STATUS_OK;
            /* Exactly one answer for that id. */
            CHECK(wait_event(client, EV_RESPONSE, id, T_LONG_MS, &ev));
            CHECK(!wait_event(client, EV_RESPONSE, id, 200, &ev));
            /* Once answered, the id may be used again. */
            EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &got), HAPTIX_STATUS_OK);
            CHECK(wait_event(client, EV_RESPONSE, id, T_LONG_MS, &ev));
        }
        haptix_client_free(client);
    }
    CHECKF(refused, "a caller-chosen id in flight was never refused in 5 attempts");
    pb_free(&req);
    haptix_context_free(ctx);
}

static void bad_requests(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C bad requests");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    uint64_t id = 77;
    pb_buf req, sub;
    pb_init(&req);
    pb_init(&sub);
    static const uint8_t nothing[1] = {0};

    /* Zero length: an empty Request has no kind. */
    EXPECT_STATUS(haptix_client_send(client, NULL, 0, &id), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    EXPECT_STATUS(haptix_client_send(client, nothing, 0, &id),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    /* Only an id, no kind. */
    pb_uint(&req, 1, 5);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &id),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    /* A kind from the future (unknown field 99): no known kind. */
    pb_reset(&req);
    pb_empty_message(&req, 99);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &id),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    /* Caller-chosen ids must be below 2^63. */
    build_request_empty(&req, UINT64_C(1) << 63, REQ_PING);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &id),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    build_request_empty(&req, UINT64_MAX, REQ_PING);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &id),
                  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);

    /* Garbage. */
    for (size_t i = 0; i < N_GARBAGE; i++) {
        int32_t st = haptix_client_send(client, GARBAGE[i].bytes, GARBAGE[i].len, &id);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF, "request %s: %s", GARBAGE[i].what,
               status_name(st));
    }
    /* Truncated: every strict prefix of Request{output{...}} (one nested field). */
    build_request_output(&req, 0, 0, OUTPUT_TYPE_VIBRATE, 0.5);
    for (size_t cut = 1; cut < req.len; cut++) {
        int32_t st = haptix_client_send(client, req.data, cut, &id);
        CHECKF(st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF, "Request cut to %zu of %zu: %s", cut,
               req.len, status_name(st));
    }
    /* A request id cut in the middle of its varint. */
    pb_reset(&req);
    pb_uint(&req, 1, 300);
    pb_empty_message(&req, REQ_PING);
    EXPECT_STATUS(haptix_client_send(client, req.data, 2, &id),
                  HAPTIX_STATUS_ERROR_INVALID_PROTOBUF);

    /* Invalid UTF-8 in TakeWrites.address and InjectNotification.endpoint. */
    pb_reset(&sub);
    pb_bytes(&sub, 1, BAD_UTF8, sizeof BAD_UTF8);
    pb_reset(&req);
    pb_message(&req, REQ_TAKE_WRITES, &sub);
    EXPECT_BAD_UTF8(haptix_client_send(client, req.data, req.len, &id));
    pb_reset(&sub);
    pb_string(&sub, 1, "hush-1");
    pb_bytes(&sub, 2, BAD_UTF8, sizeof BAD_UTF8);
    pb_reset(&req);
    pb_message(&req, REQ_INJECT_NOTIFICATION, &sub);
    EXPECT_BAD_UTF8(haptix_client_send(client, req.data, req.len, &id));

    CHECKF(id == 77, "out_request_id written by a failed send (%llu)", (unsigned long long)id);

    /* Unknown enum values (on a connected device, so that the device lookup succeeds). */
    uint32_t index = 0;
    if (scan_for_device(client, &index)) {
        build_request_output(&req, 0, index, 99, 0.5);
        expect_invalid_request(client, &req, "Output{output_type 99}");
        pb_reset(&sub);
        pb_uint(&sub, 1, index);
        pb_uint(&sub, 3, 77); /* input_type */
        pb_uint(&sub, 4, 1);
        pb_reset(&req);
        pb_message(&req, REQ_INPUT, &sub);
        expect_invalid_request(client, &req, "Input{input_type 77}");
        pb_reset(&sub);
        pb_uint(&sub, 1, index);
        pb_uint(&sub, 3, 1);
        pb_uint(&sub, 4, 77); /* command */
        pb_reset(&req);
        pb_message(&req, REQ_INPUT, &sub);
        expect_invalid_request(client, &req, "Input{command 77}");
    }

    /* Requests that decode fine but fail later answer through their response event. */
    hx_event ev;
    build_request_output(&req, 0, 12345, OUTPUT_TYPE_VIBRATE, 0.5);
    if (roundtrip(client, &req, &ev, T_LONG_MS)) {
        CHECKF(ev.status == HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND,
               "output to device 12345 answered %d %s", (int)ev.status, status_name(ev.status));
        CHECK(ev.message[0] != '\0');
    }
    build_request_take_writes(&req, 0, "no-such-device");
    if (roundtrip(client, &req, &ev, T_LONG_MS)) {
        CHECKF(ev.status != 0, "take_writes of an unknown address answered OK");
    }
    /* out_request_id may be NULL. */
    build_request_empty(&req, 31337, REQ_PING);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL), HAPTIX_STATUS_OK);
    CHECK(wait_event(client, EV_RESPONSE, 31337, T_LONG_MS, &ev) && ev.status == 0);

    /* Reading from an idle client: poll and a short wait both time out. */
    while (next_event(client, 0, &ev) == HAPTIX_STATUS_OK) {
    }
    EXPECT_STATUS(next_event(client, 0, &ev), HAPTIX_STATUS_TIMEOUT);
    uint64_t t0 = now_ms();
    EXPECT_STATUS(next_event(client, 300, &ev), HAPTIX_STATUS_TIMEOUT);
    uint64_t waited = now_ms() - t0;
    CHECKF(waited >= 250 && waited < 10000, "next_event(300 ms) returned after %llu ms",
           (unsigned long long)waited);

    pb_free(&sub);
    pb_free(&req);
    haptix_client_free(client);
    haptix_context_free(ctx);
}

/* Deterministic random requests: random bytes and bit flips of a valid request. Any status is
 * fine as long as it is one of the documented ones, and every accepted request is answered
 * exactly once. */
static uint32_t rng_state = 12345u;
static uint32_t rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

#define FUZZ_N 600

/* Whether a top-level field with this number occurs before the first decoding error. */
static int has_top_field(const uint8_t *bytes, size_t len, uint32_t number) {
    pb_reader r;
    pb_field f;
    pb_reader_init(&r, bytes, len);
    while (pb_next(&r, &f) == 1) {
        if (f.number == number) {
            return 1;
        }
    }
    return 0;
}

static void random_requests(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C fuzz");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    hx_event ev;
    CHECK(wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev));

    pb_buf valid;
    pb_init(&valid);
    uint64_t *accepted = calloc(FUZZ_N, sizeof *accepted);
    int *answered = calloc(FUZZ_N, sizeof *answered);
    REQUIRE(accepted != NULL && answered != NULL);
    size_t n_accepted = 0;
    int counts[4] = {0, 0, 0, 0};
    for (int i = 0; i < FUZZ_N; i++) {
        uint8_t bytes[48];
        size_t len;
        if (i % 2 == 0) {
            len = rnd() % sizeof bytes;
            for (size_t k = 0; k < len; k++) {
                bytes[k] = (uint8_t)rnd();
            }
        } else {
            /* Flip one or two bits of a valid (non-disconnecting) request. */
            switch (rnd() % 3) {
            case 0: build_request_output(&valid, 0, 0, OUTPUT_TYPE_VIBRATE, 0.25); break;
            case 1: build_request_take_writes(&valid, 0, "hush-1"); break;
            default: build_request_empty(&valid, 0, REQ_PING); break;
            }
            len = valid.len < sizeof bytes ? valid.len : sizeof bytes;
            memcpy(bytes, valid.data, len);
            int flips = 1 + (int)(rnd() % 2);
            for (int f = 0; f < flips; f++) {
                size_t pos = rnd() % len;
                bytes[pos] ^= (uint8_t)(1u << (rnd() % 8));
            }
        }
        /* Kinds that tear the connection down or change the device set would make the rest of
         * the run meaningless; the dedicated tests cover them. */
        if (has_top_field(bytes, len, REQ_DISCONNECT) ||
            has_top_field(bytes, len, REQ_REMOVE_SIMULATED_DEVICE)) {
            continue;
        }
        uint64_t id = 0;
        int32_t st = haptix_client_send(client, len ? bytes : NULL, len, &id);
        if (st == HAPTIX_STATUS_OK) {
            CHECK(id != 0);
            accepted[n_accepted++] = id;
            counts[0]++;
        } else if (st == HAPTIX_STATUS_ERROR_INVALID_PROTOBUF) {
            counts[1]++;
        } else if (st == HAPTIX_STATUS_ERROR_INVALID_ARGUMENT) {
            counts[2]++;
        } else if (st == HAPTIX_STATUS_ERROR_INVALID_UTF8 || st == HAPTIX_STATUS_CLOSED) {
            counts[3]++;
        } else {
            t_fail(__FILE__, __LINE__, "random request %d (%zu bytes): %d %s", i, len, (int)st,
                   status_name(st));
        }
    }
    fprintf(stderr, "      accepted %d, invalid protobuf %d, invalid argument %d, other %d\n",
            counts[0], counts[1], counts[2], counts[3]);

    /* Every accepted request is answered exactly once. The library-chosen ids are not small
     * numbers, so match by search (n is small). */
    size_t n_answered = 0;
    uint64_t deadline = now_ms() + T_LONG_MS * 2;
    while (n_answered < n_accepted && now_ms() < deadline) {
        haptix_status st = next_event(client, T_SHORT_MS, &ev);
        if (st == HAPTIX_STATUS_CLOSED) {
            break;
        }
        if (st != HAPTIX_STATUS_OK || ev.kind != EV_RESPONSE) {
            continue;
        }
        int found = 0;
        for (size_t k = 0; k < n_accepted; k++) {
            if (accepted[k] == ev.request_id) {
                found = 1;
                answered[k]++;
                CHECKF(answered[k] == 1, "request %llu answered twice",
                       (unsigned long long)ev.request_id);
                n_answered++;
                break;
            }
        }
        CHECKF(found, "response for unknown request id %llu", (unsigned long long)ev.request_id);
    }
    CHECKF(n_answered == n_accepted, "%zu of %zu accepted random requests answered", n_answered,
           n_accepted);
    free(accepted);
    free(answered);
    pb_free(&valid);
    haptix_client_free(client);
    haptix_context_free(ctx);
}

/* ---- handles ------------------------------------------------------------------------------ */

static void freed_handles(void) {
    haptix_context *ctx = new_context(NULL, 0, 1);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C freed");
    REQUIRE(client != NULL);
    pb_buf opts, req;
    pb_init(&opts);
    pb_init(&req);
    build_server_options(&opts, "127.0.0.1:0");
    build_request_empty(&req, 0, REQ_PING);
    haptix_server *server = NULL;
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK);
    haptix_buffer buf = {NULL, 0};
    uint16_t port = 0;
    int byte = 0;

    haptix_client_free(client);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_next_event(client, 0, &buf), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_next_event(client, 100, &buf), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    g_ud_frees = 0;
    EXPECT_STATUS(haptix_client_set_event_callback(client, dummy_event_cb, &byte, count_free),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_set_wakeup_callback(client, dummy_wakeup_cb, &byte, count_free),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    CHECKF(g_ud_frees <= 2, "user_data_free ran %d times", g_ud_frees);
    haptix_client_free(client); /* double free: ignored */
    haptix_client_free(client);

    if (server != NULL) {
        haptix_server_free(server);
        EXPECT_STATUS(haptix_server_port(server, &port), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        EXPECT_STATUS(haptix_server_stop(server, 100), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        haptix_server_free(server);
    }

    haptix_context_free(ctx);
    haptix_client *c2 = CLIENT_SENTINEL;
    haptix_server *s2 = SERVER_SENTINEL;
    EXPECT_STATUS(haptix_context_shutdown(ctx, 100), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_context_next_event(ctx, 0, &buf), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_context_set_event_callback(ctx, dummy_event_cb, NULL, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_new(ctx, NULL, 0, &c2), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &s2),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    haptix_context_free(ctx);
    CHECK(c2 == CLIENT_SENTINEL && s2 == SERVER_SENTINEL && port == 0);
    CHECK(buf.data == NULL && buf.len == 0);
    pb_free(&opts);
    pb_free(&req);
}

/* Variant 0: the context is shut down first; its client and server handles stay valid and
 * report SHUT_DOWN (queued events can still be drained, then CLOSED) until they are freed.
 * Variant 1: the context is freed first, which frees its clients and servers: their handles
 * become invalid and freeing them again is ignored. */
static void context_gone_first(void) {
    for (int variant = 0; variant < 2; variant++) {
        haptix_context *ctx = new_context(NULL, 0, 1);
        REQUIRE(ctx != NULL);
        haptix_client *client = new_client(ctx, "C orphan");
        pb_buf opts, req;
        pb_init(&opts);
        pb_init(&req);
        build_server_options(&opts, "127.0.0.1:0");
        build_request_empty(&req, 0, REQ_PING);
        haptix_server *server = NULL;
        EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK);

        if (variant == 0) {
            EXPECT_STATUS(haptix_context_shutdown(ctx, 5000), HAPTIX_STATUS_OK);
            haptix_client *c2 = CLIENT_SENTINEL;
            haptix_server *s2 = SERVER_SENTINEL;
            EXPECT_STATUS(haptix_client_new(ctx, NULL, 0, &c2), HAPTIX_STATUS_ERROR_SHUT_DOWN);
            EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &s2),
                          HAPTIX_STATUS_ERROR_SHUT_DOWN);
            CHECK(c2 == CLIENT_SENTINEL && s2 == SERVER_SENTINEL);
            /* Shutting down again is OK at once; the context callback is refused. */
            EXPECT_STATUS(haptix_context_shutdown(ctx, 1000), HAPTIX_STATUS_OK);
            EXPECT_STATUS(haptix_context_set_event_callback(ctx, dummy_event_cb, NULL, NULL),
                          HAPTIX_STATUS_ERROR_SHUT_DOWN);
        } else {
            haptix_context_free(ctx);
        }
        if (client != NULL && variant == 0) {
            EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL),
                          HAPTIX_STATUS_ERROR_SHUT_DOWN);
            /* Events still queued (Connected, Disconnected) may be drained, then CLOSED. */
            hx_event ev;
            haptix_status st;
            int guard = 0;
            while ((st = next_event(client, 100, &ev)) == HAPTIX_STATUS_OK && ++guard < 1000) {
            }
            CHECKF(st == HAPTIX_STATUS_CLOSED, "next_event on a shut-down client: %s",
                   status_name(st));
            haptix_client_free(client);
        } else if (client != NULL) {
            haptix_buffer buf = {NULL, 0};
            EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL),
                          HAPTIX_STATUS_ERROR_INVALID_HANDLE);
            EXPECT_STATUS(haptix_client_next_event(client, 0, &buf),
                          HAPTIX_STATUS_ERROR_INVALID_HANDLE);
            haptix_client_free(client); /* already freed with the context: ignored */
        }
        if (server != NULL && variant == 0) {
            uint16_t port = 0;
            int32_t st = haptix_server_port(server, &port);
            CHECKF(st == HAPTIX_STATUS_OK || st == HAPTIX_STATUS_ERROR_SHUT_DOWN,
                   "server_port after shutdown: %s", status_name(st));
            st = haptix_server_stop(server, 1000);
            CHECKF(st == HAPTIX_STATUS_OK || st == HAPTIX_STATUS_ERROR_SHUT_DOWN,
                   "server_stop after shutdown: %s", status_name(st));
            haptix_server_free(server);
        } else if (server != NULL) {
            uint16_t port = 0;
            EXPECT_STATUS(haptix_server_port(server, &port), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
            haptix_server_free(server); /* ignored */
        }
        if (variant == 0) {
            haptix_context_free(ctx);
        }
        pb_free(&opts);
        pb_free(&req);
    }
}

static void wrong_type_handles(void) {
    haptix_context *ctx = new_context(NULL, 0, 1);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C wrong type");
    pb_buf opts, req;
    pb_init(&opts);
    pb_init(&req);
    build_server_options(&opts, "127.0.0.1:0");
    haptix_server *server = NULL;
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK);
    if (client == NULL || server == NULL) {
        haptix_server_free(server);
        haptix_client_free(client);
        haptix_context_free(ctx);
        pb_free(&opts);
        REQUIRE(client != NULL && server != NULL);
    }
    build_request_empty(&req, 0, REQ_PING);
    haptix_buffer buf = {NULL, 0};
    uint16_t port = 0;
    haptix_client *c2 = CLIENT_SENTINEL;

    haptix_context *client_as_ctx = (haptix_context *)(void *)client;
    haptix_context *server_as_ctx = (haptix_context *)(void *)server;
    haptix_client *ctx_as_client = (haptix_client *)(void *)ctx;
    haptix_client *server_as_client = (haptix_client *)(void *)server;
    haptix_server *client_as_server = (haptix_server *)(void *)client;
    haptix_server *ctx_as_server = (haptix_server *)(void *)ctx;

    EXPECT_STATUS(haptix_context_shutdown(client_as_ctx, 0), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_context_shutdown(server_as_ctx, 0), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_context_next_event(client_as_ctx, 0, &buf),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_context_set_event_callback(server_as_ctx, NULL, NULL, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_new(client_as_ctx, NULL, 0, &c2),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_server_new(server_as_ctx, opts.data, opts.len, &server),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_send(ctx_as_client, req.data, req.len, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_send(server_as_client, req.data, req.len, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_next_event(ctx_as_client, 0, &buf),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_set_event_callback(server_as_client, NULL, NULL, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_client_set_wakeup_callback(ctx_as_client, NULL, NULL, NULL),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_server_port(client_as_server, &port), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_server_port(ctx_as_server, &port), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    EXPECT_STATUS(haptix_server_stop(client_as_server, 0), HAPTIX_STATUS_ERROR_INVALID_HANDLE);

    /* Freeing through the wrong type is ignored: everything still works afterwards. */
    haptix_context_free(client_as_ctx);
    haptix_context_free(server_as_ctx);
    haptix_client_free(ctx_as_client);
    haptix_client_free(server_as_client);
    haptix_server_free(client_as_server);
    haptix_server_free(ctx_as_server);
    hx_event ev;
    CHECKF(roundtrip(client, &req, &ev, T_LONG_MS) && ev.status == 0,
           "client unusable after wrong-type frees");
    EXPECT_STATUS(haptix_server_port(server, &port), HAPTIX_STATUS_OK);
    CHECK(port != 0);
    CHECK(c2 == CLIENT_SENTINEL && buf.data == NULL);

    haptix_server_free(server);
    haptix_client_free(client);
    haptix_context_free(ctx);
    pb_free(&opts);
    pb_free(&req);
}

static void made_up_handles(void) {
    uint64_t on_stack[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    uint64_t *zeroed = calloc(8, sizeof *zeroed);
    uint64_t *ones = malloc(8 * sizeof *ones);
    REQUIRE(zeroed != NULL && ones != NULL);
    memset(ones, 0xff, 8 * sizeof *ones);
    haptix_context *real = new_context(NULL, 0, 1);
    void *fakes[] = {
        (void *)(uintptr_t)0x1,
        (void *)(uintptr_t)0x1000,
        (void *)(uintptr_t)0xdeadbeef,
        (void *)(uintptr_t)UINTPTR_MAX,
        (void *)on_stack,
        (void *)zeroed,
        (void *)ones,
        real != NULL ? (void *)((char *)real + 8) : (void *)(uintptr_t)0x2,
        real != NULL ? (void *)((char *)real + 1) : (void *)(uintptr_t)0x3,
    };
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_PING);
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        haptix_buffer buf = {NULL, 0};
        uint16_t port = 0;
        haptix_client *c2 = CLIENT_SENTINEL;
        CHECKF(t_expect_status(__FILE__, __LINE__, "fake context next_event",
                               haptix_context_next_event((haptix_context *)fakes[i], 0, &buf),
                               HAPTIX_STATUS_ERROR_INVALID_HANDLE,
                               HAPTIX_STATUS_ERROR_INVALID_HANDLE),
               "fake pointer #%zu", i);
        EXPECT_STATUS(haptix_context_shutdown((haptix_context *)fakes[i], 0),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        EXPECT_STATUS(haptix_client_new((haptix_context *)fakes[i], NULL, 0, &c2),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        EXPECT_STATUS(haptix_client_send((haptix_client *)fakes[i], req.data, req.len, NULL),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        EXPECT_STATUS(haptix_client_next_event((haptix_client *)fakes[i], 10, &buf),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        EXPECT_STATUS(haptix_client_set_event_callback((haptix_client *)fakes[i], NULL, NULL,
                                                       NULL),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        EXPECT_STATUS(haptix_server_port((haptix_server *)fakes[i], &port),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        haptix_client_free((haptix_client *)fakes[i]);
        haptix_server_free((haptix_server *)fakes[i]);
        haptix_context_free((haptix_context *)fakes[i]);
        CHECK(c2 == CLIENT_SENTINEL && buf.data == NULL && port == 0);
    }
    /* The real context survived all that. */
    if (real != NULL) {
        haptix_client *client = new_client(real, "C after fakes");
        hx_event ev;
        CHECK(client != NULL && wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev));
        haptix_client_free(client);
    }
    haptix_context_free(real);
    free(zeroed);
    free(ones);
    pb_free(&req);
}

int main(void) {
    RUN(abi_mismatch);
    RUN(last_error_message);
    RUN(buffer_free);
    RUN(null_handles);
    RUN(null_out_params);
    RUN(zero_length_options);
    RUN(bad_context_options);
    RUN(bad_client_and_server_options);
    RUN(bad_requests);
    RUN(duplicate_id_in_flight);
    RUN(random_requests);
    RUN(freed_handles);
    RUN(context_gone_first);
    RUN(wrong_type_handles);
    RUN(made_up_handles);
    return t_finish("test_misuse");
}
