/* `cardforge keycard ...`: the command table, option parsing, help, and opening a card up to the
 * level a command needs (selected, secure channel, PIN verified). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/clicommon.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cli_keycard_internal.h"
#include "keycard_pairing_token.h"

#define PIN_OPT "--pin=PIN "
/* name, handler, options (cardforge/cli_opts.h), words, usage, summary, help */
static const cf_cli_command commands[] = {
    {"info", keycard_cli_cmd_info, "--json", 0, "[--json]", "select the applet and show its application info",
     NULL},
    {"init", keycard_cli_cmd_init,
     PIN_OPT
     "--puk=PUK --pairing-password=PW --pairing-secret=HEX --pin-retries=N --puk-retries=N --alt-pin=PIN",
     0,
     "[--pin PIN --puk PUK [--pairing-password PW | --pairing-secret HEX]]\n"
     "[--pin-retries N --puk-retries N] [--alt-pin PIN]",
     "initialize a new card (PIN 6 digits, PUK 12 digits; none given: random, printed once)",
     "With no PIN, PUK, pairing password or secret given (options or CARDFORGE_* variables), init\n"
     "draws a PIN of 6 digits, a PUK of 12 and a pairing password of 16 characters at random, as\n"
     "keycard-cli does, and prints them once: pin:, puk:, pairing-password: lines."},
    {"pair", keycard_cli_cmd_pair, PIN_OPT "--password=PW --secret=HEX --ephemeral", 0,
     "[--password PW | --secret HEX] [--ephemeral]",
     "pair with the card and remember the pairing (default password KeycardDefaultPairing; the PIN\n"
     "is asked only to undo the pairing when the pairing file cannot take it)",
     "On a 3.2 card PAIR asks for a persistent slot (P2 02): a card with every slot taken refuses\n"
     "(6A84) instead of handing out its ephemeral slot. --ephemeral (3.2) takes the ephemeral slot\n"
     "FF and opens a secure channel with it; it is never saved, as the card forgets it when the\n"
     "wallet is deselected or the card reset."},
    {"unpair", keycard_cli_cmd_unpair, PIN_OPT "--index=N", 0, "[--index N]",
     "free a pairing slot (default: this host's) and forget the pairing", NULL},
    {"status", keycard_cli_cmd_status, "--json", 0, "[--json]",
     "show PIN/PUK tries left, key presence and the current key path", NULL},
    {"verify-pin", keycard_cli_cmd_verify_pin, PIN_OPT, 0, "[--pin PIN]", "check the PIN", NULL},
    {"change-pin", keycard_cli_cmd_change_pin, PIN_OPT "--new-pin=PIN", 0, "--new-pin PIN", "set a new PIN",
     NULL},
    {"change-puk", keycard_cli_cmd_change_puk, PIN_OPT "--new-puk=PUK", 0, "--new-puk PUK", "set a new PUK",
     NULL},
    {"change-pairing", keycard_cli_cmd_change_pairing, PIN_OPT "--password=PW --secret=HEX", 0,
     "--password PW | --secret HEX", "set the secret that future pairings need", NULL},
    {"unblock", keycard_cli_cmd_unblock, "--puk=PUK --new-pin=PIN", 0, "--puk PUK --new-pin PIN",
     "unblock a blocked PIN with the PUK", NULL},
    {"load-key", keycard_cli_cmd_load_key,
     PIN_OPT "--mnemonic=WORDS --passphrase=P --seed=HEX --key=HEX --chain-code=HEX", 0,
     "--mnemonic WORDS [--passphrase P] | --seed HEX | --key HEX [--chain-code HEX]",
     "load a master key (BIP39 mnemonic, 64-byte seed, or a private key)", NULL},
    {"generate-key", keycard_cli_cmd_generate_key, PIN_OPT, 0, "", "generate a new master key on the card",
     NULL},
    {"generate-mnemonic", keycard_cli_cmd_generate_mnemonic, "--words=12|15|18|21|24", 0,
     "[--words 12|15|18|21|24]",
     "have the card draw a BIP39 mnemonic (printed; nothing is stored on the card)", NULL},
    {"derive", keycard_cli_cmd_derive, PIN_OPT "--path=PATH", 0, "--path m/44'/60'/0'/0/0",
     "make a derived key current", NULL},
    {"sign", keycard_cli_cmd_sign, PIN_OPT "--hash=HEX32 --path=PATH --make-current --pinless --json", 0,
     "--hash HEX32 [--path P [--make-current] | --pinless] [--json]",
     "sign a 32-byte hash; prints r||s, recovery id, public key (--pinless: no PIN)", NULL},
    {"set-pinless-path", keycard_cli_cmd_set_pinless_path, PIN_OPT "--path=PATH --remove", 1,
     "PATH | --path PATH | --remove", "set (or remove) the path `sign --pinless` uses; PATH is m/...", NULL},
    {"export-key", keycard_cli_cmd_export_key,
     PIN_OPT "--path=PATH --private --extended --make-current --json", 0,
     "[--path P] [--private | --extended] [--make-current] [--json]",
     "export a public key (or a private key under m/43'/60'/1581'/...)", NULL},
    {"remove-key", keycard_cli_cmd_remove_key, PIN_OPT, 0, "", "erase the master key", NULL},
    {"get-data", keycard_cli_cmd_get_data, "--type=public|ndef|cash", 0, "[--type public|ndef|cash]",
     "read a data object", NULL},
    {"store-data", keycard_cli_cmd_store_data, PIN_OPT "--type=public|ndef|cash --data=HEX", 0,
     "--data HEX [--type public|ndef|cash]", "write a data object", NULL},
    {"cash", keycard_cli_cmd_cash, "--json", 2, "info | sign HASH [--json]",
     "the Cash application: its key, version, cash data; sign a 32-byte hash (no PIN)",
     "`cash info` prints the Cash application's public key, the package version and the cash data\n"
     "the wallet stored (store-data --type cash). `cash sign HASH` signs the 32-byte hash and\n"
     "checks the DER signature with the key before printing it."},
    {"ndef", keycard_cli_cmd_ndef, PIN_OPT "--uri=URL --aar=PACKAGE --json", 1,
     "read [--json] | write --uri URL | --aar PACKAGE",
     "read the NDEF message (Type 4 Tag) or write a URI / Android application record",
     "`ndef read` reads the message as an NFC phone does: the NDEF Tag Application, its capability\n"
     "container and NDEF file. `ndef write` makes one record and stores it through the wallet\n"
     "(secure channel and PIN): in chunks on 3.2 (up to 510 bytes), in one command before (221)."},
    {"ident", keycard_cli_cmd_ident, "--ca=PUBHEX --ca-key=HEX --ident-key=HEX", 1,
     "verify --ca PUBHEX|@FILE | provision --ca-key @FILE [--ident-key @FILE]",
     "check the card's identity: certificate signed by the CA key, challenge signed by the card;\n"
     "or give a test card its identity",
     "`ident provision` (test cards) makes the certificate of an identity key (--ident-key, else a\n"
     "random one) signed by the CA private key --ca-key (a secret: @FILE of mode 0600, - or\n"
     "CARDFORGE_IDENT_CA_KEY), stores certificate and key with the Ident application's STORE DATA,\n"
     "then checks the wallet's IDENTIFY CARD with it. A card that holds an identity refuses (6985)."},
    {"factory-reset", keycard_cli_cmd_factory_reset, "--yes", 0, "--yes",
     "erase everything and return to the pre-INIT state", NULL},
    {"duplicate", keycard_cli_cmd_duplicate,
     PIN_OPT "--source=READER --target+READER --from=N --journal=FILE --json", 0,
     "--source READER --target READER... [--from N] [--journal FILE] [--json]",
     "copy the source card's master key onto every target (DUPLICATE KEY), every target at once;\n"
     "--from N starts at the Nth target, --journal FILE records each target done (a rerun with it\n"
     "leaves them out)",
     NULL},
    {"shell", keycard_cli_cmd_shell, PIN_OPT "--file=FILE", 0, "[--file FILE] [--pin PIN]",
     "run many commands on one card with one secure channel and one PIN verification",
     "Reads commands from standard input or --file FILE, one a line, written as after\n"
     "`cardforge keycard` (# starts a comment; quotes and backslashes as in a POSIX shell), and\n"
     "answers each on one line of standard output: `ok` and the command's result lines joined by\n"
     "\"; \", or `error CODE MESSAGE` (CODE: the command's exit code). The card is held in one PC/SC\n"
     "transaction; the secure channel opens at the first command that needs it and the PIN (--pin,\n"
     "CARDFORGE_PIN or the prompt; never a script line) is verified at the first that needs it.\n"
     "The card is reset at the end. Exit code: 0 when every command answered ok, else the first\n"
     "failed command's code; a reader failure (4, 7) ends the session at once."},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f) {
  fprintf(f,
          "usage: cardforge [--reader R] [--trace] [--quiet] keycard COMMAND [OPTIONS]\n\n"
          "Status Keycard host commands. Commands that use the secure channel need a pairing made\n"
          "with `keycard pair` (kept in the state directory); commands marked PIN take --pin or the\n"
          "environment variable CARDFORGE_PIN (PUKs: --puk or CARDFORGE_PUK), else ask on a terminal.\n"
          "Every secret option also takes @FILE (the secret in a 0600 file) or - (standard input):\n"
          "a secret typed as an option is visible to other users (ps). The global options\n"
          "(--reader R, --trace, --quiet) may also follow the command. `cardforge keycard COMMAND\n"
          "--help` describes one command.\n\n"
          "--pairing-store file|pkcs11|pkcs11:URI (any command; default $CARDFORGE_KEYCARD_PAIRING_STORE,\n"
          "else file): where `pair` puts the pairing key. pkcs11: in the PKCS#11 token (SoftHSM2 in the\n"
          "state directory, or the URI's module and token; PIN $CARDFORGE_HSM_PIN or asked), which then\n"
          "derives the session keys; the pairing file records only its label (docs/hsm.md).\n\n"
          "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    const cf_cli_command *k = &commands[i];
    bool pin = strstr(k->options, "--pin=") != NULL && strcmp(k->name, "init") != 0;
    cf_cli_print_command_row(f, 17, k->name, k->summary, pin ? " [PIN]" : NULL);
    /* usages may hold "\n" to wrap; every line gets the same indent */
    for (const char *u = k->usage; *u;) {
      size_t n = strcspn(u, "\n");
      fprintf(f, "  %-17s   %.*s\n", "", (int)n, u);
      u += n + (u[n] == '\n');
    }
  }
  fprintf(f, "\nexit codes: 0 ok, 1 internal error, 2 usage, 3 card refused or wrong card state,\n"
             "            4 reader/PC/SC failure, 5 verification failed, 6 file error,\n"
             "            7 another program reset or used the card during the session,\n"
             "            130/143 duplicate or shell stopped by SIGINT/SIGTERM (duplicate: resume\n"
             "            with --from N);\n"
             "            shell: 0 when every line answered ok, else the first failed line's code\n");
}

const cf_cli_opt *keycard_cli_opt_get(const keycard_cli *c, const char *name) {
  return cf_cli_opts_find(&c->opts, name);
}

const char *keycard_cli_opt_value(const keycard_cli *c, const char *name) {
  return cf_cli_opts_value(&c->opts, name);
}

bool keycard_cli_opt_set(const keycard_cli *c, const char *name) {
  return cf_cli_opts_given(&c->opts, name);
}

int keycard_cli_error(const keycard_cli *c, int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *reader = cf_cli_current_reader();
  if (c->report != NULL)
    cf_json_print_error(msg, reader);
  else if (reader && !strstr(msg, reader))
    fprintf(c->io->log, "cardforge: keycard %s: %s [reader %s]\n", c->cmd ? c->cmd : "", msg, reader);
  else
    fprintf(c->io->log, "cardforge: keycard %s: %s\n", c->cmd ? c->cmd : "", msg);
  return code;
}

int keycard_cli_fail(const keycard_cli *c, const keycard_client *kc, int rc) {
  int code;
  switch (rc) {
  case KEYCARD_CLIENT_ETRANSPORT:
    code = cf_cli_transport_exit(kc->t);
    break;
  case KEYCARD_CLIENT_ECARD:
  case KEYCARD_CLIENT_EPROTO:
  case KEYCARD_CLIENT_ESTATE:
    code = CF_EXIT_CARD;
    break;
  case KEYCARD_CLIENT_EVERIFY:
    code = CF_EXIT_VERIFY;
    break;
  case KEYCARD_CLIENT_EARG:
    code = CF_EXIT_USAGE;
    break;
  default:
    code = CF_EXIT_INTERNAL;
    break;
  }
  return keycard_cli_error(c, code, "%s", kc->err[0] ? kc->err : keycard_client_strerror(rc));
}

void keycard_cli_progress(const keycard_cli *c, const char *fmt, ...) {
  if (c->g->quiet || c->report != NULL) return; /* --json: the document is the whole output */
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* one call, so the lines of duplicate's workers never run into each other */
  fprintf(c->io->log, "keycard: %s\n", line);
}

void keycard_cli_print_field(const keycard_cli *c, const char *label, const char *text, json_t *value) {
  if (c->report == NULL) {
    fprintf(c->io->out, "%s: %s\n", label, text);
    json_decref(value);
    return;
  }
  char name[64];
  snprintf(name, sizeof name, "%s", label);
  for (char *p = name; *p; p++)
    if (*p == '-') *p = '_';
  json_object_set_new(c->report, name, value != NULL ? value : json_string(text));
}

void keycard_cli_print_hex(const keycard_cli *c, const char *label, const uint8_t *data, size_t len) {
  char hex[2 * 256 + 1];
  if (len > 256) len = 256;
  cf_hex_encode(data, len, hex);
  keycard_cli_print_field(c, label, hex, NULL);
  cf_wipe(hex, sizeof hex);
}

void keycard_cli_print_signature(const keycard_cli *c, const keycard_client_signature *sig) {
  char recid[8];
  snprintf(recid, sizeof recid, "%d", sig->recid);
  keycard_cli_print_hex(c, "signature", sig->rs, 64);
  keycard_cli_print_field(c, "recovery-id", recid, json_integer(sig->recid));
  keycard_cli_print_hex(c, "public-key", sig->pub, 65);
}

/* The session's PIN state for a verification about to be made; CF_EXIT_OK to go on. */
static int session_pin_allowed(const keycard_cli *c) {
  const keycard_cli_session *s = c->session;
  if (s->pin_refused)
    return keycard_cli_error(c, CF_EXIT_CARD,
                             "the card refused this session's PIN: it is not sent again (end the session)");
  if (s->pin_changed)
    return keycard_cli_error(c, CF_EXIT_CARD,
                             "the PIN was changed in this session and must be verified again: start a new "
                             "session");
  return CF_EXIT_OK;
}

/* Brings the card up to need: SELECT (again when reselect or not selected), then the secure channel
 * unless open, then the PIN unless this session verified it since the channel opened. Outside a
 * session every open starts from a fresh SELECT. */
static int bring_up(keycard_cli *c, keycard_cli_card *card, int need, bool reselect) {
  keycard_client *kc = &card->kc;
  keycard_cli_session *s = c->session;
  if (reselect || !kc->selected) {
    if (s) s->pin_verified = false;
    int rc = keycard_client_select(kc, NULL, 0);
    if (rc != KEYCARD_CLIENT_OK) return keycard_cli_fail(c, kc, rc);
  }
  if (need < KEYCARD_CLI_NEED_CHANNEL) return CF_EXIT_OK;
  if (!kc->sc.open) {
    if (s) s->pin_verified = false;
    if (!kc->info.initialized)
      return keycard_cli_error(
          c, CF_EXIT_CARD, "the card on %s is not initialized (run `cardforge keycard init`)", card->reader);
    int code = CF_EXIT_OK;
    if (kc->paired) { /* paired in this run (its key still in kc) */
      int rc = keycard_client_open_channel(kc);
      if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, kc, rc);
    } else {
      code = keycard_cli_pairing_open_channel(c, kc); /* keycard_pairing_token.c */
    }
    if (code != CF_EXIT_OK) return code;
    if (s) s->channels_opened++;
  }
  if (need < KEYCARD_CLI_NEED_PIN) return CF_EXIT_OK;
  if (s && s->pin_verified) return CF_EXIT_OK;
  if (s) {
    int code = session_pin_allowed(c);
    if (code != CF_EXIT_OK) return code;
  }
  const char *pin = keycard_cli_pin(c);
  if (!pin) return keycard_cli_pin_code(c);
  int rc = keycard_client_verify_pin(kc, pin, NULL);
  if (s && rc == KEYCARD_CLIENT_ECARD) s->pin_refused = true; /* a wrong PIN is never retried */
  if (rc != KEYCARD_CLIENT_OK) return keycard_cli_fail(c, kc, rc);
  if (s) {
    s->pin_verified = true;
    s->pins_verified++;
  }
  return CF_EXIT_OK;
}

/* Why this thread's last PC/SC connect failed (the connect hook's signature has no room for it);
 * per thread, as duplicate's workers connect at once. */
static _Thread_local cf_transport_fault pcsc_connect_fault;

/* Connects card to reader; trace (NULL: none) receives the APDU trace. */
static int connect_card(keycard_cli *c, keycard_cli_card *card, const char *reader, FILE *trace) {
  memset(card, 0, sizeof *card);
  char err[256] = "";
  card->reader = reader ? reader : "(default reader)";
  pcsc_connect_fault = CF_TRANSPORT_FAULT_NONE;
  card->t = c->io->connect(c->io->ctx, reader, err, sizeof err);
  if (!card->t) {
    bool shared = pcsc_connect_fault == CF_TRANSPORT_FAULT_SHARED;
    return keycard_cli_error(c, shared ? CF_EXIT_SHARED : CF_EXIT_TRANSPORT, "%s",
                             err[0] ? err : "cannot reach the reader");
  }
  if (card->t->name[0] && strcmp(card->t->name, "in-process") != 0) {
    card->reader = card->t->name; /* the reader actually chosen, for every message */
    cf_cli_note_reader(card->t->name);
  }
  if (trace && !card->t->trace) card->t->trace = trace;
  keycard_client_init(&card->kc, card->t);
  return CF_EXIT_OK;
}

/* In a session: lends the session's card (connected at the first command, to the shell's reader,
 * traced to the shell's log: a line's own streams end with the line). */
static int session_open(keycard_cli *c, keycard_cli_card *card, int need) {
  keycard_cli_session *s = c->session;
  memset(card, 0, sizeof *card);
  if (!s->connected) {
    keycard_cli *sh = s->shell;
    int code =
        connect_card(c, &s->card, keycard_cli_opt_value(sh, "--reader"), sh->g->trace ? sh->io->log : NULL);
    if (code != CF_EXIT_OK) return code;
    s->connected = true;
  }
  /* --trace on a line traces the session from there on (the shell's log outlives the line) */
  if (c->g->trace && s->card.t->trace == NULL) s->card.t->trace = s->shell->io->log;
  *card = s->card;
  card->session = s;
  if (c->fresh_select || !card->kc.selected) {
    /* a new selection of the wallet: its pairing is looked up in the store again, as a command
     * alone would (an earlier line may have unpaired, paired again or reset the card) */
    card->kc.paired = false;
    cf_wipe(card->kc.pairing_key, sizeof card->kc.pairing_key);
  }
  return bring_up(c, card, need, c->fresh_select);
}

int keycard_cli_open(keycard_cli *c, keycard_cli_card *card, const char *reader, int need) {
  if (c->session) return session_open(c, card, need);
  int code = connect_card(c, card, reader, c->g->trace ? c->io->log : NULL);
  if (code != CF_EXIT_OK) return code;
  return bring_up(c, card, need, true);
}

int keycard_cli_reopen(keycard_cli *c, keycard_cli_card *card, int need) {
  return bring_up(c, card, need, true);
}

void keycard_cli_close(keycard_cli_card *card) {
  keycard_cli_session *s = card->session;
  if (s) {
    /* back to the session, as the command left it: the card's state follows the client's */
    s->card = *card;
    s->card.session = NULL;
    if (!card->kc.selected || !card->kc.sc.open) s->pin_verified = false;
    cf_wipe(card, sizeof *card);
    card->reader = "(closed)";
    return;
  }
  keycard_client_wipe(&card->kc);
  if (card->t) cf_transport_close(card->t);
  card->t = NULL;
  card->reader = "(closed)"; /* it may have pointed into the transport */
}

static cf_transport *pcsc_connect(void *ctx, const char *reader, char *err, size_t errlen) {
  const cf_cli_global *g = ctx;
  /* no reader named anywhere: the transport takes the first reader holding a card */
  return cf_transport_open_pcsc_ex(reader ? reader : g->reader, err, errlen, &pcsc_connect_fault);
}

/* The pairing file lives in the state directory (--state-dir, else cf_cli_default_state_dir, else
 * the current directory). Returns false if the path does not fit. */
static bool store_path(const cf_cli_global *g, char *out, size_t cap) {
  char dir[4096];
  if (g->state_dir)
    snprintf(dir, sizeof dir, "%s", g->state_dir);
  else if (cf_cli_default_state_dir(dir, sizeof dir) != 0)
    snprintf(dir, sizeof dir, ".");
  int n = snprintf(out, cap, "%s/keycard-pairings.txt", dir);
  return n > 0 && (size_t)n < cap;
}

static const cf_cli_family keycard_family = {
    .name = "keycard",
    .commands = commands,
    .count = NCOMMANDS,
    .common_options = "--pairing-store=KIND ",
    .common_help = "  --pairing-store file|pkcs11|pkcs11:URI  where pairing keys are "
                   "kept (docs/hsm.md)\n",
    .print_help = print_help};

/* Commands that read what SELECT says or change the card's state (info, init, pair, factory-reset)
 * SELECT the wallet again in a session: what the card said at the session's first SELECT may no
 * longer hold. Commands that need several readers or a session of their own are not run in one. */
static const char *const session_fresh_select[] = {"info", "init", "pair", "factory-reset"};
static const char *const session_refused[] = {"shell", "duplicate"};

static bool name_in(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(name, list[i]) == 0) return true;
  return false;
}

/* What a session line may not do; CF_EXIT_OK when the line may run. */
static int session_line_allowed(keycard_cli *c, const cf_cli_command *k) {
  if (name_in(k->name, session_refused, sizeof session_refused / sizeof session_refused[0]))
    return keycard_cli_error(c, CF_EXIT_USAGE, "not available in a shell session");
  if (keycard_cli_opt_set(c, "--pin"))
    return keycard_cli_error(c, CF_EXIT_USAGE,
                             "a script never holds the PIN: give it to the shell (--pin @FILE, "
                             "CARDFORGE_PIN or the prompt)");
  if (keycard_cli_opt_set(c, "--reader"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "the session's reader is chosen on the shell's command line");
  /* standard input may be the script itself: a secret read from it would eat the next lines */
  for (int i = 0; i < c->opts.n; i++)
    for (int v = 0; v < c->opts.opt[i].count && v < CF_CLI_OPTS_MAX_VALUES; v++)
      if (c->opts.opt[i].values[v] && strcmp(c->opts.opt[i].values[v], "-") == 0)
        return keycard_cli_error(c, CF_EXIT_USAGE,
                                 "%s -: a script line cannot read standard input (use @FILE)",
                                 c->opts.opt[i].name);
  return CF_EXIT_OK;
}

static int run_command(const cf_cli_global *g, int argc, char **argv, const keycard_cli_io *io,
                       keycard_cli_session *session) {
  keycard_cli c = {.io = io, .session = session};
  cf_cli_global global;
  const cf_cli_command *k = NULL;
  char err[256];
  int code = cf_cli_parse_command(&keycard_family, g, argc, argv, &c.opts, KEYCARD_CLI_MAX_VALUES, &k,
                                  &global, io->out, io->log, err, sizeof err);
  c.cmd = k != NULL ? k->name : (argc > 1 ? argv[1] : "");
  c.g = &global;
  if (code >= 0) {
    if (err[0] == '\0') return code;
    /* before the command is known, the message says so itself */
    if (k == NULL) {
      fprintf(io->log, "cardforge: keycard: %s\n", err);
      return code;
    }
    return keycard_cli_error(&c, code, "%s", err);
  }
  if (session) {
    code = session_line_allowed(&c, k);
    if (code != CF_EXIT_OK) return code;
    c.fresh_select =
        name_in(k->name, session_fresh_select, sizeof session_fresh_select / sizeof session_fresh_select[0]);
  }
  if (keycard_cli_opt_set(&c, "--json")) {
    if (session) return keycard_cli_error(&c, CF_EXIT_USAGE, "--json is for one command, not a shell line");
    c.report = json_object();
  }
  bool token;
  const char *uri;
  if (!store_path(&global, c.store, sizeof c.store))
    code = keycard_cli_error(&c, CF_EXIT_FILE, "state directory path too long");
  else if ((code = keycard_cli_pairing_store_kind(&c, &token, &uri)) == CF_EXIT_OK) /* a bad one: usage */
    code = k->run(&c);
  if (c.report != NULL) {
    /* the document only for a command that succeeded (or a batch's results): a failure is the
     * error object on stderr */
    if ((code == CF_EXIT_OK || c.report_on_failure) &&
        (json_dumpf(c.report, io->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
         fputc('\n', io->out) == EOF))
      code = CF_EXIT_INTERNAL;
    json_decref(c.report);
  }
  /* the card now has another PIN than the one the session verifies with */
  if (session && code == CF_EXIT_OK &&
      (strcmp(k->name, "change-pin") == 0 || strcmp(k->name, "unblock") == 0))
    session->pin_changed = true;
  keycard_cli_forget_secrets(&c);
  return code;
}

int keycard_cli_run(const cf_cli_global *g, int argc, char **argv, const keycard_cli_io *io) {
  return run_command(g, argc, argv, io, NULL);
}

int keycard_cli_run_in_session(keycard_cli_session *s, int argc, char **argv, const keycard_cli_io *io) {
  return run_command(s->shell->g, argc, argv, io, s);
}

int cf_cli_keycard(const cf_cli_global *g, int argc, char **argv) {
  cf_json_requested(argc, argv); /* --json: usage errors as JSON too */
  keycard_cli_io io = {.connect = pcsc_connect, .ctx = (void *)g, .out = stdout, .log = stderr};
  return keycard_cli_run(g, argc, argv, &io);
}
