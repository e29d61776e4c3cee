/* `cardforge keycard duplicate --source R --target R... [--from N] [--journal FILE]`: copies the
 * source card's master key onto every target with DUPLICATE KEY, one worker thread per target
 * reader (cardforge/reader_pool.h).
 *
 * The host draws every entropy piece. The source gets START (first piece, count), ADD ENTROPY (the
 * other pieces) and EXPORT in one session, so it exports the key once, encrypted under the
 * combined entropy; each target then gets the same START and pieces and IMPORTs that blob, on its
 * own reader, at the same time as the others. At the end every card must show the source's key UID.
 *
 * The run, in order (no step holds one card while it waits for another, so two runs over
 * overlapping readers cannot wait for each other):
 *  1. the source: SELECT only, for its key UID;
 *  2. every target at once: opened with its pairing and PIN (and closed again). A target that
 *     already holds the source's key is left as it is (and journaled). A failure here stops the
 *     whole run before any card changed;
 *  3. the source: START, ADD ENTROPY, EXPORT (one session, one PC/SC transaction);
 *  4. every target at once: START, ADD ENTROPY, IMPORT, then a fresh SELECT must show the source's
 *     key UID; the journal gets one line per target that holds it. A failure stops that target only;
 *     an interrupt stops every target before its IMPORT (a target past it is finished). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/batch_journal.h"
#include "cardforge/batch_interrupt.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cardforge/pcsc.h"
#include "cardforge/reader_pool.h"
#include "cli_keycard_internal.h"

#define MAX_TARGETS KEYCARD_CLI_MAX_VALUES
#define MAX_PIECES (MAX_TARGETS + 1)

typedef enum target_state {
  T_TODO = 0,   /* to be written */
  T_HELD,       /* held the source's key before this run (journal or key UID) */
  T_IMPORTED,   /* imported and checked in this run */
  T_FAILED,     /* failed (reported) */
  T_MISMATCH,   /* imported, but a fresh SELECT shows another key UID */
  T_NOT_REACHED /* interrupted before its IMPORT */
} target_state;

typedef struct dup_target {
  const char *reader; /* as given; the transport's name once opened */
  char name[128];
  int number; /* on the command line, 1-based */
  target_state state;
  int code; /* exit code of a failure */
  uint8_t instance_uid[KEYCARD_CLIENT_UID_LEN];
  uint8_t key_uid[KEYCARD_CLIENT_KEY_UID_LEN];
  bool has_key;
} dup_target;

typedef struct dup_run {
  keycard_cli *c;
  const char *source, *journal_path;
  char source_name[128];
  uint8_t src_uid[KEYCARD_CLIENT_KEY_UID_LEN];
  uint8_t src_instance[KEYCARD_CLIENT_UID_LEN];
  uint16_t source_sw;
  dup_target t[MAX_TARGETS];
  int n;     /* targets in this run */
  int total; /* targets on the command line */
  int pieces;
  uint8_t entropy[MAX_PIECES][32];
  uint8_t blob[KEYCARD_CLIENT_MAX_PLAIN];
  size_t blob_len;
  cf_batch_journal journal;
  bool journal_opened;
  int interrupted;
} dup_run;

/* A card's journal id: its instance UID in hex. */
static void card_id(const dup_target *t, char id[2 * KEYCARD_CLIENT_UID_LEN + 1]) {
  cf_hex_encode(t->instance_uid, KEYCARD_CLIENT_UID_LEN, id);
}

static bool journaled(dup_run *d, const dup_target *t) {
  char id[2 * KEYCARD_CLIENT_UID_LEN + 1];
  card_id(t, id);
  return cf_batch_journal_has(&d->journal, id);
}

static int journal_add(dup_run *d, const dup_target *t) {
  char id[2 * KEYCARD_CLIENT_UID_LEN + 1];
  card_id(t, id);
  return cf_batch_journal_add(&d->journal, id, t->name);
}

static void target_note(const dup_run *d, const dup_target *t, const char *fmt, const char *what) {
  keycard_cli_progress(d->c, fmt, t->number + 1, t->name, what);
}

/* Opens a target: connect, SELECT, secure channel and PIN, every target at once. */
static int open_target(dup_run *d, dup_target *t, keycard_cli_card *card) {
  int code = keycard_cli_open(d->c, card, t->reader, KEYCARD_CLI_NEED_SELECT);
  if (card->t && card->t->name[0] && strcmp(card->t->name, "in-process") != 0)
    snprintf(t->name, sizeof t->name, "%s", card->t->name);
  if (code == CF_EXIT_OK) code = keycard_cli_reopen(d->c, card, KEYCARD_CLI_NEED_PIN);
  return code;
}

static int target_fail(dup_run *d, dup_target *t, keycard_cli_card *card, const char *step, int rc) {
  keycard_cli_progress(d->c, "card %d (target, %s): %s failed", t->number + 1, t->name, step);
  t->code = keycard_cli_fail(d->c, &card->kc, rc);
  t->state = T_FAILED;
  return t->code;
}

/* Step 2, one target: reachable with its pairing and PIN; already holding the key? */
static int preflight_target(void *arg, size_t worker, size_t item) {
  (void)worker;
  dup_run *d = arg;
  dup_target *t = &d->t[item];
  keycard_cli_card card;
  int code = open_target(d, t, &card);
  if (code == CF_EXIT_OK) {
    const keycard_client_info *in = &card.kc.info;
    memcpy(t->instance_uid, in->instance_uid, sizeof t->instance_uid);
    t->has_key = in->has_key;
    memcpy(t->key_uid, in->key_uid, sizeof t->key_uid);
    if (in->has_key && cf_ct_equal(in->key_uid, d->src_uid, sizeof d->src_uid)) {
      t->state = T_HELD; /* journaled, if it is not yet, once every target checked out */
      target_note(d, t, "card %d (target, %s): %s",
                  journaled(d, t) ? "done in an earlier run (journal)"
                                  : "already holds the key, left as it is");
    } else if (journaled(d, t)) {
      /* journaled as done, yet it holds another key now: someone changed it since */
      code = keycard_cli_error(d->c, CF_EXIT_VERIFY,
                               "card %d (target, %s) is in the journal but no longer holds the source's key",
                               t->number + 1, t->name);
      t->state = T_MISMATCH;
    } else {
      keycard_cli_progress(d->c, "card %d (target, %s): channel open, PIN verified", t->number + 1, t->name);
    }
  } else {
    t->state = T_FAILED;
  }
  t->code = code;
  keycard_cli_close(&card);
  return code == CF_EXIT_OK ? 0 : -1;
}

/* Step 4, one target: the duplication proper. */
static int write_target(void *arg, size_t worker, size_t item) {
  (void)worker;
  dup_run *d = arg;
  dup_target *t = &d->t[item];
  keycard_cli_card card;
  int rc, code = open_target(d, t, &card);
  if (code != CF_EXIT_OK) {
    t->state = T_FAILED;
    t->code = code;
    goto out;
  }
  if (!cf_ct_equal(card.kc.info.instance_uid, t->instance_uid, sizeof t->instance_uid)) {
    t->code = keycard_cli_error(d->c, CF_EXIT_CARD, "card %d (target, %s): another card than the one checked",
                                t->number + 1, t->name);
    t->state = T_FAILED;
    goto out;
  }
  rc = keycard_client_duplicate_start(&card.kc, (uint8_t)d->pieces, d->entropy[0]);
  if (rc != KEYCARD_CLIENT_OK) {
    target_fail(d, t, &card, "START", rc);
    goto out;
  }
  /* ADD ENTROPY is a plain command outside the channel: select afresh, then add every other piece */
  if ((code = keycard_cli_reopen(d->c, &card, KEYCARD_CLI_NEED_SELECT)) != CF_EXIT_OK) goto reopen_failed;
  for (int p = 1; p < d->pieces; p++)
    if ((rc = keycard_client_duplicate_add_entropy(&card.kc, d->entropy[p])) != KEYCARD_CLIENT_OK) {
      target_fail(d, t, &card, "ADD ENTROPY", rc);
      goto out;
    }
  if ((code = keycard_cli_reopen(d->c, &card, KEYCARD_CLI_NEED_PIN)) != CF_EXIT_OK) goto reopen_failed;
  /* SIGINT / SIGTERM: no target starts its IMPORT any more; one past it is finished */
  if (cf_batch_interrupted()) {
    t->state = T_NOT_REACHED;
    goto out;
  }
  uint8_t uid[KEYCARD_CLIENT_KEY_UID_LEN];
  rc = keycard_client_duplicate_import(&card.kc, d->blob, d->blob_len, uid);
  if (rc != KEYCARD_CLIENT_OK) {
    target_fail(d, t, &card, "IMPORT", rc);
    goto out;
  }
  keycard_cli_progress(d->c, "card %d (target): key imported", t->number + 1);
  /* what the card persisted, from a fresh SELECT, not what IMPORT answered */
  if ((code = keycard_cli_reopen(d->c, &card, KEYCARD_CLI_NEED_SELECT)) != CF_EXIT_OK) goto reopen_failed;
  t->has_key = card.kc.info.has_key;
  memcpy(t->key_uid, card.kc.info.key_uid, sizeof t->key_uid);
  if (t->has_key && cf_ct_equal(t->key_uid, d->src_uid, sizeof d->src_uid)) {
    t->state = T_IMPORTED;
    if (journal_add(d, t) != 0) {
      t->code = keycard_cli_error(d->c, CF_EXIT_FILE, "%s", d->journal.err);
      t->state = T_FAILED;
    }
  } else {
    t->state = T_MISMATCH;
    t->code = CF_EXIT_VERIFY;
  }
  goto out;
reopen_failed:
  t->state = T_FAILED;
  t->code = code;
out:
  keycard_cli_close(&card);
  return t->state == T_IMPORTED ? 0 : -1; /* the pool counts only what is done */
}

/* Runs fn on every target in state T_TODO, one worker per target. */
static void run_targets(dup_run *d, int (*fn)(void *, size_t, size_t), bool progress) {
  uint8_t skip[MAX_TARGETS] = {0};
  int assign[MAX_TARGETS];
  const char *names[MAX_TARGETS];
  for (int i = 0; i < d->n; i++) {
    skip[i] = d->t[i].state != T_TODO;
    assign[i] = i;
    names[i] = d->t[i].name;
  }
  cf_reader_pool p = {.items = (size_t)d->n,
                      .workers = (size_t)d->n,
                      .skip = skip,
                      .assign = assign,
                      .run_item = fn,
                      .arg = d,
                      .worker_name = names,
                      .progress = progress && !d->c->g->quiet && d->c->report == NULL ? d->c->io->log : NULL,
                      .label = "keycard duplicate",
                      .unit = "targets"};
  char err[128];
  if (cf_reader_pool_run(&p, err, sizeof err) != 0) {
    keycard_cli_error(d->c, CF_EXIT_INTERNAL, "%s", err);
    for (int i = 0; i < d->n; i++)
      if (d->t[i].state == T_TODO && p.outcome == NULL) {
        d->t[i].state = T_FAILED;
        d->t[i].code = CF_EXIT_INTERNAL;
      }
  }
}

/* Step 3: START, ADD ENTROPY and EXPORT on the source, in one session. */
static int export_from_source(dup_run *d) {
  keycard_cli *c = d->c;
  keycard_cli_card card;
  int rc, code = keycard_cli_open(c, &card, d->source, KEYCARD_CLI_NEED_PIN);
  if (code != CF_EXIT_OK) goto out;
  if (!card.kc.info.has_key || !cf_ct_equal(card.kc.info.key_uid, d->src_uid, sizeof d->src_uid)) {
    code = keycard_cli_error(c, CF_EXIT_CARD, "the source card changed during the run");
    goto out;
  }
  rc = keycard_client_duplicate_start(&card.kc, (uint8_t)d->pieces, d->entropy[0]);
  if (rc != KEYCARD_CLIENT_OK) {
    keycard_cli_progress(c, "card 1 (source, %s): START failed", d->source_name);
    code = keycard_cli_fail(c, &card.kc, rc);
    goto out;
  }
  keycard_cli_progress(c, "card 1 (source): duplication started, %d entropy pieces", d->pieces);
  if ((code = keycard_cli_reopen(c, &card, KEYCARD_CLI_NEED_SELECT)) != CF_EXIT_OK) goto out;
  for (int p = 1; p < d->pieces; p++)
    if ((rc = keycard_client_duplicate_add_entropy(&card.kc, d->entropy[p])) != KEYCARD_CLIENT_OK) {
      keycard_cli_progress(c, "card 1 (source, %s): ADD ENTROPY failed", d->source_name);
      code = keycard_cli_fail(c, &card.kc, rc);
      goto out;
    }
  if ((code = keycard_cli_reopen(c, &card, KEYCARD_CLI_NEED_PIN)) != CF_EXIT_OK) goto out;
  rc = keycard_client_duplicate_export(&card.kc, d->blob, sizeof d->blob, &d->blob_len);
  if (rc != KEYCARD_CLIENT_OK) {
    keycard_cli_progress(c, "card 1 (source, %s): EXPORT failed", d->source_name);
    code = keycard_cli_fail(c, &card.kc, rc);
    goto out;
  }
  keycard_cli_progress(c, "card 1 (source): key exported (%zu encrypted bytes)", d->blob_len);
out:
  d->source_sw = card.kc.sw;
  keycard_cli_close(&card);
  return code;
}

/* Step 1: the source's key UID, from its SELECT answer. */
static int read_source(dup_run *d) {
  keycard_cli_card card;
  int code = keycard_cli_open(d->c, &card, d->source, KEYCARD_CLI_NEED_SELECT);
  snprintf(d->source_name, sizeof d->source_name, "%s", card.reader ? card.reader : d->source);
  if (code == CF_EXIT_OK && !card.kc.info.has_key)
    code = keycard_cli_error(d->c, CF_EXIT_CARD, "the source card has no key to duplicate");
  if (code == CF_EXIT_OK) {
    memcpy(d->src_uid, card.kc.info.key_uid, sizeof d->src_uid);
    memcpy(d->src_instance, card.kc.info.instance_uid, sizeof d->src_instance);
  }
  d->source_sw = card.kc.sw;
  keycard_cli_close(&card);
  return code;
}

static const char *outcome_name(target_state s) {
  switch (s) {
  case T_HELD:
    return "held";
  case T_IMPORTED:
    return "imported";
  case T_MISMATCH:
    return "mismatch";
  case T_FAILED:
    return "failed";
  default:
    return "not written";
  }
}

/* --json: the run as one document (docs/cli.md): result, source, targets, resume. */
static void report_json(dup_run *d, int first_bad, const char *resume) {
  json_t *doc = d->c->report, *targets = json_array();
  for (int i = 0; i < d->n; i++) {
    dup_target *t = &d->t[i];
    json_array_append_new(targets,
                          json_pack("{s:i, s:s, s:s, s:o}", "card", t->number + 1, "reader", t->name,
                                    "outcome", outcome_name(t->state), "key_uid",
                                    t->has_key ? cf_json_hex(t->key_uid, sizeof t->key_uid) : json_null()));
  }
  json_object_set_new(doc, "result",
                      json_string(first_bad < 0    ? "completed"
                                  : d->interrupted ? "interrupted"
                                                   : "stopped"));
  json_object_set_new(doc, "source",
                      json_pack("{s:s, s:o}", "reader", d->source_name, "key_uid",
                                cf_json_hex(d->src_uid, sizeof d->src_uid)));
  json_object_set_new(doc, "targets", targets);
  json_object_set_new(doc, "resume", resume ? json_string(resume) : json_null());
  d->c->report_on_failure = true; /* the cards' outcomes matter most when the run stopped */
}

/* The results, one line per card in command-line order (or the --json document); returns the run's
 * exit code. */
static int report(dup_run *d, int code) {
  keycard_cli *c = d->c;
  bool text = c->report == NULL;
  char hex[2 * KEYCARD_CLIENT_KEY_UID_LEN + 1];
  cf_hex_encode(d->src_uid, sizeof d->src_uid, hex);
  if (text) fprintf(c->io->out, "card 1 (source, %s): key-uid %s ok\n", d->source_name, hex);
  int first_bad = -1, bad_code = CF_EXIT_OK, held = 0;
  for (int i = 0; i < d->n; i++) {
    dup_target *t = &d->t[i];
    if (t->has_key)
      cf_hex_encode(t->key_uid, sizeof t->key_uid, hex);
    else
      strcpy(hex, "none");
    switch (t->state) {
    case T_HELD:
    case T_IMPORTED:
      held++;
      if (text)
        fprintf(c->io->out, "card %d (target, %s): key-uid %s ok%s\n", t->number + 1, t->name, hex,
                t->state == T_HELD ? " (held it before this run)" : "");
      continue;
    case T_MISMATCH:
      if (text)
        fprintf(c->io->out, "card %d (target, %s): key-uid %s MISMATCH\n", t->number + 1, t->name, hex);
      if (bad_code == CF_EXIT_OK) bad_code = CF_EXIT_VERIFY;
      break;
    case T_FAILED:
      if (text) fprintf(c->io->out, "card %d (target, %s): failed\n", t->number + 1, t->name);
      if (bad_code == CF_EXIT_OK) bad_code = t->code ? t->code : CF_EXIT_CARD;
      break;
    default:
      if (text) fprintf(c->io->out, "card %d (target, %s): not written\n", t->number + 1, t->name);
      break;
    }
    if (first_bad < 0) first_bad = i;
  }
  if (code == CF_EXIT_OK) code = bad_code;
  if (first_bad < 0) {
    if (!text) report_json(d, first_bad, NULL);
    keycard_cli_progress(c, "every card holds key %s",
                         (cf_hex_encode(d->src_uid, sizeof d->src_uid, hex), hex));
    return code;
  }
  if (bad_code == CF_EXIT_VERIFY && code == CF_EXIT_VERIFY)
    keycard_cli_error(c, code, "a card does not hold the source's key");
  /* where to resume: --from N when the targets left are every one from N on */
  bool suffix = true;
  for (int i = first_bad; i < d->n; i++)
    if (d->t[i].state == T_HELD || d->t[i].state == T_IMPORTED) suffix = false;
  int from = d->t[first_bad].number;
  const char *why = d->interrupted ? "interrupted before" : "stopped at";
  char resume[32];
  if (suffix && held == first_bad)
    snprintf(resume, sizeof resume, "--from %d", from);
  else
    snprintf(resume, sizeof resume, "the same command");
  if (!text)
    report_json(d, first_bad, resume);
  else if (suffix && held == first_bad && from == 1)
    fprintf(c->io->out, "duplicate: %s target 1 of %d (none holds the key); rerun with --from 1\n", why,
            d->total);
  else if (suffix && held == first_bad)
    fprintf(c->io->out, "duplicate: %s target %d of %d (targets 1..%d hold the key); rerun with --from %d\n",
            why, from, d->total, from - 1, from);
  else
    fprintf(
        c->io->out,
        "duplicate: %s target %d of %d (%d of this run's targets hold the key); rerun the same command%s: "
        "targets holding the key are checked and left as they are\n",
        why, from, d->total, held, d->journal_path ? " (same --journal)" : "");
  return code;
}

static int dup_main(dup_run *d) {
  keycard_cli *c = d->c;
  int code = read_source(d);
  if (code != CF_EXIT_OK) return code;
  char batch[2 * KEYCARD_CLIENT_KEY_UID_LEN + 1];
  cf_hex_encode(d->src_uid, sizeof d->src_uid, batch);
  d->journal_opened = true;
  if (cf_batch_journal_open(&d->journal, d->journal_path, "keycard-duplicate", batch) != 0)
    return keycard_cli_error(c, CF_EXIT_FILE, "journal %s", d->journal.err);
  cf_cli_note_reader(NULL); /* several readers: every message names its own */
  run_targets(d, preflight_target, false);
  for (int i = 0; i < d->n; i++) {
    if (d->t[i].state == T_FAILED || d->t[i].state == T_MISMATCH) {
      /* nothing has changed on any card yet: stop here */
      keycard_cli_progress(c, "card %d (target, %s) cannot be written: no card changed", d->t[i].number + 1,
                           d->t[i].name);
      return d->t[i].code;
    }
    if (d->t[i].state == T_TODO &&
        cf_ct_equal(d->t[i].instance_uid, (uint8_t[KEYCARD_CLIENT_UID_LEN]){0}, KEYCARD_CLIENT_UID_LEN))
      return keycard_cli_error(c, CF_EXIT_CARD, "card %d has no instance UID", d->t[i].number + 1);
    if (cf_ct_equal(d->t[i].instance_uid, d->src_instance, KEYCARD_CLIENT_UID_LEN))
      return keycard_cli_error(c, CF_EXIT_USAGE, "%s is the source card itself", d->t[i].name);
    for (int j = 0; j < i; j++)
      if (cf_ct_equal(d->t[j].instance_uid, d->t[i].instance_uid, KEYCARD_CLIENT_UID_LEN))
        return keycard_cli_error(c, CF_EXIT_USAGE, "%s and %s hold the same card", d->t[j].name,
                                 d->t[i].name);
  }
  for (int i = 0; i < d->n; i++)
    if (d->t[i].state == T_HELD && !journaled(d, &d->t[i]) && journal_add(d, &d->t[i]) != 0)
      return keycard_cli_error(c, CF_EXIT_FILE, "journal %s", d->journal.err);
  bool any = false;
  for (int i = 0; i < d->n; i++)
    any = any || d->t[i].state == T_TODO;
  if (any && !cf_batch_interrupted()) {
    for (int i = 0; i < d->pieces; i++)
      if (cf_rand(d->entropy[i], 32) != 0) return keycard_cli_error(c, CF_EXIT_INTERNAL, "no randomness");
    if ((code = export_from_source(d)) != CF_EXIT_OK) return code;
    run_targets(d, write_target, true);
  }
  /* an interrupt counts when it left a target unwritten */
  int sig = cf_batch_interrupted();
  bool pending = false;
  for (int i = 0; sig && i < d->n; i++) {
    if (d->t[i].state == T_TODO) d->t[i].state = T_NOT_REACHED;
    pending = pending || d->t[i].state == T_NOT_REACHED;
  }
  if (!pending) return report(d, CF_EXIT_OK);
  d->interrupted = 1;
  keycard_cli_error(c, cf_batch_interrupt_exit_code(sig), "interrupted by %s",
                    sig == SIGINT ? "SIGINT" : "SIGTERM");
  report(d, CF_EXIT_OK);
  return cf_batch_interrupt_exit_code(sig);
}

int keycard_cli_cmd_duplicate(void *ctx) {
  keycard_cli *c = ctx;
  const cf_cli_opt *targets = keycard_cli_opt_get(c, "--target");
  const char *source = keycard_cli_opt_value(c, "--source");
  if (!source || !targets || targets->count < 1)
    return keycard_cli_error(c, CF_EXIT_USAGE,
                             "duplicate needs --source READER and at least one --target READER");
  if (targets->count > MAX_TARGETS)
    return keycard_cli_error(c, CF_EXIT_USAGE, "at most %d targets", MAX_TARGETS);
  if (!keycard_cli_pin(c)) return keycard_cli_pin_code(c); /* read once, before any worker needs it */
  int first = 0;
  const char *from = keycard_cli_opt_value(c, "--from");
  if (from) {
    char *end;
    unsigned long v = strtoul(from, &end, 10);
    if (*from == '\0' || *end || v < 1 || v > (unsigned long)targets->count)
      return keycard_cli_error(c, CF_EXIT_USAGE, "--from is a target number 1..%d", targets->count);
    first = (int)v - 1;
  }
  for (int i = 0; i < targets->count; i++) {
    if (strcmp(source, targets->values[i]) == 0)
      return keycard_cli_error(c, CF_EXIT_USAGE, "reader %s given twice", targets->values[i]);
    for (int j = 0; j < i; j++)
      if (strcmp(targets->values[j], targets->values[i]) == 0)
        return keycard_cli_error(c, CF_EXIT_USAGE, "reader %s given twice", targets->values[i]);
  }
  dup_run *d = calloc(1, sizeof *d);
  if (d == NULL) return keycard_cli_error(c, CF_EXIT_INTERNAL, "out of memory");
  d->c = c;
  d->source = source;
  snprintf(d->source_name, sizeof d->source_name, "%s", source);
  d->total = targets->count;
  d->n = targets->count - first;
  d->pieces = 1 + d->n;
  for (int i = 0; i < d->n; i++) {
    d->t[i].reader = targets->values[first + i];
    d->t[i].number = first + i + 1;
    snprintf(d->t[i].name, sizeof d->t[i].name, "%s", d->t[i].reader);
  }
  d->journal_path = keycard_cli_opt_value(c, "--journal");
  cf_batch_interrupt_arm();
  int code = dup_main(d);
  cf_batch_interrupt_disarm();
  cf_audit_list *to = cf_audit_list_new();
  for (int i = 0; i < d->n; i++)
    cf_audit_list_add(to, "s", d->t[i].name);
  bool known = !cf_ct_equal(d->src_uid, (uint8_t[KEYCARD_CLIENT_KEY_UID_LEN]){0}, KEYCARD_CLIENT_KEY_UID_LEN);
  cf_audit_record(c->g, source, "keycard duplicate", d->source_sw, code, "{s:s?,s:o,s:i}", "key_uid",
                  known ? cf_audit_hex(d->src_uid, KEYCARD_CLIENT_KEY_UID_LEN) : NULL, "targets", to, "from",
                  first + 1);
  if (d->journal_opened) cf_batch_journal_close(&d->journal);
  cf_wipe(d, sizeof *d);
  free(d);
  return code;
}
