/* cf_fuzz_seedgen: writes the fuzz seed corpora.
 *
 *   cf_fuzz_seedgen OUTDIR [HARNESS:STATE:TRACEFILE ...]
 *
 * Runs every built-in flow (seedgen_flows.c) against an in-process card with the transport trace
 * on, keeps each trace in OUTDIR/traces/, and converts it (trace_corpus.c) into OUTDIR/HARNESS/:
 * one input holding the whole flow per start state, and one input per command. Extra traces (for
 * example kept by an integration test run with --trace) are converted the same way for the
 * given harness and start state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cardforge/card.h"
#include "cardforge/registry.h"
#include "fuzz_driver.h"
#include "seedgen.h"
#include "trace_corpus.h"

#define SG_MAX_INPUT (1u << 20)

static size_t seeds_written;

static int make_dir(const char *path) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
  fprintf(stderr, "cf_fuzz_seedgen: cannot create %s: %s\n", path, strerror(errno));
  return -1;
}

static int write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "cf_fuzz_seedgen: cannot write %s\n", path);
    if (f) fclose(f);
    return -1;
  }
  return 0;
}

void sg_trace_plain(cf_transport *t, const uint8_t *apdu, size_t len) {
  if (t->trace == NULL) return;
  fprintf(t->trace, "  (secure channel, plain)\n");
  cf_trace_apdu(t->trace, true, apdu, len, false);
}

/* Writes the seeds of one trace for one start state: the whole sequence, then each command. */
static int trace_to_seeds(const char *dir, const char *stem, const char *trace, unsigned state,
                          bool secure_only) {
  static uint8_t all[SG_MAX_INPUT], one[SG_MAX_INPUT];
  size_t n = 0;
  all[n++] = (uint8_t)state;
  size_t count = tc_trace_to_records(trace, FZ_MAX_RECORDS, all, sizeof all, &n);
  if (secure_only) { /* drop raw records: a raw SELECT would close the deep state's channel */
    size_t m = 1;
    const uint8_t *p = all + 1;
    size_t left = n - 1;
    fz_record r;
    count = 0;
    while (fz_next_record(&p, &left, &r))
      if (r.kind == FZ_SECURE && fz_put_record(r.kind, r.arg, r.body, r.len, all, sizeof all, &m)) count++;
    n = m;
  }
  if (count == 0) return 0;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s-s%u", dir, stem, state);
  if (write_file(path, all, n) != 0) return -1;
  seeds_written++;
  const uint8_t *p = all + 1;
  size_t left = n - 1, i = 0;
  fz_record r;
  while (fz_next_record(&p, &left, &r)) {
    size_t m = 0;
    one[m++] = (uint8_t)state;
    fz_put_record(r.kind, r.arg, r.body, r.len, one, sizeof one, &m);
    snprintf(path, sizeof path, "%s/%s-s%u-%03zu", dir, stem, state, i++);
    if (write_file(path, one, m) != 0) return -1;
    seeds_written++;
  }
  return 0;
}

static int run_flow(const char *out, const sg_flow *f) {
  const cf_card_profile *p = cf_card_profile_find(f->profile);
  if (p == NULL) {
    fprintf(stderr, "cf_fuzz_seedgen: no card profile '%s' (flow %s)\n", f->profile, f->name);
    return -1;
  }
  char *text = NULL;
  size_t text_len = 0;
  FILE *trace = open_memstream(&text, &text_len);
  cf_store *store = NULL;
  cf_card *card = NULL;
  cf_transport *t = NULL;
  int rc = -1;
  if (trace && cf_store_open_memory(&store) == CF_STORE_OK && (card = p->create(store, f->params)) != NULL &&
      (t = cf_transport_open_card(card)) != NULL) {
    cf_card_power_on(card);
    t->trace = trace;
    rc = f->run(t);
  }
  if (t) cf_transport_close(t);
  cf_card_free(card);
  cf_store_close(store);
  if (trace) fclose(trace);
  if (rc != 0) {
    fprintf(stderr, "cf_fuzz_seedgen: flow %s/%s did not complete\n", f->harness, f->name);
    free(text);
    return -1;
  }
  char dir[1024], path[1024];
  snprintf(dir, sizeof dir, "%s/traces", out);
  snprintf(path, sizeof path, "%s/%s-%s.trace", dir, f->harness, f->name);
  if (make_dir(dir) != 0 || write_file(path, text, text_len) != 0) rc = -1;
  snprintf(dir, sizeof dir, "%s/%s", out, f->harness);
  if (rc == 0 && make_dir(dir) != 0) rc = -1;
  for (unsigned s = 0; rc == 0 && s < 32; s++)
    if (f->states & (1u << s))
      rc = trace_to_seeds(dir, f->name, text, s, f->secure_only_from && s >= f->secure_only_from);
  free(text);
  return rc;
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char *buf = malloc(SG_MAX_INPUT + 1);
  size_t n = buf ? fread(buf, 1, SG_MAX_INPUT, f) : 0;
  fclose(f);
  if (buf) buf[n] = 0;
  return buf;
}

/* HARNESS:STATE:FILE */
static int convert_extra(const char *out, const char *spec) {
  char harness[64];
  unsigned state;
  int used = 0;
  if (sscanf(spec, "%63[^:]:%u:%n", harness, &state, &used) != 2 || used == 0) {
    fprintf(stderr, "cf_fuzz_seedgen: expected HARNESS:STATE:TRACEFILE, got %s\n", spec);
    return -1;
  }
  const char *file = spec + used;
  char *text = read_text(file);
  if (text == NULL) {
    fprintf(stderr, "cf_fuzz_seedgen: cannot read %s\n", file);
    return -1;
  }
  const char *base = strrchr(file, '/');
  char dir[1024], stem[256];
  snprintf(dir, sizeof dir, "%s/%s", out, harness);
  snprintf(stem, sizeof stem, "trace-%s", base ? base + 1 : file);
  int rc = make_dir(dir) == 0 ? trace_to_seeds(dir, stem, text, state, false) : -1;
  free(text);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: cf_fuzz_seedgen OUTDIR [HARNESS:STATE:TRACEFILE ...]\n");
    return 2;
  }
  const char *out = argv[1];
  if (make_dir(out) != 0) return 1;
  int failures = 0;
  for (size_t i = 0; i < sg_flow_count; i++)
    if (run_flow(out, &sg_flows[i]) != 0) failures++;
  for (int i = 2; i < argc; i++)
    if (convert_extra(out, argv[i]) != 0) failures++;
  printf("cf_fuzz_seedgen: %zu flows, %zu seed files in %s%s\n", sg_flow_count, seeds_written, out,
         failures ? " (some flows failed)" : "");
  return failures ? 1 : 0;
}
