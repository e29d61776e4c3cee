/* File back end: one SQLite database per card, table kv(key INTEGER PRIMARY KEY, value BLOB).
 *
 * The connection runs in WAL mode with synchronous=FULL (a commit returns only after its WAL
 * frames are synced) and locking_mode=EXCLUSIVE (one owner per card file, no -shm file). The
 * reasons are in docs/storage.md. The database is read once, at open; afterwards SQLite is only
 * written to, one transaction per store commit.
 *
 * PRAGMA user_version holds the number of records (the manifest), updated in the transaction that
 * changes it: a file that lost rows outside the store no longer matches and is refused instead of
 * passing for a card that never had them (a missing PIN record reads as "not initialised"). */
#include "store_sqlite.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/store.h"

/* PRAGMA application_id of a card store ("CFST"), so a foreign database is never mistaken for one. */
#define CF_STORE_APPLICATION_ID 0x43465354

struct cf_store_sqlite {
  sqlite3 *db;
  cf_fault_domain *domain;
  size_t manifest; /* record count recorded in the file */
  sqlite3_stmt *begin, *commit, *rollback, *upsert, *remove;
};

/* file: URI for path (percent-encoded, since '?', '#' and '%' are legal in file names) carrying
 * the fault domain id for the VFS shim. */
static char *make_uri(const char *path, uint64_t domain_id) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(path);
  char *uri = malloc(3 * n + 64);
  if (!uri) return NULL;
  char *o = uri;
  /* An absolute path gets an empty authority so that a leading "//" stays part of the path. */
  o += sprintf(o, path[0] == '/' ? "file://" : "file:");
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    unsigned char c = *p;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("/-._~", c)) {
      *o++ = (char)c;
    } else {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
  }
  sprintf(o, "?%s=%" PRIu64, CF_FAULTVFS_PARAM, domain_id);
  return uri;
}

/* What an SQLite failure says about the file. */
static int sqlite_error(sqlite3 *db) {
  switch (sqlite3_errcode(db) & 0xFF) {
  case SQLITE_NOTADB:
    return CF_STORE_NOT_SQLITE;
  case SQLITE_CORRUPT:
    return CF_STORE_CORRUPT;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return CF_STORE_BUSY;
  default:
    return CF_STORE_EIO;
  }
}

static int exec_sql(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CF_STORE_OK : sqlite_error(db);
}

/* First column of the first row of a query: stored in *int_out, or else compared with text_expected. */
static int query_one(sqlite3 *db, const char *sql, sqlite3_int64 *int_out, const char *text_expected) {
  sqlite3_stmt *st = NULL;
  int rc = CF_STORE_EIO;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return sqlite_error(db);
  int step = sqlite3_step(st);
  if (step != SQLITE_ROW && step != SQLITE_DONE) rc = sqlite_error(db);
  if (step == SQLITE_ROW) {
    if (int_out) {
      *int_out = sqlite3_column_int64(st, 0);
      rc = CF_STORE_OK;
    } else {
      const char *text = (const char *)sqlite3_column_text(st, 0);
      if (text && strcmp(text, text_expected) == 0) rc = CF_STORE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
  return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK ? CF_STORE_OK
                                                                                           : CF_STORE_EIO;
}

static int prepare_statements(cf_store_sqlite *f) {
  static const char upsert[] =
      "INSERT INTO kv(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
  if (prepare(f->db, "BEGIN IMMEDIATE", &f->begin) != CF_STORE_OK ||
      prepare(f->db, "COMMIT", &f->commit) != CF_STORE_OK ||
      prepare(f->db, "ROLLBACK", &f->rollback) != CF_STORE_OK ||
      prepare(f->db, upsert, &f->upsert) != CF_STORE_OK ||
      prepare(f->db, "DELETE FROM kv WHERE key = ?1", &f->remove) != CF_STORE_OK)
    return CF_STORE_EIO;
  return CF_STORE_OK;
}

/* The schema of a new card file, written before the file gets its name (rollback journal: the
 * file is complete once this returns, with no WAL beside it). */
static int create_schema(sqlite3 *db) {
  char sql[240];
  snprintf(sql, sizeof(sql),
           "PRAGMA auto_vacuum=NONE; BEGIN IMMEDIATE; "
           "CREATE TABLE kv(key INTEGER PRIMARY KEY, value BLOB NOT NULL); "
           "PRAGMA application_id=%d; PRAGMA user_version=0; COMMIT",
           CF_STORE_APPLICATION_ID);
  int rc = exec_sql(db, sql);
  if (rc != CF_STORE_OK) exec_sql(db, "ROLLBACK");
  return rc;
}

/* Accepts a card store of ours and sets the connection up; refuses anything else. */
static int setup_database(sqlite3 *db, sqlite3_int64 *manifest) {
  sqlite3_int64 app_id = 0;
  /* Exclusive before the first read: WAL then keeps its index in heap memory (no -shm file) and
   * the file stays locked against a second owner until close. */
  int rc = exec_sql(db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA mmap_size=0");
  if (rc == CF_STORE_OK) rc = query_one(db, "PRAGMA application_id", &app_id, NULL);
  if (rc != CF_STORE_OK) return rc;
  if (app_id != CF_STORE_APPLICATION_ID) return CF_STORE_FOREIGN;
  if ((rc = query_one(db, "PRAGMA journal_mode=WAL", NULL, "wal")) != CF_STORE_OK) return rc;
  if ((rc = exec_sql(db, "PRAGMA synchronous=FULL")) != CF_STORE_OK) return rc;
  return query_one(db, "PRAGMA user_version", manifest, NULL);
}

static int load_records(sqlite3 *db, cf_store_view *view) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM kv ORDER BY key", -1, &st, NULL) != SQLITE_OK)
    return sqlite_error(db) == CF_STORE_EIO ? CF_STORE_CORRUPT : sqlite_error(db); /* no kv table */
  int rc = CF_STORE_OK, step = SQLITE_DONE;
  while (rc == CF_STORE_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    /* Anything we could not have written means the file is not a sound card store. The type is
     * checked first: reading the value as a blob could convert it. */
    sqlite3_int64 key = sqlite3_column_int64(st, 0);
    if (sqlite3_column_type(st, 1) != SQLITE_BLOB || key < 0 || key > UINT32_MAX) {
      rc = CF_STORE_CORRUPT;
      break;
    }
    const void *data = sqlite3_column_blob(st, 1);
    int len = sqlite3_column_bytes(st, 1);
    rc = len > CF_STORE_MAX_RECORD ? CF_STORE_CORRUPT
                                   : cf_store_view_load(view, (uint32_t)key, data, (size_t)len);
  }
  if (rc == CF_STORE_OK && step != SQLITE_DONE) rc = sqlite_error(db);
  sqlite3_finalize(st);
  return rc;
}

static int open_db(const char *path, cf_fault_domain *domain, sqlite3 **db) {
  char *uri = make_uri(path, cf_faultvfs_attach(domain));
  /* No SQLITE_OPEN_CREATE: the file exists (store_file.c made it), and must still be there. */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE |
              SQLITE_OPEN_EXRESCODE;
  int rc = uri && sqlite3_open_v2(uri, db, flags, CF_FAULTVFS_NAME) == SQLITE_OK ? CF_STORE_OK : CF_STORE_EIO;
  free(uri);
  return rc;
}

int cf_store_sqlite_init(const char *path) {
  if (cf_faultvfs_register() != SQLITE_OK) return CF_STORE_EIO;
  cf_fault_domain domain = {0};
  sqlite3 *db = NULL;
  int rc = open_db(path, &domain, &db);
  if (rc == CF_STORE_OK) rc = create_schema(db);
  if (db && sqlite3_close(db) != SQLITE_OK) {
    sqlite3_close_v2(db);
    rc = CF_STORE_EIO;
  }
  cf_faultvfs_detach(&domain);
  return rc;
}

/* The record count must match the manifest. A file written before the manifest existed (0 with
 * records) gets one now. */
static int check_manifest(cf_store_sqlite *f, sqlite3_int64 manifest, size_t count) {
  if (manifest == 0 && count > 0) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%zu", count);
    int rc = exec_sql(f->db, sql);
    if (rc != CF_STORE_OK) return rc;
    manifest = (sqlite3_int64)count;
  }
  if (manifest < 0 || (size_t)manifest > count) return CF_STORE_MISSING;
  if ((size_t)manifest < count) return CF_STORE_CORRUPT; /* rows added behind the store's back */
  f->manifest = count;
  return CF_STORE_OK;
}

int cf_store_sqlite_open(const char *path, cf_fault_domain *domain, cf_store_view *view,
                         cf_store_sqlite **out) {
  *out = NULL;
  if (cf_faultvfs_register() != SQLITE_OK) return CF_STORE_EIO;
  cf_store_sqlite *f = calloc(1, sizeof(*f));
  if (!f) return CF_STORE_EIO;
  f->domain = domain;
  sqlite3_int64 manifest = 0;
  int rc = open_db(path, domain, &f->db);
  if (rc == CF_STORE_OK) rc = setup_database(f->db, &manifest);
  if (rc == CF_STORE_OK) rc = prepare_statements(f);
  if (rc == CF_STORE_OK) rc = load_records(f->db, view);
  if (rc == CF_STORE_OK) rc = check_manifest(f, manifest, view->committed.count);
  if (rc != CF_STORE_OK) {
    cf_store_sqlite_close(f);
    return rc;
  }
  *out = f;
  return CF_STORE_OK;
}

/* Runs a statement that returns no rows and makes it reusable. */
static bool step_done(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE;
}

int cf_store_sqlite_persist(cf_store_sqlite *f, const cf_store_table *pending, size_t new_count) {
  bool ok = step_done(f->begin);
  for (size_t i = 0; ok && i < pending->count; i++) {
    const cf_store_record *r = &pending->items[i];
    sqlite3_stmt *st = r->data ? f->upsert : f->remove;
    ok = sqlite3_bind_int64(st, 1, r->key) == SQLITE_OK &&
         (!r->data || sqlite3_bind_blob(st, 2, r->data, (int)r->len, SQLITE_STATIC) == SQLITE_OK) &&
         step_done(st);
  }
  if (ok && new_count != f->manifest) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%zu", new_count);
    ok = sqlite3_exec(f->db, sql, NULL, NULL, NULL) == SQLITE_OK;
  }
  ok = ok && step_done(f->commit);
  if (ok) f->manifest = new_count;
  /* A cut can also hit the automatic checkpoint SQLite runs after a durable COMMIT: the commit
   * stands, but the store is dead all the same. */
  if (f->domain->cut) return CF_STORE_POWER_CUT;
  if (ok) return CF_STORE_OK;
  if (!sqlite3_get_autocommit(f->db)) step_done(f->rollback);
  return CF_STORE_EIO;
}

void cf_store_sqlite_close(cf_store_sqlite *f) {
  if (!f) return;
  sqlite3_finalize(f->begin);
  sqlite3_finalize(f->commit);
  sqlite3_finalize(f->rollback);
  sqlite3_finalize(f->upsert);
  sqlite3_finalize(f->remove);
  /* After a cut, the checkpoint SQLite attempts here fails in the VFS, leaving the WAL as it was. */
  if (f->db && sqlite3_close(f->db) != SQLITE_OK) sqlite3_close_v2(f->db);
  cf_faultvfs_detach(f->domain);
  free(f);
}
