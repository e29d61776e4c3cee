/* `cardforge cmcc hsm-init` and `hsm-list`: creating and inspecting the operator HSM, a vault file
 * or a PKCS#11 token (--hsm pkcs11[:URI], hsm_token.h). The listing shows key check values, never
 * key values. */
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/clicommon.h"
#include "cardforge/cmcc.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cli_cmcc_internal.h"
#include "hsm_token.h"

/* "TT/VV/II" with the vault's default remaining attributes: algorithm 3DES, no import/export
 * index, usage 0 (may compute, never diversified), usable, no use counter. */
static int vault_attrs(const char *text, uint8_t attrs[CF_CMCC_ATTR_LEN]) {
  uint8_t vit[3];
  bool partial = false;
  if (cmcch_parse_vit(text, vit, &partial) != 0 || partial) return -1;
  memset(attrs, 0, CF_CMCC_ATTR_LEN);
  attrs[CMCC_ATTR_TYPE] = vit[2];
  attrs[CMCC_ATTR_VERSION] = vit[0];
  attrs[CMCC_ATTR_INDEX] = vit[1];
  attrs[CMCC_ATTR_ALG] = CMCC_ALG_3DES;
  attrs[CMCC_ATTR_STATUS] = CMCC_KEY_USABLE;
  return 0;
}

/* The value of --key TT/VV/II=VALUE: 32 hex digits, or @FILE / - holding them (then nothing secret
 * is on the command line). */
static int key_value(const char *text, const char *ref, uint8_t value[16]) {
  char option[40];
  bool given = false;
  snprintf(option, sizeof option, "--key %s=", ref);
  int rc = cmcch_cli_secret_key(text, option, NULL, value, &given);
  if (rc == 0 && !given) rc = cmcch_cli_fail(CF_EXIT_USAGE, "cmcc hsm-init: %s needs a key value", option);
  return rc;
}

/* The keys of --key / --random at i: its attributes, and its value (--key only). */
static int init_key_at(cmcch_cli *c, int i, int nk, uint8_t attrs[CF_CMCC_ATTR_LEN], uint8_t value[16],
                       bool *random) {
  *random = i >= nk;
  const char *spec = *random ? cmcch_opt_at(c, "--random", i - nk) : cmcch_opt_at(c, "--key", i);
  char ref[16];
  const char *eq = strchr(spec, '=');
  size_t rlen = *random ? strlen(spec) : (eq ? (size_t)(eq - spec) : 0);
  if (rlen == 0 || rlen >= sizeof ref)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc hsm-init: %s",
                          *random ? "--random TT/VV/II" : "--key TT/VV/II=HEX");
  memcpy(ref, spec, rlen);
  ref[rlen] = 0;
  if (vault_attrs(ref, attrs) != 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc hsm-init: \"%s\": expected TT/VV/II (hex)", ref);
  return *random ? 0 : key_value(eq + 1, ref, value);
}

/* hsm-init into the token: each --key imported, each --random generated inside it (its value
 * never exists outside the token); --force replaces keys of the same name. */
static int hsm_init_token(cmcch_cli *c, const char *spec, int nk, int nr) {
  char err[512];
  cf_cmcc_hsm *h = NULL;
  if (cf_cmcc_hsm_token_open(spec, false, &h, err, sizeof err) != 0)
    return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
  int rc = 0;
  size_t done = 0;
  uint8_t attrs[CF_CMCC_ATTR_LEN], value[16], kcv[3];
  cf_audit_list *keys = cf_audit_list_new();
  for (int i = 0; i < nk + nr && rc == 0; i++) {
    bool random;
    if ((rc = init_key_at(c, i, nk, attrs, value, &random)) != 0) break;
    if (cf_cmcc_hsm_token_store(h, attrs, random ? NULL : value, cmcch_flag(c, "--force"), kcv, err,
                                sizeof err) != 0) {
      rc = cmcch_cli_fail(CF_EXIT_FILE, "cmcc hsm-init: key %02X/%02X/%02X: %s", attrs[1], attrs[2], attrs[0],
                          err);
      break;
    }
    cf_audit_list_add(keys, "{s:s,s:s}", "key", cf_audit_hex(attrs, 3), "kcv", cf_audit_hex(kcv, 3));
    done++;
  }
  cf_wipe(value, sizeof value);
  /* as for the vault: one line, the keys stored before any failure listed */
  cf_audit_record(&c->global, "", "cmcc hsm-init", 0, rc, "{s:s,s:o}", "token", cf_cmcc_hsm_token_label(h),
                  "keys", keys);
  if (rc == 0) printf("HSM token: %zu keys stored (sensitive, not extractable)\n", done);
  cf_cmcc_hsm_free(h);
  return rc;
}

int cmcch_cmd_hsm_init(void *ctx) {
  cmcch_cli *c = ctx;
  char path[1100], err[300];
  const char *p = cmcch_cli_hsm_path(c, path, sizeof path);
  if (!p)
    return cmcch_cli_fail(CF_EXIT_USAGE, "no HSM key file path (give --hsm FILE or set CARDFORGE_CMCC_HSM)");
  if (cf_cmcc_hsm_is_token(p)) {
    int tk = cmcch_opt_count(c, "--key"), tr = cmcch_opt_count(c, "--random");
    if (tk + tr == 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc hsm-init: give at least one --key or --random");
    return hsm_init_token(c, p, tk, tr);
  }
  if (p == path) {
    /* the default place, in the state directory: create it (0700) the first time */
    char dir[sizeof path];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) *slash = 0;
    if (slash && cf_cli_mkdirs(dir) != 0) return cmcch_cli_fail(CF_EXIT_FILE, "%s: cannot create it", dir);
  }
  int nk = cmcch_opt_count(c, "--key"), nr = cmcch_opt_count(c, "--random");
  if (nk + nr == 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc hsm-init: give at least one --key or --random");
  cf_cmcc_hsm *h = cf_cmcc_hsm_new();
  if (!h) return cmcch_cli_fail(CF_EXIT_INTERNAL, "out of memory");
  int rc = 0;
  uint8_t attrs[CF_CMCC_ATTR_LEN], value[16];
  for (int i = 0; i < nk + nr && rc == 0; i++) {
    bool random;
    if ((rc = init_key_at(c, i, nk, attrs, value, &random)) != 0) break;
    if (random && cf_rand(value, sizeof value) != 0) {
      rc = cmcch_cli_fail(CF_EXIT_INTERNAL, "cmcc hsm-init: no random bytes");
    } else if (cf_cmcc_hsm_add(h, attrs, value, random ? "random" : NULL) != 0) {
      rc = cmcch_cli_fail(CF_EXIT_USAGE,
                          "cmcc hsm-init: key %02X/%02X/%02X given twice (or more than %d keys)", attrs[1],
                          attrs[2], attrs[0], CF_CMCC_HSM_MAX_KEYS);
    }
  }
  cf_wipe(value, sizeof value);
  if (rc == 0 && cf_cmcc_hsm_save(h, p, cmcch_flag(c, "--force"), err, sizeof err) != 0)
    rc = cmcch_cli_fail(CF_EXIT_FILE, "%s", err);
  cf_audit_list *keys = cf_audit_list_new();
  for (size_t i = 0; rc == 0 && i < cf_cmcc_hsm_count(h); i++)
    cf_audit_list_add(keys, "{s:s,s:s}", "key", cf_audit_hex(cf_cmcc_hsm_key_at(h, i)->attrs, 3), "kcv",
                      cf_audit_kcv_des(cf_cmcc_hsm_key_at(h, i)->value, CF_CMCC_KEY_LEN));
  cf_audit_record(&c->global, "", "cmcc hsm-init", 0, rc, "{s:s,s:o}", "file", p, "keys", keys);
  if (rc == 0) printf("HSM key file %s written with %zu keys (mode 0600)\n", p, cf_cmcc_hsm_count(h));
  cf_cmcc_hsm_free(h);
  return rc;
}

/* --json: {"keys": [{type, version, index, algorithm, import_export, diversification, status, counter,
 * attributes, kcv, label}]}, the fields cmcc keyinfo --json uses for a card's records (docs/cli.md). */
static json_t *hsm_key_json(const cf_cmcc_key *k, const char kcv[7]) {
  const uint8_t *a = k->attrs;
  json_int_t counter = ((json_int_t)a[7] << 24) | ((json_int_t)a[8] << 16) | ((json_int_t)a[9] << 8) | a[10];
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:s, s:s}", "type", cf_json_hex(a, 1),
                   "version", cf_json_hex(a + 1, 1), "index", cf_json_hex(a + 2, 1), "algorithm",
                   cf_json_hex(a + 3, 1), "import_export", cf_json_hex(a + 4, 1), "diversification",
                   cf_json_hex(a + 5, 1), "status", cf_json_hex(a + 6, 1), "counter", counter, "attributes",
                   cf_json_hex(a, CF_CMCC_ATTR_LEN), "kcv", kcv, "label", k->label);
}

int cmcch_cmd_hsm_list(void *ctx) {
  cmcch_cli *c = ctx;
  int rc = cmcch_cli_load_hsm(c);
  if (rc != 0) return rc;
  json_t *keys = cf_cli_opts_given(&c->opts, "--json") ? json_array() : NULL;
  if (keys == NULL) printf("type ver idx alg i/e div status counter   KCV     label\n");
  for (size_t i = 0; i < cf_cmcc_hsm_count(c->hsm); i++) {
    const cf_cmcc_key *k = cf_cmcc_hsm_key_at(c->hsm, i);
    uint8_t kcv[3];
    char hex[7];
    if (cf_cmcc_hsm_key_kcv(c->hsm, k, kcv) != 0) {
      json_decref(keys);
      return cmcch_cli_fail(CF_EXIT_INTERNAL, "3DES failed");
    }
    cf_hex_encode(kcv, 3, hex);
    const uint8_t *a = k->attrs;
    if (keys != NULL)
      json_array_append_new(keys, hsm_key_json(k, hex));
    else
      printf(" %02X   %02X  %02X  %02X  %02X  %02X    %02X   %02X%02X%02X%02X  %s  %s\n", a[0], a[1], a[2],
             a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], hex, k->label);
  }
  if (keys != NULL && cf_json_emit(json_pack("{s:o}", "keys", keys)) != 0)
    return cmcch_cli_fail(CF_EXIT_INTERNAL, "cannot print the JSON document");
  return 0;
}
