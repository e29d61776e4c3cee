/* Host side: a way to exchange APDUs with a card, either in the same process or through PC/SC.
 * Every exchange can be traced (--trace); data marked secret is printed as a length only. */
#ifndef CARDFORGE_TRANSPORT_H
#define CARDFORGE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardforge/apdu.h"
#include "cardforge/card.h"

typedef struct cf_transport cf_transport;

typedef struct cf_transport_ops {
  /* Raw exchange: one command, one response (data || SW). Returns 0 or -1 (err filled). */
  int (*exchange)(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *rlen);
  int (*reset)(cf_transport *t); /* warm reset; -1 if unsupported */
  void (*close)(cf_transport *t);
} cf_transport_ops;

struct cf_transport {
  const cf_transport_ops *ops;
  void *impl;
  char name[128]; /* reader name or "in-process" */
  FILE *trace;    /* when set, every APDU is printed here */
  char err[256];  /* last error, one line */
};

/* Flags for cf_transceive. */
#define CF_TX_SECRET_CMD 0x01  /* do not trace the command data */
#define CF_TX_SECRET_RESP 0x02 /* do not trace the response data */
#define CF_TX_RAW 0x04         /* do not follow 61XX / 6CXX */

/* Sends cmd, follows 61XX (GET RESPONSE) and 6CXX (resend with Le = XX) unless CF_TX_RAW, and
 * returns the complete response data in resp (cap bytes) and the final status word.
 * Returns 0, or -1 on a transport failure (t->err says why). */
int cf_transceive(cf_transport *t, const cf_apdu *cmd, unsigned flags, uint8_t *resp, size_t cap,
                  size_t *rlen, uint16_t *sw);
/* Same, for an already encoded APDU. */
int cf_transceive_raw(cf_transport *t, const uint8_t *cmd, size_t len, unsigned flags, uint8_t *resp,
                      size_t cap, size_t *rlen, uint16_t *sw);

/* In-process: talks to a card object directly (the card is not owned). */
cf_transport *cf_transport_open_card(cf_card *card);
/* PC/SC: connects to the reader whose name equals reader, or else contains it, or is its
 * decimal index in the reader list. Returns NULL with err filled (one line) on failure. */
cf_transport *cf_transport_open_pcsc(const char *reader, char *err, size_t errlen);
/* Lists PC/SC readers: fills names (each NUL-terminated) and marks those with a card.
 * Returns the count, or -1 with err filled. */
int cf_pcsc_list_readers(char names[][128], bool *has_card, int max, char *err, size_t errlen);
void cf_transport_close(cf_transport *t);

/* Trace helper: prints "> 80 12 00 00 ..." style lines (redacting as flags say). */
void cf_trace_apdu(FILE *f, bool command, const uint8_t *buf, size_t len, bool redact_data);

#endif
