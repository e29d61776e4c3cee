/* cf_store: transactions over an in-memory view, made durable by a back end.
 *
 * Reads never leave memory. A commit first makes the write set durable (SQLite for a file store,
 * nothing for a memory store) and only then swaps it into the view, so the view always equals
 * what a restart would find. A power cut (fault injection) kills the store: the write set is
 * lost like RAM, and every later call fails until the card is reopened. */
#include "cardforge/store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fault.h"
#include "store_file.h"
#include "store_sqlite.h"
#include "store_view.h"

struct cf_store {
  cf_store_view view;
  cf_fault_domain fault;
  bool in_tx;
  cf_store_sqlite *file; /* NULL for a memory store */
  int lock_fd;           /* the owner lock of a file store (store_file.c), -1 for memory */
};

static cf_store *store_alloc(void) {
  cf_store *s = calloc(1, sizeof(cf_store));
  if (s) s->lock_fd = -1;
  return s;
}

int cf_store_open_memory(cf_store **out) {
  if (!out) return CF_STORE_EINVAL;
  *out = store_alloc();
  return *out ? CF_STORE_OK : CF_STORE_EIO;
}

int cf_store_open_file_ex(const char *path, unsigned flags, cf_store **out) {
  if (!out) return CF_STORE_EINVAL;
  *out = NULL;
  if (!path || !*path || (flags & ~CF_STORE_OPEN_FRESH)) return CF_STORE_EINVAL;
  cf_store *s = store_alloc();
  if (!s) return CF_STORE_EIO;
  int rc = cf_store_file_lock(path, flags & CF_STORE_OPEN_FRESH, cf_store_sqlite_init, &s->lock_fd);
  if (rc == CF_STORE_OK) rc = cf_store_sqlite_open(path, &s->fault, &s->view, &s->file);
  if (rc != CF_STORE_OK) {
    cf_store_close(s);
    return rc;
  }
  *out = s;
  return CF_STORE_OK;
}

int cf_store_open_file(const char *path, cf_store **out) {
  return cf_store_open_file_ex(path, 0, out);
}

const char *cf_store_error_text(int rc) {
  switch (rc) {
  case CF_STORE_OK:
    return "no error";
  case CF_STORE_NOT_FOUND:
    return "no such record";
  case CF_STORE_EIO:
    return "input/output error";
  case CF_STORE_EINVAL:
    return "invalid argument";
  case CF_STORE_POWER_CUT:
    return "power cut";
  case CF_STORE_BUSY:
    return "in use by another process (or another card of this one)";
  case CF_STORE_EMPTY:
    return "the file is empty (0 bytes)";
  case CF_STORE_NOT_SQLITE:
    return "not a card state file (not an SQLite database)";
  case CF_STORE_FOREIGN:
    return "not a card state file (an SQLite database of another application)";
  case CF_STORE_CORRUPT:
    return "the file is corrupt";
  case CF_STORE_MISSING:
    return "records are missing from the file (fewer than its manifest counts)";
  default:
    return "unknown error";
  }
}

int cf_store_power_restore(cf_store *s) {
  if (!s || s->file) return CF_STORE_EINVAL;
  cf_store_view_discard(&s->view);
  s->in_tx = false;
  s->fault.cut = false;
  s->fault.fail_at = 0;
  return CF_STORE_OK;
}

void cf_store_close(cf_store *s) {
  if (!s) return;
  /* An open transaction is simply lost, as at power-off. */
  cf_store_sqlite_close(s->file);
  if (s->lock_fd >= 0) close(s->lock_fd); /* after SQLite: see store_file.h */
  cf_store_view_free(&s->view);
  free(s);
}

/* The power went out: RAM (the write set) is gone with it. */
static int store_cut(cf_store *s) {
  s->fault.cut = true;
  cf_store_view_discard(&s->view);
  s->in_tx = false;
  return CF_STORE_POWER_CUT;
}

int cf_store_get(cf_store *s, uint32_t key, void *buf, size_t cap, size_t *len) {
  if (!s) return CF_STORE_EINVAL;
  if (s->fault.cut) return CF_STORE_POWER_CUT;
  const cf_store_record *r = cf_store_view_lookup(&s->view, key);
  if (!r) return CF_STORE_NOT_FOUND;
  if (len) *len = r->len;
  if (r->len > cap || (r->len && !buf)) return CF_STORE_EINVAL;
  if (r->len) memcpy(buf, r->data, r->len);
  return CF_STORE_OK;
}

const uint8_t *cf_store_peek(cf_store *s, uint32_t key, size_t *len) {
  const cf_store_record *r = s && !s->fault.cut ? cf_store_view_lookup(&s->view, key) : NULL;
  if (len) *len = r ? r->len : 0;
  return r ? r->data : NULL;
}

static int write_check(const cf_store *s) {
  if (!s) return CF_STORE_EINVAL;
  if (s->fault.cut) return CF_STORE_POWER_CUT;
  return s->in_tx ? CF_STORE_OK : CF_STORE_EINVAL;
}

int cf_store_put(cf_store *s, uint32_t key, const void *data, size_t len) {
  int rc = write_check(s);
  if (rc != CF_STORE_OK) return rc;
  if (len > CF_STORE_MAX_RECORD || (len && !data)) return CF_STORE_EINVAL;
  return cf_store_view_put(&s->view, key, data, len);
}

int cf_store_delete(cf_store *s, uint32_t key) {
  int rc = write_check(s);
  return rc != CF_STORE_OK ? rc : cf_store_view_delete(&s->view, key);
}

int cf_store_begin(cf_store *s) {
  if (!s) return CF_STORE_EINVAL;
  if (s->fault.cut) return CF_STORE_POWER_CUT;
  if (s->in_tx) return CF_STORE_EINVAL;
  s->in_tx = true;
  return CF_STORE_OK;
}

/* A physical write of the memory back end: one record applied. */
static bool memory_write(void *ctx) {
  return cf_fault_write(ctx);
}

int cf_store_commit(cf_store *s) {
  int rc = write_check(s);
  if (rc != CF_STORE_OK) return rc;
  s->in_tx = false;
  if (s->view.pending.count == 0) return CF_STORE_OK; /* read-only: no I/O at all */
  cf_store_record *merged;
  if (cf_store_view_prepare(&s->view, &merged) != CF_STORE_OK) {
    cf_store_view_discard(&s->view);
    return CF_STORE_EIO;
  }
  if (s->file) {
    rc = cf_store_sqlite_persist(s->file, &s->view.pending, cf_store_view_merged_count(&s->view));
    if (rc != CF_STORE_OK) {
      free(merged);
      if (rc == CF_STORE_POWER_CUT) return store_cut(s);
      cf_store_view_discard(&s->view);
      return rc;
    }
    return cf_store_view_apply(&s->view, merged, NULL, NULL); /* cannot fail: memory is reserved */
  }
  rc = cf_store_view_apply(&s->view, merged, memory_write, &s->fault);
  return rc == CF_STORE_POWER_CUT ? store_cut(s) : rc;
}

void cf_store_rollback(cf_store *s) {
  if (!s || s->fault.cut) return;
  cf_store_view_discard(&s->view);
  s->in_tx = false;
}

int cf_store_checkpoint(cf_store *s) {
  int rc = cf_store_commit(s);
  /* After a plain I/O error the card is still powered: the caller keeps a transaction to end. */
  if (rc == CF_STORE_OK || rc == CF_STORE_EIO) s->in_tx = true;
  return rc;
}

bool cf_store_in_transaction(const cf_store *s) {
  return s && !s->fault.cut && s->in_tx;
}

void cf_store_fault_at(cf_store *s, long nth_write) {
  if (s && !s->fault.cut) cf_fault_arm(&s->fault, nth_write);
}

long cf_store_write_count(const cf_store *s) {
  return s ? s->fault.writes : 0;
}

bool cf_store_is_cut(const cf_store *s) {
  return s && s->fault.cut;
}

size_t cf_store_keys(cf_store *s, uint32_t *keys, size_t cap) {
  if (!s || s->fault.cut) return 0;
  return cf_store_view_keys(&s->view, keys, keys ? cap : 0);
}
