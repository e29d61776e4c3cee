/* The Status Keycard, driven by the host client (keycard_client.h) over a transport: an emulated
 * card in this process, or the card in a PC/SC reader (--reader).
 *
 *   keycard SC GET STATUS        one command through the open secure channel (target: <= 2x floor)
 *   keycard pair+open+PIN+sign   SELECT, PAIR, OPEN SECURE CHANNEL + MUTUALLY AUTHENTICATE,
 *                                VERIFY PIN, SIGN, then UNPAIR to give the slot back (5 slots)
 *   the same from the password   with PBKDF2-SHA256 x50000 of the pairing password first
 *
 * Floors (host and card together, AES-256 for the channel; one key setup per cipher pass):
 *   a secure command carrying c plain bytes and answering r (inner SW included): per direction
 *   CBC encryption of pad(n) and a CBC-MAC over a 16-byte header + ciphertext by the sender, the
 *   same MAC and the decryption by the receiver.
 *   SELECT: host key pair + ECDH. PAIR: 3 random values, 6 SHA-256 of 64 bytes (both proofs
 *   computed and checked, the pairing key on both sides). OPEN: card random + ECDH, SHA-512 of
 *   96 bytes on both sides. MUTUALLY AUTHENTICATE: 2 randoms, command 32 / answer 34 bytes.
 *   VERIFY PIN 6 / 2. SIGN 32 / 147 (A0 template + SW) + card ECDSA signature + one host public
 *   key recovery (the client learns the recovery id that way). UNPAIR 0 / 2. */
#include "bench_cards.h"
#include "bench_floor.h"
#include "bench_harness.h"

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

static const char usage[] = "usage: bench_keycard [options] [--reader R]\n"
                            "Keycard secure-channel command and full pairing-to-signature operation.\n"
                            "  --reader R    drive the Keycard in PC/SC reader R instead of an emulated one\n"
                            "  --store DIR   keep the emulated card in a file under DIR (default: memory)\n";

#define PIN "123456"
#define PUK "123456789012"

typedef struct kc_bench {
  const bench_cfg *cfg;
  keycard_client kc;
  uint8_t secret[32];
  uint8_t hash[32];
} kc_bench;

static int fail(kc_bench *b, const char *step) {
  fprintf(stderr, "%s: %s: %s (SW %04X)\n", b->cfg->program, step, b->kc.err, b->kc.sw);
  return -1;
}

/* Card ready for secure commands: initialized, a key loaded, paired, channel open, PIN verified. */
static int bring_up(kc_bench *b) {
  keycard_client *kc = &b->kc;
  if (keycard_client_select(kc, NULL, 0) != 0) return fail(b, "SELECT");
  if (!kc->info.initialized) {
    if (keycard_client_init_card(kc, PIN, PUK, b->secret, 0, 0, NULL) != 0) return fail(b, "INIT");
    if (keycard_client_select(kc, NULL, 0) != 0) return fail(b, "SELECT");
  }
  if (keycard_client_pair(kc, b->secret) != 0) return fail(b, "PAIR");
  if (keycard_client_open_channel(kc) != 0) return fail(b, "OPEN SECURE CHANNEL");
  if (keycard_client_verify_pin(kc, PIN, NULL) != 0) return fail(b, "VERIFY PIN");
  /* a fixed seed, not a generated key: the signature and so the host's recovery-id search (1 to
   * 4 public-key recoveries) are the same at every run, which keeps the instruction count stable */
  uint8_t seed[64], key_uid[32];
  for (int i = 0; i < 64; i++)
    seed[i] = (uint8_t)(0xA5 ^ (i * 11));
  if (keycard_client_load_seed(kc, seed, key_uid) != 0) return fail(b, "LOAD KEY");
  return 0;
}

static int op_get_status(void *p) {
  kc_bench *b = p;
  keycard_client_status st;
  if (keycard_client_get_status(&b->kc, &st) != 0) return fail(b, "GET STATUS");
  return 0;
}

static int full_op(kc_bench *b, bool from_password) {
  keycard_client *kc = &b->kc;
  uint8_t secret[32];
  if (from_password) {
    if (keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret) != 0)
      return fail(b, "pairing secret");
  } else {
    memcpy(secret, b->secret, 32);
  }
  keycard_client_signature sig;
  if (keycard_client_select(kc, NULL, 0) != 0) return fail(b, "SELECT");
  if (keycard_client_pair(kc, secret) != 0) return fail(b, "PAIR");
  if (keycard_client_open_channel(kc) != 0) return fail(b, "OPEN SECURE CHANNEL");
  if (keycard_client_verify_pin(kc, PIN, NULL) != 0) return fail(b, "VERIFY PIN");
  if (keycard_client_sign(kc, b->hash, NULL, false, &sig) != 0) return fail(b, "SIGN");
  if (keycard_client_unpair(kc, kc->pairing_index) != 0) return fail(b, "UNPAIR");
  cf_wipe(secret, sizeof secret);
  return 0;
}

static int op_full(void *p) {
  return full_op(p, false);
}
static int op_full_password(void *p) {
  return full_op(p, true);
}

/* ---- floors ---- */
static struct {
  uint8_t enc[32], mac[32], iv[16], buf[512], out[512];
  uint8_t priv[32], pub[65], card_priv[32], card_pub[65], secret[64], hash[32], sig[64];
  int recid;
} F;

static void floor_rand(size_t n) {
  if (RAND_bytes(F.out, (int)n) != 1) floor_fail("random");
}

/* One direction of a secure message with len plain bytes: sender encrypts and MACs, receiver
 * MACs and decrypts. */
static void floor_sc_message(size_t len) {
  size_t blocks = len / 16 + 1; /* ISO 9797-1 method 2 always adds a byte */
  size_t ct = blocks * 16;
  uint8_t mac[16];
  floor_aes_cbc(F.enc, 32, F.iv, 1, F.buf + 16, F.out, ct);
  floor_aes_cbc_mac(F.mac, 32, F.buf, ct + 16, mac);
  floor_aes_cbc_mac(F.mac, 32, F.buf, ct + 16, mac);
  floor_aes_cbc(F.enc, 32, F.iv, 0, F.buf + 16, F.out, ct);
}

static void floor_sc_command(size_t cmd_len, size_t resp_len) {
  floor_sc_message(cmd_len);
  floor_sc_message(resp_len);
}

static int floor_get_status(void *p) {
  floor_sc_command(0, 13); /* A3 09 {02 01 pin, 02 01 puk, 01 01 key} + SW */
  return 0;
}

static int floor_full(void *p) {
  uint8_t h[64];
  floor_ec_keygen(F.priv, F.pub); /* SELECT: host ephemeral key and ECDH */
  floor_ecdh(F.priv, F.card_pub, h);
  for (int i = 0; i < 3; i++)
    floor_rand(32); /* PAIR: host challenge, card challenge, salt */
  for (int i = 0; i < 6; i++)
    floor_sha256(F.buf, 64, h);
  floor_rand(48); /* OPEN SECURE CHANNEL: salt + IV, card ECDH, keys on both sides */
  floor_ecdh(F.card_priv, F.pub, h);
  floor_sha512(F.buf, 96, h);
  floor_sha512(F.buf, 96, h);
  floor_rand(32); /* MUTUALLY AUTHENTICATE */
  floor_rand(32);
  floor_sc_command(32, 34);
  floor_sc_command(6, 2);    /* VERIFY PIN */
  floor_sc_command(32, 147); /* SIGN: A0 81 8F {80 41 pub, 30 45+ sig} + SW */
  floor_ecdsa_sign(F.card_priv, F.hash, F.sig, &F.recid);
  floor_ecdsa_recover(F.hash, F.sig, F.recid, F.pub);
  floor_sc_command(0, 2); /* UNPAIR */
  return 0;
}

static int floor_full_password(void *p) {
  uint8_t secret[32];
  floor_pbkdf2_sha256(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, "Keycard Pairing Password Salt", 50000, secret,
                      32);
  return floor_full(p);
}

int main(int argc, char **argv) {
  bench_cfg cfg;
  bench_parse(&cfg, "bench_keycard", usage, argc, argv, NULL, NULL);
  static const char *const names[] = {"keycard SC GET STATUS", "keycard pair+open+verify PIN+sign (+unpair)",
                                      "keycard same from the pairing password (PBKDF2)"};
  bool want[3];
  bool any = false;
  for (int i = 0; i < 3; i++)
    any |= want[i] = bench_selected(&cfg, names[i]);
  if (!any) return 0;
  bench_header();

  floor_init();
  for (size_t i = 0; i < sizeof F.buf; i++)
    F.buf[i] = (uint8_t)i;
  floor_ec_keygen(F.card_priv, F.card_pub);
  floor_sha256("keycard bench", 13, F.hash);

  kc_bench *b = calloc(1, sizeof *b);
  bench_card bc;
  if (b == NULL || bench_card_open(&cfg, "keycard-applet", "", "keycard", &bc) != 0) return 3;
  b->cfg = &cfg;
  memcpy(b->hash, F.hash, 32);
  keycard_client_init(&b->kc, bc.t);
  if (keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, b->secret) != 0 ||
      bring_up(b) != 0)
    return 3;
  const char *path = bench_path(&cfg);
  static const bench_target within_2x = {BENCH_MAX_RATIO, 2.0, "inproc"};
  int rc = 0;
  if (want[0] && bench_run(&cfg, names[0], path, "apdu", op_get_status, b, floor_get_status, NULL, &within_2x,
                           "keycard_client_get_status; floor = 8 AES-256 passes") != 0)
    rc = 3;
  /* a pairing slot of its own is taken and given back at every operation */
  if (rc == 0 && keycard_client_unpair(&b->kc, b->kc.pairing_index) != 0) {
    fail(b, "UNPAIR");
    rc = 3;
  }
  if (rc == 0 && want[1] &&
      bench_run(&cfg, names[1], path, "op", op_full, b, floor_full, NULL, NULL,
                "floor = keygen + 2 ECDH + ECDSA sign + recover + SHA-2 + AES + randoms") != 0)
    rc = 3;
  if (rc == 0 && want[2] &&
      bench_run(&cfg, names[2], path, "op", op_full_password, b, floor_full_password, NULL, NULL,
                "includes the PBKDF2-SHA256 x50000 of the pairing password") != 0)
    rc = 3;
  keycard_client_wipe(&b->kc);
  bench_card_close(&bc);
  free(b);
  return rc;
}
