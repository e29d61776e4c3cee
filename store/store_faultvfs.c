/* SQLite VFS shim that simulates a power cut for the files of one store.
 *
 * Every call goes to the real "unix" VFS, except that the durable files of a store (its database,
 * rollback journal and WAL) ask their fault domain before each physical change: xWrite,
 * xTruncate and the deletion of a journal/WAL count as writes. When the domain refuses, the call
 * fails without touching the file, and from then on every write, truncate, sync, delete, size
 * hint and new open of those files fails too, so nothing SQLite does afterwards (rollback,
 * checkpoint at close) can repair or damage the file: what is on disk is exactly what a real cut
 * at that instant would leave, under the assumption that each completed write is durable. */
#include "store_fault.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

bool cf_fault_write(cf_fault_domain *d) {
  if (d->cut) return false;
  if (d->fail_at != 0 && d->writes + 1 >= d->fail_at) {
    d->cut = true;
    return false;
  }
  d->writes++;
  return true;
}

void cf_fault_arm(cf_fault_domain *d, long nth) {
  d->fail_at = nth > 0 ? d->writes + nth : 0;
}

/* ---- registry of domains (several stores may live in several threads) ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static cf_fault_domain *registry_head;
static uint64_t registry_next_id = 1;

uint64_t cf_faultvfs_attach(cf_fault_domain *d) {
  pthread_mutex_lock(&registry_lock);
  d->id = registry_next_id++;
  d->next = registry_head;
  registry_head = d;
  pthread_mutex_unlock(&registry_lock);
  return d->id;
}

void cf_faultvfs_detach(cf_fault_domain *d) {
  pthread_mutex_lock(&registry_lock);
  for (cf_fault_domain **p = &registry_head; *p; p = &(*p)->next) {
    if (*p == d) {
      *p = d->next;
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  free(d->db_path);
  d->db_path = NULL;
  d->next = NULL;
}

static cf_fault_domain *registry_find_id(uint64_t id) {
  cf_fault_domain *found = NULL;
  pthread_mutex_lock(&registry_lock);
  for (cf_fault_domain *d = registry_head; d && !found; d = d->next)
    if (d->id == id) found = d;
  pthread_mutex_unlock(&registry_lock);
  return found;
}

static bool names_companion(const char *db_path, const char *name) {
  size_t n = strlen(db_path);
  return strncmp(db_path, name, n) == 0 &&
         (strcmp(name + n, "-journal") == 0 || strcmp(name + n, "-wal") == 0);
}

/* xDelete only gets a name: the journal or WAL of a registered database is recognised by the
 * suffixes SQLite appends to the database path. */
static cf_fault_domain *registry_find_companion(const char *name) {
  cf_fault_domain *found = NULL;
  pthread_mutex_lock(&registry_lock);
  for (cf_fault_domain *d = registry_head; d && !found; d = d->next)
    if (d->db_path && names_companion(d->db_path, name)) found = d;
  pthread_mutex_unlock(&registry_lock);
  return found;
}

static void registry_set_path(cf_fault_domain *d, const char *path) {
  char *copy = strdup(path);
  pthread_mutex_lock(&registry_lock);
  free(d->db_path);
  d->db_path = copy;
  pthread_mutex_unlock(&registry_lock);
}

/* ---- file wrapper ---- */

typedef struct fault_file {
  sqlite3_file base;
  cf_fault_domain *domain; /* NULL for files that are not durable state (temp files) */
  sqlite3_file *real;      /* the unix VFS file, stored right after this struct */
} fault_file;

static sqlite3_vfs fault_vfs;
static sqlite3_io_methods fault_methods[3]; /* per iVersion 1..3 of the wrapped file */

#define REAL(f) (((fault_file *)(f))->real)
#define DOMAIN(f) (((fault_file *)(f))->domain)

static bool domain_dead(sqlite3_file *f) {
  return DOMAIN(f) && DOMAIN(f)->cut;
}

static int ff_close(sqlite3_file *f) {
  return REAL(f)->pMethods->xClose(REAL(f));
}

static int ff_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
  return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
  if (DOMAIN(f) && !cf_fault_write(DOMAIN(f))) return SQLITE_IOERR_WRITE;
  return REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size) {
  if (DOMAIN(f) && !cf_fault_write(DOMAIN(f))) return SQLITE_IOERR_TRUNCATE;
  return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

/* A sync changes no content in this model (completed writes are already durable), so it is not
 * a cut point; once the power is gone it fails like everything else. */
static int ff_sync(sqlite3_file *f, int flags) {
  if (domain_dead(f)) return SQLITE_IOERR_FSYNC;
  return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size) {
  return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int ff_lock(sqlite3_file *f, int level) {
  return REAL(f)->pMethods->xLock(REAL(f), level);
}
static int ff_unlock(sqlite3_file *f, int level) {
  return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int ff_check_reserved_lock(sqlite3_file *f, int *out) {
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg) {
  /* A size hint may extend the file: a physical change SQLite makes outside xWrite. */
  if (op == SQLITE_FCNTL_SIZE_HINT && domain_dead(f)) return SQLITE_IOERR_TRUNCATE;
  return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int ff_sector_size(sqlite3_file *f) {
  return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int ff_device_characteristics(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int ff_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp) {
  return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
  return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f) {
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int ff_shm_unmap(sqlite3_file *f, int delete_flag) {
  return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp) {
  return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
  return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static bool is_fault_file(const sqlite3_file *f) {
  for (size_t i = 0; f && i < 3; i++)
    if (f->pMethods == &fault_methods[i]) return true;
  return false;
}

/* ---- VFS methods ---- */

#define REAL_VFS(v) ((sqlite3_vfs *)(v)->pAppData)

static cf_fault_domain *domain_for_open(const char *name, int flags) {
  if (!name) return NULL; /* temp files: not durable state */
  if (flags & SQLITE_OPEN_MAIN_DB) {
    sqlite3_int64 id = sqlite3_uri_int64(name, CF_FAULTVFS_PARAM, 0);
    return id > 0 ? registry_find_id((uint64_t)id) : NULL;
  }
  if (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)) {
    sqlite3_file *db = sqlite3_database_file_object(name);
    return is_fault_file(db) ? DOMAIN(db) : NULL;
  }
  return NULL;
}

static int fv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags) {
  fault_file *ff = (fault_file *)f;
  ff->base.pMethods = NULL;
  ff->real = (sqlite3_file *)(ff + 1);
  ff->domain = domain_for_open(name, flags);
  if (ff->domain && ff->domain->cut) return SQLITE_CANTOPEN;
  int rc = REAL_VFS(vfs)->xOpen(REAL_VFS(vfs), name, ff->real, flags, out_flags);
  /* SQLite calls xClose even after a failed open if pMethods is set: keep that contract. */
  if (ff->real->pMethods) {
    int version = ff->real->pMethods->iVersion;
    ff->base.pMethods = &fault_methods[(version < 1 ? 1 : version > 3 ? 3 : version) - 1];
  }
  if (rc == SQLITE_OK && ff->domain && (flags & SQLITE_OPEN_MAIN_DB)) registry_set_path(ff->domain, name);
  return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
  cf_fault_domain *d = registry_find_companion(name);
  if (d && !cf_fault_write(d)) return SQLITE_IOERR_DELETE;
  return REAL_VFS(vfs)->xDelete(REAL_VFS(vfs), name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
  return REAL_VFS(vfs)->xAccess(REAL_VFS(vfs), name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  return REAL_VFS(vfs)->xFullPathname(REAL_VFS(vfs), name, n, out);
}

static void *fv_dl_open(sqlite3_vfs *vfs, const char *name) {
  return REAL_VFS(vfs)->xDlOpen(REAL_VFS(vfs), name);
}

static void fv_dl_error(sqlite3_vfs *vfs, int n, char *msg) {
  REAL_VFS(vfs)->xDlError(REAL_VFS(vfs), n, msg);
}

static void (*fv_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
  return REAL_VFS(vfs)->xDlSym(REAL_VFS(vfs), h, sym);
}

static void fv_dl_close(sqlite3_vfs *vfs, void *h) {
  REAL_VFS(vfs)->xDlClose(REAL_VFS(vfs), h);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out) {
  return REAL_VFS(vfs)->xRandomness(REAL_VFS(vfs), n, out);
}

static int fv_sleep(sqlite3_vfs *vfs, int us) {
  return REAL_VFS(vfs)->xSleep(REAL_VFS(vfs), us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *out) {
  return REAL_VFS(vfs)->xCurrentTime(REAL_VFS(vfs), out);
}

static int fv_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
  return REAL_VFS(vfs)->xGetLastError ? REAL_VFS(vfs)->xGetLastError(REAL_VFS(vfs), n, out) : 0;
}

static int fv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
  return REAL_VFS(vfs)->xCurrentTimeInt64(REAL_VFS(vfs), out);
}

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_rc = SQLITE_ERROR;

static void register_vfs(void) {
  sqlite3_vfs *real = sqlite3_vfs_find("unix");
  if (!real) real = sqlite3_vfs_find(NULL);
  if (!real) return;
  for (int v = 1; v <= 3; v++) {
    sqlite3_io_methods *m = &fault_methods[v - 1];
    memset(m, 0, sizeof(*m));
    m->iVersion = v;
    m->xClose = ff_close;
    m->xRead = ff_read;
    m->xWrite = ff_write;
    m->xTruncate = ff_truncate;
    m->xSync = ff_sync;
    m->xFileSize = ff_file_size;
    m->xLock = ff_lock;
    m->xUnlock = ff_unlock;
    m->xCheckReservedLock = ff_check_reserved_lock;
    m->xFileControl = ff_file_control;
    m->xSectorSize = ff_sector_size;
    m->xDeviceCharacteristics = ff_device_characteristics;
    if (v >= 2) {
      m->xShmMap = ff_shm_map;
      m->xShmLock = ff_shm_lock;
      m->xShmBarrier = ff_shm_barrier;
      m->xShmUnmap = ff_shm_unmap;
    }
    if (v >= 3) {
      m->xFetch = ff_fetch;
      m->xUnfetch = ff_unfetch;
    }
  }
  fault_vfs = (sqlite3_vfs){0};
  /* Version 2 at most: the system-call override methods of version 3 are not forwarded. */
  fault_vfs.iVersion = real->iVersion < 2 ? real->iVersion : 2;
  fault_vfs.szOsFile = (int)sizeof(fault_file) + real->szOsFile;
  fault_vfs.mxPathname = real->mxPathname;
  fault_vfs.zName = CF_FAULTVFS_NAME;
  fault_vfs.pAppData = real;
  fault_vfs.xOpen = fv_open;
  fault_vfs.xDelete = fv_delete;
  fault_vfs.xAccess = fv_access;
  fault_vfs.xFullPathname = fv_full_pathname;
  fault_vfs.xDlOpen = fv_dl_open;
  fault_vfs.xDlError = fv_dl_error;
  fault_vfs.xDlSym = fv_dl_sym;
  fault_vfs.xDlClose = fv_dl_close;
  fault_vfs.xRandomness = fv_randomness;
  fault_vfs.xSleep = fv_sleep;
  fault_vfs.xCurrentTime = fv_current_time;
  fault_vfs.xGetLastError = fv_get_last_error;
  if (fault_vfs.iVersion >= 2) fault_vfs.xCurrentTimeInt64 = fv_current_time_int64;
  register_rc = sqlite3_vfs_register(&fault_vfs, 0);
}

int cf_faultvfs_register(void) {
  if (sqlite3_initialize() != SQLITE_OK) return SQLITE_ERROR;
  pthread_once(&register_once, register_vfs);
  return register_rc;
}
