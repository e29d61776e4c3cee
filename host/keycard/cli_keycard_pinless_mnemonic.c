/* `cardforge keycard` commands around PIN-less signing (set-pinless-path, sign --pinless) and BIP39
 * mnemonics (generate-mnemonic, the word-list check of load-key --mnemonic). */
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cli_keycard_internal.h"

#define NO_WORDLIST_NOTE                                                                                     \
  "no BIP39 word list on this host (install python3-mnemonic or set CARDFORGE_BIP39_WORDLIST)"

int keycard_cli_cmd_set_pinless_path(void *ctx) {
  keycard_cli *c = ctx;
  bool remove = keycard_cli_opt_set(c, "--remove");
  const char *text = keycard_cli_opt_value(c, "--path");
  /* the path may also come as a bare word */
  if (c->opts.operands > 0) {
    if (text != NULL) return keycard_cli_error(c, CF_EXIT_USAGE, "--path given twice");
    text = c->opts.operand[0];
  }
  if (remove == (text != NULL)) return keycard_cli_error(c, CF_EXIT_USAGE, "give a path or --remove");
  keycard_client_path path = {0};
  if (text && keycard_client_parse_path(text, &path) != KEYCARD_CLIENT_OK)
    return keycard_cli_error(c, CF_EXIT_USAGE, "bad key path");
  if (text && (path.source != KEYCARD_CLIENT_SOURCE_MASTER || path.len == 0))
    return keycard_cli_error(c, CF_EXIT_USAGE, "the PIN-less path starts at the master key: m/...");
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, keycard_cli_opt_value(c, "--reader"), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_set_pinless_path(&card.kc, remove ? NULL : &path);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, remove ? "PIN-less path removed" : "PIN-less path set");
  keycard_cli_close(&card);
  return code;
}

/* sign --pinless: SELECT, then SIGN P1 03 outside any channel; no pairing or PIN is used. */
int keycard_cli_sign_pinless(keycard_cli *c, const uint8_t hash[32]) {
  keycard_cli_card card;
  keycard_client_signature sig;
  int code = keycard_cli_open(c, &card, keycard_cli_opt_value(c, "--reader"), KEYCARD_CLI_NEED_SELECT);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_sign_pinless(&card.kc, hash, &sig);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_print_signature(c, &sig);
  keycard_cli_close(&card);
  return code;
}

static int parse_word_count(const keycard_cli *c, size_t *words) {
  const char *text = keycard_cli_opt_value(c, "--words");
  if (!text) {
    *words = 12;
    return CF_EXIT_OK;
  }
  char *end = NULL;
  unsigned long n = strtoul(text, &end, 10);
  if (!*text || *end || !keycard_client_bip39_count_ok(n))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--words is 12, 15, 18, 21 or 24");
  *words = n;
  return CF_EXIT_OK;
}

int keycard_cli_cmd_generate_mnemonic(void *ctx) {
  keycard_cli *c = ctx;
  size_t words = 0;
  int code = parse_word_count(c, &words);
  if (code != CF_EXIT_OK) return code;
  keycard_client_wordlist wl;
  char err[512] = "";
  int found = keycard_client_wordlist_find(&wl, err, sizeof err);
  if (found < 0) return keycard_cli_error(c, CF_EXIT_FILE, "%s", err);
  uint16_t idx[KEYCARD_CLIENT_BIP39_MAX_WORDS];
  keycard_cli_card card;
  code = keycard_cli_open(c, &card, keycard_cli_opt_value(c, "--reader"), KEYCARD_CLI_NEED_CHANNEL);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_generate_mnemonic(&card.kc, words, idx);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) {
    fputs("word-indexes:", c->io->out);
    for (size_t i = 0; i < words; i++)
      fprintf(c->io->out, " %u", (unsigned)idx[i]);
    fputc('\n', c->io->out);
    if (found) {
      fputs("mnemonic:", c->io->out);
      for (size_t i = 0; i < words; i++)
        fprintf(c->io->out, " %s", wl.words[idx[i]]);
      fputc('\n', c->io->out);
    } else {
      keycard_cli_progress(c, NO_WORDLIST_NOTE ": word indexes only");
    }
  }
  cf_wipe(idx, sizeof idx);
  if (found) keycard_client_wordlist_free(&wl);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_check_mnemonic(const keycard_cli *c, const char *mnemonic) {
  keycard_client_wordlist wl;
  char err[512] = "";
  int found = keycard_client_wordlist_find(&wl, err, sizeof err);
  if (found < 0) return keycard_cli_error(c, CF_EXIT_FILE, "%s", err);
  if (found == 0) {
    keycard_cli_progress(c, NO_WORDLIST_NOTE ": the words are not checked");
    return CF_EXIT_OK;
  }
  int rc = keycard_client_bip39_check(&wl, mnemonic, err, sizeof err);
  keycard_client_wordlist_free(&wl);
  return rc == KEYCARD_CLIENT_OK ? CF_EXIT_OK : keycard_cli_error(c, CF_EXIT_USAGE, "%s", err);
}
