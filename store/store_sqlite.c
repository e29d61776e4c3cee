/* File back end: one SQLite database per card, table kv(key INTEGER PRIMARY KEY, value BLOB).
 *
 * The connection runs in WAL mode with synchronous=FULL (a commit returns only after its WAL
 * frames are synced) and locking_mode=EXCLUSIVE (one owner per card file, no -shm file). The
 * reasons are in docs/storage.md. The database is read once, at open; afterwards SQLite is only
 * written to, one transaction per store commit. */
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

static int exec_sql(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CF_STORE_OK : CF_STORE_EIO;
}

/* First column of the first row of a query: stored in *int_out, or else compared with text_expected. */
static int query_one(sqlite3 *db, const char *sql, sqlite3_int64 *int_out, const char *text_expected) {
  sqlite3_stmt *st = NULL;
  int rc = CF_STORE_EIO;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return CF_STORE_EIO;
  if (sqlite3_step(st) == SQLITE_ROW) {
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

/* Creates the schema in a new database, accepts one of ours, refuses anything else. */
static int setup_database(sqlite3 *db) {
  sqlite3_int64 app_id = 0, objects = 0;
  /* Exclusive before the first read: WAL then keeps its index in heap memory (no -shm file) and
   * the file stays locked against a second owner until close. */
  if (exec_sql(db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA mmap_size=0") != CF_STORE_OK) return CF_STORE_EIO;
  if (query_one(db, "PRAGMA application_id", &app_id, NULL) != CF_STORE_OK ||
      query_one(db, "SELECT count(*) FROM sqlite_schema", &objects, NULL) != CF_STORE_OK)
    return CF_STORE_EIO;
  bool fresh = app_id == 0 && objects == 0;
  if (!fresh && app_id != CF_STORE_APPLICATION_ID) return CF_STORE_EIO;
  if (fresh && exec_sql(db, "PRAGMA auto_vacuum=NONE") != CF_STORE_OK) return CF_STORE_EIO;
  if (query_one(db, "PRAGMA journal_mode=WAL", NULL, "wal") != CF_STORE_OK) return CF_STORE_EIO;
  if (exec_sql(db, "PRAGMA synchronous=FULL") != CF_STORE_OK) return CF_STORE_EIO;
  if (!fresh) return CF_STORE_OK;
  char sql[200];
  snprintf(sql, sizeof(sql),
           "BEGIN IMMEDIATE; CREATE TABLE kv(key INTEGER PRIMARY KEY, value BLOB NOT NULL); "
           "PRAGMA application_id=%d; COMMIT",
           CF_STORE_APPLICATION_ID);
  if (exec_sql(db, sql) != CF_STORE_OK) {
    exec_sql(db, "ROLLBACK");
    return CF_STORE_EIO;
  }
  return CF_STORE_OK;
}

static int load_records(sqlite3 *db, cf_store_view *view) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM kv ORDER BY key", -1, &st, NULL) != SQLITE_OK)
    return CF_STORE_EIO;
  int rc = CF_STORE_OK, step = SQLITE_DONE;
  while (rc == CF_STORE_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    /* Anything we could not have written means the file is not a sound card store. The type is
     * checked first: reading the value as a blob could convert it. */
    sqlite3_int64 key = sqlite3_column_int64(st, 0);
    if (sqlite3_column_type(st, 1) != SQLITE_BLOB || key < 0 || key > UINT32_MAX) {
      rc = CF_STORE_EIO;
      break;
    }
    const void *data = sqlite3_column_blob(st, 1);
    int len = sqlite3_column_bytes(st, 1);
    rc =
        len > CF_STORE_MAX_RECORD ? CF_STORE_EIO : cf_store_view_load(view, (uint32_t)key, data, (size_t)len);
  }
  if (rc == CF_STORE_OK && step != SQLITE_DONE) rc = CF_STORE_EIO;
  sqlite3_finalize(st);
  return rc;
}

int cf_store_sqlite_open(const char *path, cf_fault_domain *domain, cf_store_view *view,
                         cf_store_sqlite **out) {
  *out = NULL;
  if (cf_faultvfs_register() != SQLITE_OK) return CF_STORE_EIO;
  cf_store_sqlite *f = calloc(1, sizeof(*f));
  if (!f) return CF_STORE_EIO;
  f->domain = domain;
  char *uri = make_uri(path, cf_faultvfs_attach(domain));
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
              SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_EXRESCODE;
  int rc =
      uri && sqlite3_open_v2(uri, &f->db, flags, CF_FAULTVFS_NAME) == SQLITE_OK ? CF_STORE_OK : CF_STORE_EIO;
  free(uri);
  if (rc == CF_STORE_OK) rc = setup_database(f->db);
  if (rc == CF_STORE_OK) rc = prepare_statements(f);
  if (rc == CF_STORE_OK) rc = load_records(f->db, view);
  if (rc != CF_STORE_OK) {
    cf_store_sqlite_close(f);
    return CF_STORE_EIO;
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

int cf_store_sqlite_persist(cf_store_sqlite *f, const cf_store_table *pending) {
  bool ok = step_done(f->begin);
  for (size_t i = 0; ok && i < pending->count; i++) {
    const cf_store_record *r = &pending->items[i];
    sqlite3_stmt *st = r->data ? f->upsert : f->remove;
    ok = sqlite3_bind_int64(st, 1, r->key) == SQLITE_OK &&
         (!r->data || sqlite3_bind_blob(st, 2, r->data, (int)r->len, SQLITE_STATIC) == SQLITE_OK) &&
         step_done(st);
  }
  ok = ok && step_done(f->commit);
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
