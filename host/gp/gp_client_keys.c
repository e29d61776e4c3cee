/* PUT KEY and DELETE KEY from the host, and the key information template parser. */
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/gp_client.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"

int cf_gp_parse_key_info(const uint8_t *data, size_t len, cf_gp_key_info *out, size_t max, size_t *n) {
  cf_tlv e0, c0;
  *n = 0;
  if (!cf_tlv_find(data, len, 0xE0, &e0)) return -1;
  size_t pos = 0;
  bool err = false;
  while (cf_tlv_next(e0.value, e0.len, &pos, &c0, &err)) {
    if (c0.tag != 0xC0 || c0.len == 0) continue; /* an empty C0: a fresh domain without keys */
    const uint8_t *v = c0.value;
    cf_gp_key_info k = {0};
    if (c0.len < 4) return -1;
    k.id = v[0];
    k.kvn = v[1];
    if (v[2] == 0xFF) { /* extended format: FF type, two-byte length, usage and access follow */
      if (c0.len < 6) return -1;
      k.extended = true;
      k.type = v[3];
      k.len = (uint16_t)(v[4] << 8 | v[5]);
    } else {
      k.type = v[2];
      k.len = v[3];
    }
    if (*n < max) out[(*n)++] = k;
  }
  return err ? -1 : 0;
}

const char *cf_gp_key_type_name(uint8_t type) {
  switch (type) {
  case 0x80:
    return "DES";
  case 0x81:
    return "3DES";
  case 0x82:
    return "3DES-CBC";
  case 0x85:
    return "TLS-PSK";
  case 0x88:
    return "AES";
  case 0xA0:
    return "RSA-e";
  case 0xA1:
    return "RSA-N";
  case 0xB0:
    return "ECC-pub";
  default:
    return "other";
  }
}

/* Encrypts one key for PUT KEY: a key of whole DEK blocks goes as is; otherwise (AES-192 under
 * SCP03) it is zero-padded and preceded by its clear length. For AES we always send the length
 * byte, which every card accepts (GP 2.3.1 Table 11-70). */
static int key_block(const cf_scp_session *s, const cf_gp_new_key *k, uint8_t *out, size_t *len) {
  uint8_t clear[48] = {0};
  size_t bs = cf_scp_dek_block(s), padded = (k->len + bs - 1) / bs * bs;
  bool length_byte = k->type == CF_GP_KEY_AES || padded != k->len;
  memcpy(clear, k->value, k->len);
  size_t pos = 0;
  if (length_byte) out[pos++] = (uint8_t)k->len;
  int rc = cf_scp_dek_encrypt(s, clear, padded, out + pos);
  cf_wipe(clear, sizeof clear);
  *len = pos + padded;
  return rc;
}

int cf_gp_put_key_data(const cf_scp_session *s, uint8_t new_kvn, const cf_gp_new_key *keys, size_t n,
                       uint8_t *out, size_t cap, size_t *len, uint8_t *kcvs) {
  size_t pos = 0;
  if (cap < 1) return -1;
  out[pos++] = new_kvn;
  for (size_t i = 0; i < n; i++) {
    uint8_t block[64];
    size_t blen = 0;
    const cf_gp_new_key *k = &keys[i];
    if (k->len == 0 || k->len > 32) return -1;
    if (cf_scp_kcv(k->type, k->value, k->len, kcvs + 3 * i) != 0 || key_block(s, k, block, &blen) != 0)
      return -1;
    if (cap - pos < 2 + blen + 4) return -1;
    out[pos++] = k->type;
    out[pos++] = (uint8_t)blen;
    memcpy(out + pos, block, blen);
    pos += blen;
    out[pos++] = 0x03;
    memcpy(out + pos, kcvs + 3 * i, 3);
    pos += 3;
    cf_wipe(block, sizeof block);
  }
  *len = pos;
  return 0;
}

/* One PUT KEY command and the check of its KVN || KCVs answer. */
static int put_key_command(cf_gp_client *c, uint8_t p1, uint8_t p2, uint8_t new_kvn,
                           const cf_gp_new_key *keys, size_t n) {
  uint8_t data[255], kcvs[3 * 8], resp[64];
  size_t len = 0, rlen = 0;
  uint16_t sw;
  if (n > 8 || cf_gp_put_key_data(&c->scp, new_kvn, keys, n, data, sizeof data, &len, kcvs) != 0) {
    cf_wipe(data, sizeof data);
    snprintf(c->err, sizeof c->err, "PUT KEY data does not fit one command");
    return CF_GP_ERR_PARAM;
  }
  cf_apdu cmd = {
      .cla = 0x80, .ins = 0xD8, .p1 = p1, .p2 = p2, .data = data, .lc = len, .le = 256, .has_le = true};
  int rc = cf_gp_transmit(c, &cmd, CF_TX_SECRET_CMD, resp, sizeof resp, &rlen, &sw);
  cf_wipe(data, sizeof data);
  if (rc != CF_GP_OK) return rc;
  if (sw != SW_OK) {
    snprintf(c->err, sizeof c->err, "PUT KEY: card answered %04X", sw);
    return CF_GP_ERR_CARD;
  }
  if (rlen != 1 + 3 * n || resp[0] != new_kvn || memcmp(resp + 1, kcvs, 3 * n) != 0) {
    snprintf(c->err, sizeof c->err, "PUT KEY: the card's KVN/check values do not match the keys sent");
    return CF_GP_ERR_VERIFY;
  }
  return CF_GP_OK;
}

int cf_gp_put_key(cf_gp_client *c, uint8_t replace_kvn, uint8_t new_kvn, uint8_t first_id,
                  const cf_gp_new_key *keys, size_t n, bool chained) {
  if (!c->open) {
    snprintf(c->err, sizeof c->err, "PUT KEY needs an open secure channel");
    return CF_GP_ERR_PARAM;
  }
  if (n == 0 || replace_kvn > 0x7F || new_kvn == 0 || new_kvn > 0x7F || first_id > 0x7F ||
      first_id + n - 1 > 0x7F) {
    snprintf(c->err, sizeof c->err, "PUT KEY: KVN must be 01..7F, key ids 00..7F");
    return CF_GP_ERR_PARAM;
  }
  if (!chained)
    return put_key_command(c, replace_kvn, (uint8_t)(first_id | (n > 1 ? 0x80 : 0x00)), new_kvn, keys, n);
  for (size_t i = 0; i < n; i++) {
    uint8_t p1 = (uint8_t)(replace_kvn | (i + 1 < n ? 0x80 : 0x00));
    int rc = put_key_command(c, p1, (uint8_t)(first_id + i), new_kvn, &keys[i], 1);
    if (rc != CF_GP_OK) return rc;
  }
  return CF_GP_OK;
}

int cf_gp_delete_key(cf_gp_client *c, int kvn, int id) {
  uint8_t data[6], resp[32];
  size_t len = 0, rlen = 0;
  uint16_t sw;
  if ((kvn < 0 && id < 0) || kvn > 0xFF || id > 0x7F) {
    snprintf(c->err, sizeof c->err, "DELETE KEY needs a KVN and/or a key id");
    return CF_GP_ERR_PARAM;
  }
  if (id >= 0) data[len++] = 0xD0, data[len++] = 0x01, data[len++] = (uint8_t)id;
  if (kvn >= 0) data[len++] = 0xD2, data[len++] = 0x01, data[len++] = (uint8_t)kvn;
  cf_apdu cmd = {
      .cla = 0x80, .ins = 0xE4, .p1 = 0x00, .p2 = 0x00, .data = data, .lc = len, .le = 256, .has_le = true};
  int rc = cf_gp_transmit(c, &cmd, 0, resp, sizeof resp, &rlen, &sw);
  if (rc != CF_GP_OK) return rc;
  if (sw != SW_OK) {
    snprintf(c->err, sizeof c->err, "DELETE KEY: card answered %04X", sw);
    return CF_GP_ERR_CARD;
  }
  return CF_GP_OK;
}
