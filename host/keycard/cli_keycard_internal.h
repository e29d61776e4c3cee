/* Internals of `cardforge keycard`, shared by its source files and its tests. */
#ifndef CARDFORGE_HOST_KEYCARD_CLI_INTERNAL_H
#define CARDFORGE_HOST_KEYCARD_CLI_INTERNAL_H

#include <stdio.h>

#include <jansson.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/keycard_client.h"

/* How the subcommand reaches cards: PC/SC by default; tests plug in their own (in-process cards).
 * connect returns NULL after printing nothing; the caller reports the failure. */
typedef struct keycard_cli_io {
  cf_transport *(*connect)(void *ctx, const char *reader, char *err, size_t errlen);
  void *ctx;
  FILE *out; /* results (stdout) */
  FILE *log; /* progress and errors (stderr) */
  FILE *in;  /* `shell`'s script when no --file is given; NULL: stdin */
} keycard_cli_io;

/* Runs `keycard ...` (argv[0] = "keycard") with the given I/O. Returns a CF_EXIT_* code. */
int keycard_cli_run(const cf_cli_global *g, int argc, char **argv, const keycard_cli_io *io);

/* ---- shared by the command files ---- */
#define KEYCARD_CLI_MAX_VALUES 8 /* values of a repeatable option (--target) */

/* The PIN, read once per run (a prompt asks once, also for N cards); wiped when the run ends. */
typedef struct keycard_cli_pin_cache {
  bool resolved;
  int code; /* CF_EXIT_OK when text holds the PIN */
  char text[64];
} keycard_cli_pin_cache;

struct keycard_cli_session;

typedef struct keycard_cli {
  const cf_cli_global *g;
  const keycard_cli_io *io;
  const char *cmd;  /* subcommand name, for messages */
  char store[4096]; /* pairing store path */
  cf_cli_opts opts;
  keycard_cli_pin_cache pin;
  struct keycard_cli_session *session; /* a line of `keycard shell`: the card stays open; else NULL */
  bool fresh_select;                   /* in a session: SELECT the wallet again (info, init, pair...) */
  json_t *report;         /* --json: the command's document, printed when it succeeds; else NULL (text) */
  bool report_on_failure; /* --json: print the document when the command fails too (batch results) */
} keycard_cli;

/* One open card: transport, client, and which reader it is. */
typedef struct keycard_cli_card {
  const char *reader;
  cf_transport *t;
  keycard_client kc;
  struct keycard_cli_session *session; /* lent by a shell session: closing gives it back */
} keycard_cli_card;

/* `keycard shell` (cli_keycard_shell.c): one card, one PC/SC transaction, one secure channel and
 * one PIN verification for as many commands as the script holds. The commands open their card
 * with keycard_cli_open as always; in a session that lends them the session's card, brought up
 * only as far as it is not yet, and keycard_cli_close gives it back instead of closing it. */
typedef struct keycard_cli_session {
  keycard_cli *shell;    /* the shell's own run: its options give the reader and the PIN */
  keycard_cli_card card; /* valid while connected */
  bool connected;
  bool pin_verified; /* verified within the wallet's current selection and channel */
  bool pin_refused;  /* the card refused the session's PIN once: it is never sent again */
  bool pin_changed;  /* change-pin or unblock ran: the session's PIN is no longer the card's */
  unsigned channels_opened, pins_verified;
} keycard_cli_session;

/* Runs one line of a session (argv[0] = "keycard"); results and errors go to io. */
int keycard_cli_run_in_session(keycard_cli_session *s, int argc, char **argv, const keycard_cli_io *io);
/* Ends the session: the card is reset and released, every secret wiped. */
void keycard_cli_session_end(keycard_cli_session *s);

enum { KEYCARD_CLI_NEED_SELECT = 0, KEYCARD_CLI_NEED_CHANNEL = 1, KEYCARD_CLI_NEED_PIN = 2 };

const char *keycard_cli_opt_value(const keycard_cli *c, const char *name);
bool keycard_cli_opt_set(const keycard_cli *c, const char *name);
const cf_cli_opt *keycard_cli_opt_get(const keycard_cli *c, const char *name);

/* Prints "cardforge: keycard <cmd>: <message>" and returns code. */
int keycard_cli_error(const keycard_cli *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a client failure (kc->err) and returns the matching exit code. */
int keycard_cli_fail(const keycard_cli *c, const keycard_client *kc, int rc);
/* Progress line on the log stream, unless --quiet. */
void keycard_cli_progress(const keycard_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One result field: "label: <hex>" on the result stream, or with --json the member label (with '-'
 * as '_') of the command's document. */
void keycard_cli_print_hex(const keycard_cli *c, const char *label, const uint8_t *data, size_t len);
/* The same for a text value (text) with its JSON form (value, taken over; NULL: text as a string). */
void keycard_cli_print_field(const keycard_cli *c, const char *label, const char *text, json_t *value);
/* signature (r || s), recovery-id and public-key lines, as sign prints them */
void keycard_cli_print_signature(const keycard_cli *c, const keycard_client_signature *sig);

/* Connects, selects, and as needed opens the channel with the stored pairing and verifies the PIN.
 * Returns CF_EXIT_OK or an exit code (already reported). */
int keycard_cli_open(keycard_cli *c, keycard_cli_card *card, const char *reader, int need);
/* Re-selects an open card and brings it back to the given level. */
int keycard_cli_reopen(keycard_cli *c, keycard_cli_card *card, int need);
void keycard_cli_close(keycard_cli_card *card);
/* ---- secrets (cli_keycard_secrets.c): option (literal, @FILE, -), environment, prompt ---- */
typedef struct keycard_cli_secret_spec {
  const char *option; /* "--puk" */
  const char *env;    /* "CARDFORGE_PUK" or NULL */
  const char *prompt; /* "Keycard PUK" or NULL: never prompted */
  bool confirm;       /* a new value: prompted twice */
} keycard_cli_secret_spec;
/* Reads one secret into out; *given false when it is given nowhere. Returns CF_EXIT_OK or an exit
 * code (reported). */
int keycard_cli_secret(const keycard_cli *c, const keycard_cli_secret_spec *s, char *out, size_t cap,
                       bool *given);
/* A secret of exactly want bytes of hex (key material). */
int keycard_cli_secret_hex(const keycard_cli *c, const keycard_cli_secret_spec *s, uint8_t *out, size_t want,
                           bool *given);
/* The pairing secret: from the password (NFKD + PBKDF2) or the 32-byte secret; the default password
 * when neither is given and allow_default. */
int keycard_cli_pairing_secret(const keycard_cli *c, const keycard_cli_secret_spec *password,
                               const keycard_cli_secret_spec *secret, bool allow_default, uint8_t out[32]);
/* The PIN (--pin, CARDFORGE_PIN, or the prompt), read once per run. NULL when it is not given or
 * cannot be read (already reported: return keycard_cli_pin_code(c)). */
const char *keycard_cli_pin(keycard_cli *c);
int keycard_cli_pin_code(const keycard_cli *c);
/* Wipes the secrets kept for the run. */
void keycard_cli_forget_secrets(keycard_cli *c);

/* Subcommands (cli_keycard_cmds.c, cli_keycard_duplicate.c). */
/* Each takes the run's keycard_cli (the command table's cf_cli_command.run). */
int keycard_cli_cmd_info(void *ctx);
int keycard_cli_cmd_init(void *ctx);
int keycard_cli_cmd_pair(void *ctx);
int keycard_cli_cmd_unpair(void *ctx);
int keycard_cli_cmd_status(void *ctx);
int keycard_cli_cmd_verify_pin(void *ctx);
int keycard_cli_cmd_change_pin(void *ctx);
int keycard_cli_cmd_change_puk(void *ctx);
int keycard_cli_cmd_change_pairing(void *ctx);
int keycard_cli_cmd_unblock(void *ctx);
int keycard_cli_cmd_load_key(void *ctx);
int keycard_cli_cmd_generate_key(void *ctx);
int keycard_cli_cmd_derive(void *ctx);
int keycard_cli_cmd_sign(void *ctx);
int keycard_cli_cmd_export_key(void *ctx);
int keycard_cli_cmd_remove_key(void *ctx);
int keycard_cli_cmd_get_data(void *ctx);
int keycard_cli_cmd_store_data(void *ctx);
int keycard_cli_cmd_factory_reset(void *ctx);
int keycard_cli_cmd_duplicate(void *ctx);
/* cli_keycard_pinless_mnemonic.c */
int keycard_cli_cmd_set_pinless_path(void *ctx);
int keycard_cli_cmd_generate_mnemonic(void *ctx);
/* cli_keycard_apps.c: the Cash, NDEF and Ident applications */
int keycard_cli_cmd_cash(void *ctx);
int keycard_cli_cmd_ndef(void *ctx);
int keycard_cli_cmd_ident(void *ctx);
/* cli_keycard_shell.c */
int keycard_cli_cmd_shell(void *ctx);
/* sign --pinless: no pairing, no PIN, no channel. */
int keycard_cli_sign_pinless(keycard_cli *c, const uint8_t hash[32]);
/* Checks a mnemonic against the BIP39 word list when this host has one (else a progress note). */
int keycard_cli_check_mnemonic(const keycard_cli *c, const char *mnemonic);

#endif
