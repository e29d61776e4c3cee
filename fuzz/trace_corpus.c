/* Trace lines to fuzz records (see trace_corpus.h). */
#include "trace_corpus.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_driver.h"

/* Parses the hex bytes of one command line (after '>'); "<N byte(s) redacted>" adds N fill bytes. */
static size_t parse_command(const char *p, const char *end, uint8_t *out, size_t cap) {
  size_t n = 0;
  while (p < end) {
    if (isspace((unsigned char)*p)) {
      p++;
    } else if (*p == '<') {
      char *after = NULL;
      unsigned long count = strtoul(p + 1, &after, 10);
      const char *close = memchr(p, '>', (size_t)(end - p));
      if (after == p + 1 || close == NULL) return n;
      for (unsigned long i = 0; i < count && n < cap; i++)
        out[n++] = TC_REDACTED_FILL;
      p = close + 1;
    } else if (isxdigit((unsigned char)p[0]) && p + 1 < end && isxdigit((unsigned char)p[1])) {
      char hex[3] = {p[0], p[1], 0};
      if (n < cap) out[n++] = (uint8_t)strtoul(hex, NULL, 16);
      p += 2;
    } else {
      return n; /* not a trace line after all */
    }
  }
  return n;
}

size_t tc_trace_to_records(const char *text, size_t max_records, uint8_t *out, size_t cap, size_t *n) {
  static uint8_t apdu[65536 + 16];
  size_t added = 0;
  bool plain_next = false, skip_wrapped = false;
  const char *line = text;
  while (*line && added < max_records) {
    const char *end = strchr(line, '\n');
    if (end == NULL) end = line + strlen(line);
    const char *p = line;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    if ((size_t)(end - p) >= 16 && strncmp(p, "(secure channel,", 16) == 0) {
      plain_next = true;
    } else if (p < end && *p == '>') {
      size_t len = parse_command(p + 1, end, apdu, sizeof apdu);
      if (plain_next) {
        /* CLA INS P1 P2 Lc data: the record keeps CLA INS P1 P2 data */
        if (len >= 4) {
          size_t dlen = len > 5 ? len - 5 : 0;
          memmove(apdu + 4, apdu + 5, dlen);
          if (!fz_put_record(FZ_SECURE, 0, apdu, 4 + dlen, out, cap, n)) break;
          added++;
        }
        plain_next = false;
        skip_wrapped = true;
      } else if (skip_wrapped) {
        skip_wrapped = false;
      } else if (len >= 4) {
        if (!fz_put_record(FZ_RAW, 0, apdu, len, out, cap, n)) break;
        added++;
      }
    } else if (p < end && *p == '<') {
      plain_next = false;
    }
    line = *end ? end + 1 : end;
  }
  return added;
}
