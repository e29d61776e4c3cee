/* Snapshots of a card's persistent state (every store record), for the robustness tests and the
 * fuzz harnesses: take one, compare a store with it, rebuild a memory store from it, and tell which
 * records two snapshots disagree on. Everything goes through the public store API. */
#ifndef CF_ROBUST_STATE_H
#define CF_ROBUST_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/store.h"

#define RB_STATE_MAX_RECORDS 512

typedef struct rb_record {
  uint32_t key;
  size_t len;
  uint8_t *data; /* owned */
} rb_record;

typedef struct rb_state {
  size_t count;
  rb_record rec[RB_STATE_MAX_RECORDS]; /* ascending keys */
} rb_state;

/* Copies every record of s into st (st must be empty or freed). Returns 0, or -1 if the store
 * cannot be read (cut) or holds more than RB_STATE_MAX_RECORDS records. */
int rb_state_take(cf_store *s, rb_state *st);
void rb_state_free(rb_state *st);
/* A new state holding the same records (deep copy). */
int rb_state_copy(const rb_state *src, rb_state *dst);
bool rb_state_equal(const rb_state *a, const rb_state *b);
/* true if the store holds exactly st (same keys, same bytes). */
bool rb_state_matches(cf_store *s, const rb_state *st);
/* A fresh memory store holding st's records, committed. Returns CF_STORE_OK or an error. */
int rb_state_to_memory(const rb_state *st, cf_store **out);
/* The keys present in a but not b, in b but not a, or in both with other bytes (ascending, at
 * most cap). Returns how many. */
size_t rb_state_diff(const rb_state *a, const rb_state *b, uint32_t *keys, size_t cap);
/* The record with this key, or NULL. */
const rb_record *rb_state_find(const rb_state *st, uint32_t key);

#endif
