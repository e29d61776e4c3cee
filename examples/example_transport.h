/* Opening a transport, shared by the examples: an emulated card of a given type in this process
 * (card-type registry, memory store), or the card in a PC/SC reader. */
#ifndef EXAMPLE_TRANSPORT_H
#define EXAMPLE_TRANSPORT_H

#include <stdio.h>

#include <cardforge/cardforge.h>

/* What an in-process card needs to live: its memory and the card object. */
typedef struct example_card {
  cf_store *store;
  cf_card *card;
} example_card;

/* reader NULL: a new in-process card of type type (params as `cardforge sim --card type:params`);
 * else the PC/SC reader named reader (a name, part of one, or its index). NULL on failure. */
static cf_transport *example_open(example_card *c, const char *reader, const char *type, const char *params) {
  c->store = NULL;
  c->card = NULL;
  if (reader) {
    char err[256];
    cf_transport *t = cf_transport_open_pcsc(reader, err, sizeof err);
    if (!t) fprintf(stderr, "reader %s: %s\n", reader, err);
    return t;
  }
  const cf_card_profile *profile = cf_card_profile_find(type);
  if (!profile) {
    fprintf(stderr, "no card type %s in this library\n", type);
    return NULL;
  }
  int rc = cf_store_open_memory(&c->store);
  if (rc != CF_OK) {
    fprintf(stderr, "card memory: %s\n", cf_strerror(rc));
    return NULL;
  }
  c->card = profile->create(c->store, params);
  if (!c->card) {
    fprintf(stderr, "cannot create a %s card with \"%s\"\n", type, params);
    cf_store_close(c->store);
    return NULL;
  }
  cf_card_power_on(c->card);
  cf_transport *t = cf_transport_open_card(c->card);
  if (!t) fprintf(stderr, "cannot open the in-process card\n");
  return t;
}

/* Closes the transport (a PC/SC session resets the card if it left security state) and frees an
 * in-process card. */
static void example_close(example_card *c, cf_transport *t) {
  if (t) cf_transport_close(t);
  if (c->card) cf_card_free(c->card);
  if (c->store) cf_store_close(c->store);
}

#endif
