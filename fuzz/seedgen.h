/* The seed generator's flows: each drives a card of one harness with the host clients, the way
 * the integration tests do, while the transport writes the APDU trace that becomes the corpus. */
#ifndef CF_FUZZ_SEEDGEN_H
#define CF_FUZZ_SEEDGEN_H

#include <stdio.h>

#include "cardforge/transport.h"

typedef struct sg_flow {
  const char *harness; /* fuzz_<harness> */
  const char *name;
  const char *profile;
  const char *params;
  unsigned states;             /* bit n set: write a seed for start state n */
  unsigned secure_only_from;   /* start states >= this keep only FZ_SECURE records (0 = never) */
  int (*run)(cf_transport *t); /* 0 when the flow ran to its end */
} sg_flow;

extern const sg_flow sg_flows[];
extern const size_t sg_flow_count;

/* The PIN digit every flow uses: the trace redacts PINs and the converter fills with '1'. */
#define SG_PIN "111111"
#define SG_PUK "111111111111"

/* Prints a plain command on the trace the way the Keycard client marks commands it sends inside
 * a secure channel (for clients that do not do it themselves). */
void sg_trace_plain(cf_transport *t, const uint8_t *apdu, size_t len);

#endif
