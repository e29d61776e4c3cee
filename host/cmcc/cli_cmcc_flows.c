/* `cardforge cmcc` flow commands: key generation (4.1.3), key import (4.1.5), working-card
 * production (4.1.6), terminal key writing (4.1.7), SAM key update (4.1.8). */
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cli_cmcc_internal.h"
#include "hsm_token.h"

/* After a multi-key flow failed: how far it got (host.done keys completed, the card answered 9000 for
 * each). When the failing key's answer was lost (no answer, not a refusal) the card may have done it
 * too. Prints "WHAT: stopped at key N of TOTAL: K keys were DONE_TEXT". */
static void report_partial(const cmcch_cli *c, const char *what, size_t total, const char *done_text) {
  size_t done = c->host.done;
  if (done >= total) return; /* every key went through: it failed in the checks after them */
  char unknown[80] = "";
  if (c->host.status != CF_CMCC_E_CARD && c->host.status != CF_CMCC_E_INPUT)
    snprintf(unknown, sizeof unknown, "; whether key %zu was is unknown (no answer)", done + 1);
  printf("%s: stopped at key %zu of %zu: %zu key%s %s%s\n", what, done + 1, total, done,
         done == 1 ? " was" : "s were", done_text, unknown);
}

/* --json result of a multi-key flow on the card in role r (fields in docs/cli.md): result
 * "completed" or "stopped", the card's reader, keys, keys_done (done of total), last_key_unknown
 * (the failing key's answer was lost, so the card may have done it too), then the members of more
 * (released). */
static int report_keys_json(const cmcch_cli *c, const char *command, cf_cmcc_role r, size_t total,
                            size_t done, bool completed, json_t *more) {
  bool unknown =
      !completed && done < total && c->host.status != CF_CMCC_E_CARD && c->host.status != CF_CMCC_E_INPUT;
  const cf_transport *t = c->host.card[r];
  json_t *doc =
      json_pack("{s:s, s:s, s:s, s:I, s:I, s:b}", "command", command, "result",
                completed ? "completed" : "stopped", "reader", t ? t->name : "", "keys", (json_int_t)total,
                "keys_done", (json_int_t)(done < total ? done : total), "last_key_unknown", unknown);
  if (doc && more && json_object_update(doc, more) != 0) {
    json_decref(doc);
    doc = NULL;
  }
  json_decref(more);
  if (cf_json_emit(doc) != 0)
    return cmcch_cli_fail(CF_EXIT_INTERNAL, "cmcc %s: cannot write the JSON document", command);
  return 0;
}

int cmcch_cmd_generate(void *ctx) {
  cmcch_cli *c = ctx;
  const char *path = cmcch_opt(c, "--sheet");
  if (!path) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc generate: --sheet FILE is required");
  cf_cmcc_keysheet *s = calloc(1, sizeof *s);
  char err[300];
  if (!s) return cmcch_cli_fail(CF_EXIT_INTERNAL, "out of memory");
  int rc;
  if (cf_cmcc_keysheet_load(path, s, err, sizeof err) != 0) {
    rc = cmcch_cli_fail(CF_EXIT_FILE, "%s", err);
  } else if ((rc = cmcch_cli_open_kmc(c)) == 0) {
    size_t checked = 0, skipped = 0;
    bool json = cmcch_flag(c, "--json"), check = !cmcch_flag(c, "--no-check");
    if (cf_cmcc_generate(&c->host, s) != 0) {
      rc = cmcch_cli_host_fail(c);
      if (json)
        report_keys_json(c, "generate", CF_CMCC_KMC, s->count, c->host.done, false, NULL);
      else
        report_partial(c, "generate", s->count, "generated on the KMC");
    } else if (check && cf_cmcc_check_generated(&c->host, s, &checked, &skipped) != 0) {
      rc = cmcch_cli_host_fail(c); /* every key generated, the proof failed */
      if (json) report_keys_json(c, "generate", CF_CMCC_KMC, s->count, s->count, false, NULL);
    } else if (json) {
      rc = report_keys_json(c, "generate", CF_CMCC_KMC, s->count, s->count, true,
                            json_pack("{s:b, s:I, s:I}", "checked", check, "proved_by_use",
                                      (json_int_t)checked, "not_computable", (json_int_t)skipped));
    } else {
      printf("generated %zu keys on the KMC", s->count);
      if (check) printf("; %zu proved by use (Inst_MAC), %zu not computable", checked, skipped);
      printf("\n");
    }
    cf_audit_record(&c->global, c->host.card[CF_CMCC_KMC]->name, "cmcc generate",
                    rc == 0 ? 0x9000 : c->host.sw, rc, "{s:s,s:i,s:i,s:i}", "sheet", path, "keys",
                    (int)s->count, "keys_done", rc == 0 ? (int)s->count : (int)c->host.done, "proved_by_use",
                    (int)checked);
  }
  cf_wipe(s, sizeof *s);
  free(s);
  return rc;
}

/* "TT VV II AL IO DV ST CCCCCCCC" or 22 hex digits. */
static int parse_attrs(const char *text, uint8_t attrs[CF_CMCC_ATTR_LEN]) {
  if (!text) return -1;
  if (strlen(text) == 22 && cmcch_cli_hex(text, attrs, CF_CMCC_ATTR_LEN)) return 0;
  char buf[64];
  if (strlen(text) >= sizeof buf) return -1;
  snprintf(buf, sizeof buf, "%s", text);
  char *tok[9];
  int n = 0;
  for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    if (n == 9) return -1;
    tok[n++] = t;
  }
  char err[160];
  return n == 8 && cf_cmcc_parse_attr_columns(tok, 8, attrs, err, sizeof err) == 0 ? 0 : -1;
}

/* The role whose External Authentication P2 names the wrapping key's type. */
static int auth_p2_for(cf_cmcc_role r, uint8_t type) {
  for (int p2 = 0; p2 <= 2; p2++)
    if (cf_cmcc_auth_key_type(r, (uint8_t)p2) == type) return p2;
  return -1;
}

static int import_via_hsm(cmcch_cli *c, const uint8_t attrs[11], const uint8_t value[16]) {
  cf_cmcc_role r = CF_CMCC_KMC;
  int rc;
  if (cmcch_opt(c, "--card") && (rc = cmcch_cli_card_role(c, &r)) != 0) return rc;
  uint8_t p2 = CMCC_IMPORT_P2_LEVEL1, wvit[3];
  const char *p2s = cmcch_opt(c, "--p2");
  if (p2s && (!cmcch_cli_hex(p2s, &p2, 1) || p2 < 1 || p2 > 2))
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: --p2 must be 01 or 02");
  /* the decryption key of Import Key P2 on each card (spec table 8-2-19) */
  static const uint8_t wrap_type[3][3] = {{0, CMCC_KEY_OPERATOR_KMC, CMCC_KEY_MASTER_CARD},
                                          {0, CMCC_KEY_AUTHCARD, 0},
                                          {0, CMCC_KEY_OPERATOR_WORK, CMCC_KEY_WORKCARD}};
  char err[200];
  bool partial = false;
  int version = -1, index = -1;
  uint8_t type = wrap_type[r][p2];
  if (cmcch_opt(c, "--wrap")) {
    if (cmcch_parse_vit(cmcch_opt(c, "--wrap"), wvit, &partial) != 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: --wrap TT[/VV/II]");
    type = wvit[2];
    if (!partial) version = wvit[0], index = wvit[1];
  }
  if (type == 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: that card has no Import Key P2 %02X", p2);
  int ap2 = auth_p2_for(r, type);
  if (ap2 < 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: the card cannot authenticate key type %02X", type);
  const cf_cmcc_key *wrap = cf_cmcc_hsm_find(c->hsm, type, version, index, err, sizeof err);
  if (!wrap) return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
  if ((rc = cmcch_cli_verify_app_pin(c, r)) != 0) return rc;
  if (cf_cmcc_auth_via_hsm(&c->host, r, (uint8_t)ap2, wrap->attrs[1], wrap->attrs[2]) != 0 ||
      cf_cmcc_import_via_hsm(&c->host, r, p2, wrap, attrs, value) != 0)
    return cmcch_cli_host_fail(c);
  return 0;
}

static int check_listed(cmcch_cli *c, cf_cmcc_role r, const uint8_t attrs[11]) {
  uint8_t list[64][CF_CMCC_ATTR_LEN];
  int n = cf_cmcc_read_keyinfo(&c->host, r, list, 64);
  if (n < 0) return cmcch_cli_host_fail(c);
  for (int i = 0; i < n; i++)
    if (memcmp(list[i], attrs, 4) == 0) {
      if (memcmp(list[i], attrs, CF_CMCC_ATTR_LEN) != 0)
        return cmcch_cli_fail(CF_EXIT_VERIFY, "Read KeyInfo: the key is there with other attributes");
      return 0;
    }
  return cmcch_cli_fail(CF_EXIT_VERIFY, "Read KeyInfo: the imported key is not listed");
}

int cmcch_cmd_import_key(void *ctx) {
  cmcch_cli *c = ctx;
  const char *via = cmcch_opt(c, "--via");
  bool hsm = via && strcmp(via, "hsm") == 0;
  if (via && !hsm && strcmp(via, "authcard") != 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: --via must be authcard or hsm");
  uint8_t attrs[CF_CMCC_ATTR_LEN], value[16];
  int rc;
  const char *from = cmcch_opt(c, "--from-hsm");
  if (from) {
    uint8_t vit[3];
    bool partial;
    char err[200];
    if (cmcch_opt(c, "--attrs") || cmcch_opt(c, "--value"))
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: --from-hsm replaces --attrs and --value");
    if (cmcch_parse_vit(from, vit, &partial) != 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: --from-hsm TT[/VV/II]");
    if ((rc = cmcch_cli_load_hsm(c)) != 0) return rc;
    const cf_cmcc_key *k =
        cf_cmcc_hsm_find(c->hsm, vit[2], partial ? -1 : vit[0], partial ? -1 : vit[1], err, sizeof err);
    if (!k) return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
    memcpy(attrs, k->attrs, sizeof attrs);
    /* a token key leaves the token only when imported exportable (hsm_token.h) */
    if (cf_cmcc_hsm_key_value(c->hsm, k, value, err, sizeof err) != 0)
      return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
  } else {
    bool given = false;
    if (parse_attrs(cmcch_opt(c, "--attrs"), attrs) != 0)
      return cmcch_cli_fail(CF_EXIT_USAGE,
                            "cmcc import-key: --attrs \"TT VV II AL IO DV ST CCCCCCCC\" is required");
    if ((rc = cmcch_cli_secret_key(cmcch_opt(c, "--value"), "--value", "CARDFORGE_CMCC_KEY", value,
                                   &given)) != 0)
      return rc;
    if (!given)
      return cmcch_cli_fail(CF_EXIT_USAGE,
                            "cmcc import-key: --value (or CARDFORGE_CMCC_KEY) must be 32 hex digits");
  }
  cf_cmcc_role target = CF_CMCC_KMC;
  if (hsm) {
    if ((rc = cmcch_cli_load_hsm(c)) == 0) rc = import_via_hsm(c, attrs, value);
    if (cmcch_opt(c, "--card")) cmcch_cli_card_role(c, &target);
  } else {
    if (cmcch_opt(c, "--card") && strcmp(cmcch_opt(c, "--card"), "kmc") != 0)
      rc =
          cmcch_cli_fail(CF_EXIT_USAGE, "cmcc import-key: the authentication card imports into the KMC only");
    else if ((rc = cmcch_cli_open_kmc(c)) == 0 && cf_cmcc_import_via_authcard(&c->host, attrs, value) != 0)
      rc = cmcch_cli_host_fail(c);
  }
  int proved = 0;
  if (rc == 0) rc = check_listed(c, target, attrs);
  if (rc == 0 && target == CF_CMCC_KMC && !hsm) {
    proved = cf_cmcc_prove_kmc_key(&c->host, attrs, value);
    if (proved < 0) rc = cmcch_cli_host_fail(c);
  }
  if (c->host.card[target] != NULL)
    cf_audit_record(&c->global, c->host.card[target]->name, "cmcc import-key", rc == 0 ? 0x9000 : c->host.sw,
                    rc, "{s:s,s:s,s:s,s:s}", "key", cf_audit_hex(attrs, 3), "attrs",
                    cf_audit_hex(attrs, CF_CMCC_ATTR_LEN), "kcv", cf_audit_kcv_des(value, sizeof value),
                    "via", hsm ? "hsm" : "authcard");
  cf_wipe(value, sizeof value);
  if (rc == 0)
    printf("imported key type %02X version %02X index %02X into the %s%s\n", attrs[0], attrs[1], attrs[2],
           c->host.card[target]->name, proved ? " (proved by use: Inst_MAC)" : "");
  return rc;
}

int cmcch_cmd_make_working(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_copy_job job;
  memset(&job, 0, sizeof job);
  int rc;
  char err[200];
  if ((rc = cmcch_cli_load_hsm(c)) != 0 || (rc = cmcch_cli_open_kmc(c)) != 0) return rc;
  if ((rc = cmcch_cli_key_ref(c, cmcch_opt(c, "--export-key"), CMCC_KEY_WORKCARD, job.export_vit)) != 0)
    return rc;
  int nk = cmcch_opt_count(c, "--key");
  if (nk > CF_CMCC_JOB_MAX_KEYS) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc make-working: at most 8 --key");
  if (nk == 0) {
    if ((rc = cmcch_cli_key_ref(c, NULL, CMCC_KEY_TERMINAL_INIT, job.key_vit[0])) != 0 ||
        (rc = cmcch_cli_key_ref(c, NULL, CMCC_KEY_TERMINAL_APP, job.key_vit[1])) != 0)
      return rc;
    job.nkeys = 2;
  }
  for (int i = 0; i < nk; i++)
    if ((rc = cmcch_cli_key_ref(c, cmcch_opt_at(c, "--key", i), 0, job.key_vit[job.nkeys++])) != 0) return rc;
  /* the working card: PIN, then its master key's authentication computed by the HSM (spec 1.1.5,
   * P2 02 "通过加密机") */
  const cf_cmcc_key *wk = cf_cmcc_hsm_find(c->hsm, CMCC_KEY_WORKCARD, -1, -1, err, sizeof err);
  if (!wk) return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
  if ((rc = cmcch_cli_verify_app_pin(c, CF_CMCC_WORK)) != 0) return rc;
  if (cf_cmcc_auth_via_hsm(&c->host, CF_CMCC_WORK, CMCC_AUTH_P2_SECOND, wk->attrs[1], wk->attrs[2]) != 0)
    return cmcch_cli_host_fail(c);
  int made = cf_cmcc_make_working_card(&c->host, &job);
  cf_audit_record(&c->global, c->host.card[CF_CMCC_WORK]->name, "cmcc make-working",
                  made == 0 ? 0x9000 : c->host.sw, made == 0 ? CF_EXIT_OK : cf_cmcc_exit_code(&c->host),
                  "{s:s,s:i,s:i}", "export_key", cf_audit_hex(job.export_vit, 3), "keys", (int)job.nkeys,
                  "keys_done", made == 0 ? (int)job.nkeys : (int)c->host.done);
  bool json = cmcch_flag(c, "--json");
  if (made != 0) {
    rc = cmcch_cli_host_fail(c);
    if (json)
      report_keys_json(c, "make-working", CF_CMCC_WORK, job.nkeys, c->host.done, false, NULL);
    else
      report_partial(c, "make-working", job.nkeys, "copied to the working card");
    return rc;
  }
  if (json)
    return report_keys_json(c, "make-working", CF_CMCC_WORK, job.nkeys, job.nkeys, true,
                            json_pack("{s:b}", "attributes_checked", 1));
  printf("working card %s: %zu keys copied from the KMC (attributes checked)\n",
         c->host.card[CF_CMCC_WORK]->name, job.nkeys);
  return 0;
}

int cmcch_cmd_terminal_write(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_terminal_job job = {.key_version = 0x01, .verify = !cmcch_flag(c, "--no-verify")};
  const char *idx = cmcch_opt(c, "--index"), *ver = cmcch_opt(c, "--version");
  if (!idx || !cmcch_cli_hex(idx, &job.subapp_index, 1) || job.subapp_index == 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc terminal-write: --index 01..FF (2 hex digits) is required");
  if (ver && !cmcch_cli_hex(ver, &job.key_version, 1))
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc terminal-write: --version is 2 hex digits");
  int rc;
  /* every command takes the readers in role order (KMC, auth card, working card, ... terminal):
   * each holds its cards' PC/SC transactions until it ends, and one order means no two commands
   * ever wait for each other in a circle */
  if (job.verify) {
    if ((rc = cmcch_cli_open_kmc(c)) != 0) return rc;
    if ((rc = cmcch_cli_key_ref(c, cmcch_opt(c, "--tak"), CMCC_KEY_TERMINAL_APP, job.tak_vit)) != 0)
      return rc;
  }
  if ((rc = cmcch_cli_connect(c, CF_CMCC_WORK)) != 0 || (rc = cmcch_cli_connect(c, CF_CMCC_TERMINAL)) != 0)
    return rc;
  if (cf_cmcc_terminal_write(&c->host, &job) != 0) return cmcch_cli_host_fail(c);
  printf("terminal %s: sub-application %02X key version %02X and the enterprise ID written%s\n",
         c->host.card[CF_CMCC_TERMINAL]->name, job.subapp_index, job.key_version,
         job.verify ? " (proved by use: VERIFY MAC)" : "");
  return 0;
}

int cmcch_cmd_sam_update(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_sam_job job;
  memset(&job, 0, sizeof job);
  job.verify = !cmcch_flag(c, "--no-verify");
  /* without --factor the SAM tells its own (GET DATA) */
  job.factor_given = cmcch_opt(c, "--factor") != NULL;
  if (job.factor_given && !cmcch_cli_hex(cmcch_opt(c, "--factor"), job.factor, 16))
    return cmcch_cli_fail(CF_EXIT_USAGE,
                          "cmcc sam-update: --factor is the SAM's 16-byte factor (32 hex digits)");
  int nk = cmcch_opt_count(c, "--key");
  if (nk == 0 || nk > CF_CMCC_JOB_MAX_KEYS)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc sam-update: give 1..8 --key");
  int rc;
  if ((rc = cmcch_cli_open_kmc(c)) != 0 || (rc = cmcch_cli_connect(c, CF_CMCC_SAM)) != 0)
    return rc; /* role order */
  const char *init = cmcch_opt(c, "--init-key");
  if (init) {
    /* step 3: the SAM initial master key into the KMC through the authentication card */
    uint8_t attrs[CF_CMCC_ATTR_LEN] = {CMCC_KEY_SAM_INIT, 0x01, 0x01, 0x00, 0x00, 0x11,
                                       CMCC_KEY_USABLE,   0,    0,    0,    0};
    uint8_t value[16];
    if (cmcch_opt(c, "--init-attrs") && parse_attrs(cmcch_opt(c, "--init-attrs"), attrs) != 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc sam-update: --init-attrs \"TT VV II AL IO DV ST CCCCCCCC\"");
    bool given = false;
    if ((rc = cmcch_cli_secret_key(init, "--init-key", NULL, value, &given)) != 0) return rc;
    int irc = cf_cmcc_import_via_authcard(&c->host, attrs, value);
    cf_wipe(value, sizeof value);
    if (irc != 0) return cmcch_cli_host_fail(c);
    job.imk_vit[0] = attrs[1], job.imk_vit[1] = attrs[2], job.imk_vit[2] = attrs[0];
  }
  if (!init || cmcch_opt(c, "--imk"))
    if ((rc = cmcch_cli_key_ref(c, cmcch_opt(c, "--imk"), CMCC_KEY_SAM_INIT, job.imk_vit)) != 0) return rc;
  for (int i = 0; i < nk; i++)
    if ((rc = cmcch_cli_target_key(c, cmcch_opt_at(c, "--key", i), &job.keys[job.nkeys++], false)) != 0)
      return rc;
  bool json = cmcch_flag(c, "--json");
  if (cf_cmcc_sam_update(&c->host, &job) != 0) {
    rc = cmcch_cli_host_fail(c);
    if (json)
      report_keys_json(c, "sam-update", CF_CMCC_SAM, job.nkeys, c->host.done, false, NULL);
    else
      report_partial(c, "sam-update", job.nkeys, "written to the SAM");
    return rc;
  }
  if (json)
    return report_keys_json(c, "sam-update", CF_CMCC_SAM, job.nkeys, job.nkeys, true,
                            json_pack("{s:b}", "proved_by_use", job.verify));
  printf("SAM %s: %zu keys written%s\n", c->host.card[CF_CMCC_SAM]->name, job.nkeys,
         job.verify ? " (proved by use: VERIFY MAC)" : "");
  return 0;
}
