/* Counts the APDUs a host client exchanges through a cf_transport (for the load figures). */
#ifndef CF_LOAD_COUNT_H
#define CF_LOAD_COUNT_H

#include "cardforge/transport.h"
#include "load.h"

/* Routes t's exchanges through a counter that adds to r->apdus (one transport at a time). */
void load_count_apdus(cf_transport *t, load_result *r);

#endif
