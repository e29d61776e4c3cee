/* What a card behind the IFD handler glue (ifd_handler.c) must do. Two back ends link against the
 * same glue: ifd_card_backend.c (the emulated cards of the registry) and ifd_null_backend.c (a
 * card that does nothing, for the pcscd floor measurement), so the floor measures exactly the
 * glue and pcscd. pcscd serialises the calls for one reader; calls for different readers may run
 * at the same time (the glue reports TAG_IFD_THREAD_SAFE), so a back end shares nothing
 * writable between its cards. */
#ifndef CARDFORGE_IFD_BACKEND_H
#define CARDFORGE_IFD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef struct cf_ifd_card cf_ifd_card;

/* Opens the card device_name names (NULL with channel: the reader.conf CHANNELID form). Returns
 * NULL after logging why. */
cf_ifd_card *cf_ifd_backend_open(const char *device_name, unsigned long channel);
void cf_ifd_backend_close(cf_ifd_card *card);
/* Power up (or warm reset); the ATR is copied into atr (cap bytes), its length returned, 0 on failure. */
size_t cf_ifd_backend_power_on(cf_ifd_card *card, uint8_t *atr, size_t cap);
void cf_ifd_backend_power_off(cf_ifd_card *card);
/* One command: the response (data and SW1 SW2) into resp, its length returned (0: failure). */
size_t cf_ifd_backend_transmit(cf_ifd_card *card, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap);

/* One line to pcscd's log (stderr: pcscd -f shows it) and to syslog. */
void cf_ifd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
