/* China Mobile scaffolding shared by the CMCC robustness tests: template cards, an operator HSM
 * holding the default master keys, helper cards that take part in two-card flows (a KMC that
 * exports to the targets, a working card that feeds the terminal), and the security states the
 * commands start from, all reached through the host flows (cmcc_host.h). */
#ifndef CF_ROBUST_CMCC_H
#define CF_ROBUST_CMCC_H

#include <stdint.h>

#include "cardforge/cmcc_host.h"
#include "robust_card.h"

/* Templates written by rc_make_templates into dir (default params unless stated):
 *   kmc.card, authcard.card, workcard.card    the master cards as created
 *   usercard.card, usercard-sub.card          a user card, and one with sub-application 01 created
 *   sam.card, terminal.card                   the other targets
 * The helper KMC (every key type preset) and working card live in memory for the whole test. */
void rc_make_templates(const char *dir);
void rc_free_helpers(void);

/* The host, with the HSM and the helpers, and the card under test in role r. */
cf_cmcc_host *rc_host(rb_card *c, cf_cmcc_role r);
/* The profile of a template ("kmc.card" -> kmc) and the AID its card answers. */
const cf_card_profile *rc_profile(const char *name);
const uint8_t *rc_aid(const char *profile_name);

/* Set-ups, on the card's own role (the template name tells it). */
int rc_pin(rb_card *c);    /* Verify PIN 02 */
int rc_auth1(rb_card *c);  /* PIN 02, External Authentication with the card's first key */
int rc_auth2(rb_card *c);  /* PIN 02, External Authentication with the card's second key */
int rc_auth12(rb_card *c); /* PIN 02 and both */
cf_cmcc_role rc_role(rb_card *c);
/* Tries left of PIN 02 and of the second authentication key, read by one wrong attempt each (on a
 * copy of the card: the sweep's tries hook). */
int rc_tries(rb_card *c, int tries[4]);
/* The HSM key of a type (version 01, index 01). */
const cf_cmcc_key *rc_hsm_key(uint8_t type);
/* 11 attribute bytes: type, version, index 01, 3DES, import/export 00, div, status AA, no counter. */
void rc_attrs(uint8_t attrs[11], uint8_t type, uint8_t version, uint8_t div);

#define RC_PIN2 "22222222"

#endif
