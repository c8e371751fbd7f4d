/*
 * test_event_path: the order and completeness promises of the event path (docs/event-model.md).
 *   A. requests of one client reach the toy in the order they were sent, whatever their kind:
 *      StopAll or StopDevice followed at once by a vibrate leaves the toy vibrating, on a
 *      connected client and on one whose requests were queued before it connected;
 *   B. with a wake-up notifier registered, CLOSED comes only after every response and the
 *      Disconnected event were taken, while a poller drains the stream as the client disconnects;
 *   C. after a context shutdown, registrations and server calls answer SHUT_DOWN, and queued
 *      events can still be drained;
 *   D. a refused registration releases its user data at once (exactly once; valgrind sees a
 *      leak or a double free otherwise), however many times it is refused;
 *   E. haptix_client_call waits for a response from any thread, including inside an event
 *      callback on the dispatcher thread, and its response never enters the event stream;
 *   F. from a callback, a blocking next_event on a client of another context is refused with
 *      WOULD_DEADLOCK instead of hanging, while haptix_client_call on that client waits for
 *      its response and gets it (the decision docs/event-model.md documents).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const sim_device HUSH = {"LVS-Hush", "hush-1"};

/* Request{id, stop_device {device_index}} */
static void build_stop_device(pb_buf *out, uint32_t index) {
    pb_buf sub;
    pb_init(&sub);
    pb_uint(&sub, 1, index);
    pb_reset(out);
    pb_message(out, REQ_STOP_DEVICE, &sub);
    pb_free(&sub);
}

/* Waits for the responses of two requests, skipping other events; returns 1 when both came
 * with status 0. */
static int wait_two(haptix_client *client, uint64_t a, uint64_t b) {
    int got_a = 0, got_b = 0;
    uint64_t deadline = now_ms() + T_LONG_MS;
    hx_event ev;
    while ((!got_a || !got_b) && now_ms() < deadline) {
        if (next_event(client, (uint32_t)(deadline - now_ms()), &ev) != HAPTIX_STATUS_OK) {
            return 0;
        }
        if (ev.kind == EV_RESPONSE && (ev.request_id == a || ev.request_id == b)) {
            CHECKF(ev.status == 0, "request %llu answered %d: %s",
                   (unsigned long long)ev.request_id, (int)ev.status, ev.message);
            if (ev.request_id == a) {
                got_a = 1;
            } else {
                got_b = 1;
            }
        }
    }
    return got_a && got_b;
}

/* The last write the toy received, after letting pending writes land. */
static int last_write(haptix_client *client, char *out, size_t cap) {
    hx_event resp;
    out[0] = '\0';
    sleep_ms(50);
    if (!take_writes(client, HUSH.address, &resp) || resp.n_writes == 0) {
        return 0;
    }
    const hx_write *w = &resp.writes[resp.n_writes - 1];
    size_t n = w->len < cap - 1 ? w->len : cap - 1;
    memcpy(out, w->data, n);
    out[n] = '\0';
    return 1;
}

/* A: a stop (all, or of the device) then a vibrate, back to back, 20 times each. */
static void stop_then_output_in_order(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C order");
    uint32_t index = 0;
    if (client == NULL || !scan_for_device(client, &index)) {
        haptix_client_free(client);
        haptix_context_free(ctx);
        REQUIRE(0);
    }
    pb_buf stop, vibrate;
    pb_init(&stop);
    pb_init(&vibrate);
    build_request_output(&vibrate, 0, index, OUTPUT_TYPE_VIBRATE, 0.5);
    int wrong = 0;
    for (int round = 0; round < 40; round++) {
        if (round % 2 == 0) {
            build_request_empty(&stop, 0, REQ_STOP_ALL);
        } else {
            build_stop_device(&stop, index);
        }
        uint64_t a = send_request(client, &stop);
        uint64_t b = send_request(client, &vibrate);
        if (!wait_two(client, a, b)) {
            t_fail(__FILE__, __LINE__, "round %d: responses missing", round);
            break;
        }
        char last[64];
        if (!last_write(client, last, sizeof last) || strcmp(last, "Vibrate:10;") != 0) {
            wrong++;
            CHECKF(0, "round %d (%s then vibrate): the toy's last write is \"%s\"", round,
                   round % 2 == 0 ? "stop_all" : "stop_device", last);
        }
        /* next round starts from a stopped toy, so that the vibrate is a change */
        build_request_empty(&stop, 0, REQ_STOP_ALL);
        uint64_t c = send_request(client, &stop);
        hx_event ev;
        CHECK(wait_event(client, EV_RESPONSE, c, T_LONG_MS, &ev));
        take_writes(client, HUSH.address, &ev);
    }
    CHECKF(wrong == 0, "%d of 40 rounds ended with the toy stopped", wrong);
    pb_free(&stop);
    pb_free(&vibrate);
    haptix_client_free(client);
    CHECK(haptix_context_shutdown(ctx, T_LONG_MS) == HAPTIX_STATUS_OK);
    haptix_context_free(ctx);
}

/* A, before connected: a second client queues stop_device + vibrate before its Connected. */
static void queued_before_connected_in_order(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *first = new_client(ctx, "C first");
    uint32_t index = 0;
    if (first == NULL || !scan_for_device(first, &index)) {
        haptix_client_free(first);
        haptix_context_free(ctx);
        REQUIRE(0);
    }
    pb_buf stop, vibrate;
    pb_init(&stop);
    pb_init(&vibrate);
    build_request_output(&vibrate, 0, index, OUTPUT_TYPE_VIBRATE, 0.5);
    int wrong = 0;
    for (int round = 0; round < 10; round++) {
        haptix_client *second = new_client(ctx, "C queued");
        if (second == NULL) {
            break;
        }
        if (round % 2 == 0) {
            build_request_empty(&stop, 0, REQ_STOP_ALL);
        } else {
            build_stop_device(&stop, index);
        }
        uint64_t a = send_request(second, &stop);
        uint64_t b = send_request(second, &vibrate);
        CHECK(wait_two(second, a, b));
        char last[64];
        if (!last_write(first, last, sizeof last) || strcmp(last, "Vibrate:10;") != 0) {
            wrong++;
            CHECKF(0, "round %d: the toy's last write is \"%s\"", round, last);
        }
        haptix_client_free(second); /* stops the toy: the next round starts stopped */
        sleep_ms(50);
        hx_event ev;
        take_writes(first, HUSH.address, &ev);
    }
    CHECKF(wrong == 0, "%d of 10 rounds ended with the toy stopped", wrong);
    pb_free(&stop);
    pb_free(&vibrate);
    haptix_client_free(first);
    CHECK(haptix_context_shutdown(ctx, T_LONG_MS) == HAPTIX_STATUS_OK);
    haptix_context_free(ctx);
}

static _Atomic int wakeups = 0;
static void on_wakeup(void *ud) {
    (void)ud;
    atomic_fetch_add(&wakeups, 1);
}

/* B: with a notifier, CLOSED comes after every response and Disconnected. */
static void closed_only_after_every_event(void) {
    int lost = 0;
    for (int round = 0; round < 30; round++) {
        haptix_context *ctx = new_context(&HUSH, 1, 0);
        REQUIRE(ctx != NULL);
        haptix_client *client = new_client(ctx, "C closed");
        if (client == NULL) {
            haptix_context_free(ctx);
            REQUIRE(0);
        }
        EXPECT_STATUS(haptix_client_set_wakeup_callback(client, on_wakeup, NULL, NULL),
                      HAPTIX_STATUS_OK);
        pb_buf req;
        pb_init(&req);
        uint64_t ids[8];
        for (int i = 0; i < 8; i++) {
            /* the last one ends the connection while the others are still being answered */
            build_request_empty(&req, 0, i == 7 ? REQ_DISCONNECT : i % 2 ? REQ_PING : REQ_START_SCANNING);
            ids[i] = send_request(client, &req);
        }
        pb_free(&req);
        int answered = 0, disconnected = 0, after_disconnect = 0;
        hx_event ev;
        haptix_status st;
        while ((st = next_event(client, T_SHORT_MS, &ev)) == HAPTIX_STATUS_OK) {
            if (ev.kind == EV_RESPONSE) {
                for (int i = 0; i < 8; i++) {
                    if (ev.request_id == ids[i]) {
                        answered++;
                    }
                }
                after_disconnect += disconnected;
            } else if (ev.kind == EV_DISCONNECTED) {
                disconnected++;
            }
        }
        CHECKF(st == HAPTIX_STATUS_CLOSED, "round %d: the stream ended with %s", round,
               status_name(st));
        if (answered != 8 || disconnected != 1) {
            lost++;
            CHECKF(0, "round %d: CLOSED after %d of 8 responses and %d Disconnected", round,
                   answered, disconnected);
        }
        CHECKF(after_disconnect == 0, "round %d: %d responses after Disconnected", round,
               after_disconnect);
        haptix_client_free(client);
        CHECK(haptix_context_shutdown(ctx, T_LONG_MS) == HAPTIX_STATUS_OK);
        haptix_context_free(ctx);
    }
    CHECKF(lost == 0, "%d of 30 rounds lost events", lost);
}

static _Atomic int freed = 0;
static void count_free(void *ud) {
    free(ud);
    atomic_fetch_add(&freed, 1);
}
static void never_called(void *ud, const uint8_t *ev, size_t len) {
    (void)ud;
    (void)ev;
    (void)len;
    t_fail(__FILE__, __LINE__, "a callback registered after shutdown was called");
}

/* C and D: after shutdown, refusals with SHUT_DOWN, user data released, queue still drains. */
static void after_shutdown(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C after shutdown");
    haptix_server *server = NULL;
    pb_buf opts;
    pb_init(&opts);
    build_server_options(&opts, "127.0.0.1:0");
    EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK);
    pb_free(&opts);
    if (client == NULL) {
        haptix_context_free(ctx);
        REQUIRE(0);
    }
    hx_event ev;
    CHECK(wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev));
    CHECK(haptix_context_shutdown(ctx, T_LONG_MS) == HAPTIX_STATUS_OK);

    atomic_store(&freed, 0);
    int calls = 0;
    for (int i = 0; i < 2000; i++) {
        EXPECT_STATUS(haptix_client_set_event_callback(client, never_called, malloc(32),
                                                       count_free),
                      HAPTIX_STATUS_ERROR_SHUT_DOWN);
        EXPECT_STATUS(haptix_client_set_wakeup_callback(client, on_wakeup, malloc(32), count_free),
                      HAPTIX_STATUS_ERROR_SHUT_DOWN);
        EXPECT_STATUS(haptix_context_set_event_callback(ctx, never_called, malloc(32), count_free),
                      HAPTIX_STATUS_ERROR_SHUT_DOWN);
        calls += 3;
    }
    CHECKF(atomic_load(&freed) == calls, "user_data_free ran %d times for %d refused calls",
           atomic_load(&freed), calls);

    if (server != NULL) {
        uint16_t port = 0;
        EXPECT_STATUS(haptix_server_port(server, &port), HAPTIX_STATUS_ERROR_SHUT_DOWN);
        EXPECT_STATUS(haptix_server_stop(server, 100), HAPTIX_STATUS_ERROR_SHUT_DOWN);
    }
    /* the final events are still there, in poll mode, and the stream then closes */
    int disconnected = 0;
    haptix_status st;
    while ((st = next_event(client, T_SHORT_MS, &ev)) == HAPTIX_STATUS_OK) {
        disconnected += ev.kind == EV_DISCONNECTED;
    }
    CHECKF(disconnected == 1, "%d Disconnected events drained after shutdown", disconnected);
    CHECKF(st == HAPTIX_STATUS_CLOSED, "drain ended with %s", status_name(st));

    /* a refused registration on a freed handle releases its data too */
    haptix_client_free(client);
    int before = atomic_load(&freed);
    EXPECT_STATUS(haptix_client_set_event_callback(client, never_called, malloc(32), count_free),
                  HAPTIX_STATUS_ERROR_INVALID_HANDLE);
    CHECK(atomic_load(&freed) == before + 1);
    haptix_server_free(server);
    haptix_context_free(ctx);
}

/* E: haptix_client_call from a callback on the dispatcher thread, and from the main thread. */
typedef struct call_state {
    haptix_client *client;
    _Atomic int done;
    _Atomic int status;
    _Atomic int response_status;
    _Atomic int responses_in_stream;
    uint32_t index;
} call_state;

static void call_from_callback(void *ud, const uint8_t *data, size_t len) {
    call_state *s = ud;
    hx_event ev;
    if (hx_parse_event(data, len, &ev) != 0) {
        t_fail(__FILE__, __LINE__, "unparseable event");
        return;
    }
    if (ev.kind == EV_RESPONSE) {
        atomic_fetch_add(&s->responses_in_stream, 1);
    }
    if (ev.kind == EV_DEVICE_ADDED && atomic_load(&s->done) == 0) {
        pb_buf req;
        pb_init(&req);
        build_request_output(&req, 0, ev.device_index, OUTPUT_TYPE_VIBRATE, 0.5);
        haptix_buffer out = {NULL, 0};
        haptix_status st = haptix_client_call(s->client, req.data, req.len, T_LONG_MS, &out);
        atomic_store(&s->status, st);
        if (st == HAPTIX_STATUS_OK) {
            hx_event resp;
            if (hx_parse_event(out.data, out.len, &resp) == 0 && resp.kind == EV_RESPONSE) {
                atomic_store(&s->response_status, resp.status);
            }
            haptix_buffer_free(&out);
        }
        pb_free(&req);
        atomic_store(&s->done, 1);
    }
}

static void call_waits_anywhere(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C call");
    if (client == NULL) {
        haptix_context_free(ctx);
        REQUIRE(0);
    }
    /* from the main thread, poll mode: the response is returned, not queued */
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_PING);
    haptix_buffer out = {NULL, 0};
    EXPECT_STATUS(haptix_client_call(client, req.data, req.len, T_LONG_MS, &out),
                  HAPTIX_STATUS_OK);
    hx_event resp;
    CHECK(out.data != NULL && hx_parse_event(out.data, out.len, &resp) == 0 &&
          resp.kind == EV_RESPONSE && resp.status == 0 && resp.request_id >= (1ull << 63));
    haptix_buffer_free(&out);
    hx_event ev;
    while (next_event(client, 0, &ev) == HAPTIX_STATUS_OK) {
        CHECKF(ev.kind != EV_RESPONSE, "a called request's response entered the stream");
    }
    /* bad input is refused at once */
    EXPECT_STATUS(haptix_client_call(client, req.data, req.len, T_SHORT_MS, NULL),
                  HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_STATUS(haptix_client_call(client, (const uint8_t *)"\xff\xff", 2, T_SHORT_MS, &out),
                  HAPTIX_STATUS_ERROR_INVALID_PROTOBUF);
    CHECK(out.data == NULL);

    /* from inside the event callback, on the dispatcher thread */
    call_state s = {.client = client};
    EXPECT_STATUS(haptix_client_set_event_callback(client, call_from_callback, &s, NULL),
                  HAPTIX_STATUS_OK);
    build_request_empty(&req, 0, REQ_START_SCANNING);
    send_request(client, &req);
    uint64_t deadline = now_ms() + T_LONG_MS;
    while (atomic_load(&s.done) == 0 && now_ms() < deadline) {
        sleep_ms(10);
    }
    CHECKF(atomic_load(&s.done) == 1, "the callback's call did not finish");
    CHECKF(atomic_load(&s.status) == HAPTIX_STATUS_OK, "call in a callback: %s",
           status_name(atomic_load(&s.status)));
    CHECKF(atomic_load(&s.response_status) == 0, "vibrate answered %d",
           atomic_load(&s.response_status));
    /* only the scan's response is in the stream */
    sleep_ms(100);
    CHECKF(atomic_load(&s.responses_in_stream) == 1, "%d responses in the stream",
           atomic_load(&s.responses_in_stream));
    EXPECT_STATUS(haptix_client_set_event_callback(client, NULL, NULL, NULL), HAPTIX_STATUS_OK);
    build_request_take_writes(&req, 0, HUSH.address);
    EXPECT_STATUS(haptix_client_call(client, req.data, req.len, T_LONG_MS, &out),
                  HAPTIX_STATUS_OK);
    int vibrated = 0;
    if (out.data != NULL && hx_parse_event(out.data, out.len, &resp) == 0) {
        for (size_t i = 0; i < resp.n_writes; i++) {
            vibrated |= resp.writes[i].len == 11 && memcmp(resp.writes[i].data, "Vibrate:10;", 11) == 0;
        }
    }
    CHECKF(vibrated, "the toy did not receive the callback's vibrate");
    haptix_buffer_free(&out);
    pb_free(&req);
    haptix_client_free(client);
    CHECK(haptix_context_shutdown(ctx, T_LONG_MS) == HAPTIX_STATUS_OK);
    haptix_context_free(ctx);
}

/* F: from a callback, waiting for another context's events is refused; a call on that
 * context's client is allowed and answered. */
typedef struct cross_state {
    haptix_client *other;
    _Atomic int status;
    _Atomic int call_status;
    _Atomic int response_status;
} cross_state;

static void wait_on_other(void *ud, const uint8_t *data, size_t len) {
    (void)data;
    (void)len;
    cross_state *s = ud;
    if (atomic_load(&s->status) != -1) {
        return;
    }
    haptix_buffer out = {NULL, 0};
    haptix_status st = haptix_client_next_event(s->other, T_SHORT_MS, &out);
    haptix_buffer_free(&out);
    /* a request on the other context's client, waited for here on this dispatcher thread */
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_PING);
    haptix_buffer resp_buf = {NULL, 0};
    haptix_status call = haptix_client_call(s->other, req.data, req.len, T_LONG_MS, &resp_buf);
    pb_free(&req);
    hx_event resp;
    if (call == HAPTIX_STATUS_OK && hx_parse_event(resp_buf.data, resp_buf.len, &resp) == 0 &&
        resp.kind == EV_RESPONSE) {
        atomic_store(&s->response_status, resp.status);
    }
    haptix_buffer_free(&resp_buf);
    atomic_store(&s->call_status, call);
    atomic_store(&s->status, st);
}

static void cross_context_wait_refused(void) {
    haptix_context *a = new_context(NULL, 0, 0);
    haptix_context *b = new_context(NULL, 0, 0);
    haptix_client *ca = a ? new_client(a, "C a") : NULL;
    haptix_client *cb = b ? new_client(b, "C b") : NULL;
    if (ca != NULL && cb != NULL) {
        cross_state s = {.other = cb, .status = -1, .call_status = -1, .response_status = -1};
        EXPECT_STATUS(haptix_client_set_event_callback(ca, wait_on_other, &s, NULL),
                      HAPTIX_STATUS_OK);
        uint64_t deadline = now_ms() + T_LONG_MS;
        while (atomic_load(&s.status) == -1 && now_ms() < deadline) {
            sleep_ms(10);
        }
        CHECKF(atomic_load(&s.status) == HAPTIX_STATUS_ERROR_WOULD_DEADLOCK,
               "next_event on another context's client from a callback: %s",
               status_name(atomic_load(&s.status)));
        CHECKF(atomic_load(&s.call_status) == HAPTIX_STATUS_OK,
               "haptix_client_call on another context's client from a callback: %s",
               status_name(atomic_load(&s.call_status)));
        CHECKF(atomic_load(&s.response_status) == 0, "the ping was answered %d",
               atomic_load(&s.response_status));
    } else {
        CHECK(0);
    }
    haptix_client_free(ca);
    haptix_client_free(cb);
    haptix_context_free(a);
    haptix_context_free(b);
}

int main(void) {
    RUN(stop_then_output_in_order);
    RUN(queued_before_connected_in_order);
    RUN(closed_only_after_every_event);
    RUN(after_shutdown);
    RUN(call_waits_anywhere);
    RUN(cross_context_wait_refused);
    return t_finish("test_event_path");
}
