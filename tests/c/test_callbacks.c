/*
 * test_callbacks: event and wake-up callbacks.
 *   - events arrive on one library thread (never the caller's), one at a time, Connected first;
 *   - user_data_free runs exactly once: when the registration is replaced, cleared, or its
 *     handle is freed (user data is heap-allocated and freed by user_data_free, so valgrind sees
 *     a double free or a leak);
 *   - no callback starts after the handle's _free returns;
 *   - haptix_client_next_event is refused while an event callback is set (INVALID_ARGUMENT);
 *     a blocking next_event from inside the client's own callback is refused with
 *     WOULD_DEADLOCK (from the event callback, INVALID_ARGUMENT is also accepted since both
 *     rules apply there);
 *   - sending from inside a callback works; freeing the client from inside its own callback
 *     (event or wake-up) works, with requests still in flight.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const sim_device HUSH = {"LVS-Hush", "hush-1"};

/* ---- user data with exactly-once accounting ------------------------------------------------ */

#define UD_MAGIC 0x48415054u
#define MAX_SLOTS 32
static _Atomic int free_counts[MAX_SLOTS];
static _Atomic int next_slot = 0;

typedef struct recorder recorder;

typedef struct token {
    uint32_t magic;
    int slot;
    recorder *rec;
} token;

static token *new_token(recorder *rec) {
    token *t = malloc(sizeof *t);
    if (t == NULL) {
        abort();
    }
    t->magic = UD_MAGIC;
    t->slot = atomic_fetch_add(&next_slot, 1);
    if (t->slot >= MAX_SLOTS) {
        abort();
    }
    t->rec = rec;
    return t;
}

static void token_free(void *ud) {
    token *t = ud;
    if (t == NULL || t->magic != UD_MAGIC) {
        t_fail(__FILE__, __LINE__, "user_data_free called with a bad pointer");
        return;
    }
    atomic_fetch_add(&free_counts[t->slot], 1);
    t->magic = 0;
    free(t);
}

/* Waits (bounded) until the slot's user_data_free ran; returns the count. */
static int wait_freed(int slot, uint32_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    while (atomic_load(&free_counts[slot]) == 0 && now_ms() < deadline) {
        sleep_ms(5);
    }
    return atomic_load(&free_counts[slot]);
}

/* ---- event recorder ------------------------------------------------------------------------ */

typedef struct small_event {
    uint32_t kind;
    uint64_t request_id;
    int32_t status;
    int cb; /* which callback saw it */
} small_event;

#define MAX_EVENTS 512

enum action {
    ACT_NONE,
    ACT_CHAIN_PINGS, /* on the response to ping k (< chain_to), send ping k+1 */
    ACT_FREE_ON_ID,  /* free the client when the response to free_id arrives */
    ACT_BLOCKING_READ,
    ACT_SHUTDOWN /* shut the context down when the response to free_id arrives */
};

struct recorder {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t main_thread;
    haptix_client *client;
    haptix_context *ctx;
    int32_t shutdown_status;
    small_event events[MAX_EVENTS];
    int n_events;
    int n_calls;
    int wakeups;
    int dispatcher_set;
    pthread_t dispatcher;
    int other_thread;  /* callbacks on more than one thread */
    int on_main;       /* callbacks on the caller's thread */
    _Atomic int inside;
    int overlap;
    _Atomic int action; /* enum action */
    uint64_t chain_to;
    int go; /* ACT_FREE_ON_ID: the main thread finished sending; the callback may free */
    uint64_t free_id;
    int freed; /* set by the callback that freed the client */
    int calls_after_free;
    int32_t blocking_status;
    int32_t poll_status;
    char blocking_msg[256];
};

static void rec_init(recorder *r, haptix_client *client) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->main_thread = pthread_self();
    r->client = client;
    r->blocking_status = -1;
    r->poll_status = -1;
}

static void rec_destroy(recorder *r) {
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

/* Common bookkeeping at callback entry; returns 0 when called after the client was freed. */
static int rec_enter(recorder *r) {
    if (atomic_fetch_add(&r->inside, 1) != 0) {
        r->overlap = 1;
    }
    pthread_t self = pthread_self();
    pthread_mutex_lock(&r->mu);
    r->n_calls++;
    if (pthread_equal(self, r->main_thread)) {
        r->on_main = 1;
    }
    if (!r->dispatcher_set) {
        r->dispatcher = self;
        r->dispatcher_set = 1;
    } else if (!pthread_equal(self, r->dispatcher)) {
        r->other_thread = 1;
    }
    int ok = !r->freed;
    if (!ok) {
        r->calls_after_free++;
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static void rec_leave(recorder *r) { atomic_fetch_sub(&r->inside, 1); }

static void rec_push(recorder *r, const hx_event *ev, int cb) {
    pthread_mutex_lock(&r->mu);
    if (r->n_events < MAX_EVENTS) {
        small_event *s = &r->events[r->n_events++];
        s->kind = ev->kind;
        s->request_id = ev->request_id;
        s->status = ev->status;
        s->cb = cb;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Index of the response to `id` in the recorded events, or -1. */
static int rec_find(recorder *r, uint32_t kind, uint64_t id) {
    for (int i = 0; i < r->n_events; i++) {
        if (r->events[i].kind == kind && (id == 0 || r->events[i].request_id == id)) {
            return i;
        }
    }
    return -1;
}

static int rec_wait(recorder *r, uint32_t kind, uint64_t id, uint32_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    pthread_mutex_lock(&r->mu);
    int idx;
    while ((idx = rec_find(r, kind, id)) < 0 && now_ms() < deadline) {
        pthread_mutex_unlock(&r->mu);
        sleep_ms(5);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return idx >= 0;
}

static int rec_count(recorder *r, uint32_t kind, uint64_t id) {
    int n = 0;
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->n_events; i++) {
        if (r->events[i].kind == kind && (id == 0 || r->events[i].request_id == id)) {
            n++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* ACT_FREE_ON_ID: waits until the main thread has finished sending. */
static void wait_go(recorder *r) {
    pthread_mutex_lock(&r->mu);
    while (!r->go) {
        pthread_cond_wait(&r->cv, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
}

static void send_ping(haptix_client *client, uint64_t id) {
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, id, REQ_PING);
    uint64_t got = 0;
    int32_t st = haptix_client_send(client, req.data, req.len, &got);
    CHECKF(st == HAPTIX_STATUS_OK && got == id, "send ping %llu: %s",
           (unsigned long long)id, status_name(st));
    pb_free(&req);
}

/* The event callback: cb number 1, 2 or 3 to tell registrations apart. */
static void on_event(int cb, void *ud, const uint8_t *data, size_t len) {
    token *t = ud;
    if (t == NULL || t->magic != UD_MAGIC) {
        t_fail(__FILE__, __LINE__, "event callback got bad user data");
        return;
    }
    recorder *r = t->rec;
    if (!rec_enter(r)) {
        rec_leave(r);
        return;
    }
    hx_event ev;
    if (hx_parse_event(data, len, &ev) != 0) {
        t_fail(__FILE__, __LINE__, "callback got a malformed event (%zu bytes)", len);
    }
    if (r->action == ACT_CHAIN_PINGS && ev.kind == EV_RESPONSE && ev.request_id >= 1 &&
        ev.request_id < r->chain_to) {
        send_ping(r->client, ev.request_id + 1);
    }
    if (r->action == ACT_BLOCKING_READ && r->blocking_status == -1) {
        haptix_buffer buf = {NULL, 0};
        r->blocking_status = haptix_client_next_event(r->client, 100, &buf);
        (void)last_error(r->blocking_msg, sizeof r->blocking_msg);
        haptix_buffer_free(&buf);
    }
    int free_now = r->action == ACT_FREE_ON_ID && ev.kind == EV_RESPONSE &&
                   ev.request_id == r->free_id;
    if (r->action == ACT_SHUTDOWN && ev.kind == EV_RESPONSE && ev.request_id == r->free_id) {
        r->shutdown_status = haptix_context_shutdown(r->ctx, 2000);
    }
    if (free_now) {
        wait_go(r);
        haptix_client_free(r->client);
        pthread_mutex_lock(&r->mu);
        r->freed = 1;
        pthread_mutex_unlock(&r->mu);
    }
    rec_push(r, &ev, cb);
    rec_leave(r);
}

static void cb1(void *ud, const uint8_t *data, size_t len) { on_event(1, ud, data, len); }
static void cb2(void *ud, const uint8_t *data, size_t len) { on_event(2, ud, data, len); }
static void cb3(void *ud, const uint8_t *data, size_t len) { on_event(3, ud, data, len); }

static void check_threads(recorder *r) {
    CHECKF(!r->on_main, "a callback ran on the caller's thread");
    CHECKF(!r->other_thread, "callbacks ran on more than one thread");
    CHECKF(!r->overlap, "two callbacks ran at the same time");
}

/* ---- tests --------------------------------------------------------------------------------- */

static void event_callback(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C callbacks");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    static recorder r;
    rec_init(&r, client);
    token *t1 = new_token(&r);
    int s1 = t1->slot;
    EXPECT_STATUS(haptix_client_set_event_callback(client, cb1, t1, token_free), HAPTIX_STATUS_OK);

    /* Connected comes first, through the callback. */
    CHECKF(rec_wait(&r, EV_CONNECTED, 0, T_LONG_MS), "no Connected event through the callback");
    pthread_mutex_lock(&r.mu);
    CHECKF(r.n_events > 0 && r.events[0].kind == EV_CONNECTED, "first event is %s",
           r.n_events > 0 ? hx_kind_name(r.events[0].kind) : "nothing");
    pthread_mutex_unlock(&r.mu);

    /* Polling is refused while a callback is set. */
    haptix_buffer buf = {NULL, 0};
    EXPECT_STATUS(haptix_client_next_event(client, 0, &buf), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    CHECK(buf.data == NULL);

    /* Scan, and a chain of pings where each response triggers the next send from inside the
     * callback. */
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 1000, REQ_START_SCANNING);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL), HAPTIX_STATUS_OK);
    r.chain_to = 20;
    r.action = ACT_CHAIN_PINGS;
    send_ping(client, 1);
    CHECKF(rec_wait(&r, EV_RESPONSE, 20, T_LONG_MS), "ping chain did not reach 20");
    CHECKF(rec_wait(&r, EV_DEVICE_ADDED, 0, T_LONG_MS), "no DeviceAdded through the callback");
    CHECKF(rec_wait(&r, EV_RESPONSE, 1000, T_LONG_MS), "no response to start_scanning");
    r.action = ACT_NONE;
    for (uint64_t id = 1; id <= 20; id++) {
        CHECKF(rec_count(&r, EV_RESPONSE, id) == 1, "ping %llu answered %d times",
               (unsigned long long)id, rec_count(&r, EV_RESPONSE, id));
    }
    /* The chain is causal, so the responses must be in order. */
    pthread_mutex_lock(&r.mu);
    uint64_t last = 0;
    for (int i = 0; i < r.n_events; i++) {
        if (r.events[i].kind == EV_RESPONSE && r.events[i].request_id <= 20) {
            CHECKF(r.events[i].request_id == last + 1, "ping responses out of order: %llu after %llu",
                   (unsigned long long)r.events[i].request_id, (unsigned long long)last);
            last = r.events[i].request_id;
        }
    }
    pthread_mutex_unlock(&r.mu);

    /* Replace: the first user data is released exactly once, events go to cb2. */
    token *t2 = new_token(&r);
    int s2 = t2->slot;
    EXPECT_STATUS(haptix_client_set_event_callback(client, cb2, t2, token_free), HAPTIX_STATUS_OK);
    CHECKF(wait_freed(s1, T_SHORT_MS) == 1, "user data 1 freed %d times after replace",
           atomic_load(&free_counts[s1]));
    send_ping(client, 2000);
    CHECKF(rec_wait(&r, EV_RESPONSE, 2000, T_LONG_MS), "no response through the second callback");
    pthread_mutex_lock(&r.mu);
    int idx = rec_find(&r, EV_RESPONSE, 2000);
    CHECKF(idx >= 0 && r.events[idx].cb == 2, "response went to callback %d",
           idx >= 0 ? r.events[idx].cb : -1);
    pthread_mutex_unlock(&r.mu);

    /* Clear: back to polling, the second user data is released. */
    EXPECT_STATUS(haptix_client_set_event_callback(client, NULL, NULL, NULL), HAPTIX_STATUS_OK);
    CHECKF(wait_freed(s2, T_SHORT_MS) == 1, "user data 2 freed %d times after clearing",
           atomic_load(&free_counts[s2]));
    build_request_empty(&req, 3000, REQ_PING);
    hx_event ev;
    CHECKF(roundtrip(client, &req, &ev, T_LONG_MS), "polling after clearing the callback");

    /* A registration without user_data_free (the caller keeps ownership of its user data),
     * replaced by one with it; then free the client with requests in flight. */
    token *t_owned = new_token(&r);
    EXPECT_STATUS(haptix_client_set_event_callback(client, cb2, t_owned, NULL), HAPTIX_STATUS_OK);
    token *t3 = new_token(&r);
    int s3 = t3->slot;
    EXPECT_STATUS(haptix_client_set_event_callback(client, cb3, t3, token_free), HAPTIX_STATUS_OK);
    send_ping(client, 4000);
    CHECKF(rec_wait(&r, EV_RESPONSE, 4000, T_LONG_MS), "no response through the third callback");
    for (uint64_t id = 5000; id < 5020; id++) {
        send_ping(client, id); /* in flight while freeing */
    }
    haptix_client_free(client);
    CHECKF(atomic_load(&free_counts[s3]) == 1,
           "user data 3 freed %d times when haptix_client_free returned",
           atomic_load(&free_counts[s3]));
    pthread_mutex_lock(&r.mu);
    int calls = r.n_calls;
    pthread_mutex_unlock(&r.mu);
    sleep_ms(300);
    pthread_mutex_lock(&r.mu);
    CHECKF(r.n_calls == calls, "%d callbacks after haptix_client_free returned",
           r.n_calls - calls);
    pthread_mutex_unlock(&r.mu);
    check_threads(&r);
    CHECK(atomic_load(&free_counts[s1]) == 1 && atomic_load(&free_counts[s2]) == 1);
    CHECKF(atomic_load(&free_counts[t_owned->slot]) == 0,
           "user data registered without user_data_free was released by the library");
    t_owned->magic = 0;
    free(t_owned); /* no callback can use it after haptix_client_free returned */

    pb_free(&req);
    haptix_context_free(ctx);
    rec_destroy(&r);
}

static void blocking_read_in_event_callback(void) {
    haptix_context *ctx = new_context(NULL, 0, 1);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C blocking");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    static recorder r;
    rec_init(&r, client);
    r.action = ACT_BLOCKING_READ;
    EXPECT_STATUS(haptix_client_set_event_callback(client, cb1, new_token(&r), token_free),
                  HAPTIX_STATUS_OK);
    send_ping(client, 1);
    CHECK(rec_wait(&r, EV_RESPONSE, 1, T_LONG_MS));
    CHECKF(r.blocking_status == HAPTIX_STATUS_ERROR_WOULD_DEADLOCK ||
               r.blocking_status == HAPTIX_STATUS_ERROR_INVALID_ARGUMENT,
           "blocking next_event inside the event callback returned %d %s", (int)r.blocking_status,
           status_name(r.blocking_status));
    CHECKF(r.blocking_msg[0] != '\0', "no last error message on the dispatcher thread");
    fprintf(stderr, "      blocking next_event inside the event callback: %s\n",
            status_name(r.blocking_status));
    haptix_client_free(client);
    check_threads(&r);
    haptix_context_free(ctx);
    rec_destroy(&r);
}

/* ---- wake-up callback --------------------------------------------------------------------- */

static void on_wakeup(void *ud) {
    token *t = ud;
    if (t == NULL || t->magic != UD_MAGIC) {
        t_fail(__FILE__, __LINE__, "wake-up callback got bad user data");
        return;
    }
    recorder *r = t->rec;
    if (!rec_enter(r)) {
        rec_leave(r);
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->wakeups++;
    int first = r->blocking_status == -1;
    pthread_mutex_unlock(&r->mu);
    haptix_buffer buf = {NULL, 0};
    if (first) {
        /* A blocking wait on the same client from inside its own callback would deadlock. */
        r->blocking_status = haptix_client_next_event(r->client, 100, &buf);
        (void)last_error(r->blocking_msg, sizeof r->blocking_msg);
        haptix_buffer_free(&buf);
    }
    /* Polling (timeout 0) is fine: drain what is pending. */
    for (;;) {
        int32_t st = haptix_client_next_event(r->client, 0, &buf);
        r->poll_status = st;
        if (st != HAPTIX_STATUS_OK) {
            break;
        }
        hx_event ev;
        if (hx_parse_event(buf.data, buf.len, &ev) != 0) {
            t_fail(__FILE__, __LINE__, "malformed event in wake-up drain");
        }
        haptix_buffer_free(&buf);
        if (r->action == ACT_FREE_ON_ID && ev.kind == EV_RESPONSE && ev.request_id == r->free_id) {
            rec_push(r, &ev, 0);
            wait_go(r);
            haptix_client_free(r->client);
            pthread_mutex_lock(&r->mu);
            r->freed = 1;
            pthread_mutex_unlock(&r->mu);
            break;
        }
        rec_push(r, &ev, 0);
    }
    rec_leave(r);
}

/* The wake-up notifier fires when the queue goes from empty to non-empty, so events queued
 * before the registration (Connected, typically) produce no wake-up: as documented, the host
 * drains once after registering. */
static void drain_after_registering(recorder *r) {
    haptix_buffer buf = {NULL, 0};
    while (haptix_client_next_event(r->client, 0, &buf) == HAPTIX_STATUS_OK) {
        hx_event ev;
        if (hx_parse_event(buf.data, buf.len, &ev) != 0) {
            t_fail(__FILE__, __LINE__, "malformed event");
        }
        haptix_buffer_free(&buf);
        rec_push(r, &ev, 0);
    }
}

static void wakeup_callback(void) {
    haptix_context *ctx = new_context(NULL, 0, 1);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C wakeup");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    static recorder r;
    rec_init(&r, client);
    token *t1 = new_token(&r);
    int s1 = t1->slot;
    EXPECT_STATUS(haptix_client_set_wakeup_callback(client, on_wakeup, t1, token_free),
                  HAPTIX_STATUS_OK);
    drain_after_registering(&r);
    CHECKF(rec_wait(&r, EV_CONNECTED, 0, T_LONG_MS), "no Connected event");
    send_ping(client, 1);
    CHECKF(rec_wait(&r, EV_RESPONSE, 1, T_LONG_MS), "no response drained from the wake-up");
    CHECKF(r.blocking_status == HAPTIX_STATUS_ERROR_WOULD_DEADLOCK,
           "blocking next_event inside the wake-up callback returned %d %s",
           (int)r.blocking_status, status_name(r.blocking_status));
    CHECKF(r.blocking_msg[0] != '\0', "no last error message after WOULD_DEADLOCK");
    CHECKF(r.poll_status == HAPTIX_STATUS_TIMEOUT, "polling drain ended with %s",
           status_name(r.poll_status));

    /* Replace with a new registration, then clear. */
    token *t2 = new_token(&r);
    int s2 = t2->slot;
    EXPECT_STATUS(haptix_client_set_wakeup_callback(client, on_wakeup, t2, token_free),
                  HAPTIX_STATUS_OK);
    CHECKF(wait_freed(s1, T_SHORT_MS) == 1, "wake-up user data 1 freed %d times",
           atomic_load(&free_counts[s1]));
    send_ping(client, 2);
    CHECKF(rec_wait(&r, EV_RESPONSE, 2, T_LONG_MS), "no response after replacing the wake-up");
    EXPECT_STATUS(haptix_client_set_wakeup_callback(client, NULL, NULL, NULL), HAPTIX_STATUS_OK);
    CHECKF(wait_freed(s2, T_SHORT_MS) == 1, "wake-up user data 2 freed %d times",
           atomic_load(&free_counts[s2]));
    /* Without a wake-up callback, plain polling still works. */
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 3, REQ_PING);
    hx_event ev;
    CHECK(roundtrip(client, &req, &ev, T_LONG_MS));
    pb_free(&req);

    /* Freed with a registration in place. */
    token *t3 = new_token(&r);
    int s3 = t3->slot;
    EXPECT_STATUS(haptix_client_set_wakeup_callback(client, on_wakeup, t3, token_free),
                  HAPTIX_STATUS_OK);
    send_ping(client, 4);
    haptix_client_free(client);
    CHECKF(atomic_load(&free_counts[s3]) == 1, "wake-up user data 3 freed %d times at free",
           atomic_load(&free_counts[s3]));
    check_threads(&r);
    haptix_context_free(ctx);
    rec_destroy(&r);
}

/* ---- free from inside the callback -------------------------------------------------------- */

static void free_inside_callback(int wakeup) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C free inside");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    static recorder r;
    rec_init(&r, client);
    r.action = ACT_FREE_ON_ID;
    r.free_id = 5;
    token *t = new_token(&r);
    int slot = t->slot;
    if (wakeup) {
        EXPECT_STATUS(haptix_client_set_wakeup_callback(client, on_wakeup, t, token_free),
                      HAPTIX_STATUS_OK);
        drain_after_registering(&r);
    } else {
        EXPECT_STATUS(haptix_client_set_event_callback(client, cb1, t, token_free),
                      HAPTIX_STATUS_OK);
    }
    /* The callback frees the client when the response to ping 5 arrives, but first waits for
     * r.go: the main thread must not call into a client that is being freed (only _free may not
     * race with other calls), and the remaining requests stay in flight during the free. */
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_START_SCANNING);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL), HAPTIX_STATUS_OK);
    build_request_output(&req, 0, 0, OUTPUT_TYPE_VIBRATE, 0.5);
    for (int i = 0; i < 20; i++) {
        EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL), HAPTIX_STATUS_OK);
    }
    pb_free(&req);
    for (uint64_t id = 1; id <= 50; id++) {
        send_ping(client, id);
    }
    /* From here on the main thread does not touch the client until the free completed. */
    pthread_mutex_lock(&r.mu);
    r.go = 1;
    pthread_cond_broadcast(&r.cv);
    pthread_mutex_unlock(&r.mu);
    int n = wait_freed(slot, T_LONG_MS);
    CHECKF(n == 1, "user data freed %d times after freeing from inside the callback", n);
    pthread_mutex_lock(&r.mu);
    int freed = r.freed;
    int calls = r.n_calls;
    pthread_mutex_unlock(&r.mu);
    CHECKF(freed, "the callback never saw the response to ping 5");
    if (!freed) {
        /* Diagnose: are events waiting in the queue without a wake-up having been sent? */
        atomic_store(&r.action, ACT_NONE);
        int queued = 0, found5 = 0;
        haptix_buffer buf = {NULL, 0};
        while (haptix_client_next_event(client, 0, &buf) == HAPTIX_STATUS_OK) {
            hx_event ev;
            if (hx_parse_event(buf.data, buf.len, &ev) == 0 && ev.kind == EV_RESPONSE &&
                ev.request_id == 5) {
                found5 = 1;
            }
            haptix_buffer_free(&buf);
            queued++;
        }
        fprintf(stderr,
                "      %d events were still queued (response to ping 5 among them: %s) after "
                "%d wake-ups\n",
                queued, found5 ? "yes" : "no", r.wakeups);
        haptix_client_free(client);
    }
    sleep_ms(300);
    pthread_mutex_lock(&r.mu);
    CHECKF(r.calls_after_free == 0 && r.n_calls == calls,
           "%d callbacks after the client was freed from inside its callback",
           r.calls_after_free + (r.n_calls - calls));
    pthread_mutex_unlock(&r.mu);
    check_threads(&r);
    if (freed && n == 1) {
        /* The free has completed (user data released and 300 ms passed): the handle is stale. */
        pb_init(&req);
        build_request_empty(&req, 0, REQ_PING);
        EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL),
                      HAPTIX_STATUS_ERROR_INVALID_HANDLE);
        pb_free(&req);
        haptix_client_free(client); /* stale: ignored */
    }
    /* The context still works. */
    haptix_client *other = new_client(ctx, "C after free inside");
    hx_event ev;
    CHECK(other != NULL && wait_event(other, EV_CONNECTED, 0, T_LONG_MS, &ev));
    haptix_client_free(other);
    haptix_context_free(ctx);
    rec_destroy(&r);
}

static void free_inside_event_callback(void) { free_inside_callback(0); }
static void free_inside_wakeup_callback(void) { free_inside_callback(1); }

/* haptix_context_shutdown from inside a client callback: allowed, does not wait for the
 * dispatcher thread it runs on. */
static void shutdown_inside_callback(void) {
    haptix_context *ctx = new_context(NULL, 0, 1);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C shutdown inside");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    static recorder r;
    rec_init(&r, client);
    r.ctx = ctx;
    r.shutdown_status = -1;
    r.free_id = 3;
    atomic_store(&r.action, ACT_SHUTDOWN);
    token *t = new_token(&r);
    int slot = t->slot;
    EXPECT_STATUS(haptix_client_set_event_callback(client, cb1, t, token_free), HAPTIX_STATUS_OK);
    for (uint64_t id = 1; id <= 10; id++) {
        send_ping(client, id);
    }
    uint64_t t0 = now_ms();
    CHECKF(rec_wait(&r, EV_RESPONSE, 3, T_LONG_MS), "no response to ping 3");
    pthread_mutex_lock(&r.mu);
    int32_t st = r.shutdown_status;
    pthread_mutex_unlock(&r.mu);
    CHECKF(st == HAPTIX_STATUS_OK, "haptix_context_shutdown inside a callback: %d %s", (int)st,
           status_name(st));
    fprintf(stderr, "      shutdown inside the callback took about %llu ms\n",
            (unsigned long long)(now_ms() - t0));
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_PING);
    EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL),
                  HAPTIX_STATUS_ERROR_SHUT_DOWN);
    pb_free(&req);
    haptix_client_free(client);
    CHECKF(atomic_load(&free_counts[slot]) == 1, "user data freed %d times",
           atomic_load(&free_counts[slot]));
    check_threads(&r);
    haptix_context_free(ctx);
    rec_destroy(&r);
}

/* ---- context event callback --------------------------------------------------------------- */

static _Atomic int ctx_events = 0;
static _Atomic int ctx_bad = 0;
static void on_ctx_event(void *ud, const uint8_t *data, size_t len) {
    token *t = ud;
    if (t == NULL || t->magic != UD_MAGIC) {
        atomic_fetch_add(&ctx_bad, 1);
        return;
    }
    hx_event ev;
    if (hx_parse_event(data, len, &ev) != 0 || ev.kind != EV_LOG) {
        atomic_fetch_add(&ctx_bad, 1);
    }
    atomic_fetch_add(&ctx_events, 1);
}

static void context_callback(void) {
    pb_buf opts;
    pb_init(&opts);
    build_context_options(&opts, &HUSH, 1, LOG_LEVEL_DEBUG, 0);
    haptix_context *ctx = NULL;
    int ok = EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                           HAPTIX_STATUS_OK);
    pb_free(&opts);
    REQUIRE(ok);
    token *t1 = new_token(NULL);
    int s1 = t1->slot;
    EXPECT_STATUS(haptix_context_set_event_callback(ctx, on_ctx_event, t1, token_free),
                  HAPTIX_STATUS_OK);
    token *t2 = new_token(NULL);
    int s2 = t2->slot;
    EXPECT_STATUS(haptix_context_set_event_callback(ctx, on_ctx_event, t2, token_free),
                  HAPTIX_STATUS_OK);
    CHECKF(wait_freed(s1, T_SHORT_MS) == 1, "context user data 1 freed %d times on replace",
           atomic_load(&free_counts[s1]));
    haptix_client *client = new_client(ctx, "C context logs");
    uint32_t index;
    if (client != NULL) {
        CHECK(scan_for_device(client, &index));
    }
    /* Polling the context is refused while its callback is set. */
    haptix_buffer buf = {NULL, 0};
    EXPECT_STATUS(haptix_context_next_event(ctx, 0, &buf), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    CHECK(buf.data == NULL);
    haptix_client_free(client);
    haptix_context_free(ctx);
    CHECKF(atomic_load(&free_counts[s2]) == 1, "context user data 2 freed %d times at free",
           atomic_load(&free_counts[s2]));
    CHECKF(atomic_load(&ctx_bad) == 0, "%d bad context events", atomic_load(&ctx_bad));
    fprintf(stderr, "      %d context log events\n", atomic_load(&ctx_events));
}

int main(void) {
    RUN(event_callback);
    RUN(blocking_read_in_event_callback);
    RUN(wakeup_callback);
    RUN(free_inside_event_callback);
    RUN(free_inside_wakeup_callback);
    RUN(shutdown_inside_callback);
    RUN(context_callback);
    return t_finish("test_callbacks");
}
