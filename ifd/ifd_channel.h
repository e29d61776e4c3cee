/* One emulated card in one pcscd reader: what the IFD handler's DEVICENAME names, opened on the
 * same state files, with the same checks, as `cardforge sim` (docs/ifd.md).
 *
 * DEVICENAME is CONFIG:N: reader N of CONFIG, a `cardforge sim --config` file (statements
 * "reader N TYPE [PARAMS]", "state-dir DIR", "timing [N] SPEC"; "port" and "host" are ignored).
 * A reader.conf entry with CHANNELID N and no DEVICENAME means /etc/cardforge/ifd.conf:N. */
#ifndef CARDFORGE_IFD_CHANNEL_H
#define CARDFORGE_IFD_CHANNEL_H

#include <stddef.h>

#include "cardforge/card.h"
#include "cardforge/store.h"
#include "sim_timing.h"

#define CF_IFD_DEFAULT_CONFIG "/etc/cardforge/ifd.conf"

typedef struct cf_ifd_channel {
  cf_card *card;
  cf_store *store;
  cf_timing timing;
  int reader;
  char state_path[1200];
} cf_ifd_channel;

/* Opens the card DEVICENAME names into *ch. Returns 0, or -1 with err (which never holds a
 * parameter's value: they may be keys). */
int cf_ifd_channel_open(const char *device_name, cf_ifd_channel *ch, char *err, size_t errlen);
/* Powers the card off and closes its store (everything it committed stays). */
void cf_ifd_channel_close(cf_ifd_channel *ch);

#endif
