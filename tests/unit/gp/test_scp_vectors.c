/* SCP02 and SCP03 against PUBLISHED vectors, on both sides: the host wraps the plain commands into
 * exactly the published bytes, and the card unwraps the published bytes back into the plain
 * commands and protects the plain responses into exactly the published responses.
 *
 * Sources (hex taken, tests our own):
 *   pySim tests/unittests/test_globalplatform.py (osmocom/pysim): SCP02 i=55 C-MAC, SCP03 i=70
 *     AES-128/192/256 at levels 11 (C-MAC, R-MAC), 03 (C-DEC, C-MAC), 33 (all four); KCVs;
 *     the SCP02 session DEK PUT KEY value.
 *   kaoh/globalplatform src/scp03Test.c: SCP03 i=70 AES-128 session keys, pseudo-random card
 *     challenges and C-DEC commands, SCP03 i=10 AES-192. */
#include <stdio.h>

#include "gp_test_util.h"
#include "cardforge/crypto.h"
#include "cardforge/scp.h"
#include "cardforge/sw.h"

static void check_wrap(cf_scp_session *s, const char *plain_hex, const char *want) {
  uint8_t raw[300], buf[300];
  cf_apdu plain, wrapped;
  size_t n = hx(plain_hex, raw, sizeof raw);
  assert_int_equal(cf_apdu_parse(raw, n, &plain), SW_OK);
  assert_int_equal(cf_scp_wrap_command(s, &plain, buf, sizeof buf, &wrapped), 0);
  assert_apdu_hex(&wrapped, want);
}

static void check_unwrap(cf_scp_session *s, const char *wrapped_hex, const char *plain_hex) {
  uint8_t raw[300], buf[300], enc[300], want[300];
  cf_apdu plain, wrapped;
  size_t n = hx(wrapped_hex, raw, sizeof raw);
  assert_int_equal(cf_apdu_parse(raw, n, &wrapped), SW_OK);
  assert_int_equal(cf_scp_unwrap_command(s, &wrapped, buf, sizeof buf, &plain), SW_OK);
  size_t m = cf_apdu_encode(&plain, false, enc, sizeof enc);
  size_t wn = hx(plain_hex, want, sizeof want);
  assert_int_equal(m, wn);
  assert_int_equal(enc[0], want[0]);
  assert_memory_equal(enc, want, wn);
}

/* ---- KCV ---- */

static void test_kcv(void **state) {
  (void)state;
  uint8_t key[32], kcv[3];
  hx("404142434445464748494A4B4C4D4E4F", key, sizeof key);
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_DES, key, 16, kcv), 0);
  assert_hex(kcv, 3, "8BAF47");
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_AES, key, 16, kcv), 0);
  assert_hex(kcv, 3, "504A77");
  hx("000102030405060708090a0b0c0d0e0f", key, sizeof key);
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_AES, key, 16, kcv), 0);
  assert_hex(kcv, 3, "C35280");
  hx("101112131415161718191a1b1c1d1e1f", key, sizeof key);
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_AES, key, 16, kcv), 0);
  assert_hex(kcv, 3, "013808");
  hx("202122232425262728292a2b2c2d2e2f", key, sizeof key);
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_AES, key, 16, kcv), 0);
  assert_hex(kcv, 3, "840DE5");
  assert_int_equal(cf_scp_kcv(0x85, key, 16, kcv), -1);
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_AES, key, 20, kcv), -1);
}

/* ---- SCP02 session keys ---- */

/* miketlk/omfgp tests/omfgp/scp02_test.py: base key 40..4F, sequence counter 0007, including the
 * R-MAC session key (constant 0102). The R-MAC itself, against a real card's session, is in
 * test_scp02_rmac.c. */
static void test_scp02_omfgp_session_keys(void **state) {
  (void)state;
  uint8_t key[16], out[16];
  hx("404142434445464748494A4B4C4D4E4F", key, 16);
  assert_int_equal(cf_scp02_derive(key, CF_SCP02_CONST_CMAC, 0x0007, out), 0);
  assert_hex(out, 16, "7A227D376A9DBE23AB50B7DCB45B2093");
  assert_int_equal(cf_scp02_derive(key, CF_SCP02_CONST_RMAC, 0x0007, out), 0);
  assert_hex(out, 16, "EF14C57DB4BB9015E88963D9D920A588");
  assert_int_equal(cf_scp02_derive(key, CF_SCP02_CONST_ENC, 0x0007, out), 0);
  assert_hex(out, 16, "A2268F71917EFE0F33CC6166E1154E27");
  /* and the session set up from it carries that R-MAC key */
  cf_scp_keys k = {.klen = 16};
  memcpy(k.enc, key, 16);
  memcpy(k.mac, key, 16);
  memcpy(k.dek, key, 16);
  cf_scp_session s;
  assert_int_equal(cf_scp02_session_init(&s, &k, 0x0007, 0x55), 0);
  assert_hex(s.s_rmac, 16, "EF14C57DB4BB9015E88963D9D920A588");
  cf_scp_session_wipe(&s);
}

/* ---- SCP02 (pySim) ---- */

static void scp02_pysim_keys(cf_scp_keys *k) {
  memset(k, 0, sizeof *k);
  k->kvn = 0x20;
  k->klen = 16;
  hx("100102030405060708090a0b0c0d0e0f", k->enc, 16);
  hx("101102030405060708090a0b0c0d0e0f", k->mac, 16);
  hx("102102030405060708090a0b0c0d0e0f", k->dek, 16);
}

static const char *scp02_plain[4] = {"80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5",
                                     "80f28002024f0000"};
static const char *scp02_wrapped[4] = {"84F220020814DB34FA4341DCA8", "84CA00660855ED7C5FF069512B00",
                                       "84F22002124F0212345C054F9F70C58FC1B380C4228AF8",
                                       "84F280020A4F003B95F09317DE6A4E00"};

static void scp02_open(cf_scp_session *s) {
  cf_scp_keys k;
  uint8_t host[8], card_chal[6], card_cg[8], host_cg[8];
  scp02_pysim_keys(&k);
  hx("40A62C37FA6304F8", host, 8);
  hx("6B4524ABEE7C", card_chal, 6);
  assert_int_equal(cf_scp02_session_init(s, &k, 0x0001, 0x55), 0);
  assert_int_equal(cf_scp02_cryptograms(s, host, 0x0001, card_chal, card_cg, host_cg), 0);
  assert_hex(card_cg, 8, "F32EA3838BC148F3");
  assert_hex(host_cg, 8, "BA6961667737C5BC");
}

static void test_scp02_host(void **state) {
  (void)state;
  cf_scp_session s;
  uint8_t raw[300], buf[300], host_cg[8];
  cf_apdu plain, wrapped;
  scp02_open(&s);
  assert_int_equal(cf_scp02_cryptograms(&s, (uint8_t[8]){0x40, 0xA6, 0x2C, 0x37, 0xFA, 0x63, 0x04, 0xF8}, 1,
                                        (uint8_t[6]){0x6B, 0x45, 0x24, 0xAB, 0xEE, 0x7C}, NULL, host_cg),
                   0);
  uint8_t ea[5 + 8];
  memcpy(ea, (uint8_t[5]){0x80, 0x82, 0x01, 0x00, 0x08}, 5);
  memcpy(ea + 5, host_cg, 8);
  assert_int_equal(cf_apdu_parse(ea, sizeof ea, &plain), SW_OK);
  s.level = CF_SCP_C_MAC;
  assert_int_equal(cf_scp_wrap_command(&s, &plain, buf, sizeof buf, &wrapped), 0);
  assert_apdu_hex(&wrapped, "8482010010BA6961667737C5BCEBECE14C7D6A4376");
  for (int i = 0; i < 4; i++) {
    size_t n = hx(scp02_plain[i], raw, sizeof raw);
    assert_int_equal(cf_apdu_parse(raw, n, &plain), SW_OK);
    assert_int_equal(cf_scp_wrap_command(&s, &plain, buf, sizeof buf, &wrapped), 0);
    assert_apdu_hex(&wrapped, scp02_wrapped[i]);
  }
  /* PUT KEY key value under the session DEK (pySim PutKey_PSK_Test) */
  uint8_t key[16], enc[16];
  hx("303132333435363738393a3b3c3d3e3f", key, 16);
  assert_int_equal(cf_scp_dek_encrypt(&s, key, 16, enc), 0);
  assert_hex(enc, 16, "15abf1fe16ccc5aa13743394442942cd");
  uint8_t back[16];
  assert_int_equal(cf_scp_dek_decrypt(&s, enc, 16, back), 0);
  assert_memory_equal(back, key, 16);
}

static void test_scp02_card(void **state) {
  (void)state;
  cf_scp_session s;
  uint8_t raw[300], buf[300];
  cf_apdu wrapped, plain;
  scp02_open(&s);
  s.level = CF_SCP_C_MAC;
  size_t n = hx("8482010010BA6961667737C5BCEBECE14C7D6A4376", raw, sizeof raw);
  assert_int_equal(cf_apdu_parse(raw, n, &wrapped), SW_OK);
  assert_int_equal(cf_scp_unwrap_command(&s, &wrapped, buf, sizeof buf, &plain), SW_OK);
  assert_int_equal(plain.cla, 0x80);
  assert_hex(plain.data, plain.lc, "BA6961667737C5BC");
  for (int i = 0; i < 4; i++)
    check_unwrap(&s, scp02_wrapped[i], scp02_plain[i]);
  /* a flipped MAC byte is refused */
  n = hx("84F220020814DB34FA4341DCA9", raw, sizeof raw);
  assert_int_equal(cf_apdu_parse(raw, n, &wrapped), SW_OK);
  assert_int_equal(cf_scp_unwrap_command(&s, &wrapped, buf, sizeof buf, &plain),
                   SW_SECURITY_STATUS_NOT_SATISFIED);
}

/* ---- SCP02 i=15 (kaoh/globalplatform scp02Test.c), keys 40..4F ---- */

static void scp02_kaoh_open(cf_scp_session *host_s, const char *host_hex, const char *resp_hex, uint8_t level,
                            const char *ext_auth) {
  cf_scp_keys k = {.kvn = 0x01, .klen = 16};
  uint8_t host[8], resp[28], card_cg[8], host_cg[8];
  hx("404142434445464748494A4B4C4D4E4F", k.enc, 16);
  memcpy(k.mac, k.enc, 16);
  memcpy(k.dek, k.enc, 16);
  hx(host_hex, host, 8);
  assert_int_equal(hx(resp_hex, resp, sizeof resp), 28);
  uint16_t counter = cf_be16(resp + 12);
  assert_int_equal(cf_scp02_session_init(host_s, &k, counter, 0x15), 0);
  assert_int_equal(cf_scp02_cryptograms(host_s, host, counter, resp + 14, card_cg, host_cg), 0);
  assert_memory_equal(card_cg, resp + 20, 8);
  uint8_t eab[13] = {0x80, 0x82, level, 0x00, 0x08};
  memcpy(eab + 5, host_cg, 8);
  char ea[27];
  cf_hex_encode(eab, 13, ea);
  cf_scp_session card_s = *host_s;
  host_s->level = card_s.level = CF_SCP_C_MAC;
  check_wrap(host_s, ea, ext_auth);
  check_unwrap(&card_s, ext_auth, ea);
  assert_memory_equal(card_s.mac_chain, host_s->mac_chain, 8);
}

static void test_scp02_kaoh_mac(void **state) {
  (void)state;
  cf_scp_session s;
  scp02_kaoh_open(&s, "D5AD539A60CA5E72", "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E", 0x01,
                  "84820100107C799B3C771DBAE6BEF49310977617BA");
  cf_scp_session card_s = s;
  s.level = card_s.level = CF_SCP_C_MAC;
  check_wrap(&s, "80F22002024F0000", "84F220020A4F00BB6E71C0EFCFCF0D00");
  check_unwrap(&card_s, "84F220020A4F00BB6E71C0EFCFCF0D00", "80F22002024F0000");
}

static void test_scp02_kaoh_mac_enc(void **state) {
  (void)state;
  cf_scp_session s;
  scp02_kaoh_open(&s, "EBAA9E53C696281B", "000074746E6E6E626262010206A15086BBEE58F467149061DA4B6EAE", 0x03,
                  "848203001005814C116071EB67D8BA9D9879454564");
  cf_scp_session card_s = s;
  s.level = card_s.level = CF_SCP_C_MAC | CF_SCP_C_DEC;
  static const char *plain[2] = {"80E400800A4F08D0D1D2D3D4D5010100", "80E40080094F07D0D1D2D3D4D50100"};
  static const char *wrapped[2] = {"84E4008018BC146FA0403BE4BAD3BC089E4ABD8674DA7EFEA21047B85800",
                                   "84E4008018C2748C1669FAFC0E20C5253680388A4A49C9A6038D77B45700"};
  for (int i = 0; i < 2; i++) {
    check_wrap(&s, plain[i], wrapped[i]);
    check_unwrap(&card_s, wrapped[i], plain[i]);
  }
}

/* ---- SCP03 (pySim) ---- */

typedef struct scp03_case {
  const char *name;
  int keyset; /* 0 AES-128, 1 AES-192, 2 AES-256 */
  const char *init_cmd, *init_rsp, *ext_auth, *eid_cmd, *eid_rsp, *c1, *c2, *c3, *c4;
} scp03_case;

static const char *pysim_keys[3][3] = {
    {"000102030405060708090a0b0c0d0e0f", "101112131415161718191a1b1c1d1e1f",
     "202122232425262728292a2b2c2d2e2f"},
    {"000102030405060708090a0b0c0d0e0f0001020304050607", "101112131415161718191a1b1c1d1e1f1011121314151617",
     "202122232425262728292a2b2c2d2e2f2021222324252627"},
    {"000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f",
     "101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f",
     "202122232425262728292a2b2c2d2e2f202122232425262728292a2b2c2d2e2f"},
};

static const scp03_case pysim_cases[] = {
    {"AES128_11", 0, "8050300008b13e5f938fc108c400",
     "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
     "84821100107d5f5826a993ebc89eea24957fa0b3ce", "84e291000ebf3e035c015a558d036518a2829700",
     "bf3e125a1089882119900000000000000000000005971be68992dbbdfa", "84f220020863a63f8959827fb2",
     "84ca006608a0c6a4a74166f7ce00", "84f22002124f0212345c054f9f70c52249b50272656536",
     "84f280020a4f00e91443f6dce6b8ed00"},
    {"AES128_03", 0, "80503000088e1552d0513c60f300",
     "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
     "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
     "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
     "bf3e125a1089882119900000000000000000000005", "84f2200208c9811b11f1264cf1",
     "84ca006608e10ab60b3054798800", "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
     "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"},
    {"AES128_33", 0, "8050300008fdf38259a1e0de4400",
     "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
     "84823300108c36f96bcc00724a4e13ad591d7da3f0",
     "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
     "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9",
     "84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
     "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
     "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"},
    {"AES192_11", 1, "80503100087396430b768b085b00",
     "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
     "84821100102145ed30b146f5db252fb7e624cec244", "84e291000ebf3e035c015aff42cf801d14394400",
     "bf3e125a1089882119900000000000000000000005162fbd33e04940a9", "84f22002084584e4f6784811ee",
     "84ca006608937776ebe190fa3000", "84f22002124f0212345c054f9f70c59a52bddf3040368c",
     "84f280020a4f009804b11411f7393d00"},
    {"AES192_03", 1, "805031000869c65da8202bf19f00",
     "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
     "848203001065df4f1a356a887905466516d9e5b7c1",
     "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
     "bf3e125a1089882119900000000000000000000005", "84f2200208964e188f0b1bb697",
     "84ca006608f0820035a41d3e1800", "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
     "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00"},
    {"AES192_33", 1, "80503100089b3f2eef0e8c937400",
     "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
     "84823300109100bc22d58b45b86a26365ce39ff3cf",
     "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
     "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599",
     "84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
     "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
     "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00"},
    {"AES256_11", 2, "805032000811666d57866c6f5400",
     "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
     "84821100102f2ad190eff2fafc4908996d1cebd310", "84e291000ebf3e035c015af4b680372542b59d00",
     "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1", "84f2200208d618b7da68d5fe52",
     "84ca0066088f3e055db23ad5e500", "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
     "84f280020a4f00aa124aa74afe7f7500"},
    {"AES256_03", 2, "8050320008c6066990fc426e1d00",
     "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
     "848203001077c493b632edadaf865a1e64acc07ce9",
     "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
     "bf3e125a1089882119900000000000000000000005", "84f2200208480ddc8e419da38d",
     "84ca0066083e9d6a6c0b2d732000", "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
     "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100"},
    {"AES256_33", 2, "805032000897b2055fe58599fd00",
     "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
     "8482330010508a0fd959d2e547c6b33154a6be2057",
     "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
     "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99",
     "84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
     "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
     "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000"},
};

static const char *eid_plain_cmd = "80E2910006BF3E035C015A00";
static const char *eid_plain_rsp = "bf3e125a1089882119900000000000000000000005";
static const char *case_plain[4] = {"80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5",
                                    "80f28002024f0000"};

static void scp03_keys(int set, cf_scp_keys *k) {
  memset(k, 0, sizeof *k);
  k->klen = hx(pysim_keys[set][0], k->enc, 32);
  hx(pysim_keys[set][1], k->mac, 32);
  hx(pysim_keys[set][2], k->dek, 32);
}

/* Opens the session the case describes; checks the card cryptogram; returns the level. */
static uint8_t scp03_case_open(const scp03_case *c, cf_scp_session *s, uint8_t host_cg[8]) {
  cf_scp_keys k;
  uint8_t cmd[32], rsp[64], ea[32], card_cg[8];
  scp03_keys(c->keyset, &k);
  hx(c->init_cmd, cmd, sizeof cmd);
  size_t rn = hx(c->init_rsp, rsp, sizeof rsp);
  assert_int_equal(rn, 32);
  assert_int_equal(rsp[11], 0x03);
  assert_int_equal(cf_scp03_session_init(s, &k, cmd + 5, rsp + 13, rsp[12]), 0);
  assert_int_equal(cf_scp03_cryptograms(s, cmd + 5, rsp + 13, card_cg, host_cg), 0);
  assert_memory_equal(card_cg, rsp + 21, 8);
  hx(c->ext_auth, ea, sizeof ea);
  return ea[2];
}

static void test_scp03_pysim_host(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof pysim_cases / sizeof pysim_cases[0]; i++) {
    const scp03_case *c = &pysim_cases[i];
    cf_scp_session s;
    uint8_t host_cg[8], ea[13], rsp[128], out[128], raw[64];
    print_message("host %s\n", c->name);
    uint8_t level = scp03_case_open(c, &s, host_cg);
    memcpy(ea, (uint8_t[5]){0x80, 0x82, level, 0x00, 0x08}, 5);
    memcpy(ea + 5, host_cg, 8);
    char ea_hex[27];
    cf_hex_encode(ea, 13, ea_hex);
    s.level = CF_SCP_C_MAC;
    check_wrap(&s, ea_hex, c->ext_auth);
    s.level = level;
    check_wrap(&s, eid_plain_cmd, c->eid_cmd);
    cf_apdu eid;
    size_t en = hx(eid_plain_cmd, raw, sizeof raw);
    assert_int_equal(cf_apdu_parse(raw, en, &eid), SW_OK);
    size_t rn = hx(c->eid_rsp, rsp, sizeof rsp), on = 0;
    assert_int_equal(cf_scp_unwrap_response(&s, &eid, rsp, rn, SW_OK, out, sizeof out, &on), 0);
    assert_hex(out, on, eid_plain_rsp);
    check_wrap(&s, case_plain[0], c->c1);
    check_wrap(&s, case_plain[1], c->c2);
    check_wrap(&s, case_plain[2], c->c3);
    check_wrap(&s, case_plain[3], c->c4);
  }
}

static void test_scp03_pysim_card(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof pysim_cases / sizeof pysim_cases[0]; i++) {
    const scp03_case *c = &pysim_cases[i];
    cf_scp_session s;
    uint8_t host_cg[8], raw[300], buf[300], rsp[128], out[128];
    cf_apdu wrapped, plain;
    print_message("card %s\n", c->name);
    uint8_t level = scp03_case_open(c, &s, host_cg);
    s.level = CF_SCP_C_MAC;
    size_t n = hx(c->ext_auth, raw, sizeof raw);
    assert_int_equal(cf_apdu_parse(raw, n, &wrapped), SW_OK);
    assert_int_equal(cf_scp_unwrap_command(&s, &wrapped, buf, sizeof buf, &plain), SW_OK);
    assert_memory_equal(plain.data, host_cg, 8);
    s.level = level;
    check_unwrap(&s, c->eid_cmd, eid_plain_cmd);
    cf_apdu eid;
    n = hx(eid_plain_cmd, raw, sizeof raw);
    assert_int_equal(cf_apdu_parse(raw, n, &eid), SW_OK);
    size_t pn = hx(eid_plain_rsp, rsp, sizeof rsp), on = 0;
    assert_int_equal(cf_scp_wrap_response(&s, &eid, rsp, pn, SW_OK, out, sizeof out, &on), 0);
    assert_hex(out, on, c->eid_rsp);
    check_unwrap(&s, c->c1, case_plain[0]);
    check_unwrap(&s, c->c2, case_plain[1]);
    check_unwrap(&s, c->c3, case_plain[2]);
    check_unwrap(&s, c->c4, case_plain[3]);
  }
}

/* A tampered R-MAC or a tampered encrypted response is refused by the host. */
static void test_scp03_response_tamper(void **state) {
  (void)state;
  const scp03_case *c = &pysim_cases[2]; /* AES128_33 */
  cf_scp_session s;
  uint8_t host_cg[8], raw[64], rsp[128], out[128], ea[13];
  uint8_t level = scp03_case_open(c, &s, host_cg);
  memcpy(ea, (uint8_t[5]){0x80, 0x82, level, 0x00, 0x08}, 5);
  memcpy(ea + 5, host_cg, 8);
  char ea_hex[27];
  cf_hex_encode(ea, 13, ea_hex);
  s.level = CF_SCP_C_MAC;
  check_wrap(&s, ea_hex, c->ext_auth);
  s.level = level;
  check_wrap(&s, eid_plain_cmd, c->eid_cmd);
  cf_apdu eid;
  size_t en = hx(eid_plain_cmd, raw, sizeof raw);
  assert_int_equal(cf_apdu_parse(raw, en, &eid), SW_OK);
  size_t rn = hx(c->eid_rsp, rsp, sizeof rsp), on = 0;
  rsp[3] ^= 0x01;
  assert_int_equal(cf_scp_unwrap_response(&s, &eid, rsp, rn, SW_OK, out, sizeof out, &on), -1);
  rsp[3] ^= 0x01;
  assert_int_equal(cf_scp_unwrap_response(&s, &eid, rsp, rn, 0x6200, out, sizeof out, &on), -1);
  assert_int_equal(cf_scp_unwrap_response(&s, &eid, rsp, 7, SW_OK, out, sizeof out, &on), -1);
  /* an error status word carries no R-MAC */
  assert_int_equal(cf_scp_unwrap_response(&s, &eid, rsp, 0, 0x6A88, out, sizeof out, &on), 0);
  assert_int_equal(on, 0);
}

/* ---- SCP03 (kaoh/globalplatform) ---- */

static void kaoh_keys(cf_scp_keys *k) {
  memset(k, 0, sizeof *k);
  k->klen = 16;
  hx("F995D0A069335C7DF42E590317FFEA6D", k->enc, 16);
  hx("58563362EC5A4541ABCD32B34B1EAE7D", k->mac, 16);
  hx("0A02A6D687406DCFA09DC70B3EDB7E38", k->dek, 16);
}

static void test_scp03_kaoh_session_keys(void **state) {
  (void)state;
  static const uint8_t isd[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
  cf_scp_keys k;
  cf_scp_session s;
  uint8_t host[8], chal[8], card_cg[8], host_cg[8];
  kaoh_keys(&k);

  /* mutual_auth: counter 00001E */
  hx("9BD6BF878FB8E991", host, 8);
  assert_int_equal(cf_scp03_pseudo_challenge(k.enc, 16, 0x1E, isd, sizeof isd, chal, 8), 0);
  assert_hex(chal, 8, "3C80C2CC87EB3A35");
  assert_int_equal(cf_scp03_session_init(&s, &k, host, chal, 0x70), 0);
  assert_hex(s.s_enc, 16, "D83EE38C9954C8078987A5E9EE6AB13C");
  assert_hex(s.s_mac, 16, "6FF37716E0413065E8DFD08BF1E9EC5E");
  assert_hex(s.s_rmac, 16, "0254C786E57ACA8982670C1C1A05FF12");
  assert_int_equal(cf_scp03_cryptograms(&s, host, chal, card_cg, host_cg), 0);
  assert_hex(card_cg, 8, "E4EDBA35E629C336");
  s.level = CF_SCP_C_MAC;
  char ea[27];
  uint8_t eab[13] = {0x80, 0x82, 0x03, 0x00, 0x08};
  memcpy(eab + 5, host_cg, 8);
  cf_hex_encode(eab, 13, ea);
  check_wrap(&s, ea, "848203001023EBFEDC579D22CDCDB6A25A5FF7891F");

  /* delete_application: counter 000015, then DELETE at C-DEC + C-MAC */
  hx("B2BDE1A2DC66BD56", host, 8);
  assert_int_equal(cf_scp03_pseudo_challenge(k.enc, 16, 0x15, isd, sizeof isd, chal, 8), 0);
  assert_hex(chal, 8, "C40932A6FEFEAEB2");
  assert_int_equal(cf_scp03_session_init(&s, &k, host, chal, 0x70), 0);
  assert_hex(s.s_enc, 16, "9B841BB63D1087484FF7F16802017243");
  assert_hex(s.s_mac, 16, "8117FE5ADED74AC0DAABE9FB81DBDB67");
  assert_hex(s.s_rmac, 16, "4521D75E4D6F60DBFB8AB4EE254EF6F1");
  assert_int_equal(cf_scp03_cryptograms(&s, host, chal, card_cg, host_cg), 0);
  assert_hex(card_cg, 8, "E127185170F45FCA");
  memcpy(eab + 5, host_cg, 8);
  cf_hex_encode(eab, 13, ea);
  s.level = CF_SCP_C_MAC;
  check_wrap(&s, ea, "848203001059D54D932423D29F6313C970875F8C2F");
  s.level = CF_SCP_C_MAC | CF_SCP_C_DEC;
  check_wrap(&s, "80E400800A4F08A00100015141434C",
             "84E400801829F06AEC3180B3EFE91FF662310B945DE0D5FE66AD67A5B6");
}

static void test_scp03_kaoh_enc_sequence(void **state) {
  (void)state;
  cf_scp_keys k;
  cf_scp_session host_s, card_s;
  uint8_t host[8], chal[8], card_cg[8], host_cg[8];
  kaoh_keys(&k);
  hx("DA2390D378D94B0A", host, 8);
  hx("A7EFE2BFDB3A27A6", chal, 8);
  assert_int_equal(cf_scp03_session_init(&host_s, &k, host, chal, 0x70), 0);
  assert_int_equal(cf_scp03_cryptograms(&host_s, host, chal, card_cg, host_cg), 0);
  assert_hex(card_cg, 8, "EAE3FF0EA0D17524");
  card_s = host_s;
  uint8_t eab[13] = {0x80, 0x82, 0x03, 0x00, 0x08};
  memcpy(eab + 5, host_cg, 8);
  char ea[27];
  cf_hex_encode(eab, 13, ea);
  host_s.level = card_s.level = CF_SCP_C_MAC;
  check_wrap(&host_s, ea, "8482030010953EEC5B4A81BF393ADC2ADFD638827A");
  check_unwrap(&card_s, "8482030010953EEC5B4A81BF393ADC2ADFD638827A", ea);
  host_s.level = card_s.level = CF_SCP_C_MAC | CF_SCP_C_DEC;
  static const char *plain[4] = {"80F22002024F0000", "80F24002024F0000", "80F28002024F0000",
                                 "80F21002024F0000"};
  static const char *wrapped[4] = {"84F2200218705C4D16C7BAC5496AEE0ED9963222455472F3CFAC97BCCA00",
                                   "84F240021834AF0FEDDAE7C07308600587E1B1E6EC87811520D9A6AAAD00",
                                   "84F28002188D6CFE9EB359EACB9594D8EC161E45C10ED0138E34A10BF300",
                                   "84F21002183D98B6DE9CBF3905EAE4FAF5E141C58DAB7013D1076745C700"};
  for (int i = 0; i < 4; i++) {
    check_wrap(&host_s, plain[i], wrapped[i]);
    check_unwrap(&card_s, wrapped[i], plain[i]);
  }
}

static void test_scp03_kaoh_aes192(void **state) {
  (void)state;
  static const uint8_t isd[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
  cf_scp_keys k;
  cf_scp_session s;
  uint8_t host[8], chal[8], card_cg[8], host_cg[8];
  memset(&k, 0, sizeof k);
  k.klen = hx("DE2A3629CBC24E8D8869E82C8B4C0D874D88166B6F8A1C12", k.enc, 32);
  memcpy(k.mac, k.enc, 24);
  memcpy(k.dek, k.enc, 24);
  hx("4157115CAD7D2FE7", host, 8);
  assert_int_equal(cf_scp03_pseudo_challenge(k.enc, 24, 0x12, isd, sizeof isd, chal, 8), 0);
  assert_hex(chal, 8, "726B1E22EED4F4BB");
  assert_int_equal(cf_scp03_session_init(&s, &k, host, chal, 0x10), 0);
  assert_int_equal(cf_scp03_cryptograms(&s, host, chal, card_cg, host_cg), 0);
  assert_hex(card_cg, 8, "AB21001BFD4B6F02");
  uint8_t eab[13] = {0x80, 0x82, 0x03, 0x00, 0x08};
  memcpy(eab + 5, host_cg, 8);
  char ea[27];
  cf_hex_encode(eab, 13, ea);
  s.level = CF_SCP_C_MAC;
  check_wrap(&s, ea, "84820300109B126D1B1557297F3C06766CA9ACBD27");
  s.level = CF_SCP_C_MAC | CF_SCP_C_DEC;
  check_wrap(&s, "80F22002024F0000", "84F2200218110C222888859059700E5D42AD65F41299B0BFFC03BF79A800");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kcv),
      cmocka_unit_test(test_scp02_omfgp_session_keys),
      cmocka_unit_test(test_scp02_host),
      cmocka_unit_test(test_scp02_card),
      cmocka_unit_test(test_scp02_kaoh_mac),
      cmocka_unit_test(test_scp02_kaoh_mac_enc),
      cmocka_unit_test(test_scp03_pysim_host),
      cmocka_unit_test(test_scp03_pysim_card),
      cmocka_unit_test(test_scp03_response_tamper),
      cmocka_unit_test(test_scp03_kaoh_session_keys),
      cmocka_unit_test(test_scp03_kaoh_enc_sequence),
      cmocka_unit_test(test_scp03_kaoh_aes192),
  };
  return cmocka_run_group_tests_name("scp_vectors", tests, NULL, NULL);
}
