/* SCP02 R-MAC against a REAL card's session, on both sides, and the R-MAC of error responses.
 *
 * The trace (GlobalPlatformPro issue 218, https://github.com/martinpaljak/GlobalPlatformPro/issues/218):
 * a GP card with keys 40..4F, KVN 20, SCP02 i=55 (its card challenge is the i=55 pseudo-random
 * one), level 13:
 *   > 80 50 20 00 08 4261A2F44EEC57EB 00
 *   < 00007283146622943966 20 02 0046 A58399EA65DD B9E2781A25689C71 9000
 *   > 84 82 13 00 10 FAE81DD218F60A30 A0F03ED2002B63B2
 *   < 9000
 *   > (plain) 80 E6 10 00 20 10A00000000053594E4A4F4E4553535344000A53594E4A4F4E45530000000000
 *   < 00 6DFCFE5065740D30 9000
 * The R-MAC verifies only with ICV = EXTERNAL AUTHENTICATE's C-MAC (A0F03ED2002B63B2, not
 * encrypted), over CLA 80 INS P1 P2, the plain Lc (20) and data, Li (01), data, SW, padded once.
 *
 * Values marked "independent" were computed outside this code base (a Python model of GP Annex E
 * on a general crypto library) from that rule; the card and the host must both produce them. */
#include <stdlib.h>

#include "gp_test_util.h"
#include "cardforge/card.h"
#include "cardforge/crypto.h"
#include "cardforge/gp.h"
#include "cardforge/gp_client.h"
#include "cardforge/scp.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "cardforge/transport.h"

#define TRACE_HOST_CHALLENGE "4261A2F44EEC57EB"
#define TRACE_IU "80502000084261A2F44EEC57EB00"
#define TRACE_IU_TAIL "20020046A58399EA65DDB9E2781A25689C71" /* after the 10 bytes of KDD */
#define TRACE_EA "8482130010FAE81DD218F60A30A0F03ED2002B63B2"
#define TRACE_INSTALL "80E610002010A00000000053594E4A4F4E4553535344000A53594E4A4F4E45530000000000"
#define TRACE_INSTALL_RESP "006DFCFE5065740D30"

static const uint8_t isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static void trace_keys(cf_scp_keys *k) {
  memset(k, 0, sizeof *k);
  k->kvn = 0x20;
  k->klen = 16;
  hx("404142434445464748494A4B4C4D4E4F", k->enc, 16);
  memcpy(k->mac, k->enc, 16);
  memcpy(k->dek, k->enc, 16);
}

static cf_apdu parse(const char *hex, uint8_t *raw, size_t cap) {
  cf_apdu a;
  size_t n = hx(hex, raw, cap);
  assert_int_equal(cf_apdu_parse(raw, n, &a), SW_OK);
  return a;
}

/* The trace's session keys and cryptograms; level left at C-MAC for EXTERNAL AUTHENTICATE. */
static void trace_session(cf_scp_session *s) {
  cf_scp_keys k;
  uint8_t host[8], card_chal[6], card_cg[8], host_cg[8];
  trace_keys(&k);
  hx(TRACE_HOST_CHALLENGE, host, 8);
  assert_int_equal(cf_scp02_session_init(s, &k, 0x0046, 0x55), 0);
  assert_int_equal(cf_scp02_pseudo_challenge(s, isd_aid, sizeof isd_aid, card_chal), 0);
  assert_hex(card_chal, 6, "A58399EA65DD");
  assert_int_equal(cf_scp02_cryptograms(s, host, 0x0046, card_chal, card_cg, host_cg), 0);
  assert_hex(card_cg, 8, "B9E2781A25689C71");
  assert_hex(host_cg, 8, "FAE81DD218F60A30");
  s->level = CF_SCP_C_MAC;
}

/* ---- the shared constructions, host role and card role ---- */

static void test_trace_host_side(void **state) {
  (void)state;
  cf_scp_session s, before;
  uint8_t raw[300], buf[300], out[64], resp[32];
  cf_apdu wrapped;
  size_t n = 0;
  trace_session(&s);
  cf_apdu ea = parse("8082130008FAE81DD218F60A30", raw, sizeof raw);
  assert_int_equal(cf_scp_wrap_command(&s, &ea, buf, sizeof buf, &wrapped), 0);
  assert_apdu_hex(&wrapped, TRACE_EA);
  assert_hex(s.rmac_chain, 8, "A0F03ED2002B63B2");
  s.level = 0x13;
  cf_apdu install = parse(TRACE_INSTALL, raw, sizeof raw);
  assert_int_equal(cf_scp_wrap_command(&s, &install, buf, sizeof buf, &wrapped), 0);
  assert_int_equal(wrapped.cla, 0x84);
  assert_int_equal(wrapped.lc, 40 + 8); /* 32 bytes padded to 40, encrypted, then the C-MAC */
  before = s;
  size_t rn = hx(TRACE_INSTALL_RESP, resp, sizeof resp);
  assert_int_equal(cf_scp_unwrap_response(&s, &install, resp, rn, SW_OK, out, sizeof out, &n), 0);
  assert_hex(out, n, "00");
  assert_hex(s.rmac_chain, 8, "6DFCFE5065740D30");
  /* one bit off in the R-MAC, or the wrong SW under it, and it does not verify */
  s = before;
  resp[8] ^= 0x01;
  assert_int_equal(cf_scp_unwrap_response(&s, &install, resp, rn, SW_OK, out, sizeof out, &n), -1);
  resp[8] ^= 0x01;
  s = before;
  assert_int_equal(cf_scp_unwrap_response(&s, &install, resp, rn, 0x6A80, out, sizeof out, &n), -1);
  /* the zero ICV this code used to take does not verify the real card */
  s = before;
  memset(s.rmac_chain, 0, 8);
  assert_int_equal(cf_scp_unwrap_response(&s, &install, resp, rn, SW_OK, out, sizeof out, &n), -1);
  cf_scp_session_wipe(&s);
  cf_scp_session_wipe(&before);
}

static void test_trace_card_side(void **state) {
  (void)state;
  cf_scp_session host, card;
  uint8_t raw[300], buf[300], plain_buf[300], enc[300], want[300], out[64];
  cf_apdu wrapped, plain;
  trace_session(&host);
  card = host;
  cf_apdu ea = parse(TRACE_EA, raw, sizeof raw);
  assert_int_equal(cf_scp_unwrap_command(&card, &ea, plain_buf, sizeof plain_buf, &plain), SW_OK);
  assert_hex(plain.data, plain.lc, "FAE81DD218F60A30");
  assert_hex(card.rmac_chain, 8, "A0F03ED2002B63B2");
  /* the trace does not show the INSTALL as sent, so our host wraps it (its wrapping is pinned by
   * the pySim and kaoh vectors in gp_scp_vectors) */
  cf_apdu ea_plain = parse("8082130008FAE81DD218F60A30", raw, sizeof raw);
  assert_int_equal(cf_scp_wrap_command(&host, &ea_plain, buf, sizeof buf, &wrapped), 0);
  host.level = card.level = 0x13;
  cf_apdu install = parse(TRACE_INSTALL, raw, sizeof raw);
  assert_int_equal(cf_scp_wrap_command(&host, &install, buf, sizeof buf, &wrapped), 0);
  assert_int_equal(cf_scp_unwrap_command(&card, &wrapped, plain_buf, sizeof plain_buf, &plain), SW_OK);
  size_t m = cf_apdu_encode(&plain, false, enc, sizeof enc);
  size_t wn = hx(TRACE_INSTALL, want, sizeof want);
  assert_int_equal(m, wn);
  assert_memory_equal(enc, want, wn);
  size_t n = 0;
  assert_int_equal(
      cf_scp_wrap_response(&card, &plain, (const uint8_t[]){0x00}, 1, SW_OK, out, sizeof out, &n), 0);
  assert_hex(out, n, TRACE_INSTALL_RESP);
  cf_scp_session_wipe(&host);
  cf_scp_session_wipe(&card);
}

/* SCP02 R-MACs error answers too (Li = 00); SCP03 does not (Amendment D). */
static void test_error_rules(void **state) {
  (void)state;
  cf_scp_session host, card;
  uint8_t raw[300], buf[300], out[64], resp[64];
  cf_apdu wrapped;
  size_t n = 0, rn = 0;
  trace_session(&host);
  cf_apdu ea = parse("8082110008FAE81DD218F60A30", raw, sizeof raw);
  assert_int_equal(cf_scp_wrap_command(&host, &ea, buf, sizeof buf, &wrapped), 0);
  card = host;
  host.level = card.level = 0x11;
  uint8_t icv[8], in[16], mac[8];
  memcpy(icv, card.rmac_chain, 8);
  cf_apdu gd = parse("80CA00FE00", raw, sizeof raw);
  assert_int_equal(cf_scp_wrap_response(&card, &gd, NULL, 0, 0x6A88, resp, sizeof resp, &rn), 0);
  assert_int_equal(rn, 8);
  size_t m = hx("80CA00FE00006A88", in, sizeof in);
  assert_int_equal(cf_mac_alg3(card.s_rmac, icv, in, m, mac), 0);
  assert_memory_equal(resp, mac, 8);
  cf_scp_session saved = host;
  assert_int_equal(cf_scp_unwrap_response(&host, &gd, resp, rn, 0x6A88, out, sizeof out, &n), 0);
  assert_int_equal(n, 0);
  assert_memory_equal(host.rmac_chain, mac, 8);
  /* under another SW the same R-MAC is wrong */
  cf_scp_session other = saved;
  assert_int_equal(cf_scp_unwrap_response(&other, &gd, resp, rn, 0x6A82, out, sizeof out, &n), -1);
  /* an error with nothing after it: unauthenticated, the session is over */
  other = saved;
  assert_int_equal(cf_scp_unwrap_response(&other, &gd, resp, 0, 0x6982, out, sizeof out, &n),
                   CF_SCP_UNPROTECTED_ERROR);
  assert_int_equal(n, 0);
  /* success without an R-MAC, or an error with a truncated one, is refused */
  other = saved;
  assert_int_equal(cf_scp_unwrap_response(&other, &gd, resp, 0, SW_OK, out, sizeof out, &n), -1);
  other = saved;
  assert_int_equal(cf_scp_unwrap_response(&other, &gd, resp, 5, 0x6A88, out, sizeof out, &n), -1);
  other = saved;
  assert_int_equal(cf_scp_unwrap_response(&other, &gd, resp, 7, 0x6310, out, sizeof out, &n), -1);
  /* the chain goes on after an error: the next R-MAC takes the error's as its ICV */
  cf_apdu gd2 = parse("80CA00E000", raw, sizeof raw);
  static const uint8_t data[3] = {0xE0, 0x01, 0x00};
  assert_int_equal(cf_scp_wrap_response(&card, &gd2, data, 3, SW_OK, resp, sizeof resp, &rn), 0);
  assert_int_equal(cf_scp_unwrap_response(&host, &gd2, resp, rn, SW_OK, out, sizeof out, &n), 0);
  assert_hex(out, n, "E00100");
  /* padded once: the same bytes padded twice (GlobalPlatformPro's SCP02Wrapper) give another MAC */
  uint8_t mac_in[32], twice[8];
  m = hx("80CA00E00003E001009000", mac_in, sizeof mac_in);
  size_t pm = cf_pad_iso9797_m2(mac_in, m, 8, sizeof mac_in);
  assert_int_equal(cf_mac_alg3(card.s_rmac, mac, mac_in, pm, twice), 0);
  assert_memory_not_equal(resp + 3, twice, 8);
  assert_int_equal(cf_mac_alg3(card.s_rmac, mac, mac_in, m, twice), 0);
  assert_memory_equal(resp + 3, twice, 8);
  cf_scp_session_wipe(&host);
  cf_scp_session_wipe(&card);
  cf_scp_session_wipe(&saved);
  cf_scp_session_wipe(&other);
}

/* ---- the host client replaying the real card ---- */

typedef struct script {
  const char
      *cmd[4]; /* what the host must send; NULL = any (the INSTALL, whose wire bytes the trace lacks) */
  const char *resp[4]; /* the card's answer, SW included */
  size_t step;
} script;

static int script_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                           size_t *rlen) {
  script *sc = t->impl;
  assert_true(sc->step < 4 && sc->resp[sc->step] != NULL);
  if (sc->cmd[sc->step])
    assert_hex(cmd, len, sc->cmd[sc->step]);
  else
    assert_hex(cmd, 4, "84E61000");
  *rlen = hx(sc->resp[sc->step], resp, cap);
  sc->step++;
  return 0;
}

static void no_close(cf_transport *t) {
  (void)t;
}

static const cf_transport_ops script_ops = {.exchange = script_exchange, .reset = NULL, .close = no_close};

static int replay(const char *install_resp, uint8_t *out, size_t *n, uint16_t *sw, cf_gp_client *c) {
  script sc = {
      .cmd = {TRACE_IU, TRACE_EA, NULL},
      .resp = {"0000728314662294396620020046A58399EA65DDB9E2781A25689C719000", "9000", install_resp}};
  cf_transport *t = calloc(1, sizeof *t);
  assert_non_null(t);
  t->ops = &script_ops;
  t->impl = &sc;
  cf_scp_keys k;
  trace_keys(&k);
  uint8_t host[8], raw[300];
  hx(TRACE_HOST_CHALLENGE, host, 8);
  cf_gp_client_init(c, t);
  cf_gp_open_opts o = {.level = 0x13, .kvn = 0x20, .host_challenge = host};
  assert_int_equal(cf_gp_open(c, &k, &o), CF_GP_OK);
  cf_apdu install = parse(TRACE_INSTALL, raw, sizeof raw);
  int rc = cf_gp_transmit(c, &install, 0, out, 64, n, sw);
  assert_int_equal(sc.step, 3);
  free(t);
  return rc;
}

static void test_trace_client(void **state) {
  (void)state;
  cf_gp_client c;
  uint8_t out[64];
  size_t n = 0;
  uint16_t sw = 0;
  assert_int_equal(replay(TRACE_INSTALL_RESP "9000", out, &n, &sw, &c), CF_GP_OK);
  assert_int_equal(sw, SW_OK);
  assert_hex(out, n, "00");
  assert_true(c.open);
  cf_gp_close(&c);
  /* the same answer with one R-MAC bit off: refused, channel closed */
  assert_int_equal(replay("006DFCFE5065740D319000", out, &n, &sw, &c), CF_GP_ERR_VERIFY);
  assert_false(c.open);
  /* an error with no R-MAC: the status comes back, the channel is closed */
  assert_int_equal(replay("6982", out, &n, &sw, &c), CF_GP_OK);
  assert_int_equal(sw, 0x6982);
  assert_false(c.open);
}

/* ---- our card, set up like the real one, through the client ---- */

/* Forwards to the card and keeps every exchange, to check the bytes on the wire. */
typedef struct recorder {
  cf_card *card;
  size_t count;
  uint8_t cmd[8][300], resp[8][600];
  size_t cmd_len[8], resp_len[8];
} recorder;

static int rec_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                        size_t *rlen) {
  recorder *r = t->impl;
  size_t i = r->count++ % 8;
  assert_true(len <= sizeof r->cmd[i]);
  memcpy(r->cmd[i], cmd, len);
  r->cmd_len[i] = len;
  r->resp_len[i] = cf_card_transmit(r->card, cmd, len, r->resp[i], sizeof r->resp[i]);
  assert_true(r->resp_len[i] >= 2 && r->resp_len[i] <= cap);
  memcpy(resp, r->resp[i], r->resp_len[i]);
  *rlen = r->resp_len[i];
  return 0;
}

static const cf_transport_ops rec_ops = {.exchange = rec_exchange, .reset = NULL, .close = no_close};

/* The n-th exchange from the end (0 = the last). */
static void assert_exchange(const recorder *r, size_t back, const char *cmd, const char *resp) {
  size_t i = (r->count - 1 - back) % 8;
  if (cmd) assert_hex(r->cmd[i], r->cmd_len[i], cmd);
  if (resp) assert_hex(r->resp[i], r->resp_len[i], resp);
}

typedef struct world {
  cf_store *store;
  recorder rec;
  cf_transport t;
  cf_gp_client c;
} world;

/* The factory set as KVN 20 (keys 40..4F, i=55) with its sequence counter at counter: the store
 * record of docs/gp.md section 5, written where and how the card writes it. */
static world *world_new(uint16_t counter) {
  world *w = calloc(1, sizeof *w);
  assert_non_null(w);
  assert_int_equal(cf_store_open_memory(&w->store), CF_STORE_OK);
  w->rec.card = gp_profile.create(w->store, "kvn=20,i02=55");
  assert_non_null(w->rec.card);
  uint8_t value[3] = {0x00, (uint8_t)(counter >> 8), (uint8_t)counter};
  assert_int_equal(cf_store_begin(w->store), CF_STORE_OK);
  assert_int_equal(cf_store_put(w->store, CF_STORE_KEY(1, 0x100 + 0x20), value, 3), CF_STORE_OK);
  assert_int_equal(cf_store_commit(w->store), CF_STORE_OK);
  cf_card_power_on(w->rec.card);
  w->t.ops = &rec_ops;
  w->t.impl = &w->rec;
  cf_gp_client_init(&w->c, &w->t);
  return w;
}

static void world_free(world *w) {
  cf_gp_close(&w->c);
  cf_card_free(w->rec.card);
  cf_store_close(w->store);
  free(w);
}

/* Opens with the trace's host challenge; ea = EXTERNAL AUTHENTICATE as it must go out (NULL: not
 * checked). Its answer carries no R-MAC. */
static void open_checked(world *w, uint8_t level, const char *ea) {
  cf_scp_keys k;
  uint8_t host[8];
  trace_keys(&k);
  hx(TRACE_HOST_CHALLENGE, host, 8);
  cf_gp_open_opts o = {.level = level, .kvn = 0x20, .host_challenge = host};
  assert_int_equal(cf_gp_open(&w->c, &k, &o), CF_GP_OK);
  assert_exchange(&w->rec, 0, ea, "9000");
}

/* Sends a plain command through the client; checks the status word and the answer on the wire
 * (data || R-MAC || SW). */
static void send_checked(world *w, const char *plain_hex, uint16_t want_sw, const char *wire) {
  uint8_t raw[300], out[600];
  size_t n = 0;
  uint16_t sw = 0;
  cf_apdu a = parse(plain_hex, raw, sizeof raw);
  assert_int_equal(cf_gp_transmit(&w->c, &a, 0, out, sizeof out, &n, &sw), CF_GP_OK);
  assert_int_equal(sw, want_sw);
  assert_exchange(&w->rec, 0, NULL, wire);
  assert_int_equal(n + 10, hx(wire, raw, sizeof raw)); /* the client strips exactly the R-MAC */
  assert_true(w->c.open);
}

/* Raw bytes to the card, outside the client. */
static void card_raw(world *w, const char *cmd_hex, const char *want) {
  uint8_t cmd[300], out[600];
  size_t n = hx(cmd_hex, cmd, sizeof cmd);
  n = cf_card_transmit(w->rec.card, cmd, n, out, sizeof out);
  assert_hex(out, n, want);
}

static void test_card_like_trace_level13(void **state) {
  (void)state;
  world *w = world_new(0x0046);
  open_checked(w, 0x13, TRACE_EA);
  /* the same INITIALIZE UPDATE as the trace's, answered as the real card did (but for the KDD) */
  size_t iu = (w->rec.count - 2) % 8;
  assert_hex(w->rec.cmd[iu], w->rec.cmd_len[iu], TRACE_IU);
  assert_int_equal(w->rec.resp_len[iu], 30);
  assert_hex(w->rec.resp[iu] + 10, 20, TRACE_IU_TAIL "9000");
  /* independent: the trace's INSTALL [for extradition] (P1 10), which this card refuses (no
   * supplementary Security Domain to extradite to): 6A86 with its R-MAC (ICV = the C-MAC above);
   * the chain goes on over a success and another error. The same model gives the real card's
   * 6DFCFE5065740D30 for its 00 9000 and this file's earlier 6D00 chain. */
  send_checked(w, TRACE_INSTALL, SW_INCORRECT_P1P2, "BD05C8DACF77B4C26A86");
  send_checked(w, "80CA00E000", SW_OK,
               "E012C00401208010C00402208010C00403208010"
               "322870CAB8396AA5"
               "9000");
  send_checked(w, "80CA00FE00", SW_REFERENCED_DATA_NOT_FOUND, "213B893101E1E08C6A88");
  world_free(w);
}

static void test_card_level11(void **state) {
  (void)state;
  world *w = world_new(0x0047);
  /* independent: counter 0047, the same host challenge, level 11 */
  open_checked(w, 0x11, "84821100103BB59902955E101A3EAD0C53953E6BA6");
  send_checked(w, "80CA00FE00", SW_REFERENCED_DATA_NOT_FOUND, "081167B56749420F6A88");
  send_checked(w, "80CA00E000", SW_OK,
               "E012C00401208010C00402208010C00403208010"
               "2FE016BFA5CD657E"
               "9000");
  world_free(w);
}

/* An answer without R-MAC always means the session ended: a bad C-MAC, or a command that is not
 * of the session. */
static void test_card_ends_session_without_rmac(void **state) {
  (void)state;
  world *w = world_new(0x0010);
  uint8_t out[600];
  size_t n = 0;
  uint16_t sw = 0;
  open_checked(w, 0x13, NULL);
  card_raw(w, "84CA00E008010203040506070800", "6982"); /* bad C-MAC */
  card_raw(w, "80CA00C100", "C10200119000");           /* plain commands work again */
  open_checked(w, 0x11, NULL);
  cf_apdu bad = {.cla = 0xC0, .ins = 0xCA, .p1 = 0x00, .p2 = 0xE0, .le = 256, .has_le = true};
  assert_int_equal(cf_gp_transmit(&w->c, &bad, 0, out, sizeof out, &n, &sw), CF_GP_OK);
  assert_int_equal(sw, SW_CLA_NOT_SUPPORTED);
  assert_exchange(&w->rec, 0, NULL, "6E00");
  assert_int_equal(w->rec.cmd[(w->rec.count - 1) % 8][0], 0xC4);
  assert_false(w->c.open);
  card_raw(w, "80CA00C100", "C10200129000");
  world_free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trace_host_side),
      cmocka_unit_test(test_trace_card_side),
      cmocka_unit_test(test_error_rules),
      cmocka_unit_test(test_trace_client),
      cmocka_unit_test(test_card_like_trace_level13),
      cmocka_unit_test(test_card_level11),
      cmocka_unit_test(test_card_ends_session_without_rmac),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
