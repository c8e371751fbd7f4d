/*
 * test_happy_path: the normal use of the C ABI.
 *   context -> client on the embedded server -> simulated "LVS-Hush" -> vibrate 0.5 -> response
 *   event -> the device recorded b"Vibrate:10;" on endpoint "tx"; plus the WebSocket server
 *   functions and context events.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "util.h"

static const sim_device HUSH = {"LVS-Hush", "hush-1"};

static void version(void) {
    CHECK(haptix_abi_version() == HAPTIX_ABI_VERSION);
    const char *v = haptix_version();
    CHECK(v != NULL);
    if (v != NULL) {
        CHECKF(strlen(v) > 0 && strchr(v, '.') != NULL, "haptix_version() = \"%s\"", v);
    }
}

/* Polls take_writes until something was recorded (the write happens asynchronously right after
 * the response), at most ~5 s. Returns 1 when non-empty. */
static int poll_writes(haptix_client *client, const char *address, hx_event *resp) {
    for (int i = 0; i < 50; i++) {
        if (!take_writes(client, address, resp)) {
            return 0;
        }
        if (resp->total_writes > 0) {
            return 1;
        }
        sleep_ms(100);
    }
    return 0;
}

static int has_write(const hx_event *resp, const char *endpoint, const char *data) {
    for (size_t i = 0; i < resp->n_writes; i++) {
        const hx_write *w = &resp->writes[i];
        if (strcmp(w->endpoint, endpoint) == 0 && w->len == strlen(data) &&
            memcmp(w->data, data, w->len) == 0) {
            return 1;
        }
    }
    return 0;
}

static void print_writes(const hx_event *resp) {
    for (size_t i = 0; i < resp->n_writes; i++) {
        fprintf(stderr, "      write %zu: endpoint \"%s\" data \"%.*s\"\n", i,
                resp->writes[i].endpoint, (int)resp->writes[i].len,
                (const char *)resp->writes[i].data);
    }
}

static void vibrate(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C happy path");
    if (client == NULL) {
        haptix_context_free(ctx);
        REQUIRE(client != NULL);
    }

    hx_event ev;
    /* The first event of a client is Connected (or Disconnected when it could not connect). */
    haptix_status st = next_event(client, T_LONG_MS, &ev);
    CHECKF(st == HAPTIX_STATUS_OK && ev.kind == EV_CONNECTED,
           "first event: status %s kind %s (%s)", status_name(st), hx_kind_name(ev.kind),
           ev.message);
    CHECKF(ev.request_id == 0, "Connected carries request id %llu",
           (unsigned long long)ev.request_id);

    uint32_t index = 0;
    if (scan_for_device(client, &index)) {
        hx_event resp;
        /* Clear the handshake writes ("DeviceType;" and possibly battery reads). */
        CHECK(take_writes(client, "hush-1", &resp));

        pb_buf req;
        pb_init(&req);
        build_request_output(&req, 0, index, OUTPUT_TYPE_VIBRATE, 0.5);
        uint64_t id = send_request(client, &req);
        CHECKF(id >= (UINT64_C(1) << 63), "library-chosen id %llu is below 2^63",
               (unsigned long long)id);
        if (id != 0) {
            CHECKF(wait_event(client, EV_RESPONSE, id, T_LONG_MS, &resp),
                   "no response to the vibrate request");
            CHECKF(resp.status == 0, "vibrate answered %d %s: %s", (int)resp.status,
                   status_name(resp.status), resp.message);
        }

        if (poll_writes(client, "hush-1", &resp)) {
            if (!has_write(&resp, "tx", "Vibrate:10;")) {
                t_fail(__FILE__, __LINE__, "device did not record tx \"Vibrate:10;\"");
                print_writes(&resp);
            }
        } else {
            t_fail(__FILE__, __LINE__, "no writes recorded after vibrate 0.5");
        }

        /* A caller-chosen id is echoed. */
        build_request_empty(&req, 4242, REQ_PING);
        uint64_t ping_id = 0;
        EXPECT_STATUS(haptix_client_send(client, req.data, req.len, &ping_id), HAPTIX_STATUS_OK);
        CHECK(ping_id == 4242);
        CHECKF(wait_event(client, EV_RESPONSE, 4242, T_LONG_MS, &resp) && resp.status == 0,
               "ping 4242: status %d", (int)resp.status);

        /* Stop everything; the device should receive Vibrate:0;. */
        build_request_empty(&req, 0, REQ_STOP_ALL);
        CHECK(roundtrip(client, &req, &resp, T_LONG_MS) && resp.status == 0);
        if (poll_writes(client, "hush-1", &resp)) {
            if (!has_write(&resp, "tx", "Vibrate:0;")) {
                t_fail(__FILE__, __LINE__, "stop_all did not write \"Vibrate:0;\"");
                print_writes(&resp);
            }
        } else {
            t_fail(__FILE__, __LINE__, "no writes recorded after stop_all");
        }

        pb_free(&req);
    }

    haptix_client_free(client);
    EXPECT_STATUS(haptix_context_shutdown(ctx, 5000), HAPTIX_STATUS_OK);
    haptix_context_free(ctx);
}

/* Request{disconnect}: its response, then Disconnected with status 0 (a requested disconnect,
 * see event.proto), then CLOSED; later sends return CLOSED. */
static void requested_disconnect(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *client = new_client(ctx, "C disconnect");
    hx_event ev;
    haptix_status st = HAPTIX_STATUS_OK;
    if (client != NULL && wait_event(client, EV_CONNECTED, 0, T_LONG_MS, &ev)) {
        pb_buf req;
        pb_init(&req);
        /* Requested disconnect: the response and a Disconnected event with status 0. */
        build_request_empty(&req, 7, REQ_DISCONNECT);
        uint64_t did = send_request(client, &req);
        int got_resp = 0, got_disc = 0;
        uint64_t deadline = now_ms() + T_LONG_MS;
        while (did != 0 && now_ms() < deadline) {
            st = next_event(client, T_SHORT_MS, &ev);
            if (st == HAPTIX_STATUS_CLOSED) {
                break;
            }
            if (st != HAPTIX_STATUS_OK) {
                continue;
            }
            if (ev.kind == EV_RESPONSE && ev.request_id == did) {
                got_resp++;
            } else if (ev.kind == EV_DISCONNECTED) {
                got_disc++;
                CHECKF(ev.status == 0, "requested disconnect reports status %d %s (\"%s\")",
                       (int)ev.status, status_name(ev.status), ev.message);
            }
        }
        CHECKF(st == HAPTIX_STATUS_CLOSED, "after disconnect next_event returned %s, not CLOSED",
               status_name(st));
        CHECKF(got_resp == 1, "disconnect: %d responses", got_resp);
        CHECKF(got_disc == 1, "disconnect: %d Disconnected events", got_disc);
        /* Sending on a disconnected client. */
        build_request_empty(&req, 0, REQ_PING);
        EXPECT_STATUS(haptix_client_send(client, req.data, req.len, NULL), HAPTIX_STATUS_CLOSED);
        pb_free(&req);
    }
    haptix_client_free(client);
    haptix_context_free(ctx);
}

/* Freeing a client stops its devices (safety rule): another client of the same context sees
 * "Vibrate:0;" on the simulated device. */
static void free_stops_device(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    haptix_client *a = new_client(ctx, "C driver");
    haptix_client *b = NULL;
    uint32_t index = 0;
    if (a != NULL && scan_for_device(a, &index)) {
        hx_event resp;
        pb_buf req;
        pb_init(&req);
        build_request_output(&req, 0, index, OUTPUT_TYPE_VIBRATE, 1.0);
        CHECK(roundtrip(a, &req, &resp, T_LONG_MS) && resp.status == 0);
        pb_free(&req);
        haptix_client_free(a);
        a = NULL;
        b = new_client(ctx, "C observer");
        int found = 0;
        for (int i = 0; b != NULL && i < 50 && !found; i++) {
            if (!take_writes(b, "hush-1", &resp)) {
                break;
            }
            found = has_write(&resp, "tx", "Vibrate:0;");
            if (!found) {
                sleep_ms(100);
            }
        }
        CHECKF(found, "freeing the client did not write \"Vibrate:0;\" to the device");
    }
    haptix_client_free(a);
    haptix_client_free(b);
    haptix_context_free(ctx);
}

static void websocket_server(void) {
    haptix_context *ctx = new_context(&HUSH, 1, 0);
    REQUIRE(ctx != NULL);
    pb_buf opts;
    pb_init(&opts);
    build_server_options(&opts, "127.0.0.1:0");
    haptix_server *server = NULL;
    if (EXPECT_STATUS(haptix_server_new(ctx, opts.data, opts.len, &server), HAPTIX_STATUS_OK)) {
        uint16_t port = 0;
        EXPECT_STATUS(haptix_server_port(server, &port), HAPTIX_STATUS_OK);
        CHECK(port != 0);
        char url[64];
        snprintf(url, sizeof url, "ws://127.0.0.1:%u", (unsigned)port);
        build_client_options(&opts, "C websocket client", url);
        haptix_client *client = NULL;
        if (EXPECT_STATUS(haptix_client_new(ctx, opts.data, opts.len, &client),
                          HAPTIX_STATUS_OK)) {
            hx_event ev;
            haptix_status st = next_event(client, T_LONG_MS, &ev);
            CHECKF(st == HAPTIX_STATUS_OK && ev.kind == EV_CONNECTED,
                   "websocket client: first event %s %s (%s)", status_name(st),
                   hx_kind_name(ev.kind), ev.message);
            uint32_t index = 0;
            if (scan_for_device(client, &index)) {
                pb_buf req;
                pb_init(&req);
                build_request_output(&req, 0, index, OUTPUT_TYPE_VIBRATE, 0.5);
                CHECK(roundtrip(client, &req, &ev, T_LONG_MS) && ev.status == 0);
                pb_free(&req);
            }
            haptix_client_free(client);
        }
        EXPECT_STATUS(haptix_server_stop(server, 5000), HAPTIX_STATUS_OK);
        haptix_server_free(server);
    }
    pb_free(&opts);
    haptix_context_free(ctx);
}

/* A client that cannot connect reports Disconnected (asynchronously) and then CLOSED. */
static void connect_failure(void) {
    haptix_context *ctx = new_context(NULL, 0, 0);
    REQUIRE(ctx != NULL);
    pb_buf opts;
    pb_init(&opts);
    /* Port 1 on localhost: nothing listens there. */
    build_client_options(&opts, "C unreachable", "ws://127.0.0.1:1");
    haptix_client *client = NULL;
    if (EXPECT_STATUS(haptix_client_new(ctx, opts.data, opts.len, &client), HAPTIX_STATUS_OK)) {
        hx_event ev;
        haptix_status st = next_event(client, T_LONG_MS, &ev);
        CHECKF(st == HAPTIX_STATUS_OK && ev.kind == EV_DISCONNECTED,
               "unreachable server: first event %s %s", status_name(st), hx_kind_name(ev.kind));
        CHECKF(ev.status != 0, "Disconnected after a failed connect has status 0");
        st = next_event(client, T_SHORT_MS, &ev);
        CHECKF(st == HAPTIX_STATUS_CLOSED, "after Disconnected: %s %s", status_name(st),
               hx_kind_name(ev.kind));
        haptix_client_free(client);
    }
    pb_free(&opts);
    haptix_context_free(ctx);
}

static void context_events(void) {
    pb_buf opts;
    pb_init(&opts);
    build_context_options(&opts, &HUSH, 1, LOG_LEVEL_DEBUG, 0);
    haptix_context *ctx = NULL;
    int ok = EXPECT_STATUS(haptix_context_new(HAPTIX_ABI_VERSION, opts.data, opts.len, &ctx),
                           HAPTIX_STATUS_OK);
    pb_free(&opts);
    REQUIRE(ok);
    haptix_client *client = new_client(ctx, "C logs");
    uint32_t index;
    if (client != NULL) {
        CHECK(scan_for_device(client, &index));
    }
    /* Drain whatever log records the context produced; each is an Event{log}. */
    int n = 0;
    for (;;) {
        haptix_buffer buf = {NULL, 0};
        haptix_status st = haptix_context_next_event(ctx, 0, &buf);
        if (st == HAPTIX_STATUS_TIMEOUT) {
            break;
        }
        if (!EXPECT_STATUS(st, HAPTIX_STATUS_OK)) {
            break;
        }
        hx_event ev;
        CHECK(hx_parse_event(buf.data, buf.len, &ev) == 0);
        CHECKF(ev.kind == EV_LOG, "context event of kind %s", hx_kind_name(ev.kind));
        haptix_buffer_free(&buf);
        n++;
    }
    haptix_client_free(client);
    EXPECT_STATUS(haptix_context_shutdown(ctx, 5000), HAPTIX_STATUS_OK);
    /* After shutdown the queue drains and then reports CLOSED. */
    haptix_status st;
    int guard = 0;
    do {
        haptix_buffer buf = {NULL, 0};
        st = haptix_context_next_event(ctx, 100, &buf);
        haptix_buffer_free(&buf);
    } while (st == HAPTIX_STATUS_OK && ++guard < 100000);
    CHECKF(st == HAPTIX_STATUS_CLOSED, "context_next_event after shutdown: %s", status_name(st));
    haptix_context_free(ctx);
    fprintf(stderr, "      %d log events\n", n);
}

int main(void) {
    RUN(version);
    RUN(vibrate);
    RUN(requested_disconnect);
    RUN(free_stops_device);
    RUN(websocket_server);
    RUN(connect_failure);
    RUN(context_events);
    return t_finish("test_happy_path");
}
