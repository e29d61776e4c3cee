/* GP keys in a PKCS#11 token (docs/hsm.md): `--key pkcs11:LABEL` (and --key-enc/-mac/-dek) names
 * channel keys that stay in the token, which computes the session keys; `--new-key pkcs11:LABEL`
 * (and --new-enc/-mac/-dek) names a key to put, which PUT KEY must carry encrypted, so the key must
 * have been imported exportable. LABEL may also be an RFC 7512 URI's object (pkcs11:object=L;...). */
#ifndef CARDFORGE_GP_KEYSOURCE_PKCS11_H
#define CARDFORGE_GP_KEYSOURCE_PKCS11_H

#include <stdbool.h>

#include "cardforge/gp_client.h"
#include "cardforge/keystore.h"
#include "gp_cli_internal.h"

/* Whether an option's value names a token key. */
bool gp_p11_is_spec(const char *value);

/* One key option's token value: channel keys keep the spec (which: 0 all three, 1 enc, 2 mac,
 * 3 dek); a key to put gets its value (wrapped out of the token, wiped with k by the caller).
 * Returns a CF_EXIT_* code. */
int gp_p11_key_option(const char *option, const char *spec, int which, bool channel, gp_key_opts *k);

/* The channel's token, open for one cf_gp_open. */
typedef struct gp_p11_channel {
  cf_keystore *ks; /* NULL when the channel keys are not in the token */
  cf_ks_key enc, mac, dek;
  int diversify; /* CF_SCP_DIV_EMV / _VISA2: enc, mac, dek are masters, the card's keys derived in the token
                  */
} gp_p11_channel;

/* When o's channel keys are in the token: opens it, finds the keys, sets oo's session_keys hook and
 * keys->klen (the values stay zero). Otherwise leaves everything as it is. Returns CF_EXIT_*. */
int gp_p11_channel_open(const gp_opts *o, gp_p11_channel *ch, cf_gp_open_opts *oo, cf_scp_keys *keys);
void gp_p11_channel_close(gp_p11_channel *ch);

#endif
