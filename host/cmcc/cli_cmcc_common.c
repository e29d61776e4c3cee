/* What the `cardforge cmcc` commands share: finding each device's reader, PINs from options or
 * the environment, the HSM file, key references. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/clicommon.h"
#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/pcsc.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "cli_cmcc_internal.h"

static const char *const role_option[CF_CMCC_ROLES] = {"--kmc",  "--auth", "--work",
                                                       "--user", "--sam",  "--terminal"};
static const uint8_t role_aid[CF_CMCC_ROLES][CMCC_AID_LEN] = {
    CMCC_AID_KMC, CMCC_AID_AUTHCARD, CMCC_AID_WORKCARD, CMCC_AID_USERCARD, CMCC_AID_SAM, CMCC_AID_TERMINAL,
};
static const char *const role_label[CF_CMCC_ROLES] = {
    "KMC", "authentication card", "working card", "user card", "SAM", "terminal"};

bool cmcch_cli_hex(const char *text, uint8_t *out, size_t n) {
  if (!text || strlen(text) != 2 * n) return false;
  return cf_hex_decode(text, out, n) == (long)n;
}

/* The device code each role's FCI carries in the last 3 bytes of 9F0C (0: the role answers
 * SELECT without an FCI, spec tables 8-1-17..20). */
static const uint32_t role_device[CF_CMCC_ROLES] = {
    CMCC_DEVICE_KMC, CMCC_DEVICE_AUTHCARD, CMCC_DEVICE_WORKCARD, CMCC_DEVICE_USER_CARD, 0, 0};

/* The SELECT answer of a master card or user card: 6F { 84 AID, A5 { ..., 9F0C (.. || device code) } }. */
static bool fci_names_role(const uint8_t *fci, size_t len, cf_cmcc_role r) {
  cf_tlv top, name, prop, issuer;
  if (!cf_tlv_read(fci, len, &top) || top.tag != 0x6F || top.total != len) return false;
  if (!cf_tlv_find(top.value, top.len, 0x84, &name) || name.len != CMCC_AID_LEN ||
      memcmp(name.value, role_aid[r], CMCC_AID_LEN) != 0)
    return false;
  if (!cf_tlv_find(top.value, top.len, 0xA5, &prop) || !cf_tlv_find(prop.value, prop.len, 0x9F0C, &issuer) ||
      issuer.len < 3)
    return false;
  const uint8_t *code = issuer.value + issuer.len - 3;
  return ((uint32_t)code[0] << 16 | (uint32_t)code[1] << 8 | code[2]) == role_device[r];
}

cmcch_identity cmcch_cli_identify_role(cf_transport *t, cf_cmcc_role r, uint16_t *sw_out) {
  cf_apdu a = {.cla = 0x00,
               .ins = 0xA4,
               .p1 = 0x04,
               .p2 = 0x00,
               .data = role_aid[r],
               .lc = CMCC_AID_LEN,
               .le = 256,
               .has_le = true};
  uint8_t resp[256];
  size_t got = 0;
  uint16_t sw = 0;
  bool sent = cf_transceive(t, &a, 0, resp, sizeof resp, &got, &sw) == 0;
  if (sw_out) *sw_out = sent ? sw : 0;
  if (!sent) return CMCCH_ID_NO_ANSWER;
  if (sw != SW_OK) return CMCCH_ID_REFUSED;
  if (role_device[r] == 0) return CMCCH_ID_MATCH;
  return fci_names_role(resp, got, r) ? CMCCH_ID_MATCH : CMCCH_ID_NOT_THE_ROLE;
}

bool cmcch_cli_select_role(cf_transport *t, cf_cmcc_role r, uint16_t *sw_out) {
  return cmcch_cli_identify_role(t, r, sw_out) == CMCCH_ID_MATCH;
}

static bool reader_taken(const cmcch_cli *c, const char *name) {
  for (int r = 0; r < CF_CMCC_ROLES; r++)
    if (c->owned[r] && strcmp(c->owned[r]->name, name) == 0) return true;
  return false;
}

static void take(cmcch_cli *c, cf_cmcc_role r, cf_transport *t) {
  c->owned[r] = t;
  c->host.card[r] = t;
  cf_cli_note_reader(NULL); /* several readers: every message names its own */
  if (c->g && !c->g->quiet) fprintf(stderr, "cmcc: %s in reader %s\n", role_label[r], t->name);
}

/* Every reader holding a card is asked; the role must answer with its own FCI, and in exactly one
 * reader: a card that merely answers 9000, or a second card claiming the role, is never sent a PIN
 * (a card plugged in through vpcd by a network peer could be either). */
static int autodetect(cmcch_cli *c, cf_cmcc_role r) {
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  char err[256];
  int n = cf_pcsc_readers(readers, CF_PCSC_MAX_READERS, err, sizeof err);
  if (n < 0) return cmcch_cli_fail(CF_EXIT_TRANSPORT, "%s", err);
  cf_transport *found = NULL;
  char impostor[128] = "";
  for (int i = 0; i < n; i++) {
    if (!readers[i].has_card || reader_taken(c, readers[i].name)) continue;
    cf_transport *t = cf_transport_open_pcsc(readers[i].name, err, sizeof err);
    if (!t) continue; /* a reader another client holds exclusively is not ours to probe */
    if (c->g && c->g->trace) t->trace = stderr;
    cmcch_identity id = cmcch_cli_identify_role(t, r, NULL);
    if (id == CMCCH_ID_NOT_THE_ROLE && !impostor[0]) snprintf(impostor, sizeof impostor, "%s", t->name);
    if (id != CMCCH_ID_MATCH) {
      cf_transport_close(t);
      continue;
    }
    if (found) {
      char first[128];
      snprintf(first, sizeof first, "%s", found->name);
      cmcch_cli_fail(CF_EXIT_USAGE, "two readers answer as the %s (%s and %s): name the right one with %s",
                     role_label[r], first, t->name, role_option[r]);
      cf_transport_close(t);
      cf_transport_close(found);
      return CF_EXIT_USAGE;
    }
    found = t;
  }
  if (found) {
    take(c, r, found);
    return 0;
  }
  if (impostor[0])
    return cmcch_cli_fail(CF_EXIT_VERIFY,
                          "no %s found: the card in reader %s accepts its AID but its SELECT answer is not "
                          "a %s's FCI (name the reader with %s)",
                          role_label[r], impostor, role_label[r], role_option[r]);
  return cmcch_cli_fail(CF_EXIT_TRANSPORT, "no %s found in any reader (name its reader with %s)",
                        role_label[r], role_option[r]);
}

/* Connects the named reader and checks that it holds the role's device. */
static int connect_named(cmcch_cli *c, cf_cmcc_role r, const char *reader) {
  int code = CF_EXIT_TRANSPORT;
  cf_transport *t = cf_cli_connect_ex(c->g, reader, &code);
  if (!t) return code;
  uint16_t sw = 0;
  cmcch_identity id = cmcch_cli_identify_role(t, r, &sw);
  if (id != CMCCH_ID_MATCH) {
    char name[sizeof t->name];
    snprintf(name, sizeof name, "%s", t->name);
    code = cf_cli_transport_exit(t);
    char why[sizeof t->err];
    memcpy(why, t->err, sizeof why);
    cf_transport_close(t);
    if (id == CMCCH_ID_NO_ANSWER) return cmcch_cli_fail(code, "%s: the card does not answer (%s)", name, why);
    if (id == CMCCH_ID_NOT_THE_ROLE)
      return cmcch_cli_fail(CF_EXIT_VERIFY,
                            "%s: the card accepts the %s's AID but its SELECT answer is not a %s's FCI", name,
                            role_label[r], role_label[r]);
    return cmcch_cli_fail(CF_EXIT_CARD, "%s: no %s there (SELECT answered SW %04X)", name, role_label[r], sw);
  }
  take(c, r, t);
  return 0;
}

int cmcch_cli_connect(cmcch_cli *c, cf_cmcc_role r) {
  if (c->host.card[r]) return 0;
  const char *reader = cmcch_opt(c, role_option[r]);
  if (!reader) return autodetect(c, r);
  return connect_named(c, r, reader);
}

int cmcch_cli_card_role(cmcch_cli *c, cf_cmcc_role *r) {
  const char *v = cmcch_opt(c, "--card");
  if (!v) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc %s: --card kmc|auth|work is required", c->cmd->name);
  if (strcmp(v, "kmc") == 0)
    *r = CF_CMCC_KMC;
  else if (strcmp(v, "auth") == 0 || strcmp(v, "authcard") == 0)
    *r = CF_CMCC_AUTH;
  else if (strcmp(v, "work") == 0 || strcmp(v, "workcard") == 0)
    *r = CF_CMCC_WORK;
  else
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc %s: --card must be kmc, auth or work", c->cmd->name);
  /* the global --reader names the one card of a single-card command */
  if (!c->host.card[*r] && !cmcch_opt(c, role_option[*r]) && c->g && c->g->reader)
    return connect_named(c, *r, c->g->reader);
  return 0;
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
  snprintf(prompt, sizeof prompt, "%s %sPIN", role_label[r], export_pin ? "export " : "");
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
