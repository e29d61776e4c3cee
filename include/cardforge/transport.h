/* Host side: a way to exchange APDUs with a card, either in the same process or through PC/SC.
 * Every exchange can be traced (--trace); data marked secret is printed as a length only.
 *
 * A PC/SC transport is one session: it holds a PC/SC transaction from open to close, so no other
 * program's APDU can come between two of ours (other clients wait), and at close it resets the
 * card when the session may have left security state on it (see cf_transport_is_secured). */
#ifndef CARDFORGE_TRANSPORT_H
#define CARDFORGE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardforge/apdu.h"
#include "cardforge/card.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

typedef struct cf_transport cf_transport;

typedef struct cf_transport_ops {
  /* Raw exchange: one command, one response (data || SW). Returns 0 or -1 (err filled). */
  int (*exchange)(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *rlen);
  int (*reset)(cf_transport *t); /* warm reset; -1 if unsupported */
  void (*close)(cf_transport *t);
} cf_transport_ops;

/* What kind of failure the last error was. */
typedef enum cf_transport_fault {
  CF_TRANSPORT_FAULT_NONE = 0,
  CF_TRANSPORT_FAULT_IO,     /* no reader, no card, pcscd gone, the card does not answer */
  CF_TRANSPORT_FAULT_SHARED, /* another program reset or used the card (the session's state is gone) */
} cf_transport_fault;

struct cf_transport {
  const cf_transport_ops *ops;
  void *impl;
  char name[128];           /* reader name or "in-process" */
  FILE *trace;              /* when set, every APDU is printed here */
  char err[256];            /* last error, one line */
  cf_transport_fault fault; /* kind of the last error */
  bool secured;             /* the session may have created security state: reset the card at close */
  bool established;         /* a flow confirmed it created security state (cf_transport_mark_secured) */
  size_t max_command;       /* longest encoded command the reader path carries; 0 = no limit of its own */
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
 * decimal index in the reader list, and begins a PC/SC transaction (waiting while another program
 * holds one on that reader). Returns NULL with err filled (one line) on failure; *fault (may be
 * NULL) tells a reader held or reset by another program apart from other failures. */
cf_transport *cf_transport_open_pcsc_ex(const char *reader, char *err, size_t errlen,
                                        cf_transport_fault *fault);
cf_transport *cf_transport_open_pcsc(const char *reader, char *err, size_t errlen);
/* Lists PC/SC readers: fills names (each NUL-terminated) and marks those with a card.
 * Returns the count, or -1 with err filled. */
int cf_pcsc_list_readers(char names[][128], bool *has_card, int max, char *err, size_t errlen);
/* Ends the session: PC/SC ends the transaction with SCARD_RESET_CARD when t->secured (else
 * SCARD_LEAVE_CARD) and disconnects. */
void cf_transport_close(cf_transport *t);

/* The session reset rule. Every command sent marks the session secured unless it is one of the
 * plain reads that create no security state: SELECT (INS A4), and in class 00 without secure
 * messaging GET RESPONSE (C0), READ BINARY (B0), READ RECORD (B2), Read KeyInfo (B4) and GET DATA
 * (CA, CB); GET DATA (CA) in a proprietary class without secure messaging too. A flow may also mark
 * the session itself (cf_transport_mark_secured), e.g. before a command whose effect the rule does
 * not know. */
bool cf_transport_command_is_plain_read(const uint8_t *cmd, size_t len);
void cf_transport_mark_secured(cf_transport *t); /* sets secured and established */
bool cf_transport_is_secured(const cf_transport *t);

/* A flow that has created security state (PIN verified, authenticated, secure channel: it called
 * cf_transport_mark_secured) and then gets SW 6982 "security status not satisfied" has lost that
 * state: some other program reset or used the card. Records that as a CF_TRANSPORT_FAULT_SHARED
 * error on t (t->err) and returns true; returns false (nothing recorded) otherwise. */
bool cf_transport_state_lost(cf_transport *t, uint16_t sw);
/* Fills t->err with the one message every such failure shares and sets the fault. */
void cf_transport_set_shared_fault(cf_transport *t, const char *detail);

/* Trace helper: prints "> 80 12 00 00 ..." style lines (redacting as flags say). */
void cf_trace_apdu(FILE *f, bool command, const uint8_t *buf, size_t len, bool redact_data);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
