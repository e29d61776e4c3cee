/* The pcscd load test's client (cf_load_client): one process per client, each on one reader for
 * a bounded time, checking every answer. scripts/loadtest.sh starts several, then adds up their
 * result lines. */
#ifndef CF_LOAD_H
#define CF_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct load_opts {
  const char *reader; /* PC/SC reader name or index */
  double seconds;
  unsigned id; /* client number: seeds its random choices */
} load_opts;

typedef struct load_result {
  uint64_t apdus;      /* exchanged with the card */
  uint64_t operations; /* checked operations (one or more APDUs each) */
  uint64_t failures;   /* transport errors, unexpected status words or data */
  uint64_t updates;    /* persistent updates this client made (counter increments, data writes) */
  int64_t last_value;  /* loopback: the highest counter value this client saw */
  char first_failure[160];
} load_result;

/* Records a failure (the first one is kept as text). */
void load_fail(load_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A small deterministic generator per client. */
uint32_t load_rand(uint32_t *state);
double load_now(void);

int load_loopback(const load_opts *o, load_result *r);
int load_keycard(const load_opts *o, load_result *r);
int load_gp(const load_opts *o, load_result *r);

#endif
