/* GlobalPlatform scaffolding shared by the GP robustness tests: template cards and the secure
 * channel states commands start from, through the host client (cf_gp_client). */
#ifndef CF_ROBUST_GP_H
#define CF_ROBUST_GP_H

#include <stdint.h>

#include "cardforge/gp_client.h"
#include "robust_card.h"

/* Templates written by rg_make_templates into dir:
 *   scp02.card      factory card, DES set FF (40..4F): SCP02
 *   scp03.card      factory card, AES-128 set FF (40..4F): SCP03 (i = 70, pseudo-random challenge)
 *   scp02-two.card  scp02.card plus DES set 01
 *   scp03-two.card  scp03.card plus AES set 01 */
void rg_make_templates(const char *dir);

extern const cf_scp_keys rg_factory_keys;
extern const uint8_t rg_isd_aid[8];

cf_gp_client *rg_client(rb_card *c);
int rg_select(rb_card *c);
/* SELECT, then a channel with the factory keys: SCP02 C-MAC + C-DEC, SCP03 with R-MAC + R-ENC too. */
int rg_open(rb_card *c);
/* A command (CLA INS P1 P2 [data]) through the open channel; returns 0 and the status word. */
int rg_secure(rb_card *c, const uint8_t *apdu, size_t len, uint16_t *sw);
/* Fills n keys of the card's kind (DES for SCP02 channels, AES-128 for SCP03), values from seed. */
void rg_keys(const cf_gp_client *gc, cf_gp_new_key *keys, size_t n, uint8_t seed);

#endif
