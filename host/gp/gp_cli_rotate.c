/* `cardforge gp rotate --readers R1,R2,... [--jobs N] [--journal FILE]` with put-key's options:
 * the same PUT KEY on the card of every reader, one worker thread per reader at once
 * (cardforge/reader_pool.h), each card in its own session and PC/SC transaction.
 *
 * Per card: SELECT; its identity from CPLC (IC fabricator, type, serial, batch; else the KDD of
 * INITIALIZE UPDATE); a card the journal records is left alone. Then a probe: when the new keys
 * already open a channel (as KVN --new-kvn), the card holds them and is left as it is (a run
 * killed between PUT KEY and its journal line is thus never done twice). Otherwise the channel
 * options open the channel, PUT KEY writes the set (the card's check values compared with the
 * host's), and a fresh session must open with the new keys before the card counts as done and
 * is journaled. The probe stops at the card cryptogram when the keys differ: no EXTERNAL
 * AUTHENTICATE is sent with wrong keys, so no card counts a failed authentication.
 *
 * A failure stops that card only; SIGINT / SIGTERM stops every card before its PUT KEY (a card
 * past it is finished). The results come in --readers order; the resume line names the readers
 * left. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/batch_interrupt.h"
#include "cardforge/batch_journal.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cardforge/reader_pool.h"
#include "gp_cli_internal.h"

#define ROTATE_MAX_READERS CF_READER_POOL_MAX_WORKERS
#define CARD_ID_LEN 10

typedef enum card_state {
  C_TODO = 0,
  C_JOURNALED,  /* recorded done by an earlier run */
  C_HELD,       /* the new keys already opened a channel */
  C_ROTATED,    /* PUT KEY done and the new keys open a channel */
  C_FAILED,     /* reported */
  C_NOT_REACHED /* interrupted before its PUT KEY */
} card_state;

typedef struct rotate_card {
  const char *reader; /* as given */
  char name[128];     /* the reader the transport chose */
  card_state state;
  int code;
  char id[2 * CARD_ID_LEN + 1];
  uint8_t kcv[3][3];
  uint8_t type;
} rotate_card;

typedef struct rotate_run {
  gp_run *r;
  rotate_card cards[ROTATE_MAX_READERS];
  size_t n;
  char *list; /* the --readers copy the cards' reader pointers point into */
  cf_batch_journal journal;
  bool json; /* --json: one document instead of the result lines, no progress */
} rotate_run;

static void note(const rotate_run *rr, size_t i, const char *what) {
  if (!rr->r->global.quiet && !rr->json)
    fprintf(stderr, "gp rotate: card %zu (%s): %s\n", i + 1, rr->cards[i].name, what);
}

/* The card's identity: CPLC's IC fabricator, IC type, IC serial number and batch (what GP cards
 * put in their KDD), or "" when the card has no CPLC. */
static void card_identity(cf_gp_client *c, rotate_card *card) {
  uint8_t buf[128];
  size_t len = 0;
  card->id[0] = 0;
  if (cf_gp_get_data(c, 0x9F7F, buf, sizeof buf, &len) != CF_GP_OK) return;
  const uint8_t *cplc = buf;
  if (len >= 3 && buf[0] == 0x9F && buf[1] == 0x7F) { /* with its header */
    cplc = buf + 3;
    len -= 3;
  }
  if (len < 18) return;
  uint8_t id[CARD_ID_LEN];
  memcpy(id, cplc, 4);
  memcpy(id + 4, cplc + 12, 6);
  cf_hex_encode(id, sizeof id, card->id);
}

/* Whether the new keys open a channel as KVN --new-kvn: 1 yes, 0 no (unknown KVN, other keys),
 * -1 the card could not be reached (c->err). The client is closed and the SD selected again. */
static int new_keys_open(cf_gp_client *c, const gp_opts *o, const uint8_t *aid, size_t aid_len) {
  const gp_key_opts *k = &o->new_keys;
  cf_scp_keys keys = {.kvn = (uint8_t)o->cmd_kvn, .klen = k->enc_len};
  memcpy(keys.enc, k->enc, k->enc_len);
  memcpy(keys.mac, k->mac, k->enc_len);
  memcpy(keys.dek, k->dek, k->enc_len);
  cf_gp_open_opts oo = {.level = 0x01, .kvn = (uint8_t)o->cmd_kvn, .diversify = o->new_diversify};
  int rc = cf_gp_open(c, &keys, &oo);
  cf_wipe(&keys, sizeof keys);
  if (rc == CF_GP_OK) cf_transport_mark_secured(c->t);
  cf_gp_close(c);
  if (rc == CF_GP_ERR_TRANSPORT) return -1;
  int src = cf_gp_select(c, aid, aid_len, NULL, 0, NULL);
  if (src != CF_GP_OK) return -1;
  return rc == CF_GP_OK ? 1 : 0;
}

/* PUT KEY through the channel the channel options open; kcv receives the check values. */
static int put_key(cf_gp_client *c, const gp_opts *o, rotate_card *card) {
  const gp_key_opts *k = &o->new_keys;
  int code = gp_cli_open_channel(c, o);
  if (code != CF_EXIT_OK) return code;
  uint8_t type = (k->enc_len != 16 || c->scp.scp == 0x03) ? CF_GP_KEY_AES : CF_GP_KEY_DES;
  if (o->type_text) type = strcmp(o->type_text, "aes") == 0 ? CF_GP_KEY_AES : CF_GP_KEY_DES;
  card->type = type;
  bool undiversifiable = false;
  int rc = gp_cli_put_new_keys(c, o, type, card->kcv, &undiversifiable);
  if (undiversifiable) {
    cf_cli_error("gp rotate: %s: the new keys cannot be diversified", card->name);
    return CF_EXIT_USAGE;
  }
  return rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
}

static int rotate_one(void *arg, size_t worker, size_t item) {
  (void)worker;
  rotate_run *rr = arg;
  const gp_opts *o = &rr->r->o;
  rotate_card *card = &rr->cards[item];
  uint8_t aid[16];
  size_t aid_len = 0;
  if (o->aid_hex) aid_len = (size_t)cf_hex_decode(o->aid_hex, aid, sizeof aid); /* checked before */
  char err[256] = "";
  cf_transport_fault fault = CF_TRANSPORT_FAULT_NONE;
  cf_transport *t = cf_transport_open_pcsc_ex(card->reader, err, sizeof err, &fault);
  if (t == NULL) {
    cf_cli_error("gp rotate: card %zu: %s", item + 1, err);
    card->code = fault == CF_TRANSPORT_FAULT_SHARED ? CF_EXIT_SHARED : CF_EXIT_TRANSPORT;
    card->state = C_FAILED;
    return -1;
  }
  snprintf(card->name, sizeof card->name, "%s", t->name);
  if (rr->r->global.trace) t->trace = stderr;
  cf_gp_client c;
  cf_gp_client_init(&c, t);
  int code = CF_EXIT_OK, rc = cf_gp_select(&c, o->aid_hex ? aid : NULL, aid_len, NULL, 0, NULL);
  if (rc != CF_GP_OK) {
    code = gp_cli_report(&c, rc);
    goto out;
  }
  card_identity(&c, card);
  if (card->id[0] && cf_batch_journal_has(&rr->journal, card->id)) {
    card->state = C_JOURNALED;
    note(rr, item, "done in an earlier run (journal)");
    goto out;
  }
  int held = new_keys_open(&c, o, o->aid_hex ? aid : NULL, aid_len);
  if (held < 0) {
    code = gp_cli_report(&c, CF_GP_ERR_TRANSPORT);
    goto out;
  }
  if (!card->id[0] && c.have_kdd) cf_hex_encode(c.kdd, sizeof c.kdd, card->id);
  if (held) {
    card->state = C_HELD;
    note(rr, item, "the new keys already open a channel: left as it is");
  } else {
    if (cf_batch_interrupted()) {
      card->state = C_NOT_REACHED;
      goto out;
    }
    if ((code = put_key(&c, o, card)) != CF_EXIT_OK) goto out;
    note(rr, item, "PUT KEY done, check values verified");
    cf_gp_close(&c);
    if ((rc = cf_gp_select(&c, o->aid_hex ? aid : NULL, aid_len, NULL, 0, NULL)) != CF_GP_OK) {
      code = gp_cli_report(&c, rc);
      goto out;
    }
    held = new_keys_open(&c, o, o->aid_hex ? aid : NULL, aid_len);
    if (held != 1) {
      cf_cli_error("gp rotate: card %zu (%s): the new keys do not open a channel after PUT KEY", item + 1,
                   card->name);
      code = held < 0 ? cf_cli_transport_exit(t) : CF_EXIT_VERIFY;
      goto out;
    }
    card->state = C_ROTATED;
  }
  if (!card->id[0] && c.have_kdd) cf_hex_encode(c.kdd, sizeof c.kdd, card->id);
  if (card->id[0] && cf_batch_journal_add(&rr->journal, card->id, card->name) != 0) {
    cf_cli_error("gp rotate: journal %s", rr->journal.err);
    code = CF_EXIT_FILE;
  }
out:
  if (code != CF_EXIT_OK) {
    card->state = C_FAILED;
    card->code = code;
  }
  cf_gp_close(&c);
  cf_transport_close(t);
  return card->state == C_FAILED || card->state == C_NOT_REACHED ? -1 : 0; /* the pool counts what is done */
}

static const char *const state_names[] = {
    [C_TODO] = "not written", [C_JOURNALED] = "journaled", [C_HELD] = "held",
    [C_ROTATED] = "rotated",  [C_FAILED] = "failed",       [C_NOT_REACHED] = "not written"};

/* --json: {kvn, cards: [{card, reader, outcome, exit, kcv}], holding, resume} (docs/cli.md). */
static int report_json(const rotate_run *rr, size_t holding, const char *resume) {
  uint8_t kvn = (uint8_t)rr->r->o.cmd_kvn;
  json_t *cards = json_array();
  for (size_t i = 0; cards != NULL && i < rr->n; i++) {
    const rotate_card *card = &rr->cards[i];
    json_t *kcv = card->state == C_ROTATED
                      ? json_pack("{s:o, s:o, s:o}", "enc", cf_json_hex(card->kcv[0], 3), "mac",
                                  cf_json_hex(card->kcv[1], 3), "dek", cf_json_hex(card->kcv[2], 3))
                      : json_null();
    json_t *c = json_pack("{s:I, s:s, s:s, s:o, s:o}", "card", (json_int_t)(i + 1), "reader", card->name,
                          "outcome", state_names[card->state], "exit",
                          card->state == C_FAILED ? json_integer(card->code) : json_null(), "kcv", kcv);
    if (c == NULL || json_array_append_new(cards, c) != 0) {
      json_decref(cards);
      cards = NULL;
    }
  }
  json_t *doc = cards ? json_pack("{s:o, s:o, s:I, s:I, s:o}", "kvn", cf_json_hex(&kvn, 1), "cards", cards,
                                  "holding", (json_int_t)holding, "total", (json_int_t)rr->n, "resume",
                                  resume ? json_string(resume) : json_null())
                      : NULL;
  if (cf_json_emit(doc) != 0) {
    cf_cli_error("gp rotate: cannot print the JSON document");
    return -1;
  }
  return 0;
}

/* The results in --readers order, then where to resume; returns the exit code. */
static int report_results(rotate_run *rr, int code) {
  const gp_opts *o = &rr->r->o;
  if (rr->json) {
    size_t holding = 0;
    char resume[4096] = "--readers ";
    size_t used = strlen(resume), k = 0;
    for (size_t i = 0; i < rr->n; i++) {
      card_state st = rr->cards[i].state;
      holding += st == C_ROTATED || st == C_HELD || st == C_JOURNALED;
      if (st == C_FAILED && code == CF_EXIT_OK) code = rr->cards[i].code;
      if (st == C_FAILED || st == C_NOT_REACHED || st == C_TODO)
        used += (size_t)snprintf(resume + used, used < sizeof resume ? sizeof resume - used : 0, "%s%s",
                                 k++ ? "," : "", rr->cards[i].reader);
    }
    if (report_json(rr, holding, k ? resume : NULL) != 0 && code == CF_EXIT_OK) code = CF_EXIT_INTERNAL;
    return code;
  }
  size_t holding = 0, left = 0;
  for (size_t i = 0; i < rr->n; i++) {
    rotate_card *card = &rr->cards[i];
    printf("card %zu (%s): ", i + 1, card->name);
    switch (card->state) {
    case C_ROTATED:
      printf("KVN %02X %s (%s): check values ENC %02X%02X%02X MAC %02X%02X%02X DEK %02X%02X%02X verified\n",
             o->cmd_kvn, o->replace ? "replaced" : "added", card->type == CF_GP_KEY_AES ? "AES" : "DES",
             card->kcv[0][0], card->kcv[0][1], card->kcv[0][2], card->kcv[1][0], card->kcv[1][1],
             card->kcv[1][2], card->kcv[2][0], card->kcv[2][1], card->kcv[2][2]);
      holding++;
      break;
    case C_HELD:
      printf("KVN %02X already holds the new keys\n", o->cmd_kvn);
      holding++;
      break;
    case C_JOURNALED:
      printf("done in an earlier run (journal)\n");
      holding++;
      break;
    case C_FAILED:
      printf("failed (exit %d)\n", card->code);
      if (code == CF_EXIT_OK) code = card->code;
      left++;
      break;
    default:
      printf("not written\n");
      left++;
      break;
    }
  }
  printf("rotate: %zu of %zu cards hold KVN %02X", holding, rr->n, o->cmd_kvn);
  if (left == 0) {
    printf("\n");
    return code;
  }
  printf("; rerun with --readers ");
  for (size_t i = 0, k = 0; i < rr->n; i++)
    if (rr->cards[i].state == C_FAILED || rr->cards[i].state == C_NOT_REACHED || rr->cards[i].state == C_TODO)
      printf("%s%s", k++ ? "," : "", rr->cards[i].reader);
  printf("%s\n", rr->journal.path ? " (or the same command: the journal leaves the others out)" : "");
  return code;
}

/* Splits --readers into the cards; a reader given twice is refused. */
static int split_readers(rotate_run *rr, const char *list) {
  rr->list = strdup(list);
  if (rr->list == NULL) return CF_EXIT_INTERNAL;
  char *save = NULL;
  for (char *p = strtok_r(rr->list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
    if (*p == 0) continue;
    if (rr->n == ROTATE_MAX_READERS) {
      cf_cli_error("gp rotate: at most %d readers", ROTATE_MAX_READERS);
      return CF_EXIT_USAGE;
    }
    for (size_t j = 0; j < rr->n; j++)
      if (strcmp(rr->cards[j].reader, p) == 0) {
        cf_cli_error("gp rotate: reader %s given twice", p);
        return CF_EXIT_USAGE;
      }
    rr->cards[rr->n].reader = p;
    snprintf(rr->cards[rr->n].name, sizeof rr->cards[rr->n].name, "%s", p);
    rr->n++;
  }
  if (rr->n == 0) {
    cf_cli_error("gp rotate: --readers names no reader");
    return CF_EXIT_USAGE;
  }
  return CF_EXIT_OK;
}

/* The options put-key checks, checked once for every card. */
static int check_options(const gp_opts *o) {
  const gp_key_opts *k = &o->new_keys;
  if (o->cmd_kvn < 1 || o->cmd_kvn > 0x7F) {
    cf_cli_error("gp rotate: --new-kvn (the new key version, 01..7F) is required");
    return CF_EXIT_USAGE;
  }
  if (!k->enc_len || !k->mac_len || !k->dek_len || k->mac_len != k->enc_len || k->dek_len != k->enc_len) {
    cf_cli_error(
        "gp rotate: give the new keys (--new-key, or --new-enc, --new-mac and --new-dek of one length, "
        "or --new-key-file)");
    return CF_EXIT_USAGE;
  }
  if (o->type_text && strcmp(o->type_text, "aes") != 0 && strcmp(o->type_text, "des") != 0) {
    cf_cli_error("gp rotate: --type must be des or aes");
    return CF_EXIT_USAGE;
  }
  if (o->type_text && strcmp(o->type_text, "des") == 0 && k->enc_len != 16) {
    cf_cli_error("gp rotate: DES keys are 16 bytes (two-key 3DES)");
    return CF_EXIT_USAGE;
  }
  uint8_t aid[16];
  if (o->aid_hex && cf_hex_decode(o->aid_hex, aid, sizeof aid) < 5) {
    cf_cli_error("--aid: expected 5 to 16 bytes of hex");
    return CF_EXIT_USAGE;
  }
  return CF_EXIT_OK;
}

/* What identifies the batch in its journal: the new set's KVN, key length and check values (of
 * the keys as given: masters with --new-diversify). */
static void batch_name(const gp_opts *o, char *out, size_t cap) {
  const gp_key_opts *k = &o->new_keys;
  uint8_t kcv[3][3];
  uint8_t type =
      k->enc_len != 16 || (o->type_text && strcmp(o->type_text, "aes") == 0) ? CF_GP_KEY_AES : CF_GP_KEY_DES;
  cf_scp_kcv(type, k->enc, k->enc_len, kcv[0]);
  cf_scp_kcv(type, k->mac, k->enc_len, kcv[1]);
  cf_scp_kcv(type, k->dek, k->enc_len, kcv[2]);
  snprintf(out, cap, "kvn=%02X,len=%zu,kcv=%02X%02X%02X%02X%02X%02X%02X%02X%02X", o->cmd_kvn, k->enc_len,
           kcv[0][0], kcv[0][1], kcv[0][2], kcv[1][0], kcv[1][1], kcv[1][2], kcv[2][0], kcv[2][1], kcv[2][2]);
}

int gp_cli_cmd_rotate(void *ctx) {
  gp_run *r = ctx;
  const gp_opts *o = &r->o;
  const char *list = cf_cli_opts_value(&r->opts, "--readers");
  if (list == NULL) {
    cf_cli_error("gp rotate: --readers R1,R2,... is required");
    return CF_EXIT_USAGE;
  }
  int code = check_options(o);
  if (code != CF_EXIT_OK) return code;
  rotate_run *rr = calloc(1, sizeof *rr);
  if (rr == NULL) return CF_EXIT_INTERNAL;
  rr->r = r;
  rr->json = cf_cli_opts_given(&r->opts, "--json");
  size_t jobs = 0;
  if ((code = split_readers(rr, list)) != CF_EXIT_OK) goto done;
  jobs = rr->n;
  const char *jobs_text = cf_cli_opts_value(&r->opts, "--jobs");
  if (jobs_text) {
    char *end;
    unsigned long v = strtoul(jobs_text, &end, 10);
    if (*jobs_text == 0 || *end || v < 1 || v > ROTATE_MAX_READERS) {
      cf_cli_error("gp rotate: --jobs is 1..%d", ROTATE_MAX_READERS);
      code = CF_EXIT_USAGE;
      goto done;
    }
    jobs = v < rr->n ? v : rr->n;
  }
  char batch[96];
  batch_name(o, batch, sizeof batch);
  if (cf_batch_journal_open(&rr->journal, cf_cli_opts_value(&r->opts, "--journal"), "gp-rotate", batch) !=
      0) {
    cf_cli_error("gp rotate: journal %s", rr->journal.err);
    code = CF_EXIT_FILE;
    cf_batch_journal_close(&rr->journal);
    goto done;
  }
  cf_cli_note_reader(NULL); /* several readers: every message names its own */
  const char *names[ROTATE_MAX_READERS];
  for (size_t i = 0; i < rr->n; i++)
    names[i] = rr->cards[i].name;
  cf_reader_pool p = {.items = rr->n,
                      .workers = jobs,
                      .stop_requested = cf_batch_interrupted,
                      .run_item = rotate_one,
                      .arg = rr,
                      .progress = r->global.quiet || rr->json ? NULL : stderr,
                      .label = "gp rotate",
                      .unit = "cards",
                      .worker_name = jobs == rr->n ? names : NULL};
  char err[128];
  cf_batch_interrupt_arm();
  int prc = cf_reader_pool_run(&p, err, sizeof err);
  int sig = cf_batch_interrupted();
  cf_batch_interrupt_disarm();
  code = CF_EXIT_OK;
  if (prc != 0) {
    cf_cli_error("gp rotate: %s", err);
    code = CF_EXIT_INTERNAL;
  }
  /* an interrupt counts when it left a card unwritten */
  bool left = false;
  for (size_t i = 0; i < rr->n; i++)
    left = left || rr->cards[i].state == C_NOT_REACHED || rr->cards[i].state == C_TODO;
  if (sig && left) cf_cli_error("gp rotate: interrupted by %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
  code = report_results(rr, code);
  if (sig && left && code == CF_EXIT_OK) code = cf_batch_interrupt_exit_code(sig);
  cf_audit_list *readers = cf_audit_list_new();
  size_t rotated = 0;
  for (size_t i = 0; i < rr->n; i++) {
    cf_audit_list_add(readers, "s", rr->cards[i].name);
    rotated += rr->cards[i].state == C_ROTATED;
  }
  uint8_t kvn = (uint8_t)o->cmd_kvn, old = (uint8_t)o->replace;
  cf_audit_record(&r->global, NULL, "gp rotate", 0, code, "{s:s,s:s?,s:s,s:o,s:i,s:i}", "kvn",
                  cf_audit_hex(&kvn, 1), "replaces", old ? cf_audit_hex(&old, 1) : NULL, "batch", batch,
                  "readers", readers, "rotated", (int)rotated, "workers", (int)jobs);
  cf_batch_journal_close(&rr->journal);
done:
  free(rr->list);
  cf_wipe(rr, sizeof *rr);
  free(rr);
  fflush(stdout);
  return code;
}

/* The row gp_cli.c's table takes (gp_cli_internal.h); the command opens its readers itself. */
const cf_cli_command gp_rotate_commands[] = {
    {"rotate", gp_cli_cmd_rotate,
     "--readers=LIST --jobs=N --journal=FILE --new-kvn=N --replace=N --type=des|aes --id=N --chain "
     "--new-key=HEX --new-enc=HEX --new-mac=HEX --new-dek=HEX --new-key-file=FILE "
     "--new-diversify=emv|visa2|kdf3 --json",
     0,
     "--readers R1,R2,... [--jobs N] [--journal FILE] [--json] --new-kvn N [--replace N]\n"
     "[--type des|aes] [--id N] [--chain]\n"
     "(--new-key HEX | --new-enc HEX --new-mac HEX --new-dek HEX | --new-key-file FILE)\n"
     "[channel options]",
     "put-key on the card of every reader at once (key rotation of many cards)",
     "One worker per reader (--jobs N: N workers taking the readers in turn), each card in its own\n"
     "session: a card whose new keys already open a channel is left as it is; otherwise the channel\n"
     "options open the channel, PUT KEY writes the set (check values compared) and a fresh session\n"
     "must open with the new keys. --journal FILE records each card done (by its CPLC identity) so a\n"
     "rerun with it leaves them out. A failing card stops only itself; SIGINT stops every card\n"
     "before its PUT KEY. Results come in --readers order, then the readers left to rerun.\n"},
};
const size_t gp_rotate_command_count = sizeof gp_rotate_commands / sizeof gp_rotate_commands[0];
