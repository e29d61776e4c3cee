/* GET STATUS (GP Card Specification 2.3.1, 11.4) of the Issuer Security Domain. The card's registry
 * holds the ISD alone: no applications, no Executable Load Files, so P1 40, 20 and 10 find nothing.
 * One answer always carries every match, so there is never a 6310 and "next occurrence" has
 * nothing left to give. */
#include <string.h>

#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "gp_internal.h"

#define GP_STATUS_ISD 0x80
#define GP_STATUS_APPS 0x40
#define GP_STATUS_ELF 0x20
#define GP_STATUS_ELF_MODULES 0x10

#define GP_STATUS_P2_NEXT 0x01
#define GP_STATUS_P2_TLV 0x02

#define GP_LIFE_CYCLE_SECURED 0x0F

/* The ISD's privileges (11.1.2): Security Domain, Card Lock, Card Terminate, Card Reset and CVM
 * Management in the first byte; Trusted Path, Authorized Management, Token Verification, Global
 * Delete, Global Lock, Global Registry and Final Application in the second; Receipt Generation in
 * the third. The deprecated format carries the first byte only. */
static const uint8_t isd_privileges[3] = {0x9E, 0xFE, 0x80};

/* The search criteria: exactly one 4F (0..16 bytes); 4F 00 matches everything, a longer value the
 * AIDs that begin with it. Returns false when the data is malformed. */
static bool parse_criteria(const cf_apdu *cmd, const uint8_t **aid, size_t *aid_len) {
  size_t pos = 0;
  bool err = false, found = false;
  cf_tlv t;
  while (cf_tlv_next(cmd->data, cmd->lc, &pos, &t, &err)) {
    if (t.tag != 0x4F || found || t.len > 16) return false;
    found = true;
    *aid = t.value;
    *aid_len = t.len;
  }
  return !err && found;
}

static bool matches(const uint8_t *entry, size_t entry_len, const uint8_t *aid, size_t aid_len) {
  return aid_len <= entry_len && memcmp(entry, aid, aid_len) == 0;
}

static uint16_t put_isd(cf_applet *app, bool tlv_format, cf_rapdu *resp) {
  uint8_t life_cycle = GP_LIFE_CYCLE_SECURED;
  cf_tlv_writer w = {resp->buf + resp->len, 0, resp->cap - resp->len, false};
  if (tlv_format) {
    size_t mark = cf_tlv_open(&w, 0xE3);
    cf_tlv_put(&w, 0x4F, app->aid, app->aid_len);
    cf_tlv_put(&w, 0x9F70, &life_cycle, 1);
    cf_tlv_put(&w, 0xC5, isd_privileges, sizeof isd_privileges);
    cf_tlv_close(&w, mark);
  } else {
    /* AID length, AID, life cycle state, privileges (one byte) */
    uint8_t entry[1 + 16 + 2];
    entry[0] = (uint8_t)app->aid_len;
    memcpy(entry + 1, app->aid, app->aid_len);
    entry[1 + app->aid_len] = life_cycle;
    entry[2 + app->aid_len] = isd_privileges[0];
    if (w.cap < app->aid_len + 3) return SW_UNKNOWN;
    memcpy(w.buf, entry, app->aid_len + 3);
    w.len = app->aid_len + 3;
  }
  if (w.failed) return SW_UNKNOWN;
  resp->len += w.len;
  return SW_OK;
}

uint16_t gp_get_status(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  const uint8_t *aid = NULL;
  size_t aid_len = 0;
  if (cmd->p1 != GP_STATUS_ISD && cmd->p1 != GP_STATUS_APPS && cmd->p1 != GP_STATUS_ELF &&
      cmd->p1 != GP_STATUS_ELF_MODULES)
    return SW_INCORRECT_P1P2;
  if (cmd->p2 & (uint8_t) ~(GP_STATUS_P2_NEXT | GP_STATUS_P2_TLV)) return SW_INCORRECT_P1P2;
  if (cmd->lc == 0) return SW_WRONG_LENGTH;
  if (!parse_criteria(cmd, &aid, &aid_len)) return SW_WRONG_DATA;
  /* Every match went out with the first command: a "next occurrence" finds nothing more. */
  if (cmd->p2 & GP_STATUS_P2_NEXT) return SW_REFERENCED_DATA_NOT_FOUND;
  if (cmd->p1 != GP_STATUS_ISD || !matches(app->aid, app->aid_len, aid, aid_len))
    return SW_REFERENCED_DATA_NOT_FOUND;
  return put_isd(app, (cmd->p2 & GP_STATUS_P2_TLV) != 0, resp);
}
