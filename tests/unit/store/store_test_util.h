/* Helpers shared by the store unit tests: temp dirs, file copies, and expected states. */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/store.h"

/* A record whose content is derived from (key, version, len), so states are easy to describe. */
typedef struct store_test_record {
  uint32_t key;
  uint32_t version;
  size_t len;
} store_test_record;

typedef struct store_test_state {
  const store_test_record *records; /* ascending keys */
  size_t count;
} store_test_state;

void store_test_fill(uint8_t *buf, uint32_t key, uint32_t version, size_t len);
/* Puts every record of the state (inside the caller's transaction). */
void store_test_put_state(cf_store *s, const store_test_state *st);
/* True if the store holds exactly this state (same keys, same contents). */
bool store_test_equals(cf_store *s, const store_test_state *st);

/* mkdtemp under $TMPDIR or /tmp; the caller frees the result after store_test_rmdir. */
char *store_test_mkdtemp(void);
/* Removes the files in dir (no subdirectories) and dir itself. */
void store_test_rmdir(char *dir);
char *store_test_path(const char *dir, const char *name);
/* Copies src to dst, and src-wal / src-journal if present (removing stale ones at dst). */
void store_test_copy_card(const char *src, const char *dst);
bool store_test_exists(const char *path);

#endif
