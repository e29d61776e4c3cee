/* Hex text <-> bytes, for tools, tests and traces. */
#ifndef CARDFORGE_HEX_H
#define CARDFORGE_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes hex (spaces and colons ignored, upper or lower case). Returns the byte count, or -1
 * if the text is not whole bytes of hex or does not fit in cap. */
long cf_hex_decode(const char *hex, uint8_t *out, size_t cap);
/* Encodes len bytes as upper-case hex with no separators; out must hold 2*len+1. */
void cf_hex_encode(const uint8_t *in, size_t len, char *out);

#endif
