/* GET STATUS (GP Card Specification 2.3.1, 11.4) of the Issuer Security Domain: the ISD (P1 80),
 * the applications (40: every instance of the card but the ISD), the Executable Load Files (20:
 * the built-in packages this card holds an instance of or that were loaded, unless deleted) and
 * the same with their modules (10), in
 * the TLV format (P2 b2) or the deprecated one. An answer carries whole entries up to
 * GP_STATUS_CHUNK bytes; if more remain it ends 6310 and "next occurrence" (P2 b1) continues. */
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
#define GP_SW_MORE_DATA 0x6310

/* Room for the answer in one short response, even with R-MAC and R-ENC padding: 224 bytes pad to
 * 240, plus an 8-byte MAC, stays within 256. */
#define GP_STATUS_CHUNK 224

/* The ISD's privileges (11.1.2): Security Domain, Card Lock, Card Terminate, Card Reset and CVM
 * Management in the first byte; Trusted Path, Authorized Management, Token Verification, Global
 * Delete, Global Lock, Global Registry and Final Application in the second; Receipt Generation in
 * the third. The deprecated format carries the first byte only. */
static const uint8_t isd_privileges[3] = {0x9E, 0xFE, 0x80};
/* A built-in application has none of them. */
static const uint8_t app_privileges[3] = {0x00, 0x00, 0x00};

/* One registry entry of the subset asked for. */
typedef struct status_entry {
  const uint8_t *aid;
  size_t aid_len;
  uint8_t life_cycle;
  const uint8_t *privileges; /* NULL for a load file */
  const gp_package *package; /* an application's load file, or the load file itself */
} status_entry;

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

/* The index-th candidate of subset p1 (before the search criteria); false past the last. */
static bool entry_at(cf_applet *isd, const gp_registry *reg, uint8_t p1, size_t index, status_entry *e) {
  memset(e, 0, sizeof *e);
  if (p1 == GP_STATUS_ISD) {
    if (index > 0) return false;
    e->aid = isd->aid;
    e->aid_len = isd->aid_len;
    e->life_cycle = reg->card_state; /* the ISD's state is the card's (5.1.1) */
    e->privileges = isd_privileges;
    return true;
  }
  if (p1 == GP_STATUS_APPS) {
    size_t seen = 0;
    for (size_t n = 0; n < cf_card_applet_count(isd->card); n++) {
      const cf_applet *a = cf_card_applet_at(isd->card, n);
      uint8_t state = gp_registry_app_state(reg, a->aid, a->aid_len);
      if (a == isd || state == GP_APP_DELETED || seen++ != index) continue;
      e->aid = a->aid;
      e->aid_len = a->aid_len;
      e->life_cycle = state;
      e->privileges = app_privileges;
      e->package = gp_package_of(a, NULL);
      return true;
    }
    return false;
  }
  size_t seen = 0;
  for (size_t n = 0; n < gp_package_count(); n++) {
    const gp_package *p = gp_package_at(n);
    if (!gp_package_listed(isd, reg, n) || seen++ != index) continue;
    e->aid = p->aid.b;
    e->aid_len = p->aid.len;
    e->life_cycle = GP_ELF_LOADED;
    e->package = p;
    return true;
  }
  return false;
}

/* GP 2.3.1 table 11-36: 4F, 9F70, C5 (applications and SDs), C4 (an application's load file), 84
 * per module (P1 10), CC (the associated Security Domain, here always the ISD). The ISD's own entry
 * carries 4F, 9F70 and C5. */
static bool put_tlv(cf_tlv_writer *w, cf_applet *isd, uint8_t p1, const status_entry *e) {
  size_t mark = cf_tlv_open(w, 0xE3);
  cf_tlv_put(w, 0x4F, e->aid, e->aid_len);
  cf_tlv_put(w, 0x9F70, &e->life_cycle, 1);
  if (e->privileges) cf_tlv_put(w, 0xC5, e->privileges, 3);
  if (p1 == GP_STATUS_APPS && e->package) cf_tlv_put(w, 0xC4, e->package->aid.b, e->package->aid.len);
  if (p1 == GP_STATUS_ELF_MODULES)
    for (size_t m = 0; m < e->package->module_count; m++)
      cf_tlv_put(w, 0x84, e->package->modules[m].b, e->package->modules[m].len);
  if (p1 != GP_STATUS_ISD) cf_tlv_put(w, 0xCC, isd->aid, isd->aid_len);
  return cf_tlv_close(w, mark) && !w->failed;
}

/* Tables 11-37/11-38: AID length, AID, life cycle, privileges (first byte; 00 for a load file);
 * P1 10 adds the number of modules and each as length || AID. */
static bool put_legacy(cf_tlv_writer *w, uint8_t p1, const status_entry *e) {
  uint8_t buf[3 + 16 + 1 + GP_MAX_MODULES * 17];
  size_t n = 0;
  buf[n++] = (uint8_t)e->aid_len;
  memcpy(buf + n, e->aid, e->aid_len);
  n += e->aid_len;
  buf[n++] = e->life_cycle;
  buf[n++] = e->privileges ? e->privileges[0] : 0x00;
  if (p1 == GP_STATUS_ELF_MODULES) {
    buf[n++] = (uint8_t)e->package->module_count;
    for (size_t m = 0; m < e->package->module_count; m++) {
      buf[n++] = e->package->modules[m].len;
      memcpy(buf + n, e->package->modules[m].b, e->package->modules[m].len);
      n += e->package->modules[m].len;
    }
  }
  if (w->cap - w->len < n) return false;
  memcpy(w->buf + w->len, buf, n);
  w->len += n;
  return true;
}

uint16_t gp_get_status(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  gp_ctx *ctx = app->ctx;
  const uint8_t *aid = NULL;
  size_t aid_len = 0;
  gp_registry reg;
  if (cmd->p1 != GP_STATUS_ISD && cmd->p1 != GP_STATUS_APPS && cmd->p1 != GP_STATUS_ELF &&
      cmd->p1 != GP_STATUS_ELF_MODULES)
    return SW_INCORRECT_P1P2;
  if (cmd->p2 & (uint8_t) ~(GP_STATUS_P2_NEXT | GP_STATUS_P2_TLV)) return SW_INCORRECT_P1P2;
  if (cmd->lc == 0) return SW_WRONG_LENGTH;
  if (!parse_criteria(cmd, &aid, &aid_len)) return SW_WRONG_DATA;
  size_t index = 0;
  if (cmd->p2 & GP_STATUS_P2_NEXT) {
    /* "next occurrence" continues the subset the last 6310 left unfinished, else finds nothing */
    if (ctx->status_next == 0 || ctx->status_p1 != cmd->p1) return SW_REFERENCED_DATA_NOT_FOUND;
    index = ctx->status_next;
  }
  ctx->status_next = 0;
  if (gp_registry_get(app, &reg) != 0) return SW_MEMORY_FAILURE;

  bool tlv_format = (cmd->p2 & GP_STATUS_P2_TLV) != 0, any = false;
  size_t room = resp->cap - resp->len < GP_STATUS_CHUNK ? resp->cap - resp->len : GP_STATUS_CHUNK;
  cf_tlv_writer w = {resp->buf + resp->len, 0, room, false};
  status_entry e;
  for (; entry_at(app, &reg, cmd->p1, index, &e); index++) {
    if (aid_len > e.aid_len || memcmp(e.aid, aid, aid_len) != 0) continue;
    size_t before = w.len;
    bool ok = tlv_format ? put_tlv(&w, app, cmd->p1, &e) : put_legacy(&w, cmd->p1, &e);
    if (!ok) {
      if (before == 0) return SW_UNKNOWN; /* one entry never outgrows an answer */
      w.len = before;
      ctx->status_p1 = cmd->p1;
      ctx->status_next = index;
      resp->len += w.len;
      return GP_SW_MORE_DATA;
    }
    any = true;
  }
  if (!any && !(cmd->p2 & GP_STATUS_P2_NEXT)) return SW_REFERENCED_DATA_NOT_FOUND;
  resp->len += w.len;
  return SW_OK;
}
