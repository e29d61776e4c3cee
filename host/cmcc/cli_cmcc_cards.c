/* `cardforge cmcc` commands on the master cards alone: PINs (4.1.1), external authentication
 * (4.1.2), key listing, operator Update Info. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/cmcc.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cli_cmcc_internal.h"

static int parse_ref(cmcch_cli *c, uint8_t *ref) {
  const char *v = cmcch_opt(c, "--ref");
  if (!v || strcmp(v, "app") == 0 || strcmp(v, "02") == 0)
    *ref = CMCC_PIN_APP;
  else if (strcmp(v, "main") == 0 || strcmp(v, "01") == 0)
    *ref = CMCC_PIN_MAIN;
  else if (strcmp(v, "export") == 0 || strcmp(v, "03") == 0)
    *ref = CMCC_PIN_EXPORT;
  else
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc %s: --ref must be main, app or export", c->cmd->name);
  return 0;
}

static int new_pin(cmcch_cli *c, uint8_t pin[8]) {
  return cmcch_cli_secret_pin(c, "--new-pin", "CARDFORGE_NEW_PIN", "new PIN", true, pin);
}

/* Explains a PIN refusal with the tries left, as the card counts them, and the card's reader. */
static int pin_refused(cmcch_cli *c, cf_cmcc_role r) {
  if (c->host.status == CF_CMCC_E_CARD && (c->host.sw & 0xFFF0) == 0x63C0) {
    cmcch_cli_fail(CF_EXIT_CARD, "%s: wrong PIN, %u tries left (SW %04X, reader %s)", c->host.step,
                   c->host.sw & 0x0F, c->host.sw, c->host.card[r] ? c->host.card[r]->name : "?");
    return CF_EXIT_CARD;
  }
  return cmcch_cli_host_fail(c);
}

/* --card, --ref and the current PIN of that card and reference: the export PIN has its own
 * option, the others use the card's. */
static int card_ref_pin(cmcch_cli *c, cf_cmcc_role *r, uint8_t *ref, uint8_t pin[8]) {
  int rc;
  if ((rc = cmcch_cli_card_role(c, r)) != 0 || (rc = parse_ref(c, ref)) != 0) return rc;
  return cmcch_cli_pin(c, *r, *r == CF_CMCC_KMC && *ref == CMCC_PIN_EXPORT, pin);
}

int cmcch_cmd_verify_pin(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_role r;
  uint8_t ref, pin[8];
  int rc = card_ref_pin(c, &r, &ref, pin);
  if (rc != 0) return rc;
  rc = cmcch_cli_connect(c, r);
  if (rc == 0 && cf_cmcc_verify_pin(&c->host, r, ref, pin) != 0) rc = pin_refused(c, r);
  cf_wipe(pin, sizeof pin);
  if (rc == 0) printf("PIN %02X verified on the %s\n", ref, c->host.card[r]->name);
  return rc;
}

int cmcch_cmd_change_pin(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_role r;
  uint8_t ref, data[16];
  int rc = card_ref_pin(c, &r, &ref, data);
  if (rc != 0) return rc;
  if ((rc = new_pin(c, data + 8)) != 0 || (rc = cmcch_cli_connect(c, r)) != 0) {
    cf_wipe(data, sizeof data);
    return rc;
  }
  if (cf_cmcc_change_pin(&c->host, r, ref, data, data + 8) != 0) rc = pin_refused(c, r);
  cf_wipe(data, sizeof data);
  if (rc != 0) return rc;
  printf("PIN %02X changed\n", ref);
  return 0;
}

/* The operator key that may reload PINs and write the enterprise ID, and its P2. */
static void operator_key(cf_cmcc_role r, uint8_t *p2, uint8_t *type) {
  *p2 = r == CF_CMCC_AUTH ? CMCC_AUTH_P2_AUTHCARD : CMCC_AUTH_P2_OPERATOR;
  *type = cf_cmcc_auth_key_type(r, *p2);
}

int cmcch_cmd_reload_pin(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_role r;
  uint8_t ref, pin[8], p2, type;
  int rc;
  if ((rc = cmcch_cli_card_role(c, &r)) != 0 || (rc = parse_ref(c, &ref)) != 0 || (rc = new_pin(c, pin)) != 0)
    return rc;
  operator_key(r, &p2, &type);
  if ((rc = cmcch_cli_load_hsm(c)) == 0 && (rc = cmcch_cli_connect(c, r)) == 0) {
    if (cf_cmcc_auth_via_hsm(&c->host, r, p2, -1, -1) != 0 || cf_cmcc_reload_pin(&c->host, r, ref, pin) != 0)
      rc = cmcch_cli_host_fail(c);
  }
  cf_wipe(pin, sizeof pin);
  if (rc == 0) printf("PIN %02X reloaded (operator key type %02X)\n", ref, type);
  return rc;
}

int cmcch_cmd_auth(void *ctx) {
  cmcch_cli *c = ctx;
  const char *via = cmcch_opt(c, "--via");
  if (!via || strcmp(via, "authcard") == 0) {
    if (cmcch_opt(c, "--card") && strcmp(cmcch_opt(c, "--card"), "kmc") != 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc auth: the authentication card authenticates only the KMC");
    int rc = cmcch_cli_open_kmc(c);
    if (rc == 0) printf("KMC authenticated the master-card master key (External Authentication P2 02)\n");
    return rc;
  }
  if (strcmp(via, "hsm") != 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc auth: --via must be authcard or hsm");
  cf_cmcc_role r;
  int rc = cmcch_cli_card_role(c, &r);
  if (rc != 0) return rc;
  uint8_t p2, type;
  operator_key(r, &p2, &type);
  const char *p2s = cmcch_opt(c, "--p2");
  if (p2s && !cmcch_cli_hex(p2s, &p2, 1))
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc auth: --p2 is 2 hex digits");
  type = cf_cmcc_auth_key_type(r, p2);
  if (type == 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc auth: that card has no authentication key for P2 %02X", p2);
  if ((rc = cmcch_cli_load_hsm(c)) != 0 || (rc = cmcch_cli_connect(c, r)) != 0) return rc;
  if (cf_cmcc_auth_via_hsm(&c->host, r, p2, -1, -1) != 0) return cmcch_cli_host_fail(c);
  printf("%s authenticated the HSM's key type %02X (External Authentication P2 %02X)\n",
         c->host.card[r]->name, type, p2);
  return 0;
}

/* Two hex digits, as the table prints each attribute byte. */
static json_t *hex_byte(uint8_t b) {
  return cf_json_hex(&b, 1);
}

/* {"card": "kmc", "keys": [{"record": 1, "type": "08", ..., "counter": 10, "attributes": HEX22}]} */
static int print_keyinfo_json(const char *card, uint8_t (*attrs)[CF_CMCC_ATTR_LEN], int n) {
  json_t *keys = json_array();
  for (int i = 0; keys && i < n; i++) {
    const uint8_t *a = attrs[i];
    json_int_t counter =
        ((json_int_t)a[7] << 24) | ((json_int_t)a[8] << 16) | ((json_int_t)a[9] << 8) | a[10];
    json_t *k = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "record", i + 1, "type",
                          hex_byte(a[0]), "version", hex_byte(a[1]), "index", hex_byte(a[2]), "algorithm",
                          hex_byte(a[3]), "import_export", hex_byte(a[4]), "diversification", hex_byte(a[5]),
                          "status", hex_byte(a[6]), "counter", counter, "attributes",
                          cf_json_hex(a, CF_CMCC_ATTR_LEN));
    if (!k || json_array_append_new(keys, k) != 0) {
      json_decref(keys);
      keys = NULL;
    }
  }
  if (cf_json_emit(keys ? json_pack("{s:s, s:o}", "card", card ? card : "kmc", "keys", keys) : NULL) != 0)
    return cmcch_cli_fail(CF_EXIT_INTERNAL, "cmcc keyinfo: cannot write the JSON document");
  return CF_EXIT_OK;
}

int cmcch_cmd_keyinfo(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_role r;
  int rc = cmcch_cli_card_role(c, &r);
  if (rc != 0 || (rc = cmcch_cli_connect(c, r)) != 0) return rc;
  uint8_t attrs[64][CF_CMCC_ATTR_LEN];
  int n = cf_cmcc_read_keyinfo(&c->host, r, attrs, 64);
  if (n < 0) return cmcch_cli_host_fail(c);
  if (cmcch_flag(c, "--json")) return print_keyinfo_json(cmcch_opt(c, "--card"), attrs, n);
  printf("rec type ver idx alg i/e div status counter\n");
  for (int i = 0; i < n; i++) {
    const uint8_t *a = attrs[i];
    printf("%3d  %02X   %02X  %02X  %02X  %02X  %02X    %02X   %02X%02X%02X%02X\n", i + 1, a[0], a[1], a[2],
           a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
  }
  return 0;
}

int cmcch_cmd_set_info(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_role r;
  int rc = cmcch_cli_card_role(c, &r);
  if (rc != 0) return rc;
  uint8_t type = CMCC_INFO_ENTERPRISE_ID, data[64];
  size_t len = CMCC_ENTERPRISE_ID_LEN;
  const char *eid = cmcch_opt(c, "--eid"), *ts = cmcch_opt(c, "--type"), *ds = cmcch_opt(c, "--data");
  if (eid && !ts && !ds) {
    if (!cmcch_cli_hex(eid, data, CMCC_ENTERPRISE_ID_LEN))
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc set-info: --eid is 12 hex digits");
  } else if (!eid && ts && ds) {
    long n = cf_hex_decode(ds, data, sizeof data);
    if (!cmcch_cli_hex(ts, &type, 1) || type == 0 || n <= 0)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc set-info: --type 01..FF and --data 1..64 bytes of hex");
    len = (size_t)n;
  } else {
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc set-info: give --eid, or --type and --data");
  }
  uint8_t p2, key_type;
  operator_key(r, &p2, &key_type);
  char err[200];
  if ((rc = cmcch_cli_load_hsm(c)) != 0 || (rc = cmcch_cli_verify_app_pin(c, r)) != 0) return rc;
  const cf_cmcc_key *k = cf_cmcc_hsm_find(c->hsm, key_type, -1, -1, err, sizeof err);
  if (!k) return cmcch_cli_fail(CF_EXIT_FILE, "HSM: %s", err);
  if (cf_cmcc_auth_via_hsm(&c->host, r, p2, k->attrs[1], k->attrs[2]) != 0 ||
      cf_cmcc_update_info_via_hsm(&c->host, r, k, type, data, len) != 0)
    return cmcch_cli_host_fail(c);
  printf("Update Info type %02X (%zu bytes) written under key type %02X\n", type, len, key_type);
  return 0;
}
