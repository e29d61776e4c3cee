/* `cardforge cmcc user-update`: spec 4.1.4 for one user card or a batch. The user cards are on
 * readers (one per list line, or --user), or emulated in this process (--user-sim), one fresh
 * card per serial, so a batch of 10,000 cards needs no 10,000 readers. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cardforge/batch_interrupt.h"
#include "cardforge/card.h"
#include "cardforge/cmcc.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/store.h"
#include "cardforge/registry.h"
#include "cli_cmcc_internal.h"

typedef struct user_source {
  cmcch_cli *c;
  const char *sim;    /* NULL: readers; "mem"; or a directory */
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

static cf_transport *open_user_card(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  user_source *u = ctx;
  if (u->sim) return open_sim_card(u, e, err, errlen);
  cmcch_cli *c = u->c;
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
  } else if (e->reader[0]) {
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

int cmcch_cmd_user_update(void *ctx) {
  cmcch_cli *c = ctx;
  cf_cmcc_cardlist list = {0};
  cf_cmcc_user_job job;
  user_source src = {.c = c, .sim = cmcch_opt(c, "--user-sim"), .params = cmcch_opt(c, "--user-sim-params")};
  int rc = load_list(c, &list);
  if (rc != 0) return rc;
  cf_cmcc_batch b = {.open_card = open_user_card, .close_card = close_user_card, .ctx = &src};
  const char *from = cmcch_opt(c, "--from");
  if (from) {
    char *end;
    unsigned long n = strtoul(from, &end, 10);
    if (*end || n == 0 || n > list.count) {
      cf_cmcc_cardlist_free(&list);
      return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc user-update: --from is a line number 1..%zu", list.count);
    }
    b.start = n - 1;
  }
  if (src.sim) {
    struct stat st;
    src.profile = cf_card_profile_find("usercard");
    if (!src.profile)
      rc = cmcch_cli_fail(CF_EXIT_INTERNAL, "this build has no emulated user card (profile \"usercard\")");
    else if (strcmp(src.sim, "mem") != 0 && (stat(src.sim, &st) != 0 || !S_ISDIR(st.st_mode)))
      rc = cmcch_cli_fail(CF_EXIT_FILE, "--user-sim %s: not a directory", src.sim);
  }
  if (rc == 0) rc = cmcch_cli_open_kmc(c);
  if (rc == 0) rc = parse_job(c, &job);
  if (rc == 0) {
    b.progress = c->g && c->g->quiet ? NULL : stderr;
    /* SIGINT / SIGTERM: the card in progress is finished, then the batch stops with a resume line */
    b.stop_requested = cf_batch_interrupted;
    cf_batch_interrupt_arm();
    int brc = cf_cmcc_user_batch(&c->host, &job, &list, &b);
    cf_batch_interrupt_disarm();
    if (brc != 0) {
      rc = cmcch_cli_host_fail(c);
      fprintf(stdout,
              "user-update: stopped at card %zu of %zu: %zu updated in this run; rerun with --from %zu\n",
              b.failed + 1, list.count, b.done, b.failed + 1);
    } else if (b.stopped) {
      size_t next = b.start + b.done;
      rc = cf_batch_interrupt_exit_code(b.stopped);
      cf_cli_error("cmcc user-update: interrupted by %s", b.stopped == SIGINT ? "SIGINT" : "SIGTERM");
      fprintf(
          stdout,
          "user-update: interrupted before card %zu of %zu: %zu updated in this run; rerun with --from %zu\n",
          next + 1, list.count, b.done, next + 1);
    } else {
      fprintf(stdout, "user-update: %zu cards updated%s in %.2f s (%.0f cards/s)\n", b.done,
              job.verify ? " and proved by use" : "", b.seconds,
              b.seconds > 0 ? (double)b.done / b.seconds : 0.0);
    }
  }
  cf_wipe(&job, sizeof job);
  cf_cmcc_cardlist_free(&list);
  return rc;
}
