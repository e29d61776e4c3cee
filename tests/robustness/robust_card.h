/* Test scaffolding for the robustness tests: cards on a file store that can be closed and
 * reopened (a restart), the power-cut sweep, and the malformed-input table runner. The helpers
 * fail the current cmocka test with a message naming the step and cut point. */
#ifndef CF_ROBUST_CARD_H
#define CF_ROBUST_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/transport.h"
#include "robust_state.h"

/* ---- cards on files ---- */
typedef struct rb_card {
  const cf_card_profile *profile;
  const char *params;
  char path[1024];
  cf_store *store;
  cf_card *card;
  cf_transport *t;
  void *client; /* the test's host client for this card, if any */
} rb_card;

/* A fresh temporary directory (under $TMPDIR or /tmp); free with rb_rmdir. */
char *rb_tmpdir(void);
void rb_rmdir(char *dir);
/* dir/name, in a static rotating buffer (valid for the next 8 calls). */
const char *rb_path(const char *dir, const char *name);
/* Copies a card file and its WAL (if any), replacing dst. Returns 0 or -1. */
int rb_copy_card(const char *src, const char *dst);

/* Opens (creating if needed) the card of profile p in path: store, card, power on, in-process
 * transport. Returns 0, or -1 when the store or the card cannot come up. */
int rb_card_open(rb_card *c, const cf_card_profile *p, const char *params, const char *path);
/* Drops the card and closes the store (a power-off: an open transaction is lost). */
void rb_card_close(rb_card *c);
/* Raw exchange: returns the status word, response data in resp (may be NULL). */
uint16_t rb_card_send(rb_card *c, const uint8_t *apdu, size_t len, uint8_t *resp, size_t cap, size_t *rlen);
uint16_t rb_card_send_hex(rb_card *c, const char *hex, uint8_t *resp, size_t cap, size_t *rlen);

/* ---- the power-cut sweep ---- */
typedef struct rb_sweep_step {
  const char *name;
  const char *from; /* template card (file name in the sweep's directory) */
  /* Transient state the action needs (SELECT, channel, PIN); may write, it is not swept. */
  int (*setup)(rb_card *c);
  /* The state-changing command(s). Must succeed (return 0) in the uncut reference run. */
  int (*action)(rb_card *c);
  /* Optional: run instead of action from the same start, its end state is an allowed middle
   * state (a wrong attempt: the retry counter decremented and made durable before the compare). */
  int (*middle)(rb_card *c);
  /* The new state is not reproducible (keys generated on the card): a cut state counts as new when
   * it changes exactly the records the reference run changed, with the same lengths. */
  bool random;
  /* Optional: reads the retry counters through the protocol into tries[] (-1 = unknown); returns
   * how many, or -1 if it cannot. Checked: never higher after a cut than before the command. */
  int (*tries)(rb_card *c, int tries[4]);
  /* Optional: after every restart, a command proving the card works (default: SELECT by aid). */
  int (*alive)(rb_card *c);
} rb_sweep_step;

typedef struct rb_sweep_stats {
  size_t steps;
  size_t cut_points;     /* restarts after a cut, all steps */
  size_t old_states;     /* restart found the state before the command */
  size_t new_states;     /* ... the state after it */
  size_t middle_states;  /* ... the durable decrement of a retry counter */
  size_t between_states; /* ... the state between two commands of a multi-command action */
  size_t not_reached;    /* the cut was armed but the command wrote less this time */
} rb_sweep_stats;

/* Sweeps one step: a reference run counts the physical writes of the action and keeps the state
 * after each of its commands, then for each write k the action runs again from the template with a
 * cut armed at k, the card is restarted from its file and its state is checked: the state before
 * the action, after it, or after one of its commands (an action of several commands: the cut hit a
 * later command), or the step's middle state. aid: the application SELECTed to prove the card works. */
void rb_sweep(const char *dir, const cf_card_profile *p, const char *params, const uint8_t *aid,
              size_t aid_len, const rb_sweep_step *step, rb_sweep_stats *stats);
void rb_sweep_print(const char *card, const rb_sweep_stats *s);
/* True while a sweep runs a command with a cut armed (helpers keep quiet about the 6581s then). */
bool rb_sweep_cutting(void);

/* ---- malformed-input tables ---- */
typedef struct rb_bad_case {
  const char *name;
  /* hex; several commands separated by '|' (only the last is judged); for secure cases the last
   * is CLA INS P1 P2 [data], sent through the channel */
  const char *apdu;
  uint16_t sw;   /* expected status word (the inner one for secure cases) */
  uint16_t mask; /* bits of sw compared; 0 = all (0xFF00 for 61XX / 6CXX families) */
  bool secure;
} rb_bad_case;

typedef struct rb_bad_table {
  const char *card;
  const cf_card_profile *profile;
  const char *params;
  const char *from;         /* template card file */
  int (*setup)(rb_card *c); /* reaches the state the cases start from */
  /* sends a secure case; returns 0 and the inner status word, or -1 */
  int (*secure)(rb_card *c, const uint8_t *apdu, size_t len, uint16_t *sw);
  const rb_bad_case *cases;
  size_t count;
} rb_bad_table;

/* Runs every case on a fresh copy of the template (setup first), checks the status word and that
 * the persistent state is byte-identical afterwards. Returns the number of cases run. */
size_t rb_bad_run(const char *dir, const rb_bad_table *t);

#endif
