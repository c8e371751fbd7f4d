/*
 * pb.h: a tiny hand-rolled protobuf encoder/decoder for the C tests.
 *
 * There is no protobuf C library in the test environment, so this file implements exactly what
 * the tests need: varints, fixed64 doubles and length-delimited fields on the encoding side,
 * a field iterator on the decoding side, builders for the haptix.v1 messages the tests send
 * (ContextOptions, ClientOptions, ServerOptions, Request) and a parser for the parts of
 * haptix.v1.Event the tests look at. Field numbers come from the .proto files in proto/haptix/v1.
 */
#ifndef HAPTIX_TESTS_PB_H
#define HAPTIX_TESTS_PB_H

#include <stddef.h>
#include <stdint.h>

/* ---- encoding ------------------------------------------------------------------------------ */

/* A growable byte buffer. Allocation failure aborts the test program. */
typedef struct pb_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} pb_buf;

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

void pb_init(pb_buf *b);
void pb_free(pb_buf *b);
void pb_reset(pb_buf *b);
void pb_raw(pb_buf *b, const void *data, size_t len);
void pb_varint(pb_buf *b, uint64_t v);
void pb_tag(pb_buf *b, uint32_t field, uint32_t wire_type);
/* Varint field (uint32, uint64, bool, enum). Written even when zero. */
void pb_uint(pb_buf *b, uint32_t field, uint64_t v);
/* int32/int64 field: negative values are sign-extended to ten bytes, as protobuf requires. */
void pb_int(pb_buf *b, uint32_t field, int64_t v);
void pb_double(pb_buf *b, uint32_t field, double v);
void pb_bytes(pb_buf *b, uint32_t field, const void *data, size_t len);
void pb_string(pb_buf *b, uint32_t field, const char *s);
/* Nested message: `sub` is the already encoded submessage (may be empty). */
void pb_message(pb_buf *b, uint32_t field, const pb_buf *sub);
/* Empty nested message (e.g. Request.ping = {}). */
void pb_empty_message(pb_buf *b, uint32_t field);

/* ---- decoding ------------------------------------------------------------------------------ */

typedef struct pb_reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
} pb_reader;

typedef struct pb_field {
    uint32_t number;
    uint32_t wire_type;
    uint64_t varint;     /* PB_VARINT, PB_FIXED64 (raw bits), PB_FIXED32 */
    const uint8_t *data; /* PB_LEN */
    size_t len;          /* PB_LEN */
} pb_field;

void pb_reader_init(pb_reader *r, const uint8_t *p, size_t len);
/* 1: a field was read into *f; 0: end of message; -1: malformed input. */
int pb_next(pb_reader *r, pb_field *f);

/* ---- haptix.v1 field numbers ---------------------------------------------------------------- */

/* Request.kind (request.proto) */
enum {
    REQ_START_SCANNING = 10,
    REQ_STOP_SCANNING = 11,
    REQ_REQUEST_DEVICE_LIST = 12,
    REQ_OUTPUT = 13,
    REQ_INPUT = 14,
    REQ_STOP_DEVICE = 15,
    REQ_STOP_ALL = 16,
    REQ_PING = 17,
    REQ_DISCONNECT = 18,
    REQ_ADD_SIMULATED_DEVICE = 19,
    REQ_REMOVE_SIMULATED_DEVICE = 20,
    REQ_INJECT_NOTIFICATION = 21,
    REQ_TAKE_WRITES = 22
};

/* Event.kind (event.proto) */
enum {
    EV_NONE = 0,
    EV_RESPONSE = 10,
    EV_CONNECTED = 11,
    EV_DISCONNECTED = 12,
    EV_DEVICE_ADDED = 13,
    EV_DEVICE_REMOVED = 14,
    EV_SCANNING_FINISHED = 15,
    EV_INPUT_READING = 16,
    EV_ERROR = 17,
    EV_LOG = 18
};

/* OutputType (device.proto) */
enum { OUTPUT_TYPE_VIBRATE = 1, OUTPUT_TYPE_ROTATE = 2 };
/* LogLevel (options.proto) */
enum { LOG_LEVEL_OFF = 1, LOG_LEVEL_WARN = 3, LOG_LEVEL_DEBUG = 5 };

/* ---- message builders (each resets *out first) ------------------------------------------- */

typedef struct sim_device {
    const char *identifier;
    const char *address; /* may be NULL */
} sim_device;

/* ContextOptions{simulated_devices, log_level (0 = unset), worker_threads (0 = unset)} */
void build_context_options(pb_buf *out, const sim_device *devs, size_t ndevs, uint32_t log_level,
                           uint32_t worker_threads);
/* ClientOptions{client_name (NULL = unset), embedded {} | websocket_url} */
void build_client_options(pb_buf *out, const char *name, const char *websocket_url);
/* ServerOptions{listen_address} */
void build_server_options(pb_buf *out, const char *listen_address);

/* Request{id, <kind> {}} for kinds without fields (scan, ping, stop_all, disconnect...) */
void build_request_empty(pb_buf *out, uint64_t id, uint32_t kind);
/* Request{id, output {device_index, output_type, level}} */
void build_request_output(pb_buf *out, uint64_t id, uint32_t device_index, uint32_t output_type,
                          double level);
/* Request{id, take_writes {address}} */
void build_request_take_writes(pb_buf *out, uint64_t id, const char *address);
/* Request{id, add_simulated_device {device {identifier, address}}} */
void build_request_add_sim(pb_buf *out, uint64_t id, const char *identifier, const char *address);

/* ---- Event parsing ------------------------------------------------------------------------ */

#define HX_MAX_WRITES 32
#define HX_STR 256

typedef struct hx_write {
    char endpoint[64];
    uint8_t data[128];
    size_t len;
} hx_write;

typedef struct hx_event {
    uint64_t request_id;
    uint32_t kind; /* EV_* field number of the oneof arm present, EV_NONE if none */
    /* response / disconnected / error */
    int32_t status;
    char message[HX_STR]; /* response message, disconnected reason, error or log message */
    int has_writes;
    size_t n_writes;
    size_t total_writes; /* including those beyond HX_MAX_WRITES */
    hx_write writes[HX_MAX_WRITES];
    char sim_address[HX_STR]; /* Response.simulated_device.address */
    /* device_added */
    uint32_t device_index;
    char device_name[HX_STR];
    /* connected */
    uint32_t spec_version;
} hx_event;

/* 0 on success, -1 when the bytes are not a well-formed Event. */
int hx_parse_event(const uint8_t *data, size_t len, hx_event *ev);
const char *hx_kind_name(uint32_t kind);

#endif
