/* File back end of cf_store (internal): one SQLite database per card, table kv. */
#ifndef CF_STORE_SQLITE_H
#define CF_STORE_SQLITE_H

#include "store_fault.h"
#include "store_view.h"

typedef struct cf_store_sqlite cf_store_sqlite;

/* Writes the empty schema into the new, empty file at path. CF_STORE_OK or an error code. */
int cf_store_sqlite_init(const char *path);

/* Opens the card database at path (which must exist, made by cf_store_sqlite_init) through the
 * fault VFS (counting into domain, which must outlive the handle) and loads every record into
 * view->committed. CF_STORE_OK, or the error code that says what is wrong with the file. */
int cf_store_sqlite_open(const char *path, cf_fault_domain *domain, cf_store_view *view,
                         cf_store_sqlite **out);

/* Writes the write set in one SQLite transaction, with the manifest (new_count records). CF_STORE_OK once
 * COMMIT is durable, CF_STORE_POWER_CUT if the domain lost power on the way, CF_STORE_EIO for any other
 * failure (the transaction is then rolled back). */
int cf_store_sqlite_persist(cf_store_sqlite *f, const cf_store_table *pending, size_t new_count);

void cf_store_sqlite_close(cf_store_sqlite *f);

#endif
