/*
 * test_threads: 8 threads send 500 Output requests each (alternating levels) concurrently on one
 * client while one thread drains events; every request id gets exactly one response. Half the
 * requests carry a caller-chosen id (echoed exactly), half let the library pick one (>= 2^63,
 * unique). Then the same with pings through the event callback.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define N_THREADS 8
#define N_PER_THREAD 500
#define N_TOTAL (N_THREADS * N_PER_THREAD)

static const sim_device HUSH = {"LVS-Hush", "hush-1"};

typedef struct shared {
    haptix_client *client;
    uint32_t device_index;
    _Atomic int start;
    uint64_t ids[N_THREADS][N_PER_THREAD]; /* ids reported by haptix_client_send */
    int32_t send_status[N_THREADS][N_PER_THREAD];
    /* responses as they arrive (drainer thread or callback), matched after the senders joined */
    pthread_mutex_t mu;
    uint64_t resp_id[2 * N_TOTAL];
    int32_t resp_status[2 * N_TOTAL];
    size_t n_resp;
    size_t n_resp_dropped;
} shared;

static shared S;

/* Caller-chosen ids: 1 + thread * 1e6 + i, for even i. */
static uint64_t chosen_id(int t, int i) { return 1u + (uint64_t)t * 1000000u + (uint64_t)i; }

typedef struct sender_arg {
    int t;
    int ping; /* send pings instead of outputs */
} sender_arg;

static void *sender(void *arg) {
    const sender_arg *a = arg;
    pb_buf req;
    pb_init(&req);
    while (!atomic_load(&S.start)) {
        sched_yield();
    }
    for (int i = 0; i < N_PER_THREAD; i++) {
        uint64_t id = (i % 2 == 0) ? chosen_id(a->t, i) : 0;
        if (a->ping) {
            build_request_empty(&req, id, REQ_PING);
        } else {
            build_request_output(&req, id, S.device_index, OUTPUT_TYPE_VIBRATE,
                                 ((i + a->t) % 2) ? 0.75 : 0.25);
        }
        uint64_t got = 0;
        S.send_status[a->t][i] = haptix_client_send(S.client, req.data, req.len, &got);
        S.ids[a->t][i] = got;
    }
    pb_free(&req);
    return NULL;
}

static void push_response(const hx_event *ev) {
    pthread_mutex_lock(&S.mu);
    if (S.n_resp < 2 * N_TOTAL) {
        S.resp_id[S.n_resp] = ev->request_id;
        S.resp_status[S.n_resp] = ev->status;
        S.n_resp++;
    } else {
        S.n_resp_dropped++;
    }
    pthread_mutex_unlock(&S.mu);
}

static void reset_shared(haptix_client *client, uint32_t device_index) {
    memset(&S, 0, sizeof S);
    S.client = client;
    S.device_index = device_index;
    pthread_mutex_init(&S.mu, NULL);
}

static void run_senders(int ping) {
    pthread_t th[N_THREADS];
    sender_arg args[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        args[t].t = t;
        args[t].ping = ping;
        if (pthread_create(&th[t], NULL, sender, &args[t]) != 0) {
            t_fail(__FILE__, __LINE__, "pthread_create failed");
            exit(1);
        }
    }
    atomic_store(&S.start, 1);
    for (int t = 0; t < N_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
}

typedef struct lib_id {
    uint64_t id;
    int t, i;
} lib_id;

static int cmp_lib_id(const void *a, const void *b) {
    uint64_t x = ((const lib_id *)a)->id, y = ((const lib_id *)b)->id;
    return x < y ? -1 : x > y;
}

/* Checks the send statuses and ids, then that every request got exactly one response. */
static void check_all(const char *what) {
    int bad = 0;
    for (int t = 0; t < N_THREADS; t++) {
        for (int i = 0; i < N_PER_THREAD; i++) {
            if (S.send_status[t][i] != HAPTIX_STATUS_OK) {
                if (bad++ < 5) {
                    t_fail(__FILE__, __LINE__, "thread %d send %d: %s", t, i,
                           status_name(S.send_status[t][i]));
                }
            } else if (i % 2 == 0 && S.ids[t][i] != chosen_id(t, i)) {
                t_fail(__FILE__, __LINE__, "caller id %llu reported as %llu",
                       (unsigned long long)chosen_id(t, i), (unsigned long long)S.ids[t][i]);
            } else if (i % 2 == 1 && S.ids[t][i] < (UINT64_C(1) << 63)) {
                t_fail(__FILE__, __LINE__, "library id %llu below 2^63",
                       (unsigned long long)S.ids[t][i]);
            }
        }
    }
    /* Library ids: sorted for lookup, and unique. */
    static lib_id lib[N_TOTAL / 2];
    size_t n = 0;
    for (int t = 0; t < N_THREADS; t++) {
        for (int i = 1; i < N_PER_THREAD; i += 2) {
            lib[n].id = S.ids[t][i];
            lib[n].t = t;
            lib[n].i = i;
            n++;
        }
    }
    qsort(lib, n, sizeof lib[0], cmp_lib_id);
    for (size_t a = 1; a < n; a++) {
        CHECKF(lib[a].id != lib[a - 1].id, "library id %llu handed out twice",
               (unsigned long long)lib[a].id);
    }

    static int answered[N_THREADS][N_PER_THREAD];
    memset(answered, 0, sizeof answered);
    int unknown = 0, duplicates = 0, not_ok = 0;
    pthread_mutex_lock(&S.mu);
    for (size_t k = 0; k < S.n_resp; k++) {
        uint64_t id = S.resp_id[k];
        int ft = -1, fi = -1;
        if (id >= 1 && id < (UINT64_C(1) << 63)) {
            uint64_t base = id - 1;
            uint64_t t = base / 1000000u, i = base % 1000000u;
            if (t < N_THREADS && i < N_PER_THREAD && i % 2 == 0) {
                ft = (int)t;
                fi = (int)i;
            }
        } else {
            lib_id key = {id, 0, 0};
            const lib_id *hit = bsearch(&key, lib, n, sizeof lib[0], cmp_lib_id);
            if (hit != NULL) {
                ft = hit->t;
                fi = hit->i;
            }
        }
        if (ft < 0) {
            if (unknown++ < 5) {
                t_fail(__FILE__, __LINE__, "%s: response to unknown id %llu", what,
                       (unsigned long long)id);
            }
            continue;
        }
        if (answered[ft][fi]++ > 0) {
            duplicates++;
            continue;
        }
        if (S.resp_status[k] != 0 && not_ok++ < 5) {
            t_fail(__FILE__, __LINE__, "%s: request %llu answered %d %s", what,
                   (unsigned long long)id, (int)S.resp_status[k],
                   status_name(S.resp_status[k]));
        }
    }
    size_t total = S.n_resp;
    pthread_mutex_unlock(&S.mu);
    int missing = 0;
    for (int t = 0; t < N_THREADS; t++) {
        for (int i = 0; i < N_PER_THREAD; i++) {
            missing += answered[t][i] == 0;
        }
    }
    fprintf(stderr, "      %s: %zu responses, %d missing, %d duplicates, %d unknown, %d not OK\n",
            what, total, missing, duplicates, unknown, not_ok);
    CHECKF(missing == 0 && duplicates == 0 && unknown == 0 && S.n_resp_dropped == 0,
           "%s: every request must be answered exactly once", what);
}

static _Atomic int drainer_stop = 0;

static void *drainer(void *arg) {
    (void)arg;
    hx_event ev;
    while (!atomic_load(&drainer_stop)) {
        haptix_status st = next_event(S.client, 100, &ev);
        if (st == HAPTIX_STATUS_TIMEOUT) {
            continue;
        }
        if (st != HAPTIX_STATUS_OK) {
            t_fail(__FILE__, __LINE__, "drainer: next_event returned %s", status_name(st));
            break;
        }
        if (ev.kind == EV_RESPONSE) {
            push_response(&ev);
        }
    }
    return NULL;
}

/* Waits until N_TOTAL responses arrived, then a little longer to catch duplicates. */
static int wait_all_answered(uint32_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&S.mu);
        size_t n = S.n_resp;
        pthread_mutex_unlock(&S.mu);
        if (n >= N_TOTAL) {
            sleep_ms(200);
            return 1;
        }
        if (now_ms() >= deadline) {
            return 0;
        }
        sleep_ms(10);
    }
}

static void eight_senders_one_drainer(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C threads");
    uint32_t index = 0;
    if (client == NULL || !scan_for_device(client, &index)) {
        haptix_client_free(client);
        haptix_context_free(ctx);
        REQUIRE(0);
    }
    reset_shared(client, index);
    atomic_store(&drainer_stop, 0);
    pthread_t dr;
    REQUIRE(pthread_create(&dr, NULL, drainer, NULL) == 0);
    uint64_t t0 = now_ms();
    run_senders(0);
    CHECKF(wait_all_answered(T_LONG_MS * 4), "not all requests answered in time");
    atomic_store(&drainer_stop, 1);
    pthread_join(dr, NULL);
    fprintf(stderr, "      %d requests in %llu ms\n", N_TOTAL,
            (unsigned long long)(now_ms() - t0));
    check_all("outputs");

    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_STOP_ALL);
    hx_event ev;
    CHECK(roundtrip(client, &req, &ev, T_LONG_MS) && ev.status == 0);
    pb_free(&req);

    haptix_client_free(client);
    haptix_context_free(ctx);
    pthread_mutex_destroy(&S.mu);
}

/* Same with pings and the event callback as the single consumer. */
static void on_event(void *ud, const uint8_t *data, size_t len) {
    (void)ud;
    hx_event ev;
    if (hx_parse_event(data, len, &ev) != 0) {
        t_fail(__FILE__, __LINE__, "malformed event in callback");
        return;
    }
    if (ev.kind == EV_RESPONSE) {
        push_response(&ev);
    }
}

static void eight_senders_callback(void) {
    haptix_context *ctx = new_context(NULL, 0, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C threads callback");
    if (client == NULL) {
        haptix_context_free(ctx);
        return;
    }
    hx_event ev;
    CHECK(wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev));
    reset_shared(client, 0);
    EXPECT_STATUS(haptix_client_set_event_callback(client, on_event, NULL, NULL),
                  HAPTIX_STATUS_OK);
    run_senders(1);
    CHECKF(wait_all_answered(T_LONG_MS * 4), "not all requests answered in time");
    haptix_client_free(client); /* no callback after this returns */
    check_all("pings via callback");
    haptix_context_free(ctx);
    pthread_mutex_destroy(&S.mu);
}

int main(void) {
    RUN(eight_senders_one_drainer);
    RUN(eight_senders_callback);
    return t_finish("test_threads");
}
