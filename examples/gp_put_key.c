/* A GlobalPlatform secure channel and PUT KEY: open a channel with the factory keys, add an AES-128
 * key set as KVN 30 (the client checks the card's check values), open a channel with the new set,
 * and see a wrong key refused.
 *   gp_put_key            an emulated Security Domain in this process
 *   gp_put_key READER     the card in a PC/SC reader (factory keys 40..4F in KVN FF) */
#include <stdio.h>
#include <string.h>

#include <cardforge/cardforge.h>

#include "example_transport.h"

#define GP_KEY_AES 0x88 /* GP key type coding (GP 2.3.1 table 11-16): 80 DES, 88 AES */

static int failed(const cf_gp_client *c, const char *step, int rc) {
  fprintf(stderr, "%s: %s (%s): %s\n", step, cf_strerror(rc), cf_err_name(rc), c->err);
  return 1;
}

static void fill_keys(cf_scp_keys *k, uint8_t kvn, uint8_t first) {
  memset(k, 0, sizeof *k);
  k->kvn = kvn;
  k->klen = 16;
  for (uint8_t i = 0; i < 16; i++)
    k->enc[i] = k->mac[i] = k->dek[i] = (uint8_t)(first + i);
}

/* SELECT the Security Domain, then INITIALIZE UPDATE + EXTERNAL AUTHENTICATE (C-MAC + C-DEC). */
static int open_channel(cf_gp_client *c, const cf_scp_keys *keys) {
  uint8_t fci[256];
  size_t fci_len = 0;
  cf_gp_close(c);
  int rc = cf_gp_select(c, NULL, 0, fci, sizeof fci, &fci_len);
  if (rc != CF_OK) return rc;
  cf_gp_open_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.level = CF_SCP_C_MAC | CF_SCP_C_DEC;
  opts.kvn = keys->kvn;
  return cf_gp_open(c, keys, &opts);
}

static int run(cf_gp_client *c) {
  cf_scp_keys factory, fresh, wrong;
  fill_keys(&factory, 0x00, 0x40); /* KVN 00: the card's default set */
  fill_keys(&fresh, 0x30, 0xA0);
  fill_keys(&wrong, 0x30, 0xB0);

  int rc = open_channel(c, &factory);
  if (rc != CF_OK) return failed(c, "open (factory keys)", rc);
  printf("channel open with the factory keys, KVN %02X\n", c->kvn);

  cf_gp_new_key set[3];
  for (int i = 0; i < 3; i++) {
    set[i].type = GP_KEY_AES;
    set[i].len = 16;
    memcpy(set[i].value, fresh.enc, 16);
  }
  /* replace_kvn 00: add a set; keys 1..3 (ENC, MAC, DEK) in one command */
  if ((rc = cf_gp_put_key(c, 0x00, 0x30, 1, set, 3, false)) != CF_OK) return failed(c, "PUT KEY", rc);
  printf("PUT KEY: KVN 30 added (AES-128), check values verified\n");

  if ((rc = open_channel(c, &fresh)) != CF_OK) return failed(c, "open (KVN 30)", rc);
  printf("channel open with the new keys, KVN %02X\n", c->kvn);

  /* the card's cryptogram does not verify under a wrong key: CF_ERR_VERIFY, nothing sent after */
  rc = open_channel(c, &wrong);
  if (rc != CF_ERR_VERIFY) return failed(c, "open (wrong key)", rc);
  printf("wrong key refused: %s: %s\n", cf_strerror(rc), c->err);
  return 0;
}

int main(int argc, char **argv) {
  example_card card;
  cf_transport *t = example_open(&card, argc > 1 ? argv[1] : NULL, "gp", "");
  if (!t) return 1;
  cf_gp_client c;
  cf_gp_client_init(&c, t);
  int status = run(&c);
  cf_gp_close(&c);
  example_close(&card, t);
  return status;
}
