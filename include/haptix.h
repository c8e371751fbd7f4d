/*
 * haptix.h: the C interface of the Haptix library.
 *
 * GENERATED FILE: produced by cbindgen from src/ffi (see build.rs and cbindgen.toml).
 * Do not edit by hand; run `HAPTIX_UPDATE_HEADER=1 cargo test --test header` after changing
 * the exported interface.
 *
 * THREAD SAFETY
 *   Every function may be called from any thread at any time, including while callbacks are
 *   running. Handles may be shared between threads and concurrent calls on one handle are
 *   supported; only a handle's _free function must not race with other calls on that handle.
 *   No function calls back into the caller synchronously: callbacks run on one library-owned
 *   dispatcher thread per context, in order, and never after the handle's _free returns.
 *   Functions that may block say so and take a timeout.
 *
 * ORDER AND EVENTS (docs/event-model.md has the whole model)
 *   Requests sent on one client from one thread reach its devices in the order they were
 *   sent, whatever their kind. A response arrives as an event (haptix_client_send) or straight
 *   to a waiting caller (haptix_client_call, which works on any thread, callbacks included).
 *   A callback may call any function; only a wait for the next event on a dispatcher thread
 *   is refused (HAPTIX_STATUS_ERROR_WOULD_DEADLOCK). Registrations own their user data from
 *   the call on: its free function runs exactly once, whatever the status.
 *
 * OWNERSHIP
 *   Input buffers (const uint8_t *data, size_t len) are borrowed for the duration of the call.
 *   NULL is accepted only with len == 0. Buffers the library returns (haptix_buffer) belong to
 *   the caller and are released with haptix_buffer_free. A buffer given to a callback is
 *   borrowed until the callback returns; copy it to keep it.
 *
 * ERRORS
 *   Fallible functions return a haptix_status. After a failure, haptix_last_error_message
 *   gives a readable message for the calling thread. Outputs are written only on success.
 *
 * MESSAGES
 *   Options, requests and events are protobuf messages of package haptix.v1 (proto/haptix/v1).
 */


#ifndef HAPTIX_H
#define HAPTIX_H

#pragma once

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#define HAPTIX_VERSION_MAJOR 0
#define HAPTIX_VERSION_MINOR 1
#define HAPTIX_VERSION_PATCH 0

#if defined(__cplusplus) && __cplusplus >= 201703L
#define HAPTIX_NODISCARD [[nodiscard]]
#elif defined(__GNUC__) || defined(__clang__)
#define HAPTIX_NODISCARD __attribute__((warn_unused_result))
#else
#define HAPTIX_NODISCARD
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HAPTIX_DEPRECATED(note) __attribute__((deprecated(note)))
#elif defined(_MSC_VER)
#define HAPTIX_DEPRECATED(note) __declspec(deprecated(note))
#else
#define HAPTIX_DEPRECATED(note)
#endif


/**
 * ABI version of this library. A binding built against another ABI version must refuse to use
 * the library; `haptix_context_new` checks it.
 *
 * Version 2 added `haptix_client_call` and made registrations own their user data from the
 * call on (released even when the call is refused), which a binding written for version 1
 * would free a second time.
 */
#define HAPTIX_ABI_VERSION 2

/**
 * Result of every fallible function. 0 is success; values below 100 are outcomes a caller
 * branches on; values from 100 up are errors, with a message from
 * `haptix_last_error_message`. Bindings treat values they do not know as generic errors.
 */
enum haptix_status
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * Success.
   */
  HAPTIX_STATUS_OK = 0,
  /**
   * A wait ended without an event.
   */
  HAPTIX_STATUS_TIMEOUT = 1,
  /**
   * The handle's event stream has ended (client disconnected, context shut down) and no
   * queued event is left.
   */
  HAPTIX_STATUS_CLOSED = 2,
  /**
   * The output buffer was too small; the result was truncated.
   */
  HAPTIX_STATUS_BUFFER_TOO_SMALL = 3,
  /**
   * A required pointer was NULL (or NULL data with a non-zero length).
   */
  HAPTIX_STATUS_ERROR_NULL_POINTER = 100,
  /**
   * An argument is invalid (a request without a kind, an unknown enum value, a bad value).
   */
  HAPTIX_STATUS_ERROR_INVALID_ARGUMENT = 101,
  /**
   * The handle is not a live handle of the expected type (freed, stale, foreign).
   */
  HAPTIX_STATUS_ERROR_INVALID_HANDLE = 102,
  /**
   * A string is not valid UTF-8.
   */
  HAPTIX_STATUS_ERROR_INVALID_UTF8 = 103,
  /**
   * Bytes are not a valid protobuf message of the expected type.
   */
  HAPTIX_STATUS_ERROR_INVALID_PROTOBUF = 104,
  /**
   * The caller was built for another ABI version.
   */
  HAPTIX_STATUS_ERROR_ABI_MISMATCH = 105,
  /**
   * A device configuration could not be loaded.
   */
  HAPTIX_STATUS_ERROR_INVALID_CONFIG = 106,
  /**
   * The handle (or its context) has been shut down.
   */
  HAPTIX_STATUS_ERROR_SHUT_DOWN = 200,
  /**
   * The call would wait for the thread it runs on (a blocking call inside a callback, or a
   * blocking call on a library thread).
   */
  HAPTIX_STATUS_ERROR_WOULD_DEADLOCK = 201,
  /**
   * The handle's internals panicked earlier; only `_free` is allowed.
   */
  HAPTIX_STATUS_ERROR_POISONED = 202,
  /**
   * The runtime failed (threads could not be started, a task ended unexpectedly).
   */
  HAPTIX_STATUS_ERROR_RUNTIME = 203,
  /**
   * The request was cancelled (its client was freed or disconnected first).
   */
  HAPTIX_STATUS_ERROR_CANCELLED = 204,
  /**
   * The request did not complete in time.
   */
  HAPTIX_STATUS_ERROR_TIMED_OUT = 205,
  /**
   * The client is not connected.
   */
  HAPTIX_STATUS_ERROR_NOT_CONNECTED = 206,
  /**
   * A protocol message was invalid.
   */
  HAPTIX_STATUS_ERROR_PROTOCOL = 300,
  /**
   * The handshake failed.
   */
  HAPTIX_STATUS_ERROR_HANDSHAKE = 301,
  /**
   * The server's ping timeout expired.
   */
  HAPTIX_STATUS_ERROR_PING = 302,
  /**
   * The server answered with an error of no more specific kind.
   */
  HAPTIX_STATUS_ERROR_SERVER = 303,
  /**
   * No connected device has this index.
   */
  HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND = 400,
  /**
   * The device has no feature with this index.
   */
  HAPTIX_STATUS_ERROR_FEATURE_NOT_FOUND = 401,
  /**
   * The device or feature does not support the command.
   */
  HAPTIX_STATUS_ERROR_NOT_SUPPORTED = 402,
  /**
   * A value is outside its allowed range.
   */
  HAPTIX_STATUS_ERROR_OUT_OF_RANGE = 403,
  /**
   * The device failed (protocol or hardware error).
   */
  HAPTIX_STATUS_ERROR_DEVICE = 404,
  /**
   * The device disconnected.
   */
  HAPTIX_STATUS_ERROR_DEVICE_DISCONNECTED = 405,
  /**
   * A hardware operation timed out.
   */
  HAPTIX_STATUS_ERROR_DEVICE_TIMEOUT = 406,
  /**
   * A connection or listener could not be opened.
   */
  HAPTIX_STATUS_ERROR_CONNECT = 500,
  /**
   * The transport failed.
   */
  HAPTIX_STATUS_ERROR_TRANSPORT = 501,
  /**
   * A panic was caught inside the library.
   */
  HAPTIX_STATUS_ERROR_PANIC = 600,
  /**
   * An internal invariant failed.
   */
  HAPTIX_STATUS_ERROR_INTERNAL = 601,
};
#ifndef __cplusplus
typedef int32_t haptix_status;
#endif // __cplusplus

/**
 * Opaque client handle. Create with `haptix_client_new`, release with `haptix_client_free`.
 */
typedef struct haptix_client haptix_client;

/**
 * Opaque context handle. Create with `haptix_context_new`, release with
 * `haptix_context_free`.
 */
typedef struct haptix_context haptix_context;

/**
 * Opaque server handle. Create with `haptix_server_new`, release with `haptix_server_free`.
 */
typedef struct haptix_server haptix_server;

/**
 * Bytes owned by the library and lent to the caller until `haptix_buffer_free`.
 *
 * Written by the library through an out-parameter; the caller reads `len` bytes at `data` and
 * releases them with `haptix_buffer_free` (never with its own allocator). An empty buffer has
 * `data == NULL` and `len == 0`.
 */
typedef struct haptix_buffer {
  /**
   * First byte, or NULL when empty.
   */
  uint8_t *data;
  /**
   * Number of bytes.
   */
  size_t len;
} haptix_buffer;

/**
 * Receives one event: `user_data` as registered, and the encoded `haptix.v1.Event`.
 *
 * Called on the context's dispatcher thread, never re-entrantly and never after the handle's
 * `_free` returned. `event` is borrowed until the callback returns: copy it to keep it. The
 * callback must not unwind or throw. It may call any library function, including `_free` of
 * its own handle (which takes effect when it returns) and `haptix_client_call` (which waits
 * for a response without needing this thread); only waiting for the next *event*
 * (`*_next_event` with a timeout above 0) returns `HAPTIX_STATUS_ERROR_WOULD_DEADLOCK` here.
 */
typedef void (*haptix_event_callback)(void *user_data, const uint8_t *event, size_t len);

/**
 * Releases registered user data. Called exactly once per registration, when it is replaced or
 * its handle is freed, after any running callback of that registration returned. Must not
 * unwind or throw.
 */
typedef void (*haptix_user_data_free)(void *user_data);

/**
 * Told that events are waiting in a handle's queue (poll mode). Called on the dispatcher
 * thread when the queue goes from empty to non-empty; drain it with `*_next_event`. Must not
 * unwind or throw.
 */
typedef void (*haptix_wakeup_callback)(void *user_data);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Returns the ABI version number this library implements (`HAPTIX_ABI_VERSION` of its
 * header). Never fails; any thread.
 */
uint32_t haptix_abi_version(void);

/**
 * Returns the library version as a static NUL-terminated UTF-8 string. The pointer is owned by
 * the library, valid for the life of the process, and must not be freed. Never fails; any
 * thread.
 */
const char *haptix_version(void);

/**
 * Releases a buffer the library returned, and sets it to empty (NULL, 0) so that freeing it
 * twice is harmless.
 *
 * `buffer` may be NULL, and may point to an empty buffer; both do nothing. Never blocks; any
 * thread. Only buffers this library filled may be passed.
 *
 * # Safety
 * `buffer`, when not NULL, must point to a `haptix_buffer` filled by this library (or
 * zeroed), not freed since.
 */
void haptix_buffer_free(struct haptix_buffer *buffer);

/**
 * Creates a client and starts connecting it, without blocking on I/O.
 *
 * - `context`: the context whose runtime (and, for the embedded server, devices) it uses.
 * - `options`/`options_len`: a serialized `haptix.v1.ClientOptions`, borrowed for the call;
 *   NULL with length 0 connects to the embedded server as "Haptix client".
 * - `out_client`: receives the handle on success; release it with `haptix_client_free`.
 *
 * The first event is `connected` (or `disconnected` when the connection fails). Requests
 * sent before that are queued and run in order once connected.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`;
 * `ERROR_INVALID_PROTOBUF`; `ERROR_INVALID_ARGUMENT` (a URL that is not `ws://` or
 * `wss://`). Never blocks. Any thread.
 *
 * # Safety
 * `context` must be NULL or a value from `haptix_context_new`; `options` valid for
 * `options_len` bytes; `out_client` valid for one write.
 */
HAPTIX_NODISCARD
haptix_status haptix_client_new(struct haptix_context *context,
                                const uint8_t *options,
                                size_t options_len,
                                struct haptix_client **out_client);

/**
 * Sends a request (a serialized `haptix.v1.Request`). Never blocks.
 *
 * `OK` means the request was accepted: exactly one event with `request_id` equal to the id
 * written to `out_request_id` and kind `response` follows, carrying status 0 or an error
 * code and message (device not found, out of range, cancelled...). A request id of 0 lets the
 * library choose one (at or above 2^63); ids chosen by the caller must be below 2^63 and not
 * in flight.
 *
 * - `request`/`len`: borrowed for the call.
 * - `out_request_id`: optional (may be NULL); receives the id used.
 *
 * Statuses: `OK`; `CLOSED` (the client is disconnected); `ERROR_NULL_POINTER`;
 * `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`; `ERROR_INVALID_PROTOBUF`;
 * `ERROR_INVALID_ARGUMENT` (no request kind, an id at or above 2^63, an id in flight).
 * Any thread, concurrently with other calls on the same client.
 *
 * # Safety
 * `client` must be NULL or a value from `haptix_client_new`; `request` valid for `len`
 * bytes; `out_request_id`, when not NULL, valid for one write.
 */
HAPTIX_NODISCARD
haptix_status haptix_client_send(struct haptix_client *client,
                                 const uint8_t *request,
                                 size_t len,
                                 uint64_t *out_request_id);

/**
 * Sends a request (a serialized `haptix.v1.Request`) and waits for its response.
 *
 * The response is written to `out_response` as a serialized `haptix.v1.Event` of kind
 * `response` (its `request_id` is the request's id; its `Response.status` says whether the
 * request succeeded). It never appears in the event stream. Because the response does not
 * travel through the stream or the dispatcher thread, this may be called from any thread,
 * including inside an event callback, in poll or callback mode.
 *
 * - `request`/`len`: borrowed for the call. Id 0 lets the library choose one.
 * - `timeout_ms`: how long to wait; `UINT32_MAX` waits until the request completes (which
 *   the client's request timeout bounds). After a timeout the request still completes inside
 *   the library and its response is discarded.
 * - `out_response`: receives the response on `OK`; release it with `haptix_buffer_free`.
 *   Untouched on any other status.
 *
 * Statuses: `OK`; `CLOSED` (the client is disconnected); `ERROR_TIMED_OUT`;
 * `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`; `ERROR_INVALID_PROTOBUF`;
 * `ERROR_INVALID_ARGUMENT` (as for `haptix_client_send`); `ERROR_WOULD_DEADLOCK` on one of the
 * library's runtime threads (never a thread host code runs on). Blocks up to the timeout. Any
 * thread, concurrently with other calls on the same client.
 *
 * # Safety
 * `client` must be NULL or a value from `haptix_client_new`; `request` valid for `len`
 * bytes; `out_response` valid for one write.
 */
HAPTIX_NODISCARD
haptix_status haptix_client_call(struct haptix_client *client,
                                 const uint8_t *request,
                                 size_t len,
                                 uint32_t timeout_ms,
                                 struct haptix_buffer *out_response);

/**
 * Takes the client's next event (a serialized `haptix.v1.Event`).
 *
 * - `timeout_ms`: 0 returns at once (for a game loop); `UINT32_MAX` waits without limit;
 *   otherwise waits up to that many milliseconds.
 * - `out_event`: receives the event on `OK`; release it with `haptix_buffer_free`.
 *   Untouched on any other status.
 *
 * Statuses: `OK`; `TIMEOUT`; `CLOSED` (disconnected and every event taken, including those
 * still on their way through the dispatcher); `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`;
 * `ERROR_INVALID_ARGUMENT` while an event callback is set; `ERROR_WOULD_DEADLOCK` for a
 * waiting call (timeout above 0) on a dispatcher thread of any context, i.e. inside a
 * callback: wait for a response there with `haptix_client_call` instead. Blocks up to the
 * timeout; may be called from several threads (each event goes to one of them). Still works
 * after the context was shut down, to drain the queue.
 *
 * # Safety
 * `client` must be NULL or a value from `haptix_client_new`; `out_event` valid for one
 * write.
 */
HAPTIX_NODISCARD
haptix_status haptix_client_next_event(struct haptix_client *client,
                                       uint32_t timeout_ms,
                                       struct haptix_buffer *out_event);

/**
 * Delivers the client's events to `callback` on the context's dispatcher thread, in order,
 * instead of queueing them; events already queued move to the callback. NULL `callback`
 * returns to polling (and releases the previous registration).
 *
 * `user_data` is passed to every call. The library owns `user_data` from this call on:
 * `user_data_free` (optional) runs exactly once, whatever the status. When the call succeeds
 * it runs when the registration is replaced or the client is freed, after any running call
 * returned; with a NULL `callback`, or when the call is refused, it runs before the call
 * returns.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN` (the
 * context was shut down: queued events can still be polled). Never blocks.
 *
 * # Safety
 * `client` must be NULL or a value from `haptix_client_new`; the functions must stay valid
 * while registered.
 */
HAPTIX_NODISCARD
haptix_status haptix_client_set_event_callback(struct haptix_client *client,
                                               haptix_event_callback callback,
                                               void *user_data,
                                               haptix_user_data_free user_data_free);

/**
 * Registers a notifier called on the dispatcher thread when the client's event queue goes
 * from empty to non-empty (poll mode): a game can wake its loop and then drain with
 * `haptix_client_next_event`. NULL `callback` removes it. `user_data` and `user_data_free`
 * as for `haptix_client_set_event_callback` (released exactly once, whatever the status).
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`. Never
 * blocks.
 *
 * # Safety
 * As for `haptix_client_set_event_callback`.
 */
HAPTIX_NODISCARD
haptix_status haptix_client_set_wakeup_callback(struct haptix_client *client,
                                                haptix_wakeup_callback callback,
                                                void *user_data,
                                                haptix_user_data_free user_data_free);

/**
 * Frees a client: closes its connection (the server stops the devices it drove), drops its
 * queued events and unanswered requests, waits for a callback of this client running on
 * another thread, and releases the callback user data. No callback of this client starts
 * after it returns.
 *
 * NULL, freed and foreign values are ignored. Must not race with other calls on the same
 * client. May be called from inside the client's own callback (it takes effect when the
 * callback returns). Does not wait for the network.
 *
 * # Safety
 * `client` must be NULL or a value from `haptix_client_new`.
 */
void haptix_client_free(struct haptix_client *client);

/**
 * Creates a context: a runtime, an embedded server with its device database and comm
 * managers, and a dispatcher thread for callbacks.
 *
 * - `abi_version`: the ABI version the caller was built against; pass `HAPTIX_ABI_VERSION`.
 * - `options`/`options_len`: a serialized `haptix.v1.ContextOptions`, borrowed for the call.
 *   NULL with length 0 means all defaults (built-in device database, simulated devices only).
 * - `out_context`: receives the new handle on success; release it with
 *   `haptix_context_free`.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_ABI_MISMATCH`; `ERROR_INVALID_PROTOBUF`;
 * `ERROR_INVALID_ARGUMENT` (bad enum value, bad simulated device or address);
 * `ERROR_INVALID_CONFIG` (device or user configuration); `ERROR_NOT_SUPPORTED` (a comm
 * manager this build lacks); `ERROR_CONNECT` (the WebSocket device listener cannot bind);
 * `ERROR_RUNTIME`; `ERROR_WOULD_DEADLOCK` when called on a library thread.
 *
 * Blocks briefly (loading the database, starting threads). Any thread. Several contexts may
 * exist at once, and a new one may be created after others were freed.
 *
 * # Safety
 * `options` must be valid for `options_len` bytes; `out_context` valid for one write.
 */
HAPTIX_NODISCARD
haptix_status haptix_context_new(uint32_t abi_version,
                                 const uint8_t *options,
                                 size_t options_len,
                                 struct haptix_context **out_context);

/**
 * Shuts a context down: stops every device output first, then closes its clients (each gets
 * its final events) and servers, ends the dispatcher thread and the runtime.
 *
 * Blocks for at most about `timeout_ms` milliseconds. Afterwards calls on the context and on
 * its clients and servers return `ERROR_SHUT_DOWN` (event queues can still be drained); the
 * handles must still be freed. Calling it again returns `OK` at once.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_WOULD_DEADLOCK` when
 * called on a library runtime thread. May be called from a callback (it then does not wait
 * for the dispatcher thread it runs on).
 *
 * # Safety
 * `context` must be NULL or a value returned by `haptix_context_new` (a freed or foreign
 * value is detected and refused).
 */
HAPTIX_NODISCARD
haptix_status haptix_context_shutdown(struct haptix_context *context,
                                      uint32_t timeout_ms);

/**
 * Frees a context, shutting it down first when that was not done (bounded, about 2 s), and
 * frees the clients and servers created from it (their handles become invalid).
 *
 * NULL, freed and foreign values are ignored. Must not race with other calls on the same
 * context. Blocks while shutting down; from a library runtime thread it cannot shut down and
 * only releases the handle.
 *
 * # Safety
 * `context` must be NULL or a value returned by `haptix_context_new`.
 */
void haptix_context_free(struct haptix_context *context);

/**
 * Takes the next context event (log records) from the context's queue.
 *
 * - `timeout_ms`: 0 returns at once; `UINT32_MAX` waits without limit; otherwise waits up to
 *   that many milliseconds.
 * - `out_event`: receives a serialized `haptix.v1.Event` on `OK`; release it with
 *   `haptix_buffer_free`. Untouched on any other status.
 *
 * Statuses: `OK`; `TIMEOUT`; `CLOSED` (shut down and drained); `ERROR_NULL_POINTER`;
 * `ERROR_INVALID_HANDLE`; `ERROR_INVALID_ARGUMENT` while an event callback is set;
 * `ERROR_WOULD_DEADLOCK` for a waiting call (timeout above 0) on a dispatcher thread of any
 * context (inside a callback). Blocks up to the timeout.
 *
 * # Safety
 * `context` must be NULL or a value from `haptix_context_new`; `out_event` valid for one
 * write.
 */
HAPTIX_NODISCARD
haptix_status haptix_context_next_event(struct haptix_context *context,
                                        uint32_t timeout_ms,
                                        struct haptix_buffer *out_event);

/**
 * Delivers the context's events (log records) to `callback` on the dispatcher thread instead
 * of the queue. NULL `callback` returns to polling. `user_data` is passed to every call. The
 * library owns `user_data` from this call on: `user_data_free` (optional) runs exactly once,
 * whatever the status: when this registration is replaced or the context is freed, or, for a
 * NULL `callback` or a refused call, before the call returns.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`. Never
 * blocks.
 *
 * # Safety
 * `context` must be NULL or a value from `haptix_context_new`; `callback` and
 * `user_data_free` must be valid functions for as long as they are registered.
 */
HAPTIX_NODISCARD
haptix_status haptix_context_set_event_callback(struct haptix_context *context,
                                                haptix_event_callback callback,
                                                void *user_data,
                                                haptix_user_data_free user_data_free);

/**
 * Starts a Buttplug WebSocket server (the JSON wire protocol, spec v0 to v4) so that remote
 * Buttplug clients can use the context's devices. It accepts one client at a time, like
 * Intiface.
 *
 * - `options`/`options_len`: a serialized `haptix.v1.ServerOptions`, borrowed for the call;
 *   NULL with length 0 listens on 127.0.0.1:12345. Port 0 picks a free port; read it with
 *   `haptix_server_port`.
 * - `out_server`: receives the handle on success; release it with `haptix_server_free`.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`;
 * `ERROR_INVALID_PROTOBUF`; `ERROR_INVALID_ARGUMENT` (address); `ERROR_CONNECT` (cannot
 * listen); `ERROR_WOULD_DEADLOCK` on a library runtime thread. Blocks briefly while binding.
 *
 * # Safety
 * `context` must be NULL or a value from `haptix_context_new`; `options` valid for
 * `options_len` bytes; `out_server` valid for one write.
 */
HAPTIX_NODISCARD
haptix_status haptix_server_new(struct haptix_context *context,
                                const uint8_t *options,
                                size_t options_len,
                                struct haptix_server **out_server);

/**
 * Writes the TCP port the server listens on (useful after asking for port 0).
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`. Never
 * blocks.
 *
 * # Safety
 * `server` must be NULL or a value from `haptix_server_new`; `out_port` valid for one write.
 */
HAPTIX_NODISCARD haptix_status haptix_server_port(struct haptix_server *server, uint16_t *out_port);

/**
 * Stops the server: no new connections; the connected client is disconnected and its devices
 * stop. Blocks up to about `timeout_ms`. Stopping twice is `OK`.
 *
 * Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN` (the
 * context's shutdown already stopped it); `ERROR_WOULD_DEADLOCK` on a library runtime thread.
 *
 * # Safety
 * `server` must be NULL or a value from `haptix_server_new`.
 */
HAPTIX_NODISCARD
haptix_status haptix_server_stop(struct haptix_server *server,
                                 uint32_t timeout_ms);

/**
 * Stops the server if needed (bounded, about 2 s) and frees the handle. NULL, freed and
 * foreign values are ignored. Must not race with other calls on the same server.
 *
 * # Safety
 * `server` must be NULL or a value from `haptix_server_new`.
 */
void haptix_server_free(struct haptix_server *server);

/**
 * Copies the calling thread's last error message into `buf` as NUL-terminated UTF-8.
 *
 * The message describes the most recent failing call on this thread; successful calls do not
 * clear it, so read it right after a non-OK status. Asynchronous failures are reported inside
 * events, not here.
 *
 * - `buf`: caller-owned storage of `cap` bytes, written up to `cap - 1` bytes plus a NUL. May
 *   be NULL only when `cap` is 0 (to ask for the length).
 * - `out_len`: optional (may be NULL); receives the full message length in bytes, without the
 *   NUL, even when the copy was truncated.
 *
 * Returns `HAPTIX_STATUS_OK`, `HAPTIX_STATUS_BUFFER_TOO_SMALL` when the message was truncated
 * (a truncated copy never ends inside a UTF-8 sequence), or
 * `HAPTIX_STATUS_ERROR_NULL_POINTER` when `buf` is NULL with a non-zero `cap`. Never blocks;
 * any thread.
 *
 * # Safety
 * `buf` must be valid for writes of `cap` bytes; `out_len`, when not NULL, must be valid for
 * one write.
 */
haptix_status haptix_last_error_message(char *buf, size_t cap, size_t *out_len);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* HAPTIX_H */
