/* The seed flows (see seedgen.h): the command sequences of the integration tests, driven by the
 * host clients against in-process cards. */
#include <stdio.h>
#include <string.h>

#include "cardforge/apdu.h"
#include "cardforge/hex.h"
#include "seedgen.h"

#ifdef CF_SEEDGEN_KEYCARD
#include "cardforge/keycard_client.h"
#endif
#ifdef CF_SEEDGEN_GP
#include "cardforge/gp_client.h"
#endif
#ifdef CF_SEEDGEN_CMCC
#include "cardforge/cmcc.h"
#include "cardforge/cmcc_host.h"
#endif

/* Sends hex APDUs in order (GET RESPONSE and 6CXX followed as a host does). */
static int send_hex(cf_transport *t, const char *const *apdus) {
  uint8_t cmd[600], resp[CF_APDU_MAX_RESP];
  for (size_t i = 0; apdus[i]; i++) {
    size_t rlen = 0;
    uint16_t sw;
    long len = cf_hex_decode(apdus[i], cmd, sizeof cmd);
    if (len < 4) return -1;
    if (cf_transceive_raw(t, cmd, (size_t)len, 0, resp, sizeof resp, &rlen, &sw) != 0) return -1;
  }
  return 0;
}

static int loopback_basics(cf_transport *t) {
  static const char *const apdus[] = {"00A4040007F063666C6F6F70",
                                      "8001000004DEADBEEF",
                                      "800200000000",
                                      "8002012C00",
                                      "00C0000000",
                                      "8003000004900001020304",
                                      "800300000263C2",
                                      "8004000000",
                                      "8004000000",
                                      "8005000000",
                                      "1001000003010203",
                                      "0001000002AABB",
                                      "80010000000003010203",
                                      "80020100000000",
                                      "80020000",
                                      NULL};
  return send_hex(t, apdus);
}

#ifdef CF_SEEDGEN_KEYCARD
static int keycard_lifecycle(cf_transport *t) {
  keycard_client kc;
  uint8_t secret[32], seed[64], hash[32], uid[32], out[256];
  size_t n = 0;
  keycard_client_init(&kc, t);
  memset(hash, 0x5A, sizeof hash);
  keycard_client_path path, export_path;
  keycard_client_signature sig;
  keycard_client_exported key;
  int rc = keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret);
  if (rc == 0) rc = keycard_client_select(&kc, NULL, 0);
  if (rc == 0) rc = keycard_client_init_card(&kc, SG_PIN, SG_PUK, secret, 0, 0, NULL);
  if (rc == 0) rc = keycard_client_select(&kc, NULL, 0);
  if (rc == 0) rc = keycard_client_pair(&kc, secret);
  if (rc == 0) rc = keycard_client_open_channel(&kc);
  if (rc == 0) rc = keycard_client_verify_pin(&kc, SG_PIN, NULL);
  if (rc == 0)
    rc = keycard_client_mnemonic_to_seed(
        "legal winner thank year wave sausage worth useful legal winner thank yellow", "", seed);
  if (rc == 0) rc = keycard_client_load_seed(&kc, seed, uid);
  if (rc == 0) rc = keycard_client_parse_path("m/44'/60'/0'/0/0", &path);
  if (rc == 0) rc = keycard_client_derive_key(&kc, &path);
  if (rc == 0) rc = keycard_client_sign(&kc, hash, NULL, false, &sig);
  if (rc == 0) rc = keycard_client_export_key(&kc, KEYCARD_CLIENT_EXPORT_PUBLIC, NULL, false, &key);
  if (rc == 0) rc = keycard_client_parse_path("m/43'/60'/1581'/1/0", &export_path);
  if (rc == 0) rc = keycard_client_export_key(&kc, KEYCARD_CLIENT_EXPORT_PRIVATE, &export_path, false, &key);
  if (rc == 0) rc = keycard_client_sign(&kc, hash, &path, true, &sig);
  if (rc == 0) rc = keycard_client_store_data(&kc, KEYCARD_CLIENT_DATA_PUBLIC, (const uint8_t *)"pub", 3);
  if (rc == 0)
    rc = keycard_client_store_data(&kc, KEYCARD_CLIENT_DATA_NDEF, (const uint8_t *)"\x00\x03\xd0\x00\x00", 5);
  if (rc == 0) rc = keycard_client_store_data(&kc, KEYCARD_CLIENT_DATA_CASH, (const uint8_t *)"cash", 4);
  if (rc == 0) rc = keycard_client_get_data(&kc, KEYCARD_CLIENT_DATA_PUBLIC, out, sizeof out, &n);
  if (rc == 0) rc = keycard_client_get_key_path(&kc, out, sizeof out, &n);
  if (rc == 0) rc = keycard_client_change_secret(&kc, KEYCARD_CLIENT_CHANGE_PIN, (const uint8_t *)SG_PIN, 6);
  if (rc == 0) rc = keycard_client_change_secret(&kc, KEYCARD_CLIENT_CHANGE_PUK, (const uint8_t *)SG_PUK, 12);
  for (int i = 0; rc == 0 && i < 3; i++) /* block the PIN, then unblock it with the PUK */
    rc = keycard_client_verify_pin(&kc, "000000", NULL) == KEYCARD_CLIENT_ECARD ? 0 : -1;
  if (rc == 0) rc = keycard_client_unblock_pin(&kc, SG_PUK, SG_PIN, NULL);
  if (rc == 0) rc = keycard_client_verify_pin(&kc, SG_PIN, NULL);
  if (rc == 0) rc = keycard_client_generate_key(&kc, uid);
  if (rc == 0) rc = keycard_client_remove_key(&kc);
  if (rc == 0) rc = keycard_client_change_secret(&kc, KEYCARD_CLIENT_CHANGE_PAIRING_SECRET, secret, 32);
  if (rc == 0) rc = keycard_client_unpair(&kc, kc.pairing_index);
  if (rc == 0) rc = keycard_client_factory_reset(&kc);
  if (rc != 0) fprintf(stderr, "keycard flow: %s\n", kc.err);
  keycard_client_wipe(&kc);
  return rc;
}
#endif

#ifdef CF_SEEDGEN_GP
static const cf_scp_keys gp_default_keys = {
    .kvn = 0xFF,
    .klen = 16,
    .enc = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
    .mac = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
    .dek = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
};

/* A command inside the channel, marked on the trace in its plain form. */
static int gp_send(cf_gp_client *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                   size_t len) {
  cf_apdu a = {.cla = cla,
               .ins = ins,
               .p1 = p1,
               .p2 = p2,
               .data = len ? data : NULL,
               .lc = len,
               .le = 256,
               .has_le = true};
  uint8_t raw[300], resp[512];
  size_t n = cf_apdu_encode(&a, false, raw, sizeof raw), rlen = 0;
  uint16_t sw;
  if (c->open) sg_trace_plain(c->t, raw, n);
  return cf_gp_transmit(c, &a, 0, resp, sizeof resp, &rlen, &sw);
}

static int gp_keys_flow(cf_transport *t, uint8_t level, size_t klen) {
  cf_gp_client c;
  cf_gp_client_init(&c, t);
  cf_scp_keys keys = gp_default_keys;
  keys.klen = klen;
  uint8_t buf[512], data[255], kcvs[24];
  size_t n = 0;
  int rc = cf_gp_select(&c, NULL, 0, buf, sizeof buf, &n);
  if (rc == 0) rc = cf_gp_get_data(&c, 0x9F7F, buf, sizeof buf, &n);
  if (rc == 0) rc = cf_gp_get_data(&c, 0x0066, buf, sizeof buf, &n);
  if (rc == 0) rc = cf_gp_get_data(&c, 0x00E0, buf, sizeof buf, &n);
  cf_gp_open_opts o = {.scp = 0, .level = level, .kvn = 0};
  if (rc == 0) rc = cf_gp_open(&c, &keys, &o);
  if (rc == 0) rc = gp_send(&c, 0x80, 0xCA, 0x00, 0xE0, NULL, 0);
  cf_gp_new_key nk[3];
  for (int i = 0; i < 3; i++) { /* SCP02 cards hold DES keys, SCP03 cards AES keys */
    nk[i].type = c.scp.scp == 0x02 ? CF_GP_KEY_DES : CF_GP_KEY_AES;
    nk[i].len = klen;
    memset(nk[i].value, 0x20 + i, sizeof nk[i].value);
  }
  /* a new set 01 in one command, then set 02 key by key in a chain, then DELETE KEY */
  if (rc == 0) rc = cf_gp_put_key_data(&c.scp, 0x01, nk, 3, data, sizeof data, &n, kcvs);
  if (rc == 0) rc = gp_send(&c, 0x80, 0xD8, 0x00, 0x81, data, n);
  for (int i = 0; rc == 0 && i < 3; i++) {
    rc = cf_gp_put_key_data(&c.scp, 0x02, &nk[i], 1, data, sizeof data, &n, kcvs);
    if (rc == 0) rc = gp_send(&c, 0x80, 0xD8, (uint8_t)(i < 2 ? 0x80 : 0x00), (uint8_t)(i + 1), data, n);
  }
  static const uint8_t del[] = {0xD2, 0x01, 0x02};
  if (rc == 0) rc = gp_send(&c, 0x80, 0xE4, 0x00, 0x00, del, sizeof del);
  if (rc == 0) rc = gp_send(&c, 0x80, 0xCA, 0x00, 0xE0, NULL, 0);
  if (rc != 0) fprintf(stderr, "gp flow: %s\n", c.err);
  cf_gp_close(&c);
  return rc;
}

static int gp_scp02(cf_transport *t) {
  return gp_keys_flow(t, CF_SCP_C_MAC | CF_SCP_C_DEC, 16);
}
static int gp_scp03(cf_transport *t) {
  return gp_keys_flow(t, CF_SCP_C_MAC | CF_SCP_C_DEC | CF_SCP_R_MAC | CF_SCP_R_ENC, 16);
}
#endif

#ifdef CF_SEEDGEN_CMCC
static cf_cmcc_hsm *cmcc_hsm(void) {
  static cf_cmcc_hsm *hsm;
  if (hsm) return hsm;
  hsm = cf_cmcc_hsm_new();
  for (uint8_t t = CMCC_KEY_OPERATOR_KMC; hsm && t <= CMCC_KEY_WORKCARD; t++) {
    uint8_t attrs[CF_CMCC_ATTR_LEN] = {t, 0x01, 0x01, CMCC_ALG_3DES, 0, 0, CMCC_KEY_USABLE, 0, 0, 0, 0};
    uint8_t value[16];
    for (int i = 0; i < 16; i++)
      value[i] = (uint8_t)((t << 4) | i);
    cf_cmcc_hsm_add(hsm, attrs, value, "default");
  }
  return hsm;
}

static void cmcc_attrs(uint8_t a[CF_CMCC_ATTR_LEN], uint8_t type, uint8_t version, uint8_t div) {
  memset(a, 0, CF_CMCC_ATTR_LEN);
  a[CMCC_ATTR_TYPE] = type, a[CMCC_ATTR_VERSION] = version, a[CMCC_ATTR_INDEX] = 1;
  a[CMCC_ATTR_DIV] = div, a[CMCC_ATTR_STATUS] = CMCC_KEY_USABLE;
}

/* A master card's life: PIN, both authentications, key import, Update Info, key reading; the KMC
 * also generates keys and computes with them. */
static int cmcc_master(cf_transport *t, cf_cmcc_role r) {
  cf_cmcc_host h;
  cf_cmcc_host_init(&h);
  h.hsm = cmcc_hsm();
  h.card[r] = t;
  uint8_t first = r == CF_CMCC_AUTH ? CMCC_AUTH_P2_AUTHCARD : CMCC_AUTH_P2_OPERATOR;
  uint8_t wrap1 = cf_cmcc_auth_key_type(r, first);
  char err[128];
  int rc = cf_cmcc_verify_pin(&h, r, CMCC_PIN_APP, (const uint8_t *)"22222222");
  if (rc == 0) rc = cf_cmcc_auth_via_hsm(&h, r, first, 1, 1);
  if (rc == 0 && r != CF_CMCC_AUTH) rc = cf_cmcc_auth_via_hsm(&h, r, CMCC_AUTH_P2_SECOND, 1, 1);
  uint8_t attrs[CF_CMCC_ATTR_LEN], value[16], keyinfo[8][CF_CMCC_ATTR_LEN];
  memset(value, 0x5A, sizeof value);
  uint8_t imported = r == CF_CMCC_KMC    ? CMCC_KEY_ENTERPRISE_APP
                     : r == CF_CMCC_AUTH ? CMCC_KEY_MASTER_CARD
                                         : CMCC_KEY_WORKCARD;
  cmcc_attrs(attrs, imported, 2, imported == CMCC_KEY_ENTERPRISE_APP ? 0x32 : 0x00);
  const cf_cmcc_key *wrap = cf_cmcc_hsm_find(h.hsm, wrap1, 1, 1, err, sizeof err);
  if (rc == 0 && wrap) rc = cf_cmcc_import_via_hsm(&h, r, 1, wrap, attrs, value);
  if (rc == 0 && wrap) rc = cf_cmcc_update_info_via_hsm(&h, r, wrap, 0x02, (const uint8_t *)"info", 4);
  if (rc == 0 && r == CF_CMCC_KMC) {
    cf_cmcc_keysheet sheet = {.count = 2};
    memset(sheet.seed, 0x77, sizeof sheet.seed);
    cmcc_attrs(sheet.attrs[0], CMCC_KEY_ENTERPRISE_MGMT, 1, 0x31);
    cmcc_attrs(sheet.attrs[1], CMCC_KEY_SAM, 1, 0x32);
    size_t checked = 0, skipped = 0;
    rc = cf_cmcc_generate(&h, &sheet);
    if (rc == 0) rc = cf_cmcc_check_generated(&h, &sheet, &checked, &skipped);
  }
  if (rc == 0) rc = cf_cmcc_read_keyinfo(&h, r, keyinfo, 8) < 0 ? -1 : 0;
  if (rc == 0)
    rc = cf_cmcc_change_pin(&h, r, CMCC_PIN_MAIN, (const uint8_t *)"11111111", (const uint8_t *)"11111111");
  if (rc != 0) fprintf(stderr, "cmcc flow: %s: %s\n", h.step, h.message);
  return rc;
}

static int cmcc_kmc(cf_transport *t) {
  return cmcc_master(t, CF_CMCC_KMC);
}
static int cmcc_authcard(cf_transport *t) {
  return cmcc_master(t, CF_CMCC_AUTH);
}
static int cmcc_workcard(cf_transport *t) {
  return cmcc_master(t, CF_CMCC_WORK);
}

/* The targets: their proof commands and a refused write (the KMC that would produce it is
 * another card), enough for the fuzzer to find the command formats. */
static int cmcc_target(cf_transport *t) {
  static const char *const apdus[] = {"0084000004",
                                      "00B0010000",
                                      "00B0000000",
                                      "0088010108"
                                      "0102030405060708",
                                      "0084000004",
                                      "84E001001C"
                                      "000102030405060708090A0B0C0D0E0F1011121314151617"
                                      "01020304",
                                      "0084000004",
                                      "84D400001C"
                                      "000102030405060708090A0B0C0D0E0F1011121314151617"
                                      "01020304",
                                      "0084000004",
                                      "8482010108"
                                      "0102030405060708",
                                      NULL};
  return send_hex(t, apdus);
}

static int cmcc_terminal(cf_transport *t) {
  static const char *const apdus[] = {"805000000601020304"
                                      "0101",
                                      "8054000008",
                                      "805200001D"
                                      "18"
                                      "000102030405060708090A0B0C0D0E0F1011121314151617"
                                      "01020304",
                                      "805600000A"
                                      "112233445566"
                                      "01020304",
                                      "00B0000000",
                                      NULL};
  return send_hex(t, apdus);
}
#define SG_CMCC_FLOWS                                                                                        \
  {"cmcc", "kmc", "kmc", "", 0x83, 0, cmcc_kmc},                                                             \
      {"cmcc", "authcard", "authcard", "", 0x04, 0, cmcc_authcard},                                          \
      {"cmcc", "workcard", "workcard", "", 0x08, 0, cmcc_workcard},                                          \
      {"cmcc", "usercard", "usercard", "", 0x10, 0, cmcc_target},                                            \
      {"cmcc", "sam", "sam", "", 0x20, 0, cmcc_target},                                                      \
      {"cmcc", "terminal", "terminal", "", 0x40, 0, cmcc_terminal},
#endif

const sg_flow sg_flows[] = {{"loopback", "basics-t1", "loopback", "mode=t1", 0x1, 0, loopback_basics},
                            {"loopback", "basics-t0", "loopback", "mode=t0", 0x2, 0, loopback_basics},
#ifdef CF_SEEDGEN_KEYCARD
                            {"keycard", "lifecycle", "keycard", "", 0xF, 2, keycard_lifecycle},
#endif
#ifdef CF_SEEDGEN_GP
                            {"gp", "scp02-keys", "gp", "scp=02", 0x3, 1, gp_scp02},
                            {"gp", "scp03-keys", "gp", "scp=03", 0xC, 3, gp_scp03},
#endif
#ifdef CF_SEEDGEN_CMCC
                            SG_CMCC_FLOWS
#endif
};
const size_t sg_flow_count = sizeof sg_flows / sizeof sg_flows[0];
