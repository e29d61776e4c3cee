/* GET STATUS from the host: the registry of a Security Domain (GP Card Specification 2.3.1, 11.4),
 * in the TLV format and in the deprecated one. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cardforge/gp_client.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"

static void add(cf_gp_registry_entry *out, size_t max, size_t *n, const cf_gp_registry_entry *e) {
  if (*n < max) out[*n] = *e;
  (*n)++;
}

/* Keeps the first CF_GP_MODULES_MAX module AIDs and counts them all. */
static int add_module(cf_gp_registry_entry *e, const uint8_t *aid, size_t len) {
  if (len > sizeof e->module_aid[0]) return -1;
  if (e->module_count < CF_GP_MODULES_MAX) {
    memcpy(e->module_aid[e->module_count], aid, len);
    e->module_aid_len[e->module_count] = (uint8_t)len;
  }
  e->module_count++;
  return 0;
}

static int parse_tlv(const uint8_t *data, size_t len, cf_gp_registry_entry *out, size_t max, size_t *n) {
  size_t pos = 0;
  bool err = false;
  cf_tlv e3, t;
  while (cf_tlv_next(data, len, &pos, &e3, &err)) {
    if (e3.tag != 0xE3) continue;
    cf_gp_registry_entry e = {0};
    if (!cf_tlv_find(e3.value, e3.len, 0x4F, &t) || t.len > sizeof e.aid) return -1;
    memcpy(e.aid, t.value, t.len);
    e.aid_len = t.len;
    if (cf_tlv_find(e3.value, e3.len, 0x9F70, &t)) {
      if (t.len < 1) return -1;
      e.life_cycle = t.value[0];
    }
    if (cf_tlv_find(e3.value, e3.len, 0xC5, &t)) {
      if (t.len > sizeof e.privileges) return -1;
      memcpy(e.privileges, t.value, t.len);
      e.privileges_len = t.len;
    }
    if (cf_tlv_find(e3.value, e3.len, 0xC4, &t)) {
      if (t.len > sizeof e.elf_aid) return -1;
      memcpy(e.elf_aid, t.value, t.len);
      e.elf_aid_len = t.len;
    }
    size_t mpos = 0;
    bool merr = false;
    while (cf_tlv_next(e3.value, e3.len, &mpos, &t, &merr))
      if (t.tag == 0x84 && add_module(&e, t.value, t.len) != 0) return -1;
    if (merr) return -1;
    add(out, max, n, &e);
  }
  return err ? -1 : 0;
}

static int parse_legacy(uint8_t p1, const uint8_t *data, size_t len, cf_gp_registry_entry *out, size_t max,
                        size_t *n) {
  size_t pos = 0;
  while (pos < len) {
    cf_gp_registry_entry e = {0};
    size_t aid_len = data[pos++];
    if (aid_len > sizeof e.aid || len - pos < aid_len + 2) return -1;
    memcpy(e.aid, data + pos, aid_len);
    e.aid_len = aid_len;
    pos += aid_len;
    e.life_cycle = data[pos++];
    e.privileges[0] = data[pos++];
    e.privileges_len = 1;
    if (p1 == CF_GP_STATUS_ELF_MODULES) { /* number of modules, then each as length || AID */
      if (pos >= len) return -1;
      size_t modules = data[pos++];
      for (size_t m = 0; m < modules; m++) {
        if (pos >= len || len - pos - 1 < data[pos] || add_module(&e, data + pos + 1, data[pos]) != 0)
          return -1;
        pos += 1 + data[pos];
      }
    }
    add(out, max, n, &e);
  }
  return 0;
}

int cf_gp_parse_status(uint8_t p1, bool tlv_format, const uint8_t *data, size_t len,
                       cf_gp_registry_entry *out, size_t max, size_t *n) {
  return tlv_format ? parse_tlv(data, len, out, max, n) : parse_legacy(p1, data, len, out, max, n);
}

int cf_gp_get_status(cf_gp_client *c, uint8_t p1, bool tlv_format, cf_gp_registry_entry *out, size_t max,
                     size_t *n) {
  static const uint8_t all[2] = {0x4F, 0x00};
  uint8_t buf[512];
  *n = 0;
  /* Bounded: a card that keeps answering 6310 cannot hold us forever. */
  for (int round = 0; round < 64; round++) {
    uint8_t p2 = (uint8_t)((tlv_format ? 0x02 : 0x00) | (round > 0 ? 0x01 : 0x00));
    cf_apdu cmd = {.cla = 0x80,
                   .ins = 0xF2,
                   .p1 = p1,
                   .p2 = p2,
                   .lc = sizeof all,
                   .data = all,
                   .le = 256,
                   .has_le = true};
    uint16_t sw;
    size_t len = 0;
    int rc = cf_gp_transmit(c, &cmd, 0, buf, sizeof buf, &len, &sw);
    if (rc != CF_GP_OK) return rc;
    if (sw == SW_REFERENCED_DATA_NOT_FOUND && round == 0) return CF_GP_OK;
    if (sw != SW_OK && sw != 0x6310) {
      snprintf(c->err, sizeof c->err, "GET STATUS %02X: card answered %04X", p1, sw);
      c->last_sw = sw;
      return CF_GP_ERR_CARD;
    }
    if (cf_gp_parse_status(p1, tlv_format, buf, len, out, max, n) != 0) {
      snprintf(c->err, sizeof c->err, "GET STATUS %02X: malformed answer", p1);
      return CF_GP_ERR_DATA;
    }
    if (sw == SW_OK) return CF_GP_OK;
  }
  snprintf(c->err, sizeof c->err, "GET STATUS %02X: the card keeps announcing more data", p1);
  return CF_GP_ERR_DATA;
}

static const char *const privilege_names[CF_GP_PRIVILEGE_BITS] = {"Security Domain",
                                                                  "DAP Verification",
                                                                  "Delegated Management",
                                                                  "Card Lock",
                                                                  "Card Terminate",
                                                                  "Card Reset",
                                                                  "CVM Management",
                                                                  "Mandated DAP Verification",
                                                                  "Trusted Path",
                                                                  "Authorized Management",
                                                                  "Token Verification",
                                                                  "Global Delete",
                                                                  "Global Lock",
                                                                  "Global Registry",
                                                                  "Final Application",
                                                                  "Global Service",
                                                                  "Receipt Generation",
                                                                  "Ciphered Load File Data Block",
                                                                  "Contactless Activation",
                                                                  "Contactless Self-Activation"};

const char *cf_gp_privilege_name(size_t bit) {
  return bit < CF_GP_PRIVILEGE_BITS ? privilege_names[bit] : "RFU";
}

static bool name_char_skipped(char ch) {
  return ch == ' ' || ch == '-' || ch == '_';
}

/* Whether a (len bytes) and the table's name b are the same name, skipped characters aside. */
static bool same_name(const char *a, size_t len, const char *b) {
  size_t i = 0;
  for (;;) {
    while (i < len && name_char_skipped(a[i]))
      i++;
    while (*b && name_char_skipped(*b))
      b++;
    if (i == len || *b == 0) return i == len && *b == 0;
    char x = a[i], y = *b;
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
    i++;
    b++;
  }
}

int cf_gp_privilege_bit(const char *name, size_t len) {
  for (size_t bit = 0; bit < CF_GP_PRIVILEGE_BITS; bit++)
    if (same_name(name, len, privilege_names[bit])) return (int)bit;
  return -1;
}
