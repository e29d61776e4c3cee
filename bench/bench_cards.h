/* Opening the card a scenario drives: an emulated card in this process (a store in memory or a
 * card file, as `cardforge sim` keeps them) or a card behind pcscd (--reader). Either way the
 * scenario gets a cf_transport and drives it with the host client libraries.
 * Header only: every C file in bench/ is a program of its own. */
#ifndef CF_BENCH_CARDS_H
#define CF_BENCH_CARDS_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_harness.h"
#include "cardforge/card.h"
#include "cardforge/store.h"
#include "cardforge/transport.h"
#include "cardforge/registry.h"

typedef struct bench_card {
  cf_store *store; /* NULL through PC/SC */
  cf_card *card;
  cf_transport *t;
} bench_card;

static inline const char *bench_path(const bench_cfg *cfg) {
  if (cfg->reader != NULL) return "pcsc";
  return strcmp(cfg->store, "memory") == 0 ? "inproc" : "inproc-file";
}

/* Builds an emulated card of the profile (params as the profile takes them), powered on. With a
 * store directory, the card file is <dir>/<tag>.db, created afresh. Returns 0 or -1. */
static inline int bench_card_emulated(const bench_cfg *cfg, const char *profile, const char *params,
                                      const char *tag, bench_card *bc) {
  memset(bc, 0, sizeof *bc);
  const cf_card_profile *p = cf_card_profile_find(profile);
  if (p == NULL) {
    fprintf(stderr, "%s: no card profile \"%s\" in this build\n", cfg->program, profile);
    return -1;
  }
  int rc;
  if (strcmp(cfg->store, "memory") == 0) {
    rc = cf_store_open_memory(&bc->store);
  } else {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", cfg->store, tag);
    unlink(path);
    rc = cf_store_open_file(path, &bc->store);
  }
  if (rc != CF_STORE_OK) {
    fprintf(stderr, "%s: cannot open a store for %s (%s)\n", cfg->program, tag, cfg->store);
    return -1;
  }
  bc->card = p->create(bc->store, params ? params : "");
  if (bc->card == NULL) {
    fprintf(stderr, "%s: profile %s refused to build a card\n", cfg->program, profile);
    cf_store_close(bc->store);
    return -1;
  }
  cf_card_power_on(bc->card);
  bc->t = cf_transport_open_card(bc->card);
  return bc->t ? 0 : -1;
}

/* The card in a PC/SC reader (name, part of it or index). Returns 0 or -1. */
static inline int bench_card_pcsc(const bench_cfg *cfg, const char *reader, bench_card *bc) {
  memset(bc, 0, sizeof *bc);
  char err[256];
  bc->t = cf_transport_open_pcsc(reader, err, sizeof err);
  if (bc->t == NULL) {
    fprintf(stderr, "%s: reader %s: %s\n", cfg->program, reader, err);
    return -1;
  }
  return 0;
}

/* The scenario's card: through cfg->reader when set, else emulated. */
static inline int bench_card_open(const bench_cfg *cfg, const char *profile, const char *params,
                                  const char *tag, bench_card *bc) {
  return cfg->reader ? bench_card_pcsc(cfg, cfg->reader, bc)
                     : bench_card_emulated(cfg, profile, params, tag, bc);
}

static inline void bench_card_close(bench_card *bc) {
  if (bc->t) cf_transport_close(bc->t);
  if (bc->card) cf_card_free(bc->card);
  if (bc->store) cf_store_close(bc->store);
  memset(bc, 0, sizeof *bc);
}

/* Sends a raw APDU and insists on the status word; returns 0 or -1 (message printed). */
static inline int bench_expect(const bench_cfg *cfg, cf_transport *t, const uint8_t *cmd, size_t len,
                               uint16_t want, const char *what) {
  uint8_t resp[1024];
  size_t rlen = 0;
  uint16_t sw = 0;
  if (cf_transceive_raw(t, cmd, len, 0, resp, sizeof resp, &rlen, &sw) != 0) {
    fprintf(stderr, "%s: %s: %s\n", cfg->program, what, t->err);
    return -1;
  }
  if (sw != want) {
    fprintf(stderr, "%s: %s: card answered %04X\n", cfg->program, what, sw);
    return -1;
  }
  return 0;
}

#endif
