/* The GlobalPlatform card: an Issuer Security Domain (AID A000000151000000) with SCP02 and SCP03,
 * PUT KEY, DELETE KEY, GET DATA, GET STATUS and SET STATUS. Profile parameters (first creation only):
 *   scp=02|03   type of the initial key set: DES (SCP02, default) or AES (SCP03)
 *   key=HEX     ENC, MAC and DEK of the initial set (default 404142...4F); enc=/mac=/dek= each
 *   kvn=XX      its key version number (default FF)
 *   i02=15|55   SCP02 implementation option (default 55); i03=00|10|30|70 SCP03 (default 70),
 *               each with b1 set (01|11|31|71) for S16 mode
 *   serial=XXXXXXXX  IC serial number in CPLC (default random)
 *   life=01|07|0F    card life cycle state: OP_READY, INITIALIZED or SECURED (default)
 * docs/gp.md describes the card byte by byte. */
#ifndef CARDFORGE_GP_H
#define CARDFORGE_GP_H

#include "cardforge/card.h"

extern const cf_card_profile gp_profile;

/* The Issuer Security Domain itself, for a card type that holds it beside other applications
 * (the Keycard as shipped, cardforge/keycard_card.h). Installed, it becomes the card's manager:
 * GET STATUS lists every applet of the card, whenever added, and SET STATUS locks them and the
 * card through the runtime's select gate. */
#define GP_ISD_AID_LEN 8
extern const uint8_t gp_isd_aid[GP_ISD_AID_LEN];
extern const cf_applet_ops gp_isd_ops;

#endif
