/* Card content management of the ISD (GP Card Specification 2.3.1): DELETE of applications and
 * Executable Load Files (11.2), INSTALL [for install], [for make selectable] and [for
 * personalization] (11.5), STORE DATA to the application being personalised (11.11). The
 * instances are the runtime's applets: deleting one hides it and wipes its store namespace;
 * installing one at that AID again runs the application's install afresh. Each command changes the
 * registry record and the namespace in its one store transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "gp_internal.h"

#define GP_DELETE_P2_RELATED 0x80
#define GP_INSTALL_FOR_LOAD 0x02
#define GP_INSTALL_FOR_INSTALL 0x04
#define GP_INSTALL_FOR_MAKE_SELECTABLE 0x08
#define GP_INSTALL_FOR_PERSONALIZATION 0x20
#define GP_TAG_AID 0x4F
#define GP_TAG_APP_PARAMS 0xC9

bool gp_parse_lv(const uint8_t *data, size_t len, gp_lv *out, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    if (pos >= len || len - pos - 1 < data[pos]) return false;
    out[i].len = data[pos];
    out[i].v = data + pos + 1;
    pos += 1 + out[i].len;
  }
  return pos == len;
}

static int find_listed_package(cf_applet *isd, const gp_registry *reg, const uint8_t *aid, size_t len) {
  for (size_t n = 0; n < gp_package_count(); n++) {
    const gp_package *p = gp_package_at(n);
    if (p->aid.len == len && memcmp(p->aid.b, aid, len) == 0 && gp_package_listed(isd, reg, n)) return (int)n;
  }
  return -1;
}

static uint16_t delete_instance(cf_applet *isd, gp_registry *reg, cf_applet *a) {
  gp_ctx *ctx = isd->ctx;
  if (gp_registry_set_app_state(reg, a->aid, a->aid_len, GP_APP_DELETED) != 0) return SW_NOT_ENOUGH_MEMORY;
  if (gp_wipe_namespace(a) != 0) return SW_MEMORY_FAILURE;
  if (a->ops->reset) a->ops->reset(a); /* its transient state goes too */
  if (ctx->perso == a) ctx->perso = NULL;
  return SW_OK;
}

/* 11.2.2: one object per command, 4F with its AID (a Delegated Management token, B6/9E, is not
 * expected). P2 80 deletes a load file with every instance of its modules. */
static uint16_t delete_content(cf_applet *isd, const cf_apdu *cmd, cf_rapdu *resp) {
  cf_tlv t;
  size_t pos = 0;
  bool err = false;
  if (!cf_tlv_next(cmd->data, cmd->lc, &pos, &t, &err) || t.tag != GP_TAG_AID || pos != cmd->lc)
    return SW_WRONG_DATA;
  if (t.len < 5 || t.len > 16) return SW_WRONG_DATA;
  gp_registry reg;
  if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  if (t.len == isd->aid_len && memcmp(t.value, isd->aid, t.len) == 0) return SW_CONDITIONS_NOT_SATISFIED;
  uint16_t sw;
  cf_applet *a = gp_find_instance(isd, t.value, t.len);
  int package = find_listed_package(isd, &reg, t.value, t.len);
  if (a && gp_registry_app_state(&reg, a->aid, a->aid_len) != GP_APP_DELETED) {
    sw = delete_instance(isd, &reg, a);
  } else if (package >= 0) {
    /* the load file's instances: refused while any exists, unless P2 asks to delete them too */
    sw = SW_OK;
    for (size_t n = 0; n < cf_card_applet_count(isd->card) && sw == SW_OK; n++) {
      cf_applet *i = cf_card_applet_at(isd->card, n);
      if (i == isd || gp_package_of(i, NULL) != gp_package_at((size_t)package) ||
          gp_registry_app_state(&reg, i->aid, i->aid_len) == GP_APP_DELETED)
        continue;
      sw = cmd->p2 == GP_DELETE_P2_RELATED ? delete_instance(isd, &reg, i) : SW_CONDITIONS_NOT_SATISFIED;
    }
    reg.elf[package] = GP_ELF_DELETED;
  } else {
    return SW_REFERENCED_DATA_NOT_FOUND;
  }
  if (sw != SW_OK) return sw;
  if (gp_registry_put(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  return cf_rapdu_put_u8(resp, 0x00) ? SW_OK : SW_UNKNOWN; /* no receipt: one byte 00 (11.2.3) */
}

/* DELETE: a 4F names card content; D0/D2 name keys (gp_put_key.c). */
uint16_t gp_delete(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  if (cmd->p1 != 0x00 || (cmd->p2 != 0x00 && cmd->p2 != GP_DELETE_P2_RELATED)) return SW_INCORRECT_P1P2;
  if (cmd->lc == 0) return SW_WRONG_LENGTH;
  if (cmd->data[0] == GP_TAG_AID) return delete_content(rq->app, cmd, rq->resp);
  return gp_delete_key(request);
}

/* The install parameters field (11.5.2.3.7): C9 (the application's own parameters), possibly EF,
 * C7, C8 and others the card has no use for. cardforge applications take their install options as
 * text ("key=value,..."), so printable C9 bytes go as they are, anything else as "c9=HEX"; the
 * options the card was built with follow (run_install). */
static bool app_params(const gp_lv *field, char *out, size_t cap) {
  size_t pos = 0;
  bool err = false;
  cf_tlv t;
  out[0] = 0;
  while (cf_tlv_next(field->v, field->len, &pos, &t, &err)) {
    if (t.tag != GP_TAG_APP_PARAMS) continue;
    bool text = true;
    for (size_t i = 0; i < t.len; i++)
      text = text && t.value[i] >= 0x20 && t.value[i] < 0x7F;
    if (text) {
      if (t.len >= cap) return false;
      memcpy(out, t.value, t.len);
      out[t.len] = 0;
    } else {
      if (3 + 2 * t.len >= cap) return false;
      memcpy(out, "c9=", 3);
      cf_hex_encode(t.value, t.len, out + 3);
    }
  }
  return !err;
}

/* The application's install with the C9 options first and then the ones the card was built with
 * (cf_params_get takes a key's first occurrence, so the host's C9 wins). */
static uint16_t run_install(cf_applet *a, const char *c9) {
  if (!a->ops->install) return SW_OK;
  size_t n = strlen(c9) + 1 + strlen(a->params) + 1;
  char *all = malloc(n);
  if (!all) return SW_NOT_ENOUGH_MEMORY;
  snprintf(all, n, "%s%s%s", c9, *c9 && *a->params ? "," : "", a->params);
  int rc = a->ops->install(a, all);
  cf_wipe(all, n);
  free(all);
  return rc == 0 ? SW_OK : SW_WRONG_DATA;
}

static bool no_privileges(const gp_lv *p) {
  if (p->len != 1 && p->len != 3) return false;
  for (size_t i = 0; i < p->len; i++)
    if (p->v[i]) return false;
  return true;
}

/* [for install] (and make selectable): ELF AID, module AID, application AID, privileges, install
 * parameters, token. The instance AID must be one of this card's application slots whose instance
 * is deleted and comes from that module: the runtime hosts the applets the card was built with. */
static uint16_t install_instance(cf_applet *isd, uint8_t p1, const gp_lv f[6]) {
  gp_registry reg;
  char params[512];
  if (f[2].len < 5 || f[2].len > 16 || f[5].len != 0) return SW_WRONG_DATA;
  if (!no_privileges(&f[3])) return SW_WRONG_DATA; /* no SD or other privileged applications */
  if (!app_params(&f[4], params, sizeof params)) return SW_WRONG_DATA;
  if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  int package = find_listed_package(isd, &reg, f[0].v, f[0].len);
  if (package < 0) return SW_REFERENCED_DATA_NOT_FOUND;
  const gp_package *p = gp_package_at((size_t)package);
  const gp_aid *module = NULL;
  for (size_t m = 0; m < p->module_count; m++)
    if (p->modules[m].len == f[1].len && memcmp(p->modules[m].b, f[1].v, f[1].len) == 0)
      module = &p->modules[m];
  if (!module) return SW_REFERENCED_DATA_NOT_FOUND;
  cf_applet *a = gp_find_instance(isd, f[2].v, f[2].len);
  if (a == isd || (a && gp_registry_app_state(&reg, a->aid, a->aid_len) != GP_APP_DELETED))
    return SW_CONDITIONS_NOT_SATISFIED; /* the AID is in use */
  const gp_aid *slot_module = NULL;
  if (!a || gp_package_of(a, &slot_module) != p || slot_module != module) return SW_NOT_ENOUGH_MEMORY;
  /* afresh: nothing of the deleted instance survives, then the application's own install */
  if (gp_wipe_namespace(a) != 0) return SW_MEMORY_FAILURE;
  uint16_t sw = run_install(a, params);
  cf_wipe(params, sizeof params);
  if (sw != SW_OK) return sw;
  if (a->ops->reset) a->ops->reset(a);
  uint8_t state = (p1 & GP_INSTALL_FOR_MAKE_SELECTABLE) ? GP_APP_SELECTABLE : GP_APP_INSTALLED;
  if (gp_registry_set_app_state(&reg, a->aid, a->aid_len, state) != 0) return SW_NOT_ENOUGH_MEMORY;
  return gp_registry_put(isd, &reg) == 0 ? SW_OK : SW_MEMORY_FAILURE;
}

/* [for make selectable] alone: 00, 00, application AID, privileges, 00, token. */
static uint16_t make_selectable(cf_applet *isd, const gp_lv f[6]) {
  gp_registry reg;
  if (f[0].len || f[1].len || f[4].len || f[5].len || !no_privileges(&f[3])) return SW_WRONG_DATA;
  if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  cf_applet *a = gp_find_instance(isd, f[2].v, f[2].len);
  if (!a || a == isd || gp_registry_app_state(&reg, a->aid, a->aid_len) == GP_APP_DELETED)
    return SW_REFERENCED_DATA_NOT_FOUND;
  if (gp_registry_app_state(&reg, a->aid, a->aid_len) != GP_APP_INSTALLED) return SW_CONDITIONS_NOT_SATISFIED;
  if (gp_registry_set_app_state(&reg, a->aid, a->aid_len, GP_APP_SELECTABLE) != 0)
    return SW_NOT_ENOUGH_MEMORY;
  return gp_registry_put(isd, &reg) == 0 ? SW_OK : SW_MEMORY_FAILURE;
}

/* [for personalization]: 00, 00, application AID, 00, 00, 00. The application must be
 * SELECTABLE (or in an application-specific state) and not locked. */
static uint16_t for_personalization(cf_applet *isd, const gp_lv f[6]) {
  gp_ctx *ctx = isd->ctx;
  gp_registry reg;
  if (f[0].len || f[1].len || f[3].len || f[4].len || f[5].len) return SW_WRONG_DATA;
  if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  cf_applet *a = gp_find_instance(isd, f[2].v, f[2].len);
  if (!a || a == isd || gp_registry_app_state(&reg, a->aid, a->aid_len) == GP_APP_DELETED)
    return SW_REFERENCED_DATA_NOT_FOUND;
  if (!gp_select_gate(isd, a)) return SW_CONDITIONS_NOT_SATISFIED;
  ctx->perso = a;
  return SW_OK;
}

uint16_t gp_install_cmd(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *isd = rq->app;
  const cf_apdu *cmd = rq->cmd;
  gp_ctx *ctx = isd->ctx;
  gp_lv f[6];
  uint8_t p1 = cmd->p1 & 0x7F; /* b8: more INSTALL commands follow; each stands alone here */
  ctx->perso = NULL;
  if (cmd->p2 != 0x00) return SW_INCORRECT_P1P2;
  if (p1 != GP_INSTALL_FOR_LOAD && p1 != GP_INSTALL_FOR_INSTALL && p1 != GP_INSTALL_FOR_MAKE_SELECTABLE &&
      p1 != (GP_INSTALL_FOR_INSTALL | GP_INSTALL_FOR_MAKE_SELECTABLE) && p1 != GP_INSTALL_FOR_PERSONALIZATION)
    return SW_INCORRECT_P1P2;
  if (cmd->lc == 0) return SW_WRONG_LENGTH;
  if (p1 == GP_INSTALL_FOR_LOAD) return gp_install_for_load(isd, cmd, rq->resp);
  gp_load_abort(ctx); /* another INSTALL ends a load in progress */
  if (!gp_parse_lv(cmd->data, cmd->lc, f, 6)) return SW_WRONG_DATA;
  uint16_t sw;
  if (p1 & GP_INSTALL_FOR_INSTALL)
    sw = install_instance(isd, p1, f);
  else if (p1 == GP_INSTALL_FOR_MAKE_SELECTABLE)
    sw = make_selectable(isd, f);
  else
    sw = for_personalization(isd, f);
  if (sw != SW_OK) return sw;
  return cf_rapdu_put_u8(rq->resp, 0x00) ? SW_OK : SW_UNKNOWN; /* no receipt (11.5.3) */
}

/* 11.11 via 7.3.3: after INSTALL [for personalization] the ISD hands each STORE DATA, its secure
 * messaging removed, to the application as a command of class 80; the application answers it by
 * its own rules. Without a pending personalization: 6985. */
uint16_t gp_store_data(void *request) {
  const cf_apdu_request *rq = request;
  gp_ctx *ctx = ((cf_applet *)rq->app)->ctx;
  if (!ctx->perso) return SW_CONDITIONS_NOT_SATISFIED;
  cf_apdu plain = *rq->cmd;
  plain.cla = 0x80;
  return ctx->perso->ops->process(ctx->perso, &plain, rq->resp);
}
