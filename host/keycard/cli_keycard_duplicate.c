/* `cardforge keycard duplicate --source R --target R...`: copies the source card's master key onto
 * every target with DUPLICATE KEY. Every card takes part: each gets START with the first entropy
 * piece and the total count, then ADD ENTROPY with each other piece; the source EXPORTs the key
 * encrypted under the combined entropy and every target IMPORTs it. At the end every card must show
 * the source's key UID. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/batch_interrupt.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/pcsc.h"
#include "cli_keycard_internal.h"

#define MAX_CARDS 9

typedef struct dup_state {
  keycard_cli_card cards[MAX_CARDS];
  int n;     /* cards[0] is the source */
  int first; /* cards[1] is target number first + 1 on the command line (--from) */
  uint8_t entropy[MAX_CARDS][32];
  uint8_t blob[KEYCARD_CLIENT_MAX_PLAIN];
  size_t blob_len;
} dup_state;

static const char *role(int i) {
  return i == 0 ? "source" : "target";
}

static int dup_step_fail(keycard_cli *c, dup_state *d, int i, const char *step, int rc) {
  keycard_cli_progress(c, "card %d (%s, %s): %s failed", i + 1, role(i), d->cards[i].reader, step);
  return keycard_cli_fail(c, &d->cards[i].kc, rc);
}

/* The order to open the cards in: by full reader name. Every card stays open (and its PC/SC
 * transaction held) until the end, so two runs on overlapping readers must take them in one order
 * or each could wait for a card the other holds. Names that do not resolve (no such reader yet,
 * in-process cards) keep their given text, and the open itself reports them. */
static void open_order(const dup_state *d, int order[MAX_CARDS]) {
  char keys[MAX_CARDS][128], err[256];
  for (int i = 0; i < d->n; i++) {
    order[i] = i;
    if (cf_pcsc_resolve_reader(d->cards[i].reader, keys[i], sizeof keys[i], err, sizeof err) != 0)
      snprintf(keys[i], sizeof keys[i], "%s", d->cards[i].reader);
  }
  for (int i = 1; i < d->n; i++)
    for (int j = i; j > 0 && strcmp(keys[order[j - 1]], keys[order[j]]) > 0; j--) {
      int tmp = order[j];
      order[j] = order[j - 1];
      order[j - 1] = tmp;
    }
}

static int dup_run(keycard_cli *c, dup_state *d) {
  int code, rc;
  const int n = d->n;
  int order[MAX_CARDS];
  open_order(d, order);
  for (int k = 0; k < n; k++) {
    int i = order[k];
    code = keycard_cli_open(c, &d->cards[i], d->cards[i].reader, KEYCARD_CLI_NEED_PIN);
    if (code != CF_EXIT_OK) return code;
    keycard_cli_progress(c, "card %d (%s, %s): channel open, PIN verified", i + 1, role(i),
                         d->cards[i].reader);
  }
  cf_cli_note_reader(NULL); /* several readers: every message names its own */
  const keycard_client_info *src = &d->cards[0].kc.info;
  if (!src->has_key) return keycard_cli_error(c, CF_EXIT_CARD, "the source card has no key to duplicate");
  for (int i = 1; i < n; i++)
    if (memcmp(d->cards[i].kc.info.instance_uid, src->instance_uid, KEYCARD_CLIENT_UID_LEN) == 0)
      return keycard_cli_error(c, CF_EXIT_USAGE, "%s is the source card itself", d->cards[i].reader);
  uint8_t src_uid[KEYCARD_CLIENT_KEY_UID_LEN];
  memcpy(src_uid, src->key_uid, sizeof src_uid);
  for (int i = 0; i < n; i++)
    if (cf_rand(d->entropy[i], 32) != 0) return keycard_cli_error(c, CF_EXIT_INTERNAL, "no randomness");

  for (int i = 0; i < n; i++) {
    rc = keycard_client_duplicate_start(&d->cards[i].kc, (uint8_t)n, d->entropy[0]);
    if (rc != KEYCARD_CLIENT_OK) return dup_step_fail(c, d, i, "START", rc);
    keycard_cli_progress(c, "card %d (%s): duplication started, %d entropy pieces", i + 1, role(i), n);
  }
  /* ADD ENTROPY is a plain command outside the channel: select afresh, then add every other piece. */
  for (int i = 0; i < n; i++) {
    if ((code = keycard_cli_reopen(c, &d->cards[i], KEYCARD_CLI_NEED_SELECT)) != CF_EXIT_OK) return code;
    for (int p = 1; p < n; p++) {
      rc = keycard_client_duplicate_add_entropy(&d->cards[i].kc, d->entropy[p]);
      if (rc != KEYCARD_CLIENT_OK) return dup_step_fail(c, d, i, "ADD ENTROPY", rc);
    }
    keycard_cli_progress(c, "card %d (%s): entropy added", i + 1, role(i));
  }
  if ((code = keycard_cli_reopen(c, &d->cards[0], KEYCARD_CLI_NEED_PIN)) != CF_EXIT_OK) return code;
  rc = keycard_client_duplicate_export(&d->cards[0].kc, d->blob, sizeof d->blob, &d->blob_len);
  if (rc != KEYCARD_CLIENT_OK) return dup_step_fail(c, d, 0, "EXPORT", rc);
  keycard_cli_progress(c, "card 1 (source): key exported (%zu encrypted bytes)", d->blob_len);
  for (int i = 1; i < n; i++) {
    uint8_t uid[KEYCARD_CLIENT_KEY_UID_LEN];
    /* SIGINT / SIGTERM: the target in progress is finished, the others are left for --from */
    int sig = cf_batch_interrupted();
    if (sig) {
      keycard_cli_error(c, cf_batch_interrupt_exit_code(sig), "interrupted by %s",
                        sig == SIGINT ? "SIGINT" : "SIGTERM");
      int done = d->first + i - 1, total = d->first + n - 1;
      if (done > 0)
        fprintf(c->io->out,
                "duplicate: interrupted before target %d of %d (targets 1..%d hold the key); rerun with "
                "--from %d\n",
                done + 1, total, done, done + 1);
      else
        fprintf(c->io->out,
                "duplicate: interrupted before target 1 of %d (none holds the key); rerun with --from 1\n",
                total);
      return cf_batch_interrupt_exit_code(sig);
    }
    if ((code = keycard_cli_reopen(c, &d->cards[i], KEYCARD_CLI_NEED_PIN)) != CF_EXIT_OK) return code;
    rc = keycard_client_duplicate_import(&d->cards[i].kc, d->blob, d->blob_len, uid);
    if (rc != KEYCARD_CLIENT_OK) return dup_step_fail(c, d, i, "IMPORT", rc);
    keycard_cli_progress(c, "card %d (target): key imported", i + 1);
  }

  /* Check from a fresh SELECT, i.e. what each card persisted, not what IMPORT answered. */
  code = CF_EXIT_OK;
  char hex[2 * KEYCARD_CLIENT_KEY_UID_LEN + 1];
  for (int i = 0; i < n; i++) {
    int r = keycard_cli_reopen(c, &d->cards[i], KEYCARD_CLI_NEED_SELECT);
    if (r != CF_EXIT_OK) return r;
    const keycard_client_info *in = &d->cards[i].kc.info;
    bool same = in->has_key && memcmp(in->key_uid, src_uid, sizeof src_uid) == 0;
    if (in->has_key)
      cf_hex_encode(in->key_uid, KEYCARD_CLIENT_KEY_UID_LEN, hex);
    else
      strcpy(hex, "none");
    fprintf(c->io->out, "card %d (%s, %s): key-uid %s %s\n", i + 1, role(i), d->cards[i].reader, hex,
            same ? "ok" : "MISMATCH");
    if (!same) code = CF_EXIT_VERIFY;
  }
  if (code != CF_EXIT_OK) return keycard_cli_error(c, code, "a card does not hold the source's key");
  keycard_cli_progress(c, "every card holds key %s", (cf_hex_encode(src_uid, sizeof src_uid, hex), hex));
  return CF_EXIT_OK;
}

int keycard_cli_cmd_duplicate(void *ctx) {
  keycard_cli *c = ctx;
  const cf_cli_opt *targets = keycard_cli_opt_get(c, "--target");
  const char *source = keycard_cli_opt_value(c, "--source");
  if (!source || !targets || targets->count < 1)
    return keycard_cli_error(c, CF_EXIT_USAGE,
                             "duplicate needs --source READER and at least one --target READER");
  if (targets->count > MAX_CARDS - 1)
    return keycard_cli_error(c, CF_EXIT_USAGE, "at most %d targets", MAX_CARDS - 1);
  if (!keycard_cli_pin(c)) return keycard_cli_pin_code(c);
  int first = 0;
  const char *from = keycard_cli_opt_value(c, "--from");
  if (from) {
    char *end;
    unsigned long v = strtoul(from, &end, 10);
    if (*from == '\0' || *end || v < 1 || v > (unsigned long)targets->count)
      return keycard_cli_error(c, CF_EXIT_USAGE, "--from is a target number 1..%d", targets->count);
    first = (int)v - 1;
  }
  dup_state d;
  memset(&d, 0, sizeof d);
  d.n = 1 + targets->count - first;
  d.first = first;
  d.cards[0].reader = source;
  for (int i = 0; i < targets->count; i++) {
    if (i >= first) d.cards[i - first + 1].reader = targets->values[i];
    if (strcmp(source, targets->values[i]) == 0)
      return keycard_cli_error(c, CF_EXIT_USAGE, "reader %s given twice", targets->values[i]);
    for (int j = 0; j < i; j++)
      if (strcmp(targets->values[j], targets->values[i]) == 0)
        return keycard_cli_error(c, CF_EXIT_USAGE, "reader %s given twice", targets->values[i]);
  }
  cf_batch_interrupt_arm();
  int code = dup_run(c, &d);
  cf_batch_interrupt_disarm();
  cf_audit_list *to = cf_audit_list_new();
  for (int i = 1; i < d.n; i++)
    cf_audit_list_add(to, "s", d.cards[i].reader);
  cf_audit_record(c->g, source, "keycard duplicate", d.cards[0].kc.sw, code, "{s:s?,s:o,s:i}", "key_uid",
                  d.cards[0].kc.info.has_key
                      ? cf_audit_hex(d.cards[0].kc.info.key_uid, KEYCARD_CLIENT_KEY_UID_LEN)
                      : NULL,
                  "targets", to, "from", first + 1);
  for (int i = 0; i < d.n; i++)
    keycard_cli_close(&d.cards[i]);
  cf_wipe(&d, sizeof d);
  return code;
}
