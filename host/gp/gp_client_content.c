/* Card content management from the host (GP Card Specification 2.3.1): SET STATUS (11.10), DELETE
 * (11.2), INSTALL (11.5), LOAD (11.6) and STORE DATA (11.11), through the open channel. */
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/gp_client.h"
#include "cardforge/sw.h"

#define GP_LOAD_DEFAULT_BLOCK 200

/* Sends one command; anything but 9000 is CF_GP_ERR_CARD, named by what. */
static int send_checked(cf_gp_client *c, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
                        const uint8_t *data, size_t lc, uint8_t *resp, size_t cap, size_t *rlen) {
  uint8_t buf[512];
  size_t n = 0;
  uint16_t sw = 0;
  cf_apdu cmd = {.cla = 0x80,
                 .ins = ins,
                 .p1 = p1,
                 .p2 = p2,
                 .data = lc ? data : NULL,
                 .lc = lc,
                 .le = 256,
                 .has_le = true};
  int rc = cf_gp_transmit(c, &cmd, 0, buf, sizeof buf, &n, &sw);
  if (rc != CF_GP_OK) return rc;
  c->last_sw = sw;
  if (sw != SW_OK) {
    snprintf(c->err, sizeof c->err, "%s: card answered %04X", what, sw);
    return CF_GP_ERR_CARD;
  }
  if (resp) {
    if (n > cap) {
      snprintf(c->err, sizeof c->err, "%s: answer too long", what);
      return CF_GP_ERR_DATA;
    }
    memcpy(resp, buf, n);
  }
  if (rlen) *rlen = n;
  return CF_GP_OK;
}

static bool aid_ok(cf_gp_client *c, const char *what, size_t len) {
  if (len >= 5 && len <= 16) return true;
  snprintf(c->err, sizeof c->err, "%s: an AID has 5 to 16 bytes", what);
  return false;
}

int cf_gp_set_card_status(cf_gp_client *c, uint8_t state) {
  return send_checked(c, "SET STATUS (card)", 0xF0, 0x80, state, NULL, 0, NULL, 0, NULL);
}

int cf_gp_lock_app(cf_gp_client *c, const uint8_t *aid, size_t aid_len, bool lock) {
  if (!aid_ok(c, "SET STATUS", aid_len)) return CF_GP_ERR_PARAM;
  return send_checked(c, lock ? "SET STATUS (lock)" : "SET STATUS (unlock)", 0xF0, 0x40, lock ? 0x80 : 0x00,
                      aid, aid_len, NULL, 0, NULL);
}

int cf_gp_delete_aid(cf_gp_client *c, const uint8_t *aid, size_t aid_len, bool related) {
  uint8_t data[18] = {0x4F, (uint8_t)aid_len};
  if (!aid_ok(c, "DELETE", aid_len)) return CF_GP_ERR_PARAM;
  memcpy(data + 2, aid, aid_len);
  return send_checked(c, "DELETE", 0xE4, 0x00, related ? 0x80 : 0x00, data, aid_len + 2, NULL, 0, NULL);
}

/* Appends a length-prefixed field. */
static void put_lv(uint8_t *buf, size_t *n, const uint8_t *v, size_t len) {
  buf[(*n)++] = (uint8_t)len;
  if (len) memcpy(buf + *n, v, len);
  *n += len;
}

int cf_gp_install(cf_gp_client *c, const cf_gp_install_req *r) {
  uint8_t data[255], params[2 + 127];
  size_t n = 0;
  static const uint8_t no_privileges[1] = {0x00};
  if (!aid_ok(c, "INSTALL", r->elf_aid_len) || !aid_ok(c, "INSTALL", r->module_aid_len) ||
      !aid_ok(c, "INSTALL", r->app_aid_len))
    return CF_GP_ERR_PARAM;
  if (r->c9_len > 127 || (r->privileges_len != 0 && r->privileges_len != 1 && r->privileges_len != 3)) {
    snprintf(c->err, sizeof c->err, "INSTALL: C9 has at most 127 bytes, privileges 1 or 3");
    return CF_GP_ERR_PARAM;
  }
  params[0] = 0xC9; /* GP 2.3.1 11.5.2.3.7: C9 is always present, empty when there is nothing */
  params[1] = (uint8_t)r->c9_len;
  if (r->c9_len) memcpy(params + 2, r->c9, r->c9_len);
  put_lv(data, &n, r->elf_aid, r->elf_aid_len);
  put_lv(data, &n, r->module_aid, r->module_aid_len);
  put_lv(data, &n, r->app_aid, r->app_aid_len);
  put_lv(data, &n, r->privileges_len ? r->privileges : no_privileges,
         r->privileges_len ? r->privileges_len : 1);
  put_lv(data, &n, params, 2 + r->c9_len);
  put_lv(data, &n, NULL, 0); /* no token */
  return send_checked(c, "INSTALL [for install]", 0xE6, r->selectable ? 0x0C : 0x04, 0x00, data, n, NULL, 0,
                      NULL);
}

/* An INSTALL whose data names only the application (GP 2.3.1 11.5: load file and module AIDs
 * empty, no parameters, no token), with the privileges given (none: an empty field). */
static int install_naming_application(cf_gp_client *c, const char *what, uint8_t p1, const uint8_t *aid,
                                      size_t aid_len, const uint8_t *privileges, size_t privileges_len) {
  uint8_t data[24];
  size_t n = 0;
  if (!aid_ok(c, what, aid_len)) return CF_GP_ERR_PARAM;
  put_lv(data, &n, NULL, 0);
  put_lv(data, &n, NULL, 0);
  put_lv(data, &n, aid, aid_len);
  put_lv(data, &n, privileges, privileges_len);
  put_lv(data, &n, NULL, 0);
  put_lv(data, &n, NULL, 0);
  return send_checked(c, what, 0xE6, p1, 0x00, data, n, NULL, 0, NULL);
}

int cf_gp_make_selectable(cf_gp_client *c, const uint8_t *aid, size_t aid_len) {
  static const uint8_t no_privileges[1] = {0x00};
  return install_naming_application(c, "INSTALL [for make selectable]", 0x08, aid, aid_len, no_privileges,
                                    sizeof no_privileges);
}

int cf_gp_install_for_personalization(cf_gp_client *c, const uint8_t *aid, size_t aid_len) {
  return install_naming_application(c, "INSTALL [for personalization]", 0x20, aid, aid_len, NULL, 0);
}

int cf_gp_store_data(cf_gp_client *c, uint8_t p1, uint8_t block, const uint8_t *data, size_t len,
                     uint8_t *resp, size_t cap, size_t *rlen) {
  if (len == 0 || len > 255) {
    snprintf(c->err, sizeof c->err, "STORE DATA: 1 to 255 bytes");
    return CF_GP_ERR_PARAM;
  }
  return send_checked(c, "STORE DATA", 0xE2, p1, block, data, len, resp, cap, rlen);
}

int cf_gp_load(cf_gp_client *c, const uint8_t *elf_aid, size_t elf_aid_len, const uint8_t *sd_aid,
               size_t sd_aid_len, const uint8_t *lfdb, size_t lfdb_len, bool hash, size_t block_len) {
  uint8_t data[128], digest[32], head[4];
  size_t n = 0, head_len = 0;
  if (!aid_ok(c, "INSTALL [for load]", elf_aid_len) ||
      (sd_aid && !aid_ok(c, "INSTALL [for load]", sd_aid_len)))
    return CF_GP_ERR_PARAM;
  if (block_len == 0) block_len = GP_LOAD_DEFAULT_BLOCK;
  if (block_len > 239 || lfdb_len == 0 || lfdb_len > 0xFFFF ||
      (lfdb_len + 4 + block_len - 1) / block_len > 256) {
    snprintf(c->err, sizeof c->err, "LOAD: blocks of at most 239 bytes, at most 256 of them");
    return CF_GP_ERR_PARAM;
  }
  if (hash && cf_sha256(lfdb, lfdb_len, digest) != 0) {
    snprintf(c->err, sizeof c->err, "LOAD: SHA-256 failed");
    return CF_GP_ERR_PARAM;
  }
  put_lv(data, &n, elf_aid, elf_aid_len);
  put_lv(data, &n, sd_aid, sd_aid ? sd_aid_len : 0);
  put_lv(data, &n, hash ? digest : NULL, hash ? sizeof digest : 0);
  put_lv(data, &n, NULL, 0); /* load parameters */
  put_lv(data, &n, NULL, 0); /* token */
  int rc = send_checked(c, "INSTALL [for load]", 0xE6, 0x02, 0x00, data, n, NULL, 0, NULL);
  if (rc != CF_GP_OK) return rc;
  /* C4 with a BER length, then the Load File Data Block, cut into blocks */
  head[head_len++] = 0xC4;
  if (lfdb_len < 0x80) {
    head[head_len++] = (uint8_t)lfdb_len;
  } else if (lfdb_len < 0x100) {
    head[head_len++] = 0x81;
    head[head_len++] = (uint8_t)lfdb_len;
  } else {
    head[head_len++] = 0x82;
    head[head_len++] = (uint8_t)(lfdb_len >> 8);
    head[head_len++] = (uint8_t)lfdb_len;
  }
  size_t total = head_len + lfdb_len, off = 0;
  uint8_t block[239];
  for (unsigned number = 0; off < total; number++) {
    size_t len = total - off < block_len ? total - off : block_len;
    for (size_t i = 0; i < len; i++) {
      size_t at = off + i;
      block[i] = at < head_len ? head[at] : lfdb[at - head_len];
    }
    off += len;
    rc =
        send_checked(c, "LOAD", 0xE8, off == total ? 0x80 : 0x00, (uint8_t)number, block, len, NULL, 0, NULL);
    if (rc != CF_GP_OK) return rc;
  }
  return CF_GP_OK;
}
