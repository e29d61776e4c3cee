/* A Java Card CAP file as GlobalPlatform LOAD sends it: the Load File Data Block (the CAP
 * components concatenated in the order the Java Card VM specification, chapter 6, gives for
 * installation), with the package AID of its Header component and the applet (module) AIDs of its
 * Applet component. Reads a CAP file (a JAR: a ZIP of .../javacard/<Component>.cap entries, stored
 * or deflated) or a bare Load File Data Block (an .ijc file). Nothing is executed. */
#ifndef CARDFORGE_GP_CAP_H
#define CARDFORGE_GP_CAP_H

#include <stddef.h>
#include <stdint.h>

#define CF_GP_CAP_APPLETS_MAX 16
#define CF_GP_CAP_MAX (1u << 20) /* a CAP file or block larger than this is refused */

typedef struct cf_gp_cap {
  uint8_t *lfdb; /* malloc'ed; cf_gp_cap_free */
  size_t lfdb_len;
  uint8_t package_aid[16];
  size_t package_aid_len;
  uint8_t package_major, package_minor;
  size_t applet_count;
  uint8_t applet_aid[CF_GP_CAP_APPLETS_MAX][16];
  uint8_t applet_aid_len[CF_GP_CAP_APPLETS_MAX];
} cf_gp_cap;

/* Reads the components of a Load File Data Block (lfdb is copied). 0, or -1 with err set: not a
 * sequence of components, no Header component first, a malformed Header or Applet component. */
int cf_gp_cap_from_lfdb(const uint8_t *lfdb, size_t len, cf_gp_cap *out, char *err, size_t cap);
/* From the bytes of a CAP file (ZIP) or, when they do not begin with a ZIP header, a bare block. */
int cf_gp_cap_from_bytes(const uint8_t *data, size_t len, cf_gp_cap *out, char *err, size_t cap);
/* From a file. */
int cf_gp_cap_read(const char *path, cf_gp_cap *out, char *err, size_t cap);
void cf_gp_cap_free(cf_gp_cap *c);

#endif
