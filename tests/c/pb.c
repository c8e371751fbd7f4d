/* pb.c: see pb.h. */
#include "pb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ------------------------------------------------------------------------------ */

void pb_init(pb_buf *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pb_free(pb_buf *b) {
    free(b->data);
    pb_init(b);
}

void pb_reset(pb_buf *b) { b->len = 0; }

static void pb_reserve(pb_buf *b, size_t extra) {
    if (b->len + extra <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL) {
        fprintf(stderr, "pb: out of memory\n");
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void pb_raw(pb_buf *b, const void *data, size_t len) {
    if (len == 0) {
        return;
    }
    pb_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void pb_varint(pb_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v != 0) {
            byte |= 0x80;
        }
        tmp[n++] = byte;
    } while (v != 0);
    pb_raw(b, tmp, n);
}

void pb_tag(pb_buf *b, uint32_t field, uint32_t wire_type) {
    pb_varint(b, ((uint64_t)field << 3) | wire_type);
}

void pb_uint(pb_buf *b, uint32_t field, uint64_t v) {
    pb_tag(b, field, PB_VARINT);
    pb_varint(b, v);
}

void pb_int(pb_buf *b, uint32_t field, int64_t v) {
    pb_tag(b, field, PB_VARINT);
    pb_varint(b, (uint64_t)v);
}

void pb_double(pb_buf *b, uint32_t field, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t le[8];
    for (int i = 0; i < 8; i++) {
        le[i] = (uint8_t)(bits >> (8 * i));
    }
    pb_tag(b, field, PB_FIXED64);
    pb_raw(b, le, sizeof le);
}

void pb_bytes(pb_buf *b, uint32_t field, const void *data, size_t len) {
    pb_tag(b, field, PB_LEN);
    pb_varint(b, len);
    pb_raw(b, data, len);
}

void pb_string(pb_buf *b, uint32_t field, const char *s) { pb_bytes(b, field, s, strlen(s)); }

void pb_message(pb_buf *b, uint32_t field, const pb_buf *sub) {
    pb_bytes(b, field, sub->data, sub->len);
}

void pb_empty_message(pb_buf *b, uint32_t field) { pb_bytes(b, field, NULL, 0); }

/* ---- decoding ------------------------------------------------------------------------------ */

void pb_reader_init(pb_reader *r, const uint8_t *p, size_t len) {
    r->p = p;
    r->len = len;
    r->pos = 0;
}

static int read_varint(pb_reader *r, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->pos >= r->len) {
            return -1;
        }
        uint8_t byte = r->p[r->pos++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int pb_next(pb_reader *r, pb_field *f) {
    if (r->pos >= r->len) {
        return 0;
    }
    uint64_t key;
    if (read_varint(r, &key) != 0) {
        return -1;
    }
    memset(f, 0, sizeof *f);
    f->number = (uint32_t)(key >> 3);
    f->wire_type = (uint32_t)(key & 7);
    if (f->number == 0) {
        return -1;
    }
    switch (f->wire_type) {
    case PB_VARINT:
        return read_varint(r, &f->varint) == 0 ? 1 : -1;
    case PB_FIXED64:
        if (r->len - r->pos < 8) {
            return -1;
        }
        for (int i = 0; i < 8; i++) {
            f->varint |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
        }
        r->pos += 8;
        return 1;
    case PB_FIXED32:
        if (r->len - r->pos < 4) {
            return -1;
        }
        for (int i = 0; i < 4; i++) {
            f->varint |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
        }
        r->pos += 4;
        return 1;
    case PB_LEN: {
        uint64_t n;
        if (read_varint(r, &n) != 0 || n > r->len - r->pos) {
            return -1;
        }
        f->data = r->p + r->pos;
        f->len = (size_t)n;
        r->pos += (size_t)n;
        return 1;
    }
    default:
        return -1; /* groups are not used by haptix.v1 */
    }
}

/* ---- builders ------------------------------------------------------------------------------ */

void build_context_options(pb_buf *out, const sim_device *devs, size_t ndevs, uint32_t log_level,
                           uint32_t worker_threads) {
    pb_reset(out);
    pb_buf sub;
    pb_init(&sub);
    for (size_t i = 0; i < ndevs; i++) {
        pb_reset(&sub);
        pb_string(&sub, 1, devs[i].identifier);
        if (devs[i].address != NULL) {
            pb_string(&sub, 2, devs[i].address);
        }
        pb_message(out, 6, &sub);
    }
    pb_free(&sub);
    if (log_level != 0) {
        pb_uint(out, 7, log_level);
    }
    if (worker_threads != 0) {
        pb_uint(out, 10, worker_threads);
    }
}

void build_client_options(pb_buf *out, const char *name, const char *websocket_url) {
    pb_reset(out);
    if (name != NULL) {
        pb_string(out, 1, name);
    }
    if (websocket_url != NULL) {
        pb_string(out, 3, websocket_url);
    } else {
        pb_empty_message(out, 2);
    }
}

void build_server_options(pb_buf *out, const char *listen_address) {
    pb_reset(out);
    pb_string(out, 1, listen_address);
}

static void request_header(pb_buf *out, uint64_t id) {
    pb_reset(out);
    if (id != 0) {
        pb_uint(out, 1, id);
    }
}

void build_request_empty(pb_buf *out, uint64_t id, uint32_t kind) {
    request_header(out, id);
    pb_empty_message(out, kind);
}

void build_request_output(pb_buf *out, uint64_t id, uint32_t device_index, uint32_t output_type,
                          double level) {
    request_header(out, id);
    pb_buf sub;
    pb_init(&sub);
    pb_uint(&sub, 1, device_index);
    pb_uint(&sub, 3, output_type);
    pb_double(&sub, 4, level);
    pb_message(out, REQ_OUTPUT, &sub);
    pb_free(&sub);
}

void build_request_take_writes(pb_buf *out, uint64_t id, const char *address) {
    request_header(out, id);
    pb_buf sub;
    pb_init(&sub);
    pb_string(&sub, 1, address);
    pb_message(out, REQ_TAKE_WRITES, &sub);
    pb_free(&sub);
}

void build_request_add_sim(pb_buf *out, uint64_t id, const char *identifier, const char *address) {
    request_header(out, id);
    pb_buf dev, sub;
    pb_init(&dev);
    pb_init(&sub);
    pb_string(&dev, 1, identifier);
    if (address != NULL) {
        pb_string(&dev, 2, address);
    }
    pb_message(&sub, 1, &dev);
    pb_message(out, REQ_ADD_SIMULATED_DEVICE, &sub);
    pb_free(&dev);
    pb_free(&sub);
}

/* ---- Event parsing ------------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const pb_field *f) {
    size_t n = f->len < cap - 1 ? f->len : cap - 1;
    if (n > 0) {
        memcpy(dst, f->data, n);
    }
    dst[n] = '\0';
}

/* Iterates the fields of a submessage; a macro keeps the parsers below short. */
#define FOR_FIELDS(reader, field, bytes, nbytes, rc)                                              \
    pb_reader_init(&(reader), (bytes), (nbytes));                                                 \
    while (((rc) = pb_next(&(reader), &(field))) == 1)

static int parse_write(const pb_field *w, hx_write *out) {
    pb_reader r;
    pb_field f;
    int rc;
    memset(out, 0, sizeof *out);
    FOR_FIELDS(r, f, w->data, w->len, rc) {
        if (f.number == 1 && f.wire_type == PB_LEN) {
            copy_str(out->endpoint, sizeof out->endpoint, &f);
        } else if (f.number == 2 && f.wire_type == PB_LEN) {
            out->len = f.len < sizeof out->data ? f.len : sizeof out->data;
            if (out->len > 0) {
                memcpy(out->data, f.data, out->len);
            }
        }
    }
    return rc;
}

static int parse_response(const pb_field *resp, hx_event *ev) {
    pb_reader r, r2;
    pb_field f, g;
    int rc, rc2;
    FOR_FIELDS(r, f, resp->data, resp->len, rc) {
        if (f.number == 1 && f.wire_type == PB_VARINT) {
            ev->status = (int32_t)f.varint;
        } else if (f.number == 2 && f.wire_type == PB_LEN) {
            copy_str(ev->message, sizeof ev->message, &f);
        } else if (f.number == 12 && f.wire_type == PB_LEN) { /* simulated_device */
            FOR_FIELDS(r2, g, f.data, f.len, rc2) {
                if (g.number == 1 && g.wire_type == PB_LEN) {
                    copy_str(ev->sim_address, sizeof ev->sim_address, &g);
                }
            }
            if (rc2 < 0) {
                return -1;
            }
        } else if (f.number == 13 && f.wire_type == PB_LEN) { /* writes */
            ev->has_writes = 1;
            FOR_FIELDS(r2, g, f.data, f.len, rc2) {
                if (g.number == 1 && g.wire_type == PB_LEN) {
                    if (ev->n_writes < HX_MAX_WRITES) {
                        if (parse_write(&g, &ev->writes[ev->n_writes]) < 0) {
                            return -1;
                        }
                        ev->n_writes++;
                    }
                    ev->total_writes++;
                }
            }
            if (rc2 < 0) {
                return -1;
            }
        }
    }
    return rc;
}

static int parse_device_added(const pb_field *da, hx_event *ev) {
    pb_reader r, r2;
    pb_field f, g;
    int rc, rc2;
    FOR_FIELDS(r, f, da->data, da->len, rc) {
        if (f.number == 1 && f.wire_type == PB_LEN) { /* device */
            FOR_FIELDS(r2, g, f.data, f.len, rc2) {
                if (g.number == 1 && g.wire_type == PB_VARINT) {
                    ev->device_index = (uint32_t)g.varint;
                } else if (g.number == 2 && g.wire_type == PB_LEN) {
                    copy_str(ev->device_name, sizeof ev->device_name, &g);
                }
            }
            if (rc2 < 0) {
                return -1;
            }
        }
    }
    return rc;
}

/* Disconnected{reason=1, status=2}, ErrorReport{status=1, message=2}, LogRecord{message=3},
 * Connected{spec_version=2}, DeviceRemoved{device_index=1}. */
static int parse_simple(const pb_field *m, hx_event *ev) {
    pb_reader r;
    pb_field f;
    int rc;
    FOR_FIELDS(r, f, m->data, m->len, rc) {
        switch (ev->kind) {
        case EV_DISCONNECTED:
            if (f.number == 1 && f.wire_type == PB_LEN) {
                copy_str(ev->message, sizeof ev->message, &f);
            } else if (f.number == 2 && f.wire_type == PB_VARINT) {
                ev->status = (int32_t)f.varint;
            }
            break;
        case EV_ERROR:
            if (f.number == 1 && f.wire_type == PB_VARINT) {
                ev->status = (int32_t)f.varint;
            } else if (f.number == 2 && f.wire_type == PB_LEN) {
                copy_str(ev->message, sizeof ev->message, &f);
            }
            break;
        case EV_LOG:
            if (f.number == 3 && f.wire_type == PB_LEN) {
                copy_str(ev->message, sizeof ev->message, &f);
            }
            break;
        case EV_CONNECTED:
            if (f.number == 2 && f.wire_type == PB_VARINT) {
                ev->spec_version = (uint32_t)f.varint;
            }
            break;
        case EV_DEVICE_REMOVED:
            if (f.number == 1 && f.wire_type == PB_VARINT) {
                ev->device_index = (uint32_t)f.varint;
            }
            break;
        default:
            break;
        }
    }
    return rc;
}

int hx_parse_event(const uint8_t *data, size_t len, hx_event *ev) {
    pb_reader r;
    pb_field f;
    int rc;
    memset(ev, 0, sizeof *ev);
    if (data == NULL && len != 0) {
        return -1;
    }
    FOR_FIELDS(r, f, data, len, rc) {
        if (f.number == 1 && f.wire_type == PB_VARINT) {
            ev->request_id = f.varint;
        } else if (f.number >= EV_RESPONSE && f.number <= EV_LOG && f.wire_type == PB_LEN) {
            ev->kind = f.number; /* oneof: the last arm present wins, as in protobuf */
            int sub;
            if (f.number == EV_RESPONSE) {
                sub = parse_response(&f, ev);
            } else if (f.number == EV_DEVICE_ADDED) {
                sub = parse_device_added(&f, ev);
            } else {
                sub = parse_simple(&f, ev);
            }
            if (sub < 0) {
                return -1;
            }
        }
    }
    return rc < 0 ? -1 : 0;
}

const char *hx_kind_name(uint32_t kind) {
    switch (kind) {
    case EV_NONE: return "none";
    case EV_RESPONSE: return "response";
    case EV_CONNECTED: return "connected";
    case EV_DISCONNECTED: return "disconnected";
    case EV_DEVICE_ADDED: return "device_added";
    case EV_DEVICE_REMOVED: return "device_removed";
    case EV_SCANNING_FINISHED: return "scanning_finished";
    case EV_INPUT_READING: return "input_reading";
    case EV_ERROR: return "error";
    case EV_LOG: return "log";
    default: return "unknown";
    }
}
