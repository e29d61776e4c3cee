/* GET DATA (GP 2.3.1 11.3) and the Security Domain's FCI: CPLC, card recognition data, the key
 * information template, and the identity data. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "gp_internal.h"

/* {iso(1) member-body(2) us(840) globalPlatform(114283)} = 2A 86 48 86 FC 6B */
#define GP_OID 0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B

/* The content of card recognition data (tag 73): GP 2.3.1, card identification scheme, and one
 * Secure Channel Protocol entry per protocol with its "i". */
static bool put_recognition(cf_tlv_writer *w, const gp_config *cfg) {
  static const uint8_t rec_oid[] = {GP_OID, 0x01};
  static const uint8_t version[] = {0x06, 0x0A, GP_OID, 0x02, 0x02, 0x03, 0x01};
  static const uint8_t scheme[] = {0x06, 0x07, GP_OID, 0x03};
  uint8_t scp02[] = {0x06, 0x09, GP_OID, 0x04, 0x02, cfg->scp02_i};
  uint8_t scp03[] = {0x06, 0x09, GP_OID, 0x04, 0x03, cfg->scp03_i};
  size_t mark = cf_tlv_open(w, 0x73);
  cf_tlv_put(w, 0x06, rec_oid, sizeof rec_oid);
  cf_tlv_put(w, 0x60, version, sizeof version);
  cf_tlv_put(w, 0x63, scheme, sizeof scheme);
  cf_tlv_put(w, 0x64, scp02, sizeof scp02);
  cf_tlv_put(w, 0x64, scp03, sizeof scp03);
  return cf_tlv_close(w, mark) && !w->failed;
}

uint16_t gp_fci(cf_applet *app, cf_rapdu *resp) {
  gp_config cfg;
  static const uint8_t max_len = 0xFF;
  if (gp_config_get(app, &cfg) != 0) return SW_MEMORY_FAILURE;
  cf_tlv_writer w = {resp->buf + resp->len, 0, resp->cap - resp->len, false};
  size_t fci = cf_tlv_open(&w, 0x6F);
  cf_tlv_put(&w, 0x84, app->aid, app->aid_len);
  size_t prop = cf_tlv_open(&w, 0xA5);
  put_recognition(&w, &cfg);
  cf_tlv_put(&w, 0x9F65, &max_len, 1); /* longest command data field */
  cf_tlv_close(&w, prop);
  cf_tlv_close(&w, fci);
  if (w.failed) return SW_UNKNOWN;
  resp->len += w.len;
  return SW_OK;
}

/* E0 { C0 04 id kvn type length ... } in KVN, then id order. */
static bool put_key_info(cf_tlv_writer *w, cf_applet *app) {
  gp_key_table t;
  size_t order[GP_MAX_KEYS];
  if (gp_keys_load(app, &t) != 0) return false;
  for (size_t n = 0; n < t.count; n++) { /* insertion sort of indices by (kvn, id) */
    size_t j = n;
    uint16_t key = (uint16_t)(t.keys[n].kvn << 8 | t.keys[n].id);
    while (j > 0 && (uint16_t)(t.keys[order[j - 1]].kvn << 8 | t.keys[order[j - 1]].id) > key) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = n;
  }
  size_t mark = cf_tlv_open(w, 0xE0);
  for (size_t n = 0; n < t.count; n++) {
    const gp_key *k = &t.keys[order[n]];
    uint8_t info[4] = {k->id, k->kvn, k->type, k->len};
    cf_tlv_put(w, 0xC0, info, sizeof info);
  }
  gp_key_table_wipe(&t);
  return cf_tlv_close(w, mark) && !w->failed;
}

/* The counter of the set INITIALIZE UPDATE with P1 = 00 would use: 2 bytes for SCP02, 3 for SCP03. */
static bool put_default_counter(cf_tlv_writer *w, cf_applet *app, bool *found) {
  gp_key_table t;
  cf_scp_keys keys;
  uint8_t type = 0, kvn = 0;
  *found = false;
  if (gp_keys_load(app, &t) != 0) return false;
  for (size_t n = 0; n < t.count && type == 0; n++) {
    kvn = t.keys[n].kvn;
    type = gp_keys_channel_set(&t, kvn, &keys);
  }
  cf_wipe(&keys, sizeof keys);
  gp_key_table_wipe(&t);
  if (type == 0) return true;
  uint32_t c = gp_counter_get(app, kvn);
  uint8_t v[3] = {(uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
  *found = true;
  return type == CF_GP_KEY_DES ? cf_tlv_put(w, 0xC1, v + 1, 2) : cf_tlv_put(w, 0xC1, v, 3);
}

uint16_t gp_get_data(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  gp_config cfg;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  if (gp_config_get(app, &cfg) != 0) return SW_MEMORY_FAILURE;
  cf_tlv_writer w = {resp->buf + resp->len, 0, resp->cap - resp->len, false};
  uint16_t tag = (uint16_t)((cmd->p1 << 8) | cmd->p2);
  bool found = true;
  switch (tag) {
  case 0x9F7F:
    cf_tlv_put(&w, 0x9F7F, cfg.cplc, sizeof cfg.cplc);
    break;
  case 0x0066: {
    size_t mark = cf_tlv_open(&w, 0x66);
    put_recognition(&w, &cfg);
    cf_tlv_close(&w, mark);
    break;
  }
  case 0x00E0:
    if (!put_key_info(&w, app)) return w.failed ? SW_UNKNOWN : SW_MEMORY_FAILURE;
    break;
  case 0x0045:
    cf_tlv_put(&w, 0x45, cfg.cin, sizeof cfg.cin);
    break;
  case 0x00CF:
    cf_tlv_put(&w, 0xCF, cfg.kdd, sizeof cfg.kdd);
    break;
  case 0x00C1:
    if (!put_default_counter(&w, app, &found)) return w.failed ? SW_UNKNOWN : SW_MEMORY_FAILURE;
    break;
  default:
    found = false;
  }
  if (!found) return SW_REFERENCED_DATA_NOT_FOUND;
  if (w.failed) return SW_UNKNOWN;
  resp->len += w.len;
  return SW_OK;
}
