/* APDU trace lines: "> 00 A4 04 00 07 F0 63 66 6C 6F 6F 70" and "< 01 02 9000". Secret data is
 * shown as its length only, so a trace can be shared without leaking PINs or keys. */
#include <stdio.h>

#include "apdu_ok.h"
#include "cardforge/transport.h"

static void put_hex(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    fprintf(f, " %02X", p[i]);
}

static void put_redacted(FILE *f, size_t n) {
  if (n > 0) fprintf(f, " <%zu byte%s redacted>", n, n == 1 ? "" : "s");
}

static void trace_command(FILE *f, const uint8_t *buf, size_t len, bool redact_data) {
  fputc('>', f);
  cf_apdu a;
  if (!redact_data || len <= 4) {
    put_hex(f, buf, len);
  } else if (!cf_host_parse_apdu(buf, len, &a)) {
    /* Unparseable: the data field cannot be told apart from Lc / Le, hide all but the header. */
    put_hex(f, buf, 4);
    put_redacted(f, len - 4);
  } else if (a.lc == 0) {
    put_hex(f, buf, len);
  } else {
    size_t data_off = (size_t)(a.data - buf);
    put_hex(f, buf, data_off);
    put_redacted(f, a.lc);
    put_hex(f, buf + data_off + a.lc, len - data_off - a.lc);
  }
  fputc('\n', f);
}

static void trace_response(FILE *f, const uint8_t *buf, size_t len, bool redact_data) {
  fputc('<', f);
  if (len < 2) {
    put_hex(f, buf, len);
  } else {
    if (redact_data)
      put_redacted(f, len - 2);
    else
      put_hex(f, buf, len - 2);
    fprintf(f, " %02X%02X", buf[len - 2], buf[len - 1]);
  }
  fputc('\n', f);
}

void cf_trace_apdu(FILE *f, bool command, const uint8_t *buf, size_t len, bool redact_data) {
  if (f == NULL) return;
  if (command)
    trace_command(f, buf, len, redact_data);
  else
    trace_response(f, buf, len, redact_data);
  fflush(f);
}
