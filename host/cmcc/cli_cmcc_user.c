/* `cardforge cmcc user-update`: spec 4.1.4 for one user card or a batch. The user cards are on
 * readers (one per list line, or --user), or emulated in this process (--user-sim), one fresh
 * card per serial, so a batch of 10,000 cards needs no 10,000 readers. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cardforge/audit.h"
#include "cardforge/batch_interrupt.h"
#include "cardforge/card.h"
#include "cardforge/cmcc.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cardforge/store.h"
#include "cardforge/registry.h"
#include "cli_cmcc_internal.h"

typedef struct user_source {
  cmcch_cli *c;
  const char *sim;    /* NULL: readers; "mem"; or a directory */
  const char *reader; /* parallel over readers: this worker's reader */
  const char *params; /* extra params of emulated cards */
  const cf_card_profile *profile;
  cf_store *store;
  cf_card *card;
} user_source;

static cf_transport *open_sim_card(user_source *u, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  char serial[17], params[512], path[1200];
  cf_hex_encode(e->serial, 8, serial);
  int n = snprintf(params, sizeof params, "serial=%s%s%s", serial, u->params ? "," : "",
                   u->params ? u->params : "");
  if (n >= (int)sizeof params) {
    snprintf(err, errlen, "--user-sim-params too long");
    return NULL;
  }
  int rc;
  if (strcmp(u->sim, "mem") == 0) {
    rc = cf_store_open_memory(&u->store);
  } else {
    snprintf(path, sizeof path, "%s/usercard-%s.db", u->sim, serial);
    rc = cf_store_open_file(path, &u->store);
  }
  if (rc != CF_STORE_OK) {
    snprintf(err, errlen, "cannot open the emulated card's store (%s)",
             strcmp(u->sim, "mem") ? path : "memory");
    return NULL;
  }
  u->card = u->profile->create(u->store, params);
  if (!u->card) {
    snprintf(err, errlen, "cannot create an emulated user card with \"%s\"", params);
    cf_store_close(u->store);
    u->store = NULL;
    return NULL;
  }
  cf_card_power_on(u->card);
  cf_transport *t = cf_transport_open_card(u->card);
  if (t && u->c->g && u->c->g->trace) t->trace = stderr;
  return t;
}

/* A parallel worker's reader: its own PC/SC context and transaction (cf_cli_connect notes the
 * reader in process-wide state, so workers open the transport themselves). */
static cf_transport *open_worker_reader(user_source *u, char *err, size_t errlen) {
  char why[256];
  cf_transport *t = cf_transport_open_pcsc(u->reader, why, sizeof why);
  uint16_t sw = 0;
  if (!t) {
    snprintf(err, errlen, "reader \"%s\" unavailable (%s)", u->reader, why);
    return NULL;
  }
  if (u->c->g && u->c->g->trace) t->trace = stderr;
  if (!cmcch_cli_select_role(t, CF_CMCC_USER, &sw)) {
    snprintf(err, errlen, "reader \"%s\" holds no user card (SELECT answered SW %04X)", u->reader, sw);
    cf_transport_close(t);
    return NULL;
  }
  return t;
}

static cf_transport *open_user_card(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  user_source *u = ctx;
  if (u->sim) return open_sim_card(u, e, err, errlen);
  cmcch_cli *c = u->c;
  if (u->reader) return open_worker_reader(u, err, errlen);
  /* a list line's reader, else --user, else the one reader holding a user card */
  if (e->reader[0]) {
    cf_transport *t = cf_cli_connect(c->g, e->reader);
    uint16_t sw = 0;
    if (!t) {
      snprintf(err, errlen, "reader \"%s\" unavailable", e->reader);
      return NULL;
    }
    if (!cmcch_cli_select_role(t, CF_CMCC_USER, &sw)) {
      snprintf(err, errlen, "reader \"%s\" holds no user card (SELECT answered SW %04X)", e->reader, sw);
      cf_transport_close(t);
      return NULL;
    }
    return t;
  }
  if (!c->owned[CF_CMCC_USER]) {
    if (cmcch_cli_connect(c, CF_CMCC_USER) != 0) {
      snprintf(err, errlen, "no user card reader");
      return NULL;
    }
  }
  return c->owned[CF_CMCC_USER];
}

static void close_user_card(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok) {
  (void)ok;
  user_source *u = ctx;
  if (u->sim) {
    cf_transport_close(t);
    cf_card_free(u->card);
    cf_store_close(u->store);
    u->card = NULL;
    u->store = NULL;
  } else if (e->reader[0] || u->reader) {
    cf_transport_close(t);
  }
}

static int parse_job(cmcch_cli *c, cf_cmcc_user_job *job) {
  memset(job, 0, sizeof *job);
  job->subapp = 0x01;
  job->verify = !cmcch_flag(c, "--no-verify");
  job->skip_serial_check = cmcch_flag(c, "--no-serial-check");
  const char *v;
  if ((v = cmcch_opt(c, "--subapp")) &&
      (!cmcch_cli_hex(v, &job->subapp, 1) || job->subapp == 0 || job->subapp > 8))
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --subapp is 01..08");
  if ((v = cmcch_opt(c, "--create"))) {
    if (!cmcch_cli_hex(v, job->eid, 6))
      return cmcch_cli_fail(CF_EXIT_USAGE,
                            "cmcc user-update: --create takes the enterprise ID (12 hex digits)");
    job->create = true;
  }
  if ((v = cmcch_opt(c, "--data"))) {
    long n = cf_hex_decode(v, job->data, sizeof job->data);
    if (n <= 0) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --data is 1..64 bytes of hex");
    job->data_len = (size_t)n;
  }
  int rc;
  if ((rc = cmcch_cli_key_ref(c, cmcch_opt(c, "--emk"), CMCC_KEY_ENTERPRISE_MGMT, job->emk_vit)) != 0)
    return rc;
  int nk = cmcch_opt_count(c, "--key");
  if (nk > CF_CMCC_JOB_MAX_KEYS) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: at most 8 --key");
  for (int i = 0; i < nk; i++)
    if ((rc = cmcch_cli_target_key(c, cmcch_opt_at(c, "--key", i), &job->keys[job->nkeys++], true)) != 0)
      return rc;
  if (nk == 0 && (job->create || job->data_len == 0)) {
    /* the default: key 01 version 01 = the enterprise application key, per-card */
    cf_cmcc_target_key *k = &job->keys[job->nkeys++];
    k->id = 0x01;
    k->version = 0x01;
    k->levels = 1;
    if ((rc = cmcch_cli_key_ref(c, NULL, CMCC_KEY_ENTERPRISE_APP, k->kmc_vit)) != 0) return rc;
  }
  return 0;
}

static int load_list(cmcch_cli *c, cf_cmcc_cardlist *l) {
  const char *file = cmcch_opt(c, "--serials"), *one = cmcch_opt(c, "--serial");
  char err[300];
  if ((file != NULL) == (one != NULL))
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: give --serials FILE or --serial HEX");
  if (file)
    return cf_cmcc_cardlist_load(file, l, err, sizeof err) == 0 ? 0 : cmcch_cli_fail(CF_EXIT_FILE, "%s", err);
  char line[40];
  snprintf(line, sizeof line, "%.16s\n", one);
  if (strlen(one) != 16 || cf_cmcc_cardlist_parse(line, strlen(line), "--serial", l, err, sizeof err) != 0)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --serial is 16 hex digits");
  return 0;
}

/* --lines LIST: "5", "9-12", "20-" separated by commas; every other line is left out. */
static int parse_lines(const char *text, size_t count, uint8_t *skip) {
  memset(skip, 1, count);
  const char *p = text;
  while (*p) {
    char *end;
    unsigned long a = strtoul(p, &end, 10), z = a;
    if (end == p || a == 0 || a > count) return -1;
    p = end;
    if (*p == '-') {
      p++;
      z = count;
      if (*p && *p != ',') {
        z = strtoul(p, &end, 10);
        if (end == p || z < a || z > count) return -1;
        p = end;
      }
    }
    for (unsigned long k = a; k <= z; k++)
      skip[k - 1] = 0;
    if (*p == ',')
      p++;
    else if (*p)
      return -1;
  }
  return 0;
}

/* The cards of this run not done, as the option that reruns exactly them: "--from N" when they
 * are every line from N on, else "--lines LIST". */
static void resume_option(const cf_cmcc_cardlist *l, const cf_cmcc_batch *b, bool listed, char *out,
                          size_t cap) {
  size_t first = l->count, n = 0;
  bool suffix = !listed;
  for (size_t i = b->start; i < l->count; i++) {
    bool left = !(b->skip && b->skip[i]) && b->outcome[i] != CF_CMCC_CARD_DONE;
    if (left && first == l->count) first = i;
    if (!left && first != l->count) suffix = false;
  }
  if (suffix) {
    snprintf(out, cap, "--from %zu", first + 1);
    return;
  }
  n = (size_t)snprintf(out, cap, "--lines ");
  for (size_t i = b->start; i < l->count && n < cap; i++) {
    if ((b->skip && b->skip[i]) || b->outcome[i] == CF_CMCC_CARD_DONE) continue;
    size_t j = i;
    while (j + 1 < l->count && !(b->skip && b->skip[j + 1]) && b->outcome[j + 1] != CF_CMCC_CARD_DONE)
      j++;
    const char *sep = out[n - 1] == ' ' ? "" : ",";
    if (j == i)
      n += (size_t)snprintf(out + n, cap - n, "%s%zu", sep, i + 1);
    else if (j + 1 == l->count)
      n += (size_t)snprintf(out + n, cap - n, "%s%zu-", sep, i + 1);
    else
      n += (size_t)snprintf(out + n, cap - n, "%s%zu-%zu", sep, i + 1, j + 1);
    i = j;
  }
}

/* The parallel part of a run: workers, each with its own user_source, and the cards each may do. */
typedef struct parallel_setup {
  size_t workers;
  char *readers_text; /* --readers, split in place */
  const char *reader[CF_CMCC_BATCH_MAX_WORKERS];
  char name[CF_CMCC_BATCH_MAX_WORKERS][24];
  const char *names[CF_CMCC_BATCH_MAX_WORKERS];
  user_source src[CF_CMCC_BATCH_MAX_WORKERS];
  void *ctx[CF_CMCC_BATCH_MAX_WORKERS];
  cf_cmcc_host failure[CF_CMCC_BATCH_MAX_WORKERS];
  int *assign;
} parallel_setup;

static int parallel_options(cmcch_cli *c, const user_source *base, const cf_cmcc_cardlist *l,
                            parallel_setup *p) {
  const char *readers = cmcch_opt(c, "--readers"), *jobs = cmcch_opt(c, "--jobs");
  p->workers = 1;
  if (readers && jobs)
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --readers or --jobs, not both");
  if (readers && base->sim)
    return cmcch_cli_fail(CF_EXIT_USAGE,
                          "cmcc user-update: --readers names PC/SC readers; with --user-sim use --jobs");
  if (jobs) {
    char *end;
    unsigned long n = strtoul(jobs, &end, 10);
    if (*end || n == 0 || n > CF_CMCC_BATCH_MAX_WORKERS)
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --jobs is 1..%d", CF_CMCC_BATCH_MAX_WORKERS);
    if (!base->sim && n > 1)
      return cmcch_cli_fail(CF_EXIT_USAGE,
                            "cmcc user-update: --jobs needs --user-sim (readers: --readers R1,R2,...)");
    p->workers = n;
  }
  if (readers) {
    p->readers_text = strdup(readers);
    if (!p->readers_text) return cmcch_cli_fail(CF_EXIT_INTERNAL, "out of memory");
    p->workers = 0;
    for (char *save = NULL, *r = strtok_r(p->readers_text, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
      if (p->workers == CF_CMCC_BATCH_MAX_WORKERS)
        return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: at most %d --readers",
                              CF_CMCC_BATCH_MAX_WORKERS);
      for (size_t k = 0; k < p->workers; k++)
        if (strcmp(p->reader[k], r) == 0)
          return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: reader \"%s\" listed twice in --readers",
                                r);
      p->reader[p->workers++] = r;
    }
    if (p->workers == 0) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --readers R1,R2,...");
    /* a line naming one of the readers goes there; the others in turn, line i to reader i mod N */
    p->assign = calloc(l->count ? l->count : 1, sizeof *p->assign);
    if (!p->assign) return cmcch_cli_fail(CF_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < l->count; i++) {
      const char *named = l->cards[i].reader;
      p->assign[i] = (int)(i % p->workers);
      if (!named[0]) continue;
      p->assign[i] = -1;
      for (size_t k = 0; k < p->workers; k++)
        if (strcmp(p->reader[k], named) == 0) p->assign[i] = (int)k;
      if (p->assign[i] < 0)
        return cmcch_cli_fail(CF_EXIT_USAGE,
                              "cmcc user-update: line %zu names reader \"%s\", not one of --readers", i + 1,
                              named);
    }
  }
  for (size_t w = 0; w < p->workers; w++) {
    p->src[w] = *base;
    p->src[w].reader = readers ? p->reader[w] : NULL;
    p->ctx[w] = &p->src[w];
    if (readers)
      snprintf(p->name[w], sizeof p->name[w], "r%zu", w + 1);
    else
      snprintf(p->name[w], sizeof p->name[w], "w%zu", w + 1);
    p->names[w] = p->name[w];
  }
  return 0;
}

/* What happened to card i of the list: "updated", "failed", "not run" or "left out". */
static const char *card_outcome(const cf_cmcc_batch *b, size_t i) {
  if (i < b->start || (b->skip && b->skip[i])) return "left out";
  if (b->outcome[i] == CF_CMCC_CARD_DONE) return "updated";
  if (b->outcome[i] == CF_CMCC_CARD_FAILED) return "failed";
  return "not run";
}

/* The reader (or worker) that took card i, or NULL for a batch of one worker. */
static const char *card_worker(const cf_cmcc_batch *b, const parallel_setup *p, size_t i) {
  if (b->worker_of[i] < 0 || p->workers <= 1) return NULL;
  return p->reader[b->worker_of[i]] ? p->reader[b->worker_of[i]] : p->names[b->worker_of[i]];
}

/* --report: one line per card of the list, in list order, whatever order the workers finished in. */
static void print_report(const cf_cmcc_cardlist *l, const cf_cmcc_batch *b, const parallel_setup *p) {
  for (size_t i = 0; i < l->count; i++) {
    char serial[17];
    cf_hex_encode(l->cards[i].serial, 8, serial);
    fprintf(stdout, "card %zu %s %s", i + 1, serial, card_outcome(b, i));
    const char *worker = card_worker(b, p, i);
    if (worker) fprintf(stdout, " (%s)", worker);
    fputc('\n', stdout);
  }
}

/* --json: the summary and every card's outcome in one document (fields in docs/cli.md). result is
 * "completed", "stopped" (a card failed) or "interrupted"; resume is the option to rerun with. */
static int print_summary_json(const cf_cmcc_cardlist *l, const cf_cmcc_batch *b, const parallel_setup *p,
                              const cf_cmcc_user_job *job, const char *result, const char *resume) {
  json_t *cards = json_array();
  for (size_t i = 0; cards && i < l->count; i++) {
    const char *worker = card_worker(b, p, i);
    json_t *card =
        json_pack("{s:I, s:o, s:s, s:s?}", "line", (json_int_t)(i + 1), "serial",
                  cf_json_hex(l->cards[i].serial, 8), "outcome", card_outcome(b, i), "reader", worker);
    if (!card || json_array_append_new(cards, card) != 0) {
      json_decref(cards);
      cards = NULL;
    }
  }
  json_t *doc = NULL;
  if (cards)
    doc = json_pack("{s:s, s:I, s:I, s:b, s:f, s:I, s:s?, s:o}", "result", result, "cards",
                    (json_int_t)l->count, "updated", (json_int_t)b->done, "proved_by_use", job->verify,
                    "seconds", b->seconds, "workers", (json_int_t)(b->workers > 1 ? b->workers : 1), "resume",
                    resume, "lines", cards);
  if (cf_json_emit(doc) != 0)
    return cmcch_cli_fail(CF_EXIT_INTERNAL, "cmcc user-update: cannot write the JSON document");
  return CF_EXIT_OK;
}

/* Every failure but the first (which the caller prints with the exit code), in card order. */
static void print_other_failures(const cf_cmcc_cardlist *l, const cf_cmcc_batch *b, const parallel_setup *p) {
  for (size_t i = b->failed + 1; i < l->count; i++)
    if (b->outcome[i] == CF_CMCC_CARD_FAILED && b->worker_of[i] >= 0)
      cmcch_cli_print_host_error(&p->failure[b->worker_of[i]]);
}

static void parallel_free(parallel_setup *p) {
  free(p->readers_text);
  free(p->assign);
  for (size_t w = 0; w < CF_CMCC_BATCH_MAX_WORKERS; w++)
    cf_wipe(&p->failure[w], sizeof p->failure[w]);
}

int cmcch_cmd_user_update(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_cardlist list = {0};
  cf_cmcc_user_job job;
  user_source src = {.c = c, .sim = cmcch_opt(c, "--user-sim"), .params = cmcch_opt(c, "--user-sim-params")};
  int rc = load_list(c, &list);
  if (rc != 0) return rc;
  static parallel_setup par; /* large; one run per process */
  memset(&par, 0, sizeof par);
  uint8_t *skip = calloc(list.count, 1), *outcome = calloc(list.count, 1);
  int *worker_of = calloc(list.count, sizeof *worker_of);
  cf_cmcc_batch b = {.open_card = open_user_card,
                     .close_card = close_user_card,
                     .ctx = &src,
                     .outcome = outcome,
                     .worker_of = worker_of};
  const char *from = cmcch_opt(c, "--from"), *lines = cmcch_opt(c, "--lines");
  if (!skip || !outcome || !worker_of)
    rc = cmcch_cli_fail(CF_EXIT_INTERNAL, "out of memory");
  else if (from && lines)
    rc = cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --from or --lines, not both");
  else if (from) {
    char *end;
    unsigned long n = strtoul(from, &end, 10);
    if (*end || n == 0 || n > list.count)
      rc = cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --from is a line number 1..%zu", list.count);
    b.start = n - 1;
  } else if (lines) {
    if (parse_lines(lines, list.count, skip) != 0)
      rc = cmcch_cli_fail(CF_EXIT_USAGE,
                          "cmcc user-update: --lines is N, A-B or A- (1..%zu), comma-separated", list.count);
    b.skip = skip;
  }
  if (rc == 0 && src.sim) {
    struct stat st;
    src.profile = cf_card_profile_find("usercard");
    if (!src.profile)
      rc = cmcch_cli_fail(CF_EXIT_INTERNAL, "this build has no emulated user card (profile \"usercard\")");
    else if (strcmp(src.sim, "mem") != 0 && (stat(src.sim, &st) != 0 || !S_ISDIR(st.st_mode)))
      rc = cmcch_cli_fail(CF_EXIT_FILE, "--user-sim %s: not a directory", src.sim);
  }
  if (rc == 0) rc = parallel_options(c, &src, &list, &par);
  if (rc == 0 && par.workers > 1) {
    b.workers = par.workers;
    b.worker_ctx = par.ctx;
    b.assign = par.assign;
    b.worker_name = par.names;
  }
  b.worker_failure = par.failure;
  if (rc == 0) rc = cmcch_cli_open_kmc(c);
  if (rc == 0) rc = parse_job(c, &job);
  if (rc == 0) {
    bool json = cmcch_flag(c, "--json");
    b.progress = json || (c->g && c->g->quiet) ? NULL : stderr;
    /* SIGINT / SIGTERM: the cards in progress are finished, then the batch stops with a resume line */
    b.stop_requested = cf_batch_interrupted;
    cf_batch_interrupt_arm();
    int brc = cf_cmcc_user_batch(&c->host, &job, &list, &b);
    cf_batch_interrupt_disarm();
    char resume[4096];
    const char *result = "completed";
    if (cmcch_flag(c, "--report") && !json) print_report(&list, &b, &par);
    if (brc != 0 && (list.count == 0 || b.outcome[b.failed] != CF_CMCC_CARD_FAILED)) {
      rc = cmcch_cli_host_fail(c); /* the batch never began (no worker) */
      result = NULL;
    } else if (brc != 0) {
      rc = cmcch_cli_host_fail(c);
      print_other_failures(&list, &b, &par);
      resume_option(&list, &b, lines != NULL, resume, sizeof resume);
      result = "stopped";
      if (!json)
        fprintf(stdout, "user-update: stopped at card %zu of %zu: %zu updated in this run; rerun with %s\n",
                b.failed + 1, list.count, b.done, resume);
    } else if (b.stopped) {
      resume_option(&list, &b, lines != NULL, resume, sizeof resume);
      size_t next = b.start;
      while (next < list.count && ((b.skip && b.skip[next]) || b.outcome[next] == CF_CMCC_CARD_DONE))
        next++;
      rc = cf_batch_interrupt_exit_code(b.stopped);
      cf_cli_error("cmcc user-update: interrupted by %s", b.stopped == SIGINT ? "SIGINT" : "SIGTERM");
      result = "interrupted";
      if (!json)
        fprintf(stdout,
                "user-update: interrupted before card %zu of %zu: %zu updated in this run; rerun with %s\n",
                next + 1, list.count, b.done, resume);
    } else if (!json) {
      fprintf(stdout, "user-update: %zu cards updated%s in %.2f s (%.0f cards/s)\n", b.done,
              job.verify ? " and proved by use" : "", b.seconds,
              b.seconds > 0 ? (double)b.done / b.seconds : 0.0);
    }
    /* a batch that never began has no summary: its error says why */
    if (json && result) {
      int jrc =
          print_summary_json(&list, &b, &par, &job, result, strcmp(result, "completed") ? resume : NULL);
      if (rc == 0) rc = jrc;
    }
    cf_audit_record(&c->global, c->host.card[CF_CMCC_KMC]->name, "cmcc user-update",
                    brc == 0 ? 0x9000 : c->host.sw, rc, "{s:i,s:s,s:i,s:i,s:i,s:i,s:i,s:b}", "subapp",
                    job.subapp, "export_key", cf_audit_hex(job.emk_vit, 3), "keys", (int)job.nkeys, "cards",
                    (int)list.count, "updated", (int)b.done, "failed_line",
                    brc != 0 && list.count > 0 ? (int)b.failed + 1 : 0, "workers",
                    (int)(b.workers > 1 ? b.workers : 1), "interrupted", b.stopped != 0);
  }
  cf_wipe(&job, sizeof job);
  parallel_free(&par);
  free(skip);
  free(outcome);
  free(worker_of);
  cf_cmcc_cardlist_free(&list);
  return rc;
}
