/* Power-cut model shared by both back ends (internal to cf_store).
 *
 * A fault domain counts the physical writes of one store and, once armed, makes the chosen write
 * fail and every later one too: the power is gone. The file back end routes its SQLite files
 * through a VFS shim that asks the domain before each write; the memory back end asks it once
 * per record applied at commit. */
#ifndef CF_STORE_FAULT_H
#define CF_STORE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cf_fault_domain {
  long writes;  /* physical writes that reached the medium */
  long fail_at; /* value of writes + 1 at which the power fails; 0 = disarmed */
  bool cut;
  /* Used by the VFS registry only (file back end). */
  uint64_t id;
  char *db_path; /* full path SQLite opened for this domain, to recognise its journal/WAL */
  struct cf_fault_domain *next;
} cf_fault_domain;

/* Asks permission for one physical write: true = performed (counted), false = the power is cut
 * (now or earlier) and nothing must be written. */
bool cf_fault_write(cf_fault_domain *d);
/* The nth write from now fails; n <= 0 disarms. */
void cf_fault_arm(cf_fault_domain *d, long nth);

/* The VFS shim: a wrapper around the default "unix" VFS, registered once per process. */
#define CF_FAULTVFS_NAME "cardforge-fault"
int cf_faultvfs_register(void); /* SQLITE_OK or an SQLite error code */
/* Makes d known to the shim and returns the id to pass as URI parameter CF_FAULTVFS_PARAM. */
uint64_t cf_faultvfs_attach(cf_fault_domain *d);
void cf_faultvfs_detach(cf_fault_domain *d);
#define CF_FAULTVFS_PARAM "cf_domain"

#endif
