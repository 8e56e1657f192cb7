/*
 * Base64 as DKIM writes it (b=, bh=, p=): ea_base64_decode() with FWS
 * anywhere, ea_base64_encode().
 *
 * Invariants: decoding the encoding of any bytes gives them back; what
 * decodes re-encodes to the input with FWS removed (padding is checked,
 * so there is one spelling per value, except for the unused low bits of
 * the last character).
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/crypto.h"
#include "fuzz_util.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fz_dup_exact(data, size);
    ea_buf enc, dec;
    ea_buf_init(&enc);
    ea_buf_init(&dec);

    if (ea_base64_encode(data, size, &enc) != 0 || ea_base64_decode(enc.data, enc.len, &dec) != 0 ||
        dec.len != size || (size && memcmp(dec.data, data, size) != 0))
        abort();

    dec.len = 0;
    enc.len = 0;
    if (ea_base64_decode(in, size, &dec) == 0) {
        if (ea_base64_encode((const unsigned char *)dec.data, dec.len, &enc) != 0)
            abort();
        size_t j = 0;
        for (size_t i = 0; i < size; i++) {
            char c = in[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                continue;
            /* The last character before padding may differ in its unused bits. */
            if (j >= enc.len || (enc.data[j] != c && !(j + 3 >= enc.len && dec.len % 3)))
                abort();
            j++;
        }
        if (j != enc.len)
            abort();
    }
    ea_buf_free(&enc);
    ea_buf_free(&dec);
    free(in);
    return 0;
}
