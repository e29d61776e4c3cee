/* The common engine of the fuzz harnesses: the input format, a card session on a memory store
 * rebuilt from a snapshot for every input, and the checks made on every answer.
 *
 * Input: one start-state byte (taken modulo the harness's state count), then records
 *   header (1 byte): bits 0-1 kind, bit 2 = two-byte length follows (else one byte), bits 3-7 arg
 *   length, body
 * kinds:
 *   FZ_RAW     body is a command APDU, given to cf_card_transmit as it is
 *   FZ_SECURE  body is CLA INS P1 P2 [data], sent through the harness's secure channel (the host
 *              client wraps it); harnesses without a channel send it raw
 *   FZ_RESET   warm reset, then the harness brings the session back to its start state
 *   FZ_CUT     body is a command APDU sent with a power cut armed at physical write (arg % 8) + 1;
 *              when the cut happens the card is rebuilt from what the store kept, as after a real
 *              cut, and the session brought back
 * The checks (any failure aborts with one line, which libFuzzer reports as a crash):
 *   every answer is at least SW1 SW2 and fits the buffer; SW1 is 6X or 9X; an error status carries
 *   no data; a short command gets at most 256 data bytes; a power cut is answered 6581 and 6581 is
 *   never answered without one (unless the host chose it); a card rebuilt on the state a cut left
 *   must come up. */
#ifndef CF_FUZZ_DRIVER_H
#define CF_FUZZ_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/store.h"
#include "cardforge/transport.h"
#include "robust_state.h"

enum { FZ_RAW = 0, FZ_SECURE = 1, FZ_RESET = 2, FZ_CUT = 3 };
#define FZ_MAX_RECORDS 64

typedef struct fz_record {
  uint8_t kind, arg;
  const uint8_t *body;
  size_t len;
} fz_record;

/* Reads the next record; false at the end of the input. A truncated body is cut to what is left. */
bool fz_next_record(const uint8_t **p, size_t *left, fz_record *r);
/* Appends one record to out (capacity cap, used *n). Returns false if it does not fit. */
bool fz_put_record(uint8_t kind, uint8_t arg, const uint8_t *body, size_t len, uint8_t *out, size_t cap,
                   size_t *n);

typedef struct fz_session fz_session;

typedef struct fz_harness {
  const char *name;
  const cf_card_profile *(*profile)(unsigned state); /* the card of a start state */
  const char *(*params)(unsigned state);             /* its profile params */
  const rb_state *(*snapshot)(unsigned state);       /* its persistent state */
  unsigned nstates;
  /* Reaches the transient part of the start state (select, channel, PIN) on a fresh or reset
   * card. Failure is not an error: the input may have changed what the state needs. */
  void (*resume)(fz_session *s);
  /* Sends CLA INS P1 P2 [data] through the secure channel; NULL = send it raw. */
  void (*secure)(fz_session *s, const uint8_t *body, size_t len);
  /* Optional: true for a command whose status word the host chooses (the loopback card's INS 03),
   * which may then be 6581 without a power cut. */
  bool (*chosen_status)(const cf_apdu *cmd);
} fz_harness;

struct fz_session {
  const fz_harness *h;
  unsigned state;
  cf_store *store;
  cf_card *card;
  cf_transport t; /* every exchange, the host clients' too, goes through the checks */
  void *client;   /* the harness's host client, set by resume */
};

/* Runs one input. */
void fz_run(const fz_harness *h, const uint8_t *data, size_t size);

/* Prints one line and aborts: a finding. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* One checked exchange with the session's card (resp must hold CF_CARD_MAX_RESPONSE + 2). */
size_t fz_transmit(fz_session *s, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap);

/* Snapshot helper for harness set-up: builds the card of profile/params on a memory store, hands
 * it to prepare (which drives it with a host client over t), and keeps the resulting records. */
int fz_prepare_state(const cf_card_profile *p, const char *params, int (*prepare)(cf_transport *t, void *arg),
                     void *arg, rb_state *out);

#endif
