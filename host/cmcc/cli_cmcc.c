/* `cardforge cmcc ...`: the command table, help, option parsing, and the exit-code discipline. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/json_out.h"
#include "cli_cmcc_internal.h"

#define COMMON_OPTS                                                                                          \
  "--kmc=R --auth=R --work=R --user=R --sam=R --terminal=R --hsm=FILE --kmc-pin=P --auth-pin=P "             \
  "--work-pin=P "                                                                                            \
  "--export-pin=P "

/* name, handler, options (cardforge/cli_opts.h), words, usage, summary, help */
static const cf_cli_command commands[] = {
    {"verify-pin", cmcch_cmd_verify_pin, "--card=kmc|auth|work --ref=main|app|export", 0,
     "--card kmc|auth|work [--ref main|app|export]", "4.1.1 verify a master card's PIN",
     "Sends Verify PIN (F0 20 00 ref 08). The PIN comes from --kmc-pin / --auth-pin / --work-pin (or\n"
     "--export-pin for ref export), or from CARDFORGE_KMC_PIN / CARDFORGE_AUTH_PIN / CARDFORGE_WORK_PIN /\n"
     "CARDFORGE_KMC_EXPORT_PIN. A wrong PIN prints the tries left (card answers 63Cx) and exits 3.\n"},
    {"change-pin", cmcch_cmd_change_pin, "--card=kmc|auth|work --ref=main|app|export --new-pin=PIN", 0,
     "--card kmc|auth|work [--ref main|app|export] --new-pin PIN", "change a master card's PIN",
     "Sends Change PIN (F0 24 00 ref 10: old || new). --new-pin or CARDFORGE_NEW_PIN.\n"},
    {"reload-pin", cmcch_cmd_reload_pin, "--card=kmc|auth|work --ref=main|app|export --new-pin=PIN", 0,
     "--card kmc|auth|work [--ref main|app|export] --new-pin PIN",
     "reset a (blocked) PIN with the operator key from the HSM",
     "External Authentication with the card's operator master key computed by the HSM (KMC P2 01,\n"
     "auth card P2 00, working card P2 01), then Reload PIN (F0 26 00 ref 08).\n"},
    {"auth", cmcch_cmd_auth, "--card=kmc|auth|work --via=authcard|hsm --p2=NN", 0,
     "[--card kmc|auth|work] [--via authcard|hsm] [--p2 NN]", "4.1.2 external authentication",
     "Default: the KMC authenticates the authentication card's master-card master key (Get Challenge\n"
     "on the KMC, Encrypt Data on the auth card, External Authentication P2 02 on the KMC); needs both\n"
     "application PINs. --via hsm: the HSM computes the data for --card with the key P2 names (KMC 01:\n"
     "operator KMC master key, auth card 00, working card 01 or 02).\n"},
    {"keyinfo", cmcch_cmd_keyinfo, "--card=kmc|auth|work --json", 0, "--card kmc|auth|work [--json]",
     "list a master card's key attributes",
     "Read KeyInfo (00 B4 rec 00 0B) from record 1 until 6B00. Needs no PIN.\n"
     "--json prints one JSON document instead of the table (docs/cli.md).\n"},
    {"generate", cmcch_cmd_generate, "--sheet=FILE --no-check --json", 0,
     "--sheet FILE [--no-check] [--json]", "4.1.3 generate the KMC's keys from a key code sheet",
     "PIN + external authentication, INIT_FOR_GENERATE (seed, count), one Generate Key per sheet line.\n"
     "Then each key the KMC may compute with is proved by use: Inst_MAC Generate must equal the host's\n"
     "MAC from the seed (--no-check skips). Sheet format: docs/cmcc-flows.md (mode 0600).\n"
     "--json: one JSON document with the result (docs/cli.md), errors as JSON on stderr.\n"},
    {"user-update", cmcch_cmd_user_update,
     "--serials=FILE --serial=HEX --subapp=N --create=EID --data=HEX --key+KEY --emk=TT[/VV/II] --no-verify "
     "--no-serial-check --from=N "
     "--user-sim=mem|DIR --user-sim-params=PARAMS --readers=R1,R2,... --jobs=N --lines=LIST --report --json",
     0,
     "(--serials FILE | --serial HEX) [--subapp N] [--create EID] [--data HEX] [--key "
     "ID:VER=TT[/VV/II][,plain]]... "
     "[--emk TT[/VV/II]] [--no-verify] [--no-serial-check] [--from N | --lines LIST] [--user-sim mem|DIR "
     "[--jobs N]] [--readers R1,R2,...] [--report] [--json]",
     "4.1.4 user-card key update (one card or a batch)",
     "For each card: GET DATA (its serial must be the one listed: a wrong card stops the run before\n"
     "anything is written, exit 5; --no-serial-check for cards that cannot report their serial, which\n"
     "then refuse a wrong card's first write with 6988), GET CHALLENGE on the user card, Export\n"
     "Keys&Data on the KMC (P1 00, export key = the\n"
     "enterprise management key diversified by the serial), then the write-card command to the user\n"
     "card: CREATE SUB_APPLICATION (--create EID, with the keys), UPDATE SUB_APPLICATION KEYS, UPDATE\n"
     "SUB_APPLICATION DATA (--data). Keys default to 01:01=09 (the enterprise application key,\n"
     "diversified by the serial; ',plain' exports it undiversified). Then, unless --no-verify, READ\n"
     "and a VERIFY MAC per key prove the card holds the KMC's keys.\n"
     "Batches: --serials FILE lists 'SERIAL [READER]' per line; a line's reader (else --user) holds that\n"
     "card. --user-sim emulates the user cards in this process instead (mem: discarded after the\n"
     "proof; DIR: one state file per serial, DIR/usercard-SERIAL.db), each created with\n"
     "serial=SERIAL[,--user-sim-params]. Progress on stderr (once a second), a summary on stdout. The\n"
     "first card that refuses stops the batch (exit 3 or 5); --from N resumes at line N.\n"
     "Parallel: --readers R1,R2,... runs one worker per reader (its own PC/SC context and transaction):\n"
     "a line naming one of them goes there, line i otherwise to reader ((i-1) mod N)+1; --jobs N runs N\n"
     "workers over --user-sim cards. The KMC is shared, one command at a time. A failing card stops\n"
     "its reader only; the others finish their cards. The resume line names exactly the cards left:\n"
     "--from N, or --lines LIST (\"5,9-12,20-\": only those lines). --report prints one line per card\n"
     "in list order (updated, failed, not run, left out). Progress names every reader.\n"
     "--json: no progress; one JSON document with the summary and every card's outcome on stdout,\n"
     "errors as JSON on stderr (docs/cli.md).\n"},
    {"import-key", cmcch_cmd_import_key,
     "--via=authcard|hsm --card=kmc|auth|work --attrs=ATTRS --value=HEX --from-hsm=TT/VV/II --wrap=TT/VV/II "
     "--p2=NN",
     0,
     "[--via authcard|hsm] (--attrs ATTRS --value HEX | --from-hsm TT/VV/II) [--card kmc|auth|work] [--wrap "
     "TT/VV/II] [--p2 01|02]",
     "4.1.5 key import (through the auth card, or the HSM)",
     "--via authcard (default): Get Challenge on the KMC, Encrypt Data (the key record) and MAC Generate\n"
     "on the auth card, Import Key P2 02 on the KMC: for the level-2 keys (06 terminal initial key, 0A\n"
     "SAM initial master key). --via hsm: the HSM wraps the record under --wrap (default: the card's\n"
     "key for --p2) after an External Authentication with that key; the value is --value or a vault key\n"
     "(--from-hsm). ATTRS: 'TT VV II AL IO DV ST CCCCCCCC' or 22 hex digits. --value may come from\n"
     "CARDFORGE_CMCC_KEY. The KMC's Read KeyInfo must then list the key; keys the KMC may compute with\n"
     "are proved by use (Inst_MAC Generate against the host's MAC).\n"},
    {"set-info", cmcch_cmd_set_info, "--card=kmc|auth|work --eid=HEX12 --type=NN --data=HEX", 0,
     "--card kmc|auth|work (--eid HEX12 | --type NN --data HEX)",
     "Update Info through the HSM (enterprise ID)",
     "External Authentication with the card's operator key (HSM), then Update Info (80 D8 00 00) with\n"
     "type || length || data wrapped by the HSM.\n"},
    {"make-working", cmcch_cmd_make_working, "--export-key=TT[/VV/II] --key+KEY --json", 0,
     "[--export-key TT[/VV/II]] [--key TT[/VV/II]]... [--json]",
     "4.1.6 working-card production (CopyExport Key)",
     "KMC: PIN + external authentication through the auth card; working card: PIN + External\n"
     "Authentication P2 02 (working-card master key, computed by the HSM). For each key (default 06\n"
     "and 07): Get Challenge on the working card, CopyExport Key P2 00 on the KMC under --export-key\n"
     "(default 05), Import Key P2 02 on the working card. Read KeyInfo must then match the KMC's.\n"
     "--json: one JSON document with the result (docs/cli.md), errors as JSON on stderr.\n"},
    {"terminal-write", cmcch_cmd_terminal_write, "--index=NN --version=VV --no-verify --tak=TT[/VV/II]", 0,
     "--index NN [--version VV] [--no-verify] [--tak TT[/VV/II]]", "4.1.7 terminal key writing (MAC1..MAC4)",
     "Relays between the working card and the terminal: SELECT (working-card random), PREPARE EXPORT\n"
     "KEY on the terminal (MAC1), Export Key (MAC2), LOAD KEY, PREPARE EXPORT DATA (MAC3), Export Data\n"
     "(MAC4), LOAD DATA, READ. Unless --no-verify, the KMC (PIN + authentication) MACs a VERIFY MAC\n"
     "with the terminal application key (--tak, default 07) diversified by the sub-application factor,\n"
     "and the terminal must accept it.\n"},
    {"sam-update", cmcch_cmd_sam_update,
     "--factor=HEX32 --imk=TT[/VV/II] --key+KEY --init-key=HEX --init-attrs=ATTRS --no-verify --json", 0,
     "--key ID:VER=TT[/VV/II][@F1,...]... [--factor HEX32] [--imk TT[/VV/II]] [--init-key HEX] [--no-verify] "
     "[--json]",
     "4.1.8 SAM key update (WRITE_KEY)",
     "Optionally first imports the SAM initial master key into the KMC through the auth card\n"
     "(--init-key, attributes --init-attrs, default 0A 01 01 00 00 11 AA 00000000). Then for each key:\n"
     "GET CHALLENGE on the SAM, Export Keys&Data P1 41 (export key --imk, default 0A, diversified by the\n"
     "SAM's 16-byte factor; no session key), WRITE_KEY to the SAM. The factor is the one the SAM reports\n"
     "(GET DATA); --factor gives it for SAMs that cannot (a SAM reporting another one stops the run\n"
     "before anything is written, exit 5). Key id 00 (the SAM master key)\n"
     "must come last. Unless --no-verify: READ and a VERIFY MAC per key.\n"
     "--json: one JSON document with the result (docs/cli.md), errors as JSON on stderr.\n"},
    {"hsm-init", cmcch_cmd_hsm_init, "--key+KEY --random+TT/VV/II --force", 0,
     "[--key TT/VV/II=HEX]... [--random TT/VV/II]... [--force]", "create the HSM key file (mode 0600)",
     "Writes the vault (--hsm FILE, $CARDFORGE_CMCC_HSM, or <state dir>/cmcc-hsm.keys) with the given\n"
     "keys (attributes 00 00 00 AA 00000000 after type/version/index) and fresh random ones. Refuses to\n"
     "overwrite an existing file without --force. With --hsm pkcs11: the keys go into the token\n"
     "(--random made inside it), --force replaces keys of the same name.\n"},
    {"hsm-list", cmcch_cmd_hsm_list, "--json", 0, "[--json]",
     "list the HSM's keys (attributes and check values, never values)",
     "Prints type, version, index, the remaining attributes, the key check value (first 3 bytes of\n"
     "3DES_K(00..00)) and the label of each vault key.\n"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f) {
  fprintf(f,
          "usage: cardforge [--reader R] [--trace] [--quiet] cmcc COMMAND [OPTIONS]\n\n"
          "China Mobile E-Card Pass key-management flows (spec chapter 4) on the KMC (密钥母卡), the\n"
          "authentication card, the working card, user cards, SAMs and terminals, plus the operator HSM.\n\n"
          "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    cf_cli_print_command_row(f, 15, commands[i].name, commands[i].summary, NULL);
  fprintf(f,
          "\ncommon options (every command):\n"
          "  --kmc R --auth R --work R --user R --sam R --terminal R\n"
          "        the reader of each device (name, substring or index); without one, the device is found\n"
          "        by selecting its AID in every reader that holds a card: its answer must be the device's\n"
          "        FCI (master cards, user card), and exactly one reader may answer so; no PIN goes to a\n"
          "        card before that check. The reader chosen is printed on stderr (not with --quiet).\n"
          "  --kmc-pin P --auth-pin P --work-pin P --export-pin P\n"
          "        the application PINs (export: the KMC's PIN 03); P is @FILE (a 0600 file), - (standard\n"
          "        input) or, visible to other users (ps), the PIN itself; else the environment:\n"
          "        CARDFORGE_KMC_PIN, CARDFORGE_AUTH_PIN, CARDFORGE_WORK_PIN, CARDFORGE_KMC_EXPORT_PIN;\n"
          "        else a prompt on a terminal. Key values (--value, --init-key, hsm-init --key\n"
          "        TT/VV/II=V) take @FILE and - too.\n"
          "        A PIN is 16 hex digits, or exactly 8 characters. PINs are never printed or traced.\n"
          "  --hsm FILE   the HSM key file (default $CARDFORGE_CMCC_HSM, else <state dir>/cmcc-hsm.keys);\n"
          "               pkcs11 or pkcs11:URI: the operator keys in a PKCS#11 token (docs/hsm.md)\n"
          "\nKey references TT[/VV/II]: type, version, index in hex (e.g. 08/01/01); TT alone means the\n"
          "KMC's only key of that type. `cardforge cmcc COMMAND --help` describes each command; the\n"
          "flows, APDUs and file formats are in docs/cmcc-flows.md.\n"
          "\nexit codes: 0 ok, 1 internal error, 2 usage, 3 a card refused (status word printed),\n"
          "            4 reader/PC/SC failure, 5 a verification or proof failed, 6 file error,\n"
          "            7 another program reset or used a card during the session (run again),\n"
          "            130/143 a batch stopped by SIGINT/SIGTERM between two cards (resume: --from N)\n"
          "\nEach card is held in a PC/SC transaction from its first command to the end of the command\n"
          "(a batch holds the KMC for the whole batch: other programs wait) and reset at the end.\n");
}

int cmcch_cli_fail(int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cf_cli_error("%s", msg);
  return code;
}

void cmcch_cli_print_host_error(const cf_cmcc_host *h) {
  if (h->status == CF_CMCC_OK) return;
  if (!cf_json_error_mode()) {
    cf_cmcc_print_error(h, stderr);
    return;
  }
  char msg[400];
  snprintf(msg, sizeof msg, "%s%s%s", h->step, h->step[0] ? ": " : "", h->message);
  cf_json_print_error(msg, NULL);
}

int cmcch_cli_host_fail(cmcch_cli *c) {
  if (c->host.status == CF_CMCC_OK)
    return cmcch_cli_fail(CF_EXIT_INTERNAL, "internal error: failure not recorded");
  cmcch_cli_print_host_error(&c->host);
  return cf_cmcc_exit_code(&c->host);
}

const char *cmcch_opt(const cmcch_cli *c, const char *name) {
  return cf_cli_opts_value(&c->opts, name);
}

bool cmcch_flag(const cmcch_cli *c, const char *name) {
  return cf_cli_opts_given(&c->opts, name);
}

int cmcch_opt_count(const cmcch_cli *c, const char *name) {
  return cf_cli_opts_count(&c->opts, name);
}

const char *cmcch_opt_at(const cmcch_cli *c, const char *name, int i) {
  return cf_cli_opts_value_at(&c->opts, name, i);
}

static const cf_cli_family cmcc_family = {
    .name = "cmcc",
    .commands = commands,
    .count = NCOMMANDS,
    .common_options = COMMON_OPTS,
    .print_help = print_help,
};

int cf_cli_cmcc(const cf_cli_global *g, int argc, char **argv) {
  cmcch_cli *c = calloc(1, sizeof *c);
  if (!c) return cmcch_cli_fail(CF_EXIT_INTERNAL, "out of memory");
  char err[256];
  cf_json_requested(argc, argv);
  int rc = cf_cli_parse_command(&cmcc_family, g, argc, argv, &c->opts, CMCCH_CLI_MAX_VALUES, &c->cmd,
                                &c->global, stdout, stderr, err, sizeof err);
  if (rc >= 0) {
    if (err[0] != '\0')
      cmcch_cli_fail(rc, "cmcc%s%s: %s", c->cmd ? " " : "", c->cmd ? c->cmd->name : "", err);
    free(c);
    return rc;
  }
  c->g = &c->global;
  cf_cmcc_host_init(&c->host);
  rc = c->cmd->run(c);
  for (int r = 0; r < CF_CMCC_ROLES; r++)
    if (c->owned[r]) cf_transport_close(c->owned[r]);
  cf_cmcc_hsm_free(c->hsm);
  cf_wipe(c, sizeof *c);
  free(c);
  return rc;
}
