/* The GlobalPlatform card (profile "gp", an SCP03 key set KVN 30 of AES-128 keys), driven by the
 * host client (gp_client.h) over a transport: in process, or the card in a PC/SC reader.
 *
 *   gp SCP03 GET DATA CPLC, level 33   C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION: the command is
 *                                      MACed, the 45-byte answer encrypted and MACed
 *   gp SCP03 PUT KEY, level 03         C-MAC + C-DECRYPTION over 70 bytes of key data: replaces
 *                                      key set 31 (3 AES-128 keys) with itself
 *   gp select+open SCP03+PUT KEY       SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, PUT KEY
 *
 * Floors, AES-128, host and card together (one key setup per pass):
 *   C-MAC: CMAC over chaining value (16) + header (5) + data on both sides. C-DECRYPTION: the
 *   counter IV (one ECB block) and the CBC pass on both sides. R-ENC / R-MAC: the same for the
 *   answer (45 bytes + padding, MAC over chaining value + data + SW).
 *   PUT KEY: per key the DEK encryption/decryption (one CBC block) and the check value (one ECB
 *   block) on each side. INITIALIZE UPDATE: host challenge, card pseudo-random challenge
 *   (1 CMAC), 3 session keys + 2 cryptograms on each side (10 CMAC of 32 bytes). EXTERNAL
 *   AUTHENTICATE: one C-MAC each side. */
#include "bench_cards.h"
#include "bench_floor.h"
#include "bench_harness.h"

#include "cardforge/gp_client.h"

static const char usage[] =
    "usage: bench_gp [options] [--reader R]\n"
    "GlobalPlatform SCP03 commands and the open + PUT KEY operation.\n"
    "  --reader R    drive the GP card in PC/SC reader R (profile gp with scp=03,kvn=30)\n"
    "  --store DIR   keep the emulated card in a file under DIR (default: memory)\n";

#define LEVEL_FULL (CF_SCP_C_MAC | CF_SCP_C_DEC | CF_SCP_R_MAC | CF_SCP_R_ENC)
#define LEVEL_CMAC_CDEC (CF_SCP_C_MAC | CF_SCP_C_DEC)

typedef struct gp_bench {
  const bench_cfg *cfg;
  cf_gp_client c;
  cf_scp_keys keys; /* KVN 30 */
  cf_gp_new_key set31[3];
} gp_bench;

static int fail(gp_bench *b, const char *step) {
  fprintf(stderr, "%s: %s: %s (SW %04X)\n", b->cfg->program, step, b->c.err, b->c.last_sw);
  return -1;
}

static int open_channel(gp_bench *b, uint8_t level) {
  cf_gp_open_opts o = {.scp = 3, .level = level, .kvn = 0x30, .host_challenge = NULL};
  if (cf_gp_select(&b->c, NULL, 0, NULL, 0, NULL) != CF_GP_OK) return fail(b, "SELECT");
  if (cf_gp_open(&b->c, &b->keys, &o) != CF_GP_OK) return fail(b, "open SCP03");
  return 0;
}

static int op_get_data(void *p) {
  gp_bench *b = p;
  uint8_t out[64];
  size_t len = 0;
  if (cf_gp_get_data(&b->c, 0x9F7F, out, sizeof out, &len) != CF_GP_OK) return fail(b, "GET DATA");
  return len == 45 ? 0 : fail(b, "GET DATA length");
}

static int op_put_key(void *p) {
  gp_bench *b = p;
  return cf_gp_put_key(&b->c, 0x31, 0x31, 1, b->set31, 3, false) == CF_GP_OK ? 0 : fail(b, "PUT KEY");
}

static int op_full(void *p) {
  gp_bench *b = p;
  if (open_channel(b, LEVEL_CMAC_CDEC) != 0) return -1;
  return op_put_key(p);
}

/* ---- floors ---- */
static struct { uint8_t key[16], iv[16], buf[512], out[512], mac[16]; } F;

static void floor_cmac(size_t len) {
  floor_aes_cmac(F.key, 16, F.buf, len, F.mac);
}

/* One side's counter IV and CBC pass over len padded bytes. */
static void floor_enc_pass(size_t padded, int enc) {
  floor_aes_ecb(F.key, 16, 1, F.buf, F.iv, 16);
  floor_aes_cbc(F.key, 16, F.iv, enc, F.buf, F.out, padded);
}

static int floor_get_data(void *p) {
  floor_cmac(16 + 5); /* C-MAC, host and card */
  floor_cmac(16 + 5);
  floor_enc_pass(48, 1); /* R-ENC of 45 bytes, card then host */
  floor_enc_pass(48, 0);
  floor_cmac(16 + 48 + 2); /* R-MAC */
  floor_cmac(16 + 48 + 2);
  return 0;
}

static int floor_put_key(void *p) {
  for (int side = 0; side < 2; side++) {
    for (int k = 0; k < 3; k++) {
      floor_aes_cbc(F.key, 16, F.iv, side == 0, F.buf, F.out, 16); /* key value under the DEK */
      floor_aes_ecb(F.key, 16, 1, F.buf, F.out, 16);               /* its check value */
    }
    floor_enc_pass(80, side == 0); /* 70 bytes of data, padded */
    floor_cmac(16 + 5 + 80);
  }
  return 0;
}

static int floor_full(void *p) {
  if (RAND_bytes(F.out, 8) != 1) floor_fail("random"); /* host challenge */
  floor_cmac(32);                                      /* card pseudo-random challenge */
  for (int i = 0; i < 10; i++)
    floor_cmac(32);       /* 3 session keys + 2 cryptograms, each side */
  floor_cmac(16 + 5 + 8); /* EXTERNAL AUTHENTICATE C-MAC, each side */
  floor_cmac(16 + 5 + 8);
  return floor_put_key(p);
}

int main(int argc, char **argv) {
  bench_cfg cfg;
  bench_parse(&cfg, "bench_gp", usage, argc, argv, NULL, NULL);
  static const char *const names[] = {"gp SCP03 GET DATA CPLC (level 33: C-MAC C-DEC R-MAC R-ENC)",
                                      "gp SCP03 PUT KEY 3 AES keys (level 03: C-MAC C-DEC)",
                                      "gp select+open SCP03+PUT KEY"};
  bool want[3], any = false;
  for (int i = 0; i < 3; i++)
    any |= want[i] = bench_selected(&cfg, names[i]);
  if (!any) return 0;
  bench_header();
  floor_init();
  for (size_t i = 0; i < sizeof F.buf; i++)
    F.buf[i] = (uint8_t)(i + 3);
  for (int i = 0; i < 16; i++)
    F.key[i] = (uint8_t)(0x40 + i);

  gp_bench *b = calloc(1, sizeof *b);
  bench_card bc;
  if (b == NULL || bench_card_open(&cfg, "gp", "scp=03,kvn=30", "gp", &bc) != 0) return 3;
  b->cfg = &cfg;
  b->keys.kvn = 0x30;
  b->keys.klen = 16;
  for (int i = 0; i < 16; i++)
    b->keys.enc[i] = b->keys.mac[i] = b->keys.dek[i] = (uint8_t)(0x40 + i);
  for (int k = 0; k < 3; k++) {
    b->set31[k].type = CF_GP_KEY_AES;
    b->set31[k].len = 16;
    for (int i = 0; i < 16; i++)
      b->set31[k].value[i] = (uint8_t)(0x10 * (k + 1) + i);
  }
  cf_gp_client_init(&b->c, bc.t);
  const char *path = bench_path(&cfg);
  static const bench_target within_2x = {BENCH_MAX_RATIO, 2.0, "inproc"};
  int rc = 0;
  /* key set 31 must exist for the replacing PUT KEY (a card kept in a reader may have it) */
  if (open_channel(b, LEVEL_CMAC_CDEC) != 0) return 3;
  if (cf_gp_put_key(&b->c, 0x31, 0x31, 1, b->set31, 3, false) != CF_GP_OK &&
      cf_gp_put_key(&b->c, 0x00, 0x31, 1, b->set31, 3, false) != CF_GP_OK) {
    fail(b, "PUT KEY (add set 31)");
    return 3;
  }
  if (want[0]) {
    if (open_channel(b, LEVEL_FULL) != 0 ||
        bench_run(&cfg, names[0], path, "apdu", op_get_data, b, floor_get_data, NULL, &within_2x,
                  "cf_gp_get_data in an SCP03 session; floor = 2 ECB + 2 CBC + 4 CMAC") != 0)
      rc = 3;
  }
  if (rc == 0 && want[1]) {
    if (open_channel(b, LEVEL_CMAC_CDEC) != 0 ||
        bench_run(&cfg, names[1], path, "apdu", op_put_key, b, floor_put_key, NULL, &within_2x,
                  "cf_gp_put_key replacing set 31; floor = DEK + KCV x3 + C-DEC + C-MAC each side") != 0)
      rc = 3;
  }
  if (rc == 0 && want[2] &&
      bench_run(&cfg, names[2], path, "op", op_full, b, floor_full, NULL, NULL,
                "cf_gp_select + cf_gp_open + cf_gp_put_key; floor adds 11 CMAC of the handshake") != 0)
    rc = 3;
  cf_gp_close(&b->c);
  bench_card_close(&bc);
  free(b);
  return rc;
}
