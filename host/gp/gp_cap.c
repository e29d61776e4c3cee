/* Reading a CAP file into the Load File Data Block LOAD sends (include/cardforge/gp_cap.h).
 *
 * The ZIP layout (PKWARE APPNOTE.TXT, sections 4.3.7 local file header, 4.3.12 central directory
 * header, 4.3.16 end of central directory record) is read through the central directory; entries
 * are stored (method 0) or deflated (method 8, zlib raw inflate) and their CRC-32 is checked. The
 * component files are ".../javacard/<Name>.cap" (Java Card VM specification, chapter 6); the
 * block is Header, Directory, Import, Applet, Class, Method, StaticField, Export, ConstantPool,
 * ReferenceLocation, the installation order of that chapter. Descriptor and Debug are left out:
 * they are not needed to install the package, and GlobalPlatformPro leaves them out by default. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cardforge/gp_cap.h"

#define ERR(...) (snprintf(err, cap, __VA_ARGS__), -1)

static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void cf_gp_cap_free(cf_gp_cap *c) {
  if (c == NULL) return;
  free(c->lfdb);
  memset(c, 0, sizeof *c);
}

/* Header component (tag 1): size, magic DECAFFED, CAP minor/major, flags, package minor/major,
 * AID length, AID. */
static int read_header(const uint8_t *v, size_t n, cf_gp_cap *out, char *err, size_t cap) {
  static const uint8_t magic[4] = {0xDE, 0xCA, 0xFF, 0xED};
  if (n < 10 || memcmp(v, magic, 4) != 0) return ERR("Header component: no DECAFFED magic");
  size_t aid_len = v[9];
  if (aid_len < 5 || aid_len > 16 || n < 10 + aid_len) return ERR("Header component: bad package AID");
  out->package_minor = v[7];
  out->package_major = v[8];
  memcpy(out->package_aid, v + 10, aid_len);
  out->package_aid_len = aid_len;
  return 0;
}

/* Applet component (tag 3): count, then per applet AID length, AID, install method offset (2). */
static int read_applets(const uint8_t *v, size_t n, cf_gp_cap *out, char *err, size_t cap) {
  size_t pos = 1;
  if (n < 1) return ERR("Applet component: empty");
  for (size_t i = 0; i < v[0]; i++) {
    if (pos >= n) return ERR("Applet component: cut short");
    size_t aid_len = v[pos];
    if (aid_len < 5 || aid_len > 16 || n - pos < 1 + aid_len + 2) return ERR("Applet component: bad AID");
    if (out->applet_count < CF_GP_CAP_APPLETS_MAX) {
      memcpy(out->applet_aid[out->applet_count], v + pos + 1, aid_len);
      out->applet_aid_len[out->applet_count] = (uint8_t)aid_len;
      out->applet_count++;
    }
    pos += 1 + aid_len + 2;
  }
  return pos == n ? 0 : ERR("Applet component: %zu bytes after the applets", n - pos);
}

int cf_gp_cap_from_lfdb(const uint8_t *lfdb, size_t len, cf_gp_cap *out, char *err, size_t cap) {
  cf_gp_cap c = {0};
  size_t pos = 0;
  bool header = false;
  if (len == 0 || len > CF_GP_CAP_MAX) return ERR("load file: empty or larger than %u bytes", CF_GP_CAP_MAX);
  while (pos < len) {
    if (len - pos < 3) return ERR("load file: a component is cut short at byte %zu", pos);
    uint8_t tag = lfdb[pos];
    size_t size = (size_t)lfdb[pos + 1] << 8 | lfdb[pos + 2];
    if (tag < 1 || tag > 12 || len - pos - 3 < size)
      return ERR("load file: byte %zu is not a component (tag %02X, size %zu)", pos, tag, size);
    const uint8_t *v = lfdb + pos + 3;
    if (pos == 0 && tag != 1) return ERR("load file: the Header component does not come first");
    int rc = 0;
    if (tag == 1 && pos == 0) {
      rc = read_header(v, size, &c, err, cap);
      header = true;
    } else if (tag == 3) {
      rc = read_applets(v, size, &c, err, cap);
    }
    if (rc != 0) return rc;
    pos += 3 + size;
  }
  if (!header) return ERR("load file: no Header component");
  c.lfdb = malloc(len);
  if (c.lfdb == NULL) return ERR("out of memory");
  memcpy(c.lfdb, lfdb, len);
  c.lfdb_len = len;
  *out = c;
  return 0;
}

/* The component a ZIP entry name holds (".../javacard/Header.cap" -> 1), 0 for any other file. */
static int component_of(const char *name, size_t n) {
  static const char *const names[] = {"Header",       "Directory", "Applet",     "Import",
                                      "ConstantPool", "Class",     "Method",     "StaticField",
                                      "RefLocation",  "Export",    "Descriptor", "Debug"};
  static const char dir[] = "javacard/";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char want[32];
    int w = snprintf(want, sizeof want, "%s%s.cap", dir, names[i]);
    size_t wl = (size_t)w;
    if (n >= wl && memcmp(name + n - wl, want, wl) == 0 && (n == wl || name[n - wl - 1] == '/'))
      return (int)i + 1;
  }
  return 0;
}

/* The data of one ZIP entry (central directory record at cd), inflated into *data. */
static int zip_entry(const uint8_t *zip, size_t len, const uint8_t *cd, uint8_t **data, size_t *out_len,
                     char *err, size_t cap) {
  uint16_t method = le16(cd + 10);
  uint32_t crc = le32(cd + 16), csize = le32(cd + 20), usize = le32(cd + 24), local = le32(cd + 42);
  if (local > len || len - local < 30 || le32(zip + local) != 0x04034b50)
    return ERR("CAP file: bad local header");
  size_t start = (size_t)local + 30 + le16(zip + local + 26) + le16(zip + local + 28);
  if (start > len || len - start < csize || usize > CF_GP_CAP_MAX)
    return ERR("CAP file: entry out of bounds");
  uint8_t *buf = malloc(usize ? usize : 1);
  if (buf == NULL) return ERR("out of memory");
  if (method == 0 && csize == usize) {
    memcpy(buf, zip + start, usize);
  } else if (method == 8) {
    z_stream zs = {0};
    if (inflateInit2(&zs, -15) != Z_OK) {
      free(buf);
      return ERR("CAP file: inflate failed");
    }
    zs.next_in = (Bytef *)(uintptr_t)(zip + start);
    zs.avail_in = csize;
    zs.next_out = buf;
    zs.avail_out = usize;
    int zrc = inflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END || got != usize) {
      free(buf);
      return ERR("CAP file: an entry does not inflate");
    }
  } else {
    free(buf);
    return ERR("CAP file: compression method %u not supported", method);
  }
  if (crc32(0L, buf, usize) != crc) {
    free(buf);
    return ERR("CAP file: CRC mismatch");
  }
  *data = buf;
  *out_len = usize;
  return 0;
}

static int from_zip(const uint8_t *zip, size_t len, cf_gp_cap *out, char *err, size_t cap) {
  /* the end of central directory record: 22 bytes and a comment of at most 65535 */
  size_t eocd = len;
  for (size_t back = 22; back <= len && back <= 22 + 0xFFFF; back++)
    if (le32(zip + len - back) == 0x06054b50) {
      eocd = len - back;
      break;
    }
  if (eocd == len) return ERR("CAP file: no ZIP central directory");
  size_t entries = le16(zip + eocd + 10), off = le32(zip + eocd + 16);
  uint8_t *part[13] = {0};
  size_t part_len[13] = {0};
  int rc = 0;
  for (size_t e = 0; rc == 0 && e < entries; e++) {
    if (off > len || len - off < 46 || le32(zip + off) != 0x02014b50) {
      rc = ERR("CAP file: bad central directory");
      break;
    }
    size_t name_len = le16(zip + off + 28),
           next = off + 46 + name_len + le16(zip + off + 30) + le16(zip + off + 32);
    if (next > len) {
      rc = ERR("CAP file: bad central directory");
      break;
    }
    int tag = component_of((const char *)zip + off + 46, name_len);
    if (tag != 0) {
      if (part[tag] != NULL)
        rc = ERR("CAP file: two %.*s entries", (int)name_len, (const char *)zip + off + 46);
      else
        rc = zip_entry(zip, len, zip + off, &part[tag], &part_len[tag], err, cap);
    }
    off = next;
  }
  /* installation order; Descriptor (11) and Debug (12) stay out */
  static const int order[] = {1, 2, 4, 3, 6, 7, 8, 10, 5, 9};
  size_t total = 0;
  if (rc == 0 && part[1] == NULL) rc = ERR("CAP file: no Header.cap");
  for (size_t i = 0; rc == 0 && i < sizeof order / sizeof order[0]; i++)
    total += part_len[order[i]];
  uint8_t *lfdb = rc == 0 ? malloc(total) : NULL;
  if (rc == 0 && lfdb == NULL) rc = ERR("out of memory");
  if (rc == 0) {
    size_t at = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
      if (part_len[order[i]]) memcpy(lfdb + at, part[order[i]], part_len[order[i]]);
      at += part_len[order[i]];
    }
    rc = cf_gp_cap_from_lfdb(lfdb, total, out, err, cap);
  }
  free(lfdb);
  for (size_t i = 0; i < 13; i++)
    free(part[i]);
  return rc;
}

int cf_gp_cap_from_bytes(const uint8_t *data, size_t len, cf_gp_cap *out, char *err, size_t cap) {
  if (len >= 4 && le32(data) == 0x04034b50) return from_zip(data, len, out, err, cap);
  return cf_gp_cap_from_lfdb(data, len, out, err, cap);
}

int cf_gp_cap_read(const char *path, cf_gp_cap *out, char *err, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return ERR("%s: %s", path, strerror(errno));
  uint8_t *buf = malloc(CF_GP_CAP_MAX + 1);
  size_t n = buf ? fread(buf, 1, CF_GP_CAP_MAX + 1, f) : 0;
  int bad = ferror(f);
  fclose(f);
  int rc;
  if (buf == NULL)
    rc = ERR("out of memory");
  else if (bad)
    rc = ERR("%s: read error", path);
  else if (n > CF_GP_CAP_MAX)
    rc = ERR("%s: larger than %u bytes", path, CF_GP_CAP_MAX);
  else
    rc = cf_gp_cap_from_bytes(buf, n, out, err, cap);
  free(buf);
  if (rc != 0 && strncmp(err, path, strlen(path)) != 0) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", err);
    snprintf(err, cap, "%s: %s", path, tmp);
  }
  return rc;
}
