/* What the `cardforge cmcc` commands share: PINs from options or the environment, the HSM file,
 * key references (finding each device's reader: cli_cmcc_readers.c). */
#include <stdlib.h>
#include <string.h>

#include "cardforge/clicommon.h"
#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/sw.h"
#include "cli_cmcc_internal.h"

bool cmcch_cli_hex(const char *text, uint8_t *out, size_t n) {
  if (!text || strlen(text) != 2 * n) return false;
  return cf_hex_decode(text, out, n) == (long)n;
}

int cmcch_cli_parse_pin(const char *text, uint8_t pin[8]) {
  size_t n = strlen(text);
  if (n == 16) return cf_hex_decode(text, pin, 8) == 8 ? 0 : -1;
  if (n == CMCC_PIN_LEN) {
    memcpy(pin, text, CMCC_PIN_LEN);
    return 0;
  }
  return -1;
}

int cmcch_cli_pin(cmcch_cli *c, cf_cmcc_role r, bool export_pin, uint8_t pin[8]) {
  static const char *const opts[3] = {"--kmc-pin", "--auth-pin", "--work-pin"};
  static const char *const envs[3] = {"CARDFORGE_KMC_PIN", "CARDFORGE_AUTH_PIN", "CARDFORGE_WORK_PIN"};
  if (r > CF_CMCC_WORK) return cmcch_cli_fail(CF_EXIT_INTERNAL, "no PIN for that device");
  const char *opt = export_pin ? "--export-pin" : opts[r];
  const char *env = export_pin ? "CARDFORGE_KMC_EXPORT_PIN" : envs[r];
  char prompt[64];
  snprintf(prompt, sizeof prompt, "%s %sPIN", cmcch_cli_role_label(r), export_pin ? "export " : "");
  return cmcch_cli_secret_pin(c, opt, env, prompt, false, pin);
}

int cmcch_cli_verify_app_pin(cmcch_cli *c, cf_cmcc_role r) {
  uint8_t pin[CMCC_PIN_LEN];
  int rc = cmcch_cli_pin(c, r, false, pin);
  if (rc != 0) return rc;
  rc = cmcch_cli_connect(c, r);
  if (rc == 0 && cf_cmcc_verify_pin(&c->host, r, CMCC_PIN_APP, pin) != 0) rc = cmcch_cli_host_fail(c);
  cf_wipe(pin, sizeof pin);
  return rc;
}

int cmcch_cli_open_kmc(cmcch_cli *c) {
  int rc;
  if ((rc = cmcch_cli_connect(c, CF_CMCC_KMC)) != 0 || (rc = cmcch_cli_connect(c, CF_CMCC_AUTH)) != 0)
    return rc;
  if ((rc = cmcch_cli_verify_app_pin(c, CF_CMCC_KMC)) != 0 ||
      (rc = cmcch_cli_verify_app_pin(c, CF_CMCC_AUTH)) != 0)
    return rc;
  if (cf_cmcc_auth_kmc_via_authcard(&c->host) != 0) return cmcch_cli_host_fail(c);
  /* enterprise rights open: a 6982 from now on means another program took them (transport.h) */
  cf_transport_mark_secured(c->host.card[CF_CMCC_KMC]);
  return 0;
}

const char *cmcch_cli_hsm_path(cmcch_cli *c, char *buf, size_t cap) {
  const char *p = cmcch_opt(c, "--hsm");
  if (!p) p = getenv("CARDFORGE_CMCC_HSM");
  if (p) return p;
  const char *dir = c->g ? c->g->state_dir : NULL;
  char tmp[1024];
  if (!dir) {
    if (cf_cli_default_state_dir(tmp, sizeof tmp) != 0) return NULL;
    dir = tmp;
  }
  if (snprintf(buf, cap, "%s/cmcc-hsm.keys", dir) >= (int)cap) return NULL;
  return buf;
}

int cmcch_cli_load_hsm(cmcch_cli *c) {
  if (c->hsm) return 0;
  char path[1100], err[300];
  const char *p = cmcch_cli_hsm_path(c, path, sizeof path);
  if (!p) return cmcch_cli_fail(CF_EXIT_USAGE, "no HSM key file (give --hsm FILE or set CARDFORGE_CMCC_HSM)");
  if (cf_cmcc_hsm_load(p, &c->hsm, err, sizeof err) != 0) return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
  c->host.hsm = c->hsm;
  return 0;
}

int cmcch_parse_vit(const char *text, uint8_t vit[3], bool *partial) {
  uint8_t t = 0, v = 0, i = 0;
  size_t n = strlen(text);
  char buf[3] = {0};
  if (n == 2) {
    if (!cmcch_cli_hex(text, &t, 1)) return -1;
    *partial = true;
  } else if (n == 8 && text[2] == '/' && text[5] == '/') {
    memcpy(buf, text, 2);
    if (!cmcch_cli_hex(buf, &t, 1)) return -1;
    memcpy(buf, text + 3, 2);
    if (!cmcch_cli_hex(buf, &v, 1)) return -1;
    memcpy(buf, text + 6, 2);
    if (!cmcch_cli_hex(buf, &i, 1)) return -1;
    *partial = false;
  } else {
    return -1;
  }
  vit[0] = v, vit[1] = i, vit[2] = t;
  return 0;
}

int cmcch_cli_key_ref(cmcch_cli *c, const char *text, uint8_t default_type, uint8_t vit[3]) {
  char def[3];
  bool partial = false;
  if (!text) {
    snprintf(def, sizeof def, "%02X", default_type);
    text = def;
  }
  if (cmcch_parse_vit(text, vit, &partial) != 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "key reference \"%.20s\": expected TT or TT/VV/II (hex)", text);
  if (!partial) return 0;
  /* TT alone: the KMC's key list decides, and it must be unambiguous */
  if (!c->kmc_keys_read) {
    int rc = cmcch_cli_connect(c, CF_CMCC_KMC);
    if (rc != 0) return rc;
    c->kmc_nkeys = cf_cmcc_read_keyinfo(&c->host, CF_CMCC_KMC, c->kmc_keys, 64);
    if (c->kmc_nkeys < 0) return cmcch_cli_host_fail(c);
    c->kmc_keys_read = true;
  }
  int found = -1;
  for (int k = 0; k < c->kmc_nkeys; k++) {
    if (c->kmc_keys[k][CMCC_ATTR_TYPE] != vit[2]) continue;
    if (found >= 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "the KMC holds several keys of type %02X: write TT/VV/II", vit[2]);
    found = k;
  }
  if (found < 0) return cmcch_cli_fail(CF_EXIT_CARD, "the KMC holds no key of type %02X", vit[2]);
  vit[0] = c->kmc_keys[found][CMCC_ATTR_VERSION];
  vit[1] = c->kmc_keys[found][CMCC_ATTR_INDEX];
  return 0;
}

int cmcch_cli_target_key(cmcch_cli *c, const char *text, cf_cmcc_target_key *k, bool user) {
  char buf[160];
  memset(k, 0, sizeof *k);
  if (strlen(text) >= sizeof buf) return cmcch_cli_fail(CF_EXIT_USAGE, "--key value too long");
  snprintf(buf, sizeof buf, "%s", text);
  /* ID:VER=REF[@F1,F2...] or ID:VER=REF[,plain] */
  char *eq = strchr(buf, '=');
  uint8_t idver[2];
  if (!eq || eq - buf != 5 || buf[2] != ':') goto bad;
  *eq = 0;
  buf[2] = 0;
  if (!cmcch_cli_hex(buf, &idver[0], 1) || !cmcch_cli_hex(buf + 3, &idver[1], 1)) goto bad;
  k->id = idver[0];
  k->version = idver[1];
  char *ref = eq + 1, *extra = strpbrk(ref, "@,");
  char sep = extra ? *extra : 0;
  if (extra) *extra++ = 0;
  if (user) {
    k->levels = 1; /* user keys: diversified by the card serial unless ",plain" */
    if (sep == ',' && strcmp(extra, "plain") == 0)
      k->levels = 0;
    else if (sep)
      goto bad;
  } else if (sep == '@') {
    for (char *save = NULL, *f = strtok_r(extra, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
      if (k->levels == CMCC_MAX_LEVELS) return cmcch_cli_fail(CF_EXIT_USAGE, "--key: at most 3 factors");
      if (!cmcch_cli_hex(f, k->factors + 8 * k->levels, 8))
        return cmcch_cli_fail(CF_EXIT_USAGE, "--key: a factor is 16 hex digits");
      k->levels++;
    }
  } else if (sep) {
    goto bad;
  }
  return cmcch_cli_key_ref(c, ref, 0, k->kmc_vit);
bad:
  return cmcch_cli_fail(CF_EXIT_USAGE, "--key \"%.60s\": expected ID:VER=TT[/VV/II]%s", text,
                        user ? "[,plain]" : "[@FACTOR,...]");
}
