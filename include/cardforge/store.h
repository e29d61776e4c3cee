/* Persistent card memory: records addressed by a 32-bit key, changed only inside transactions.
 *
 * Two back ends share this interface: a file (SQLite, one database per card) and memory (unit tests).
 * Reads are served from an in-memory view, so they cost no I/O; a transaction collects writes and
 * commit applies them all or none. A power cut (simulated with cf_store_fault_at) stops the store
 * dead: every later call fails until the card is reopened from its file, exactly as after a real
 * cut, and what the file holds then is the state before or after the interrupted commit. */
#ifndef CARDFORGE_STORE_H
#define CARDFORGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/error.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

/* Result codes: the error.h codes of the same meaning (NOT_FOUND, positive, is no error). */
enum {
  CF_STORE_OK = CF_OK,
  CF_STORE_NOT_FOUND = 1,
  CF_STORE_EIO = CF_ERR_IO,     /* the back end failed */
  CF_STORE_EINVAL = CF_ERR_ARG, /* bad argument (record too large, buffer too small, no transaction) */
  CF_STORE_POWER_CUT = CF_ERR_POWER_CUT, /* the store lost power (fault injection); reopen it */
  /* Why a card file cannot be opened (cf_store_open_file); cf_store_error_text says it in words. */
  CF_STORE_BUSY = CF_ERR_BUSY,             /* another owner holds it (a running emulator) */
  CF_STORE_EMPTY = CF_ERR_FILE_EMPTY,      /* the file exists and is empty */
  CF_STORE_NOT_SQLITE = CF_ERR_NOT_SQLITE, /* not an SQLite database */
  CF_STORE_FOREIGN = CF_ERR_FOREIGN,       /* an SQLite database, but not a card store */
  CF_STORE_CORRUPT = CF_ERR_CORRUPT,       /* a card store whose content is damaged or was altered */
  CF_STORE_MISSING = CF_ERR_MISSING, /* a card store that lost records (fewer than its manifest counts) */
};

#define CF_STORE_MAX_RECORD 8192

/* key = namespace (one per applet instance on a card) << 16 | record number */
#define CF_STORE_KEY(ns, rec) (((uint32_t)(ns) << 16) | ((uint32_t)(rec)&0xFFFF))

typedef struct cf_store cf_store;

/* Opens (creating if needed) the store in file path, and holds it until cf_store_close: a second
 * owner gets CF_STORE_BUSY. The file (and its -wal) is made mode 0600 whatever the umask. A new
 * file appears complete or not at all. Errors other than EINVAL/EIO name what is wrong with the
 * file (BUSY, EMPTY, NOT_SQLITE, FOREIGN, CORRUPT, MISSING); the file is then left as it was. */
int cf_store_open_file(const char *path, cf_store **out);
/* With CF_STORE_OPEN_FRESH: erases what the file holds and starts an empty store, after taking
 * the lock (a running owner makes it fail with CF_STORE_BUSY, erasing nothing). Also replaces a
 * file that is empty, foreign or corrupt. */
#define CF_STORE_OPEN_FRESH 1u
int cf_store_open_file_ex(const char *path, unsigned flags, cf_store **out);
const char *cf_store_error_text(int rc);
/* A store that lives in memory only. */
int cf_store_open_memory(cf_store **out);
/* Memory stores: forgets the cut and any uncommitted writes, keeps what was committed (a restart).
 * File stores: reopen with cf_store_close + cf_store_open_file instead. */
int cf_store_power_restore(cf_store *s);
void cf_store_close(cf_store *s);

/* Copies a record into buf. CF_STORE_NOT_FOUND if absent, CF_STORE_EINVAL if cap is too small
 * (then *len still tells the size). Sees the current transaction's own writes. */
int cf_store_get(cf_store *s, uint32_t key, void *buf, size_t cap, size_t *len);
/* Zero-copy view of a record, valid until the next put/delete/commit/rollback; NULL if absent. */
const uint8_t *cf_store_peek(cf_store *s, uint32_t key, size_t *len);

/* Writes need an open transaction (CF_STORE_EINVAL otherwise). */
int cf_store_put(cf_store *s, uint32_t key, const void *data, size_t len);
int cf_store_delete(cf_store *s, uint32_t key);

int cf_store_begin(cf_store *s);     /* CF_STORE_EINVAL if one is already open */
int cf_store_commit(cf_store *s);    /* applies every write of the transaction atomically */
void cf_store_rollback(cf_store *s); /* discards them */
/* Commits what is pending now and keeps a transaction open: for a retry counter that must be
 * durable before a secret is compared. */
int cf_store_checkpoint(cf_store *s);
bool cf_store_in_transaction(const cf_store *s);

/* Fault injection: the nth physical write from now (1 = the next one) fails and cuts the power.
 * 0 disarms. For the file back end a physical write is a write to the database or its journal
 * at the file-system interface; for memory it is one record applied at commit. */
void cf_store_fault_at(cf_store *s, long nth_write);
/* Physical writes performed since the store was opened (sweeps use it to count cut points). */
long cf_store_write_count(const cf_store *s);
bool cf_store_is_cut(const cf_store *s);

/* Every record key in ascending order (for state snapshots in tests). Returns the count, fills
 * up to cap keys. */
size_t cf_store_keys(cf_store *s, uint32_t *keys, size_t cap);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
