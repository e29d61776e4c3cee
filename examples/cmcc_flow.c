/* A China Mobile E-Card Pass flow: the key master card (KMC) authenticated through the
 * authentication card (spec 4.1.2), after the application PIN of each (4.1.1), then the KMC's key
 * list read with Read KeyInfo. A wrong PIN first shows how a refusal is reported. Both cards are
 * emulated in this process and share the master-card master key 02. */
#include <stdio.h>
#include <string.h>

#include <cardforge/cardforge.h>

#include "example_transport.h"

#define K01 "000102030405060708090A0B0C0D0E0F"
#define K02 "101112131415161718191A1B1C1D1E1F"
#define K03 "202122232425262728292A2B2C2D2E2F"
#define PIN "3232323232323232" /* the application PIN, "22222222" */

/* A flow's failure: the code's words, the step, the card's status word and the detail. */
static int failed(const cf_cmcc_host *h, int rc) {
  fprintf(stderr, "%s (%s) at %s, SW %04X: %s\n", cf_strerror(rc), cf_err_name(rc), h->step, h->sw,
          h->message);
  return 1;
}

static int run(cf_cmcc_host *h) {
  const uint8_t pin[8] = {'2', '2', '2', '2', '2', '2', '2', '2'};
  const uint8_t wrong[8] = {'9', '9', '9', '9', '9', '9', '9', '9'};

  int rc = cf_cmcc_verify_pin(h, CF_CMCC_KMC, CF_CMCC_PIN_APP, wrong);
  if (rc != CF_ERR_CARD) return failed(h, rc);
  printf("wrong PIN refused: SW %04X (%s)\n", h->sw, h->message);
  cf_cmcc_host_clear(h); /* the host keeps its first failure until cleared */

  if ((rc = cf_cmcc_verify_pin(h, CF_CMCC_KMC, CF_CMCC_PIN_APP, pin)) != CF_OK) return failed(h, rc);
  if ((rc = cf_cmcc_verify_pin(h, CF_CMCC_AUTH, CF_CMCC_PIN_APP, pin)) != CF_OK) return failed(h, rc);
  if ((rc = cf_cmcc_auth_kmc_via_authcard(h)) != CF_OK) return failed(h, rc);
  printf("KMC authenticated through the authentication card\n");

  uint8_t attrs[32][CF_CMCC_ATTR_LEN];
  int n = cf_cmcc_read_keyinfo(h, CF_CMCC_KMC, attrs, 32);
  if (n < 0) return failed(h, n);
  printf("KMC holds %d keys:", n);
  for (int i = 0; i < n; i++)
    printf(" %02X", attrs[i][0]);
  printf(" (key types)\n");
  return 0;
}

int main(void) {
  example_card kmc, auth;
  cf_transport *kmc_t = example_open(&kmc, NULL, "kmc", "pin2=" PIN ",k01=" K01 ",k02=" K02);
  cf_transport *auth_t = example_open(&auth, NULL, "authcard", "pin2=" PIN ",k02=" K02 ",k03=" K03);
  int status = 1;
  if (kmc_t && auth_t) {
    cf_cmcc_host h;
    cf_cmcc_host_init(&h);
    h.card[CF_CMCC_KMC] = kmc_t;
    h.card[CF_CMCC_AUTH] = auth_t;
    status = run(&h);
  }
  example_close(&auth, auth_t);
  example_close(&kmc, kmc_t);
  return status;
}
