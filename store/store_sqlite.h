/* File back end of cf_store (internal): one SQLite database per card, table kv. */
#ifndef CF_STORE_SQLITE_H
#define CF_STORE_SQLITE_H

#include "store_fault.h"
#include "store_view.h"

typedef struct cf_store_sqlite cf_store_sqlite;

/* Opens or creates the database at path through the fault VFS (counting into domain, which must
 * outlive the handle) and loads every record into view->committed. CF_STORE_OK or CF_STORE_EIO. */
int cf_store_sqlite_open(const char *path, cf_fault_domain *domain, cf_store_view *view,
                         cf_store_sqlite **out);

/* Writes the write set in one SQLite transaction. CF_STORE_OK once COMMIT is durable,
 * CF_STORE_POWER_CUT if the domain lost power on the way, CF_STORE_EIO for any other failure
 * (the transaction is then rolled back). */
int cf_store_sqlite_persist(cf_store_sqlite *f, const cf_store_table *pending);

void cf_store_sqlite_close(cf_store_sqlite *f);

#endif
