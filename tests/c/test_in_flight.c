/*
 * test_in_flight: tearing things down while requests are in flight.
 *   - free the client right after queueing hundreds of requests (at several points of the
 *     connection's life);
 *   - free the context first, with the client still alive (that frees the client too: its handle
 *     becomes invalid);
 *   - shut the context down with requests in flight: each accepted request is answered at most
 *     once, then the client reports CLOSED (or SHUT_DOWN);
 *   - a thread blocked in haptix_client_next_event without a time limit is woken by the shutdown;
 *   - a Disconnect request in the middle of a burst: every accepted request is answered exactly
 *     once, later sends return CLOSED;
 *   - freeing a WebSocket server while its remote client is busy.
 * Nothing may crash, leak (valgrind) or hang.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const sim_device HUSH = {"LVS-Hush", "hush-1"};

/* Queues a burst of requests; returns how many were accepted. Ids are recorded when `ids` is
 * not NULL. CLOSED stops the burst (the client is gone). */
static size_t burst(haptix_client *client, size_t n, uint64_t *ids) {
    pb_buf req;
    pb_init(&req);
    size_t accepted = 0;
    for (size_t i = 0; i < n; i++) {
        switch (i % 4) {
        case 0: build_request_output(&req, 0, 0, OUTPUT_TYPE_VIBRATE, (i % 8) ? 0.5 : 1.0); break;
        case 1: build_request_empty(&req, 0, REQ_PING); break;
        case 2: build_request_take_writes(&req, 0, "hush-1"); break;
        default:
            build_request_empty(&req, 0, i == 3 ? REQ_START_SCANNING : REQ_REQUEST_DEVICE_LIST);
            break;
        }
        uint64_t id = 0;
        int32_t st = haptix_client_send(client, req.data, req.len, &id);
        if (st == HAPTIX_STATUS_OK) {
            if (ids != NULL) {
                ids[accepted] = id;
            }
            accepted++;
        } else {
            CHECKF(st == HAPTIX_STATUS_CLOSED || st == HAPTIX_STATUS_ERROR_SHUT_DOWN,
                   "burst send %zu: %s", i, status_name(st));
            break;
        }
    }
    pb_free(&req);
    return accepted;
}

static void free_client_in_flight(void) {
    static const uint32_t delays[] = {0, 1, 5, 20, 100};
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    for (size_t k = 0; k < sizeof delays / sizeof delays[0]; k++) {
        haptix_client *client = new_client(ctx, "C in flight");
        if (client == NULL) {
            break;
        }
        if (delays[k] > 0) {
            sleep_ms(delays[k]);
        }
        size_t n = burst(client, 400, NULL);
        CHECKF(n == 400, "only %zu of 400 requests accepted", n);
        haptix_client_free(client);
    }
    /* The context is still healthy. */
    haptix_client *client = new_client(ctx, "C after in flight");
    if (client != NULL) {
        pb_buf req;
        pb_init(&req);
        build_request_empty(&req, 0, REQ_PING);
        hx_event ev;
        CHECK(roundtrip(client, &req, &ev, T_LONG_MS) && ev.status == 0);
        pb_free(&req);
        haptix_client_free(client);
    }
    haptix_context_free(ctx);
}

static void free_context_in_flight(void) {
    for (int k = 0; k < 3; k++) {
        haptix_context *ctx = new_context(&HUSH, 1, 0);
        REQUIRE(ctx != NULL);
        haptix_client *client = new_client(ctx, "C orphaned in flight");
        if (client != NULL) {
            if (k > 0) {
                sleep_ms(k == 1 ? 5 : 100);
            }
            size_t n = burst(client, 400, NULL);
            CHECKF(n == 400, "only %zu of 400 requests accepted", n);
        }
        haptix_context_free(ctx);
        if (client != NULL) {
            /* Freeing the context freed the client. */
            pb_buf req;
            pb_init(&req);
            build_request_empty(&req, 0, REQ_PING);
            EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL),
                          HAPTIX_STATUS_ERROR_INVALID_HANDLE);
            pb_free(&req);
            haptix_client_free(client); /* ignored */
        }
    }
}

/* Drains a client after a shutdown or disconnect; checks each accepted id is answered at most
 * once (exactly once when `exact`). Returns the final status. */
static haptix_status drain(haptix_client *client, const uint64_t *ids, size_t n, int exact) {
    int *seen = calloc(n ? n : 1, sizeof *seen);
    if (seen == NULL) {
        abort();
    }
    hx_event ev;
    haptix_status st;
    uint64_t deadline = now_ms() + T_LONG_MS * 2;
    while ((st = next_event(client, T_SHORT_MS, &ev)) != HAPTIX_STATUS_CLOSED &&
           now_ms() < deadline) {
        if (st == HAPTIX_STATUS_TIMEOUT) {
            continue;
        }
        if (st != HAPTIX_STATUS_OK) {
            break;
        }
        if (ev.kind != EV_RESPONSE) {
            continue;
        }
        /* Library ids are handed out in increasing order, so a binary search would do; n is
         * small enough for a linear one. */
        size_t k;
        for (k = 0; k < n && ids[k] != ev.request_id; k++) {
        }
        if (k == n) {
            t_fail(__FILE__, __LINE__, "response to unknown id %llu",
                   (unsigned long long)ev.request_id);
        } else if (++seen[k] > 1) {
            t_fail(__FILE__, __LINE__, "request %llu answered twice",
                   (unsigned long long)ev.request_id);
        }
    }
    size_t answered = 0;
    for (size_t k = 0; k < n; k++) {
        answered += seen[k] > 0;
    }
    if (exact) {
        CHECKF(answered == n, "%zu of %zu accepted requests answered", answered, n);
        int shown = 0;
        for (size_t k = 0; k < n && shown < 5; k++) {
            if (seen[k] == 0) {
                fprintf(stderr, "      unanswered: request #%zu of the burst, id %llu\n", k,
                        (unsigned long long)ids[k]);
                shown++;
            }
        }
    }
    fprintf(stderr, "      %zu of %zu accepted requests answered, final status %s\n", answered, n,
            status_name(st));
    free(seen);
    return st;
}

static void shutdown_in_flight(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C shutdown in flight");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    hx_event ev;
    CHECK(wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev));
    uint64_t ids[400];
    size_t n = burst(client, 400, ids);
    CHECK(n == 400);
    EXPECT_STATUS(haptix_context_shutdown(ctx, 5000), HAPTIX_STATUS_OK);
    haptix_status st = drain(client, ids, n, 0);
    CHECKF(st == HAPTIX_STATUS_CLOSED || st == HAPTIX_STATUS_ERROR_SHUT_DOWN,
           "client after shutdown ended with %s", status_name(st));
    haptix_client_free(client);
    haptix_context_free(ctx);
}

typedef struct blocked_reader {
    haptix_client *client;
    _Atomic int done;
    int32_t last_status;
    int events;
} blocked_reader;

static void *reader_main(void *arg) {
    blocked_reader *b = arg;
    for (;;) {
        haptix_buffer buf = {NULL, 0};
        int32_t st = haptix_client_next_event(b->client, UINT32_MAX, &buf);
        haptix_buffer_free(&buf);
        if (st != HAPTIX_STATUS_OK) {
            b->last_status = st;
            break;
        }
        b->events++;
    }
    atomic_store(&b->done, 1);
    return NULL;
}

static void shutdown_wakes_blocked_reader(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C blocked reader");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    static blocked_reader b;
    memset(&b, 0, sizeof b);
    b.client = client;
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, reader_main, &b) == 0);
    size_t n = burst(client, 100, NULL);
    CHECK(n == 100);
    sleep_ms(200);
    EXPECT_STATUS(haptix_context_shutdown(ctx, 5000), HAPTIX_STATUS_OK);
    uint64_t deadline = now_ms() + T_LONG_MS;
    while (!atomic_load(&b.done) && now_ms() < deadline) {
        sleep_ms(10);
    }
    if (!atomic_load(&b.done)) {
        t_fail(__FILE__, __LINE__,
               "a thread blocked in haptix_client_next_event(UINT32_MAX) was not woken by "
               "haptix_context_shutdown");
        fprintf(stderr, "test_in_flight: giving up (a thread is stuck in the library)\n");
        exit(1);
    }
    pthread_join(th, NULL);
    CHECKF(b.last_status == HAPTIX_STATUS_CLOSED || b.last_status == HAPTIX_STATUS_ERROR_SHUT_DOWN,
           "woken reader got %s", status_name(b.last_status));
    fprintf(stderr, "      reader saw %d events, then %s\n", b.events,
            status_name(b.last_status));
    haptix_client_free(client);
    haptix_context_free(ctx);
}

/* The response of a request that completes while the connection ends must not be lost; the
 * race is narrow, so this runs a few rounds. */
static void disconnect_in_flight(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    for (int round = 0; round < 16; round++) {
        haptix_client *client = new_client(ctx, "C disconnect in flight");
        if (client == NULL) {
            break;
        }
        uint64_t ids[601];
        size_t n = burst(client, 300, ids);
        pb_buf req;
        pb_init(&req);
        build_request_empty(&req, 0, REQ_DISCONNECT);
        uint64_t id = 0;
        if (EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &id), HAPTIX_STATUS_OK)) {
            ids[n++] = id;
        }
        pb_free(&req);
        /* Sends right after the disconnect request are accepted (and answered) or refused with
         * CLOSED once the disconnect took effect. */
        size_t before = n;
        n += burst(client, 300, ids + n);
        fprintf(stderr, "      round %d: disconnect is request #%zu, %zu accepted after it\n",
                round, before - 1, n - before);
        haptix_status st = drain(client, ids, n, 1);
        CHECKF(st == HAPTIX_STATUS_CLOSED, "after disconnect: %s", status_name(st));
        pb_init(&req);
        build_request_empty(&req, 0, REQ_PING);
        EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL), HAPTIX_STATUS_CLOSED);
        pb_free(&req);
        haptix_client_free(client);
    }
    haptix_context_free(ctx);
}

static void free_server_in_flight(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    pb_buf opts;
    pb_init(&opts);
    build_server_options(&opts, "127.0.0.1:0");
    haptix_server *server = NULL;
    uint16_t port = 0;
    if (EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK) &&
        EXPECT_STATUS(haptix_server_port(server, &port), HAPTIX_STATUS_OK)) {
        char url[64];
        snprintf(url, sizeof url, "ws://127.0.0.1:%u", (unsigned)port);
        build_client_options(&opts, "C remote", url);
        haptix_client *client = NULL;
        if (EXPECT_STATUS(haptix_client_new(ctx, opts.data, opts.len, &client),
                          HAPTIX_STATUS_OK)) {
            hx_event ev;
            CHECK(wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev));
            size_t n = burst(client, 200, NULL);
            CHECK(n == 200);
            haptix_server_free(server);
            server = NULL;
            /* The remote client loses its connection: Disconnected, then CLOSED. */
            CHECKF(wait_event(client, EV_DISCONNECTED, 0, T_LONG_MS, &ev),
                   "remote client not disconnected when its server was freed");
            haptix_client_free(client);
        }
    }
    haptix_server_free(server);
    pb_free(&opts);
    haptix_context_free(ctx);
}

int main(void) {
    RUN(free_client_in_flight);
    RUN(free_context_in_flight);
    RUN(shutdown_in_flight);
    RUN(shutdown_wakes_blocked_reader);
    RUN(disconnect_in_flight);
    RUN(free_server_in_flight);
    return t_finish("test_in_flight");
}
