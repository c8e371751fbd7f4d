/* The consumer project's C program: uses Haptix::haptix alone (the C library and haptix.h, no
 * C++ headers). Checks the ABI, connects a client to the embedded server, sends a ping with
 * haptix_client_call and checks that the answer is a response event. Exits 0 on success. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <haptix.h>

/* Whether `data` is an encoded haptix.v1.Event holding a Response with status OK: its
 * request_id (field 1, a varint), then its response (field 10, length-delimited) without a
 * status field (status 0 is not written). */
static int is_ok_response(const uint8_t *data, size_t len) {
    size_t i = 0;
    size_t body = 0;
    if (i < len && data[i] == 0x08) { /* request_id, a varint */
        ++i;
        while (i < len && (data[i] & 0x80) != 0) {
            ++i;
        }
        ++i; /* its last byte */
    }
    if (i + 2 > len || data[i] != 0x52) { /* response: field 10, length-delimited */
        return 0;
    }
    body = data[i + 1];
    if ((body & 0x80) != 0 || i + 2 + body != len) { /* a one-byte length, up to the end */
        return 0;
    }
    return body == 0 || data[i + 2] != 0x08; /* no status field: status 0 is not written */
}

int main(void) {
    haptix_context *context = NULL;
    haptix_client *client = NULL;
    haptix_buffer response = {NULL, 0};
    static const uint8_t ping[] = {0x8a, 0x01, 0x00}; /* Request{ping: {}} (field 17) */
    int ok = 0;

    if (haptix_abi_version() != HAPTIX_ABI_VERSION) {
        fprintf(stderr, "consumer (C): library ABI %u, header ABI %u\n", haptix_abi_version(),
                (unsigned)HAPTIX_ABI_VERSION);
        return 1;
    }
    if (haptix_context_new(HAPTIX_ABI_VERSION, NULL, 0, &context) != HAPTIX_STATUS_OK ||
        haptix_client_new(context, NULL, 0, &client) != HAPTIX_STATUS_OK) {
        fprintf(stderr, "consumer (C): cannot create a context and a client\n");
        haptix_context_free(context);
        return 1;
    }
    if (haptix_client_call(client, ping, sizeof ping, 10000, &response) == HAPTIX_STATUS_OK) {
        ok = is_ok_response(response.data, response.len);
    }
    printf("consumer (C): libhaptix %s, ping answered: %s\n", haptix_version(), ok ? "yes" : "no");
    haptix_buffer_free(&response);
    haptix_client_free(client);
    haptix_context_free(context);
    return ok ? 0 : 1;
}
