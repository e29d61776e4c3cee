/* `cardforge audit`: show and verify the ceremony log (cardforge/audit.h, docs/security.md). */
#include <stdio.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/crypto.h"
#include "cardforge/json_out.h"
#include "commands.h"

typedef struct audit_run {
  cf_cli_opts opts;
  cf_cli_global global;
  char path[1100];
} audit_run;

static int cmd_show(void *ctx) {
  audit_run *r = ctx;
  char err[512];
  if (cf_audit_show(r->path, cf_cli_opts_given(&r->opts, "--json"), stdout, err, sizeof err) != 0) {
    cf_cli_error("audit show: %s", err);
    return CF_EXIT_FILE;
  }
  return CF_EXIT_OK;
}

static int cmd_verify(void *ctx) {
  audit_run *r = ctx;
  char why[512];
  uint8_t key[CF_AUDIT_KEY_MAX];
  size_t klen = 0, lines = 0, bad = 0;
  int has_key = cf_audit_key(key, &klen, why, sizeof why);
  if (has_key < 0) {
    cf_cli_error("audit verify: %s", why);
    return has_key == -2 ? CF_EXIT_FILE : CF_EXIT_USAGE;
  }
  int rc = cf_audit_verify(r->path, has_key ? key : NULL, klen, &lines, &bad, why, sizeof why);
  cf_wipe(key, sizeof key);
  if (rc < 0) {
    cf_cli_error("audit verify: %s", why);
    return CF_EXIT_FILE;
  }
  if (rc > 0) {
    cf_cli_error("audit verify: %s: %s", r->path, why);
    return CF_EXIT_VERIFY;
  }
  if (cf_cli_opts_given(&r->opts, "--json")) {
    json_t *doc = json_pack("{s:s, s:I, s:b, s:b}", "log", r->path, "lines", (json_int_t)lines,
                            "chain_intact", 1, "macs_verified", has_key ? 1 : 0);
    if (cf_json_emit(doc) != 0) {
      cf_cli_error("audit verify: cannot write the JSON document");
      return CF_EXIT_INTERNAL;
    }
    return CF_EXIT_OK;
  }
  printf("%s: %zu line%s, chain intact%s\n", r->path, lines, lines == 1 ? "" : "s",
         has_key ? ", every MAC verified" : " (MACs not checked: no --audit-key)");
  return CF_EXIT_OK;
}

static const cf_cli_command commands[] = {
    {"show", cmd_show, "--json", 0, "[--json]", "print the ceremony log as a table (--json: the lines)",
     NULL},
    {"verify", cmd_verify, "--json", 0, "[--json]", "check the log's hash chain (and MACs with --audit-key)",
     "--json prints {\"log\", \"lines\", \"chain_intact\", \"macs_verified\"} (docs/cli.md); with --json\n"
     "every error is a JSON object on stderr.\n"
     "Exit codes: 0 every line checks; 5 a line does not (the first bad line is named, with why:\n"
     "removed, reordered or changed); 6 the log or the key file cannot be read (or the key file is\n"
     "readable by others); 2 a key that is not 16 to 64 bytes of hex.\n"
     "Without a key the chain shows lines removed, reordered or changed in place, except the last\n"
     "line's removal or change; with the key that made the MACs, every line is checked on its own.\n"},
};

static void print_help(FILE *f) {
  fputs("usage: cardforge audit [--audit-log PATH] [--audit-key @FILE] COMMAND\n"
        "\n"
        "The ceremony log: one JSON line for each command that changed keys on a card or in the token\n"
        "(gp put-key / delete-key, keycard key and pairing commands, cmcc batches and HSM changes),\n"
        "hash-chained and optionally MACed (HMAC-SHA256). Never holds a secret.\n"
        "\n"
        "commands:\n"
        "  show     print the log as a table (--json: the lines as written)\n"
        "  verify   check the chain and, with --audit-key, every line's MAC\n"
        "\n"
        "  --audit-log PATH    the log (default $CARDFORGE_AUDIT_LOG, else audit.log in the state\n"
        "                      directory)\n"
        "  --audit-key @FILE   the HMAC key, hex (16 to 64 bytes), in a 0600 file, or - (stdin);\n"
        "                      default $CARDFORGE_AUDIT_KEY\n",
        f);
}

static const cf_cli_family audit_family = {
    .name = "audit",
    .commands = commands,
    .count = sizeof commands / sizeof commands[0],
    .common_options = "--audit-log=PATH --audit-key=KEY ",
    .common_help = "  --audit-log PATH, --audit-key @FILE (see cardforge audit --help)\n",
    .print_help = print_help,
};

int cf_cmd_audit(const cf_cli_global *g, int argc, char **argv) {
  static audit_run r;
  const cf_cli_command *cmd = NULL;
  char err[256];
  memset(&r, 0, sizeof r);
  cf_json_requested(argc, argv);
  int rc = cf_cli_parse_command(&audit_family, g, argc, argv, &r.opts, 1, &cmd, &r.global, stdout, stderr,
                                err, sizeof err);
  if (rc >= 0) {
    if (err[0] != '\0') cf_cli_error("audit%s%s: %s", cmd ? " " : "", cmd ? cmd->name : "", err);
    return rc;
  }
  const char *log = cf_cli_opts_value(&r.opts, "--audit-log");
  const char *key = cf_cli_opts_value(&r.opts, "--audit-key");
  if (log != NULL || key != NULL) cf_audit_configure(log, key);
  if (cf_audit_path(&r.global, r.path, sizeof r.path) != 0) {
    cf_cli_error("audit: no state directory (set CARDFORGE_HOME or --audit-log)");
    return CF_EXIT_USAGE;
  }
  return cmd->run(&r);
}
