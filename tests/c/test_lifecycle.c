/*
 * test_lifecycle: create and shut down a context 100 times in one process
 * (context_new -> client_new -> ping -> haptix_context_shutdown(ctx, 2000) -> frees), varying
 * the teardown order; every iteration must release its threads and memory (valgrind checks the
 * total at exit; the thread count is checked from /proc when available).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ITERATIONS 100

/* Threads of this process (Linux), or -1. */
static int thread_count(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return -1;
    }
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Threads:", 8) == 0) {
            n = atoi(line + 8);
            break;
        }
    }
    fclose(f);
    return n;
}

static void create_shutdown_100(void) {
    pb_buf req;
    pb_init(&req);
    build_request_empty(&req, 0, REQ_PING);
    int threads_before = thread_count();
    int failures_before = t_failures;
    for (int i = 0; i < ITERATIONS && t_failures - failures_before < 5; i++) {
        haptix_context *ctx = new_context(NULL, 0, 1);
        if (ctx == NULL) {
            break;
        }
        haptix_client *client = new_client(ctx, "C lifecycle");
        if (client != NULL) {
            hx_event ev;
            if (i % 4 != 3) {
                CHECKF(roundtrip(client, &req, &ev, T_LONG_MS) && ev.status == 0,
                       "iteration %d: ping failed", i);
            } else {
                /* Shut down with the ping still in flight. */
                CHECK(send_request(client, &req) != 0);
            }
        }
        switch (i % 4) {
        case 0: /* the documented order: shutdown, free the client, free the context */
        case 3:
            EXPECT_STATUS(haptix_context_shutdown(ctx, 2000), HAPTIX_STATUS_OK);
            haptix_client_free(client);
            haptix_context_free(ctx);
            break;
        case 1: /* client first, then shutdown and free */
            haptix_client_free(client);
            EXPECT_STATUS(haptix_context_shutdown(ctx, 2000), HAPTIX_STATUS_OK);
            haptix_context_free(ctx);
            break;
        default: /* no explicit shutdown: free the context (bounded shutdown), then the client */
            haptix_context_free(ctx);
            haptix_client_free(client);
            break;
        }
    }
    pb_free(&req);
    int threads_after = thread_count();
    if (threads_before > 0 && threads_after > 0) {
        /* Library threads may take a moment to exit after being joined/detached. */
        for (int k = 0; k < 100 && threads_after > threads_before; k++) {
            sleep_ms(20);
            threads_after = thread_count();
        }
        CHECKF(threads_after <= threads_before + 1,
               "%d threads before, %d after %d contexts were freed", threads_before,
               threads_after, ITERATIONS);
    }
}

/* Contexts that never got a client, and contexts freed immediately. */
static void bare_contexts(void) {
    for (int i = 0; i < 20; i++) {
        haptix_context *ctx = new_context(NULL, 0, 1);
        if (ctx == NULL) {
            break;
        }
        if (i % 2 == 0) {
            EXPECT_STATUS(haptix_context_shutdown(ctx, 2000), HAPTIX_STATUS_OK);
        }
        haptix_context_free(ctx);
    }
    /* Two contexts alive at once are independent. */
    haptix_context *a = new_context(NULL, 0, 1);
    haptix_context *b = new_context(NULL, 0, 1);
    if (a != NULL && b != NULL) {
        haptix_client *ca = new_client(a, "C a");
        haptix_client *cb = new_client(b, "C b");
        EXPECT_STATUS(haptix_context_shutdown(a, 2000), HAPTIX_STATUS_OK);
        if (cb != NULL) {
            pb_buf req;
            pb_init(&req);
            build_request_empty(&req, 0, REQ_PING);
            hx_event ev;
            CHECKF(roundtrip(cb, &req, &ev, T_LONG_MS) && ev.status == 0,
                   "shutting down one context broke another");
            pb_free(&req);
        }
        haptix_client_free(ca);
        haptix_client_free(cb);
    }
    haptix_context_free(a);
    haptix_context_free(b);
}

int main(void) {
    RUN(create_shutdown_100);
    RUN(bare_contexts);
    return t_finish("test_lifecycle");
}
