/* `cardforge hsm`: the PKCS#11 token that holds the host's keys (cardforge/keystore.h,
 * docs/hsm.md): create it, import, generate, list and delete keys. Values never appear: a key is
 * shown by its label, type and check value. Each change appends a line to the ceremony log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cardforge/keystore.h"
#include "cardforge/secret_input.h"
#include "commands.h"

typedef struct hsm_run {
  cf_cli_opts opts;
  cf_cli_global global;
  cf_ks_config cfg;
} hsm_run;

static const char *opt(hsm_run *r, const char *name) {
  return cf_cli_opts_value(&r->opts, name);
}

/* A token failure as an exit code: no token yet or unusable module 6, wrong PIN 5. */
static int open_token(hsm_run *r, cf_keystore **ks) {
  char err[512];
  int rc = cf_ks_open(&r->cfg, ks, err, sizeof err);
  if (rc == 0) return 0;
  cf_cli_error("hsm: %s", err);
  return rc == -3 ? CF_EXIT_VERIFY : CF_EXIT_FILE;
}

static int get_secret(const char *option, const char *value, const char *env, const char *prompt,
                      bool confirm, char *out, size_t cap) {
  cf_secret_spec spec = {.option = option, .value = value, .env = env, .prompt = prompt, .confirm = confirm};
  cf_secret_source src;
  char err[300];
  int r = cf_secret_get(&spec, out, cap, &src, err, sizeof err);
  if (r < 0) {
    cf_cli_error("hsm: %s", err);
    return src == CF_SECRET_FILE || src == CF_SECRET_STDIN ? CF_EXIT_FILE : CF_EXIT_USAGE;
  }
  if (r == 0) {
    cf_cli_error("hsm: give %s (@FILE, - for standard input)%s%s", option, env ? " or set " : "",
                 env ? env : "");
    return CF_EXIT_USAGE;
  }
  return 0;
}

static int cmd_init(void *ctx) {
  hsm_run *r = ctx;
  char so[256], pin[256], err[512];
  int rc = get_secret("--so-pin", opt(r, "--so-pin"), CF_KS_SO_PIN_ENV, "token security officer PIN", true,
                      so, sizeof so);
  if (rc == 0)
    rc = get_secret("--pkcs11-pin", r->cfg.pin, CF_KS_PIN_ENV, "new token PIN", true, pin, sizeof pin);
  if (rc == 0 && (strlen(so) < 4 || strlen(pin) < 4)) {
    cf_cli_error("hsm init: a token PIN has at least 4 characters");
    rc = CF_EXIT_USAGE;
  }
  if (rc == 0 && cf_ks_init_token(&r->cfg, so, pin, err, sizeof err) != 0) {
    cf_cli_error("hsm init: %s", err);
    rc = CF_EXIT_FILE;
  }
  cf_wipe(so, sizeof so);
  cf_wipe(pin, sizeof pin);
  const char *token = r->cfg.token ? r->cfg.token : CF_KS_TOKEN_LABEL;
  if (rc == 0) cf_audit_record(&r->global, "", "hsm init", 0, rc, "{s:s}", "token", token);
  if (rc == 0 && !r->global.quiet) printf("token \"%s\" created\n", token);
  return rc;
}

static int parse_type(hsm_run *r, cf_ks_type *type) {
  const char *t = opt(r, "--type");
  if (t == NULL || cf_ks_type_parse(t, type) != 0) {
    cf_cli_error("hsm: --type must be des2, des3 or aes");
    return CF_EXIT_USAGE;
  }
  return 0;
}

static void print_key(const cf_ks_key *k) {
  char kcv[7];
  cf_hex_encode(k->kcv, 3, kcv);
  printf("%-24s %-4s %2zu  %s  %s%s\n", k->label, cf_ks_type_name(k->type), k->len, kcv,
         k->sensitive ? "sensitive" : "NOT sensitive", k->extractable ? ", exportable" : "");
}

/* {"keys": [{label, type, length, kcv, sensitive, exportable}]}: the text's columns (docs/cli.md). */
static int print_keys_json(const cf_ks_key *keys, size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < n; i++) {
    json_t *k = json_pack("{s:s, s:s, s:I, s:o, s:b, s:b}", "label", keys[i].label, "type",
                          cf_ks_type_name(keys[i].type), "length", (json_int_t)keys[i].len, "kcv",
                          cf_json_hex(keys[i].kcv, 3), "sensitive", keys[i].sensitive, "exportable",
                          keys[i].extractable);
    if (k == NULL || json_array_append_new(list, k) != 0) {
      json_decref(list);
      list = NULL;
    }
  }
  if (cf_json_emit(list != NULL ? json_pack("{s:o}", "keys", list) : NULL) != 0) {
    cf_cli_error("hsm list: cannot print the JSON document");
    return CF_EXIT_INTERNAL;
  }
  return CF_EXIT_OK;
}

static int cmd_import(void *ctx) {
  hsm_run *r = ctx;
  cf_ks_type type;
  int rc = parse_type(r, &type);
  if (rc != 0) return rc;
  char text[CF_SECRET_MAX];
  uint8_t value[32];
  if ((rc = get_secret("--value", opt(r, "--value"), "CARDFORGE_HSM_KEY", NULL, false, text, sizeof text)) !=
      0)
    return rc;
  long n = cf_hex_decode(text, value, sizeof value);
  cf_wipe(text, sizeof text);
  if (n < 0 || !cf_ks_type_len_ok(type, (size_t)n)) {
    cf_wipe(value, sizeof value);
    cf_cli_error("hsm import: the value must be hex of a %s key's length", cf_ks_type_name(type));
    return CF_EXIT_USAGE;
  }
  cf_keystore *ks;
  if ((rc = open_token(r, &ks)) != 0) {
    cf_wipe(value, sizeof value);
    return rc;
  }
  cf_ks_key k;
  char err[512];
  const char *label = opt(r, "--label");
  if (cf_ks_import(ks, label, type, value, (size_t)n, cf_cli_opts_given(&r->opts, "--exportable"), &k, err,
                   sizeof err) != 0) {
    cf_cli_error("hsm import: %s", err);
    rc = CF_EXIT_FILE;
  }
  cf_wipe(value, sizeof value);
  /* a key the token refused to store changed nothing: no line */
  if (rc == 0) {
    cf_audit_record(&r->global, "", "hsm import", 0, rc, "{s:s,s:s,s:s,s:s}", "token", cf_ks_token_label(ks),
                    "label", label, "type", cf_ks_type_name(type), "kcv", cf_audit_hex(k.kcv, 3));
    print_key(&k);
  }
  cf_ks_close(ks);
  return rc;
}

static int cmd_generate(void *ctx) {
  hsm_run *r = ctx;
  cf_ks_type type;
  int rc = parse_type(r, &type);
  if (rc != 0) return rc;
  size_t len = type == CF_KS_DES3 ? 24 : 16;
  const char *l = opt(r, "--length");
  if (l != NULL) {
    char *end;
    unsigned long v = strtoul(l, &end, 10);
    if (*end != 0 || !cf_ks_type_len_ok(type, v)) {
      cf_cli_error("hsm generate: --length %s does not suit a %s key", l, cf_ks_type_name(type));
      return CF_EXIT_USAGE;
    }
    len = v;
  }
  cf_keystore *ks;
  if ((rc = open_token(r, &ks)) != 0) return rc;
  cf_ks_key k;
  char err[512];
  const char *label = opt(r, "--label");
  if (cf_ks_generate(ks, label, type, len, &k, err, sizeof err) != 0) {
    cf_cli_error("hsm generate: %s", err);
    rc = CF_EXIT_FILE;
  }
  /* a key the token refused to store changed nothing: no line */
  if (rc == 0) {
    cf_audit_record(&r->global, "", "hsm generate", 0, rc, "{s:s,s:s,s:s,s:s}", "token",
                    cf_ks_token_label(ks), "label", label, "type", cf_ks_type_name(type), "kcv",
                    cf_audit_hex(k.kcv, 3));
    print_key(&k);
  }
  cf_ks_close(ks);
  return rc;
}

static int cmd_list(void *ctx) {
  hsm_run *r = ctx;
  cf_keystore *ks;
  int rc = open_token(r, &ks);
  if (rc != 0) return rc;
  static cf_ks_key keys[512];
  size_t n = 0;
  char err[512];
  if (cf_ks_list(ks, keys, 512, &n, err, sizeof err) != 0) {
    cf_cli_error("hsm list: %s", err);
    rc = CF_EXIT_FILE;
  } else if (cf_cli_opts_given(&r->opts, "--json")) {
    rc = print_keys_json(keys, n);
  } else {
    printf("%-24s %-4s len KCV     attributes\n", "label", "type");
    for (size_t i = 0; i < n; i++)
      print_key(&keys[i]);
  }
  cf_ks_close(ks);
  return rc;
}

static int cmd_delete(void *ctx) {
  hsm_run *r = ctx;
  cf_keystore *ks;
  int rc = open_token(r, &ks);
  if (rc != 0) return rc;
  const char *label = opt(r, "--label");
  cf_ks_key k;
  char err[512];
  int found = cf_ks_find(ks, label, &k, err, sizeof err);
  if (found == 1) found = cf_ks_delete(ks, label, err, sizeof err);
  if (found == 0) {
    cf_cli_error("hsm delete: the token holds no key labelled \"%s\"", label);
    rc = CF_EXIT_USAGE;
  } else if (found < 0) {
    cf_cli_error("hsm delete: %s", err);
    rc = CF_EXIT_FILE;
  } else {
    cf_audit_record(&r->global, "", "hsm delete", 0, rc, "{s:s,s:s,s:s,s:s}", "token", cf_ks_token_label(ks),
                    "label", label, "type", cf_ks_type_name(k.type), "kcv", cf_audit_hex(k.kcv, 3));
    if (!r->global.quiet) printf("key \"%s\" deleted\n", label);
  }
  cf_ks_close(ks);
  return rc;
}

static const cf_cli_command commands[] = {
    {"init", cmd_init, "--so-pin=PIN", 0, "[--so-pin @FILE] [--pkcs11-pin @FILE]", "create the token",
     "Creates the token. Without --pkcs11-module / --pkcs11-uri: SoftHSM2 in the state directory\n"
     "(pkcs11/softhsm2.conf and pkcs11/tokens/, mode 0700), labelled cardforge unless --pkcs11-token\n"
     "says otherwise. Another module: its first slot without an initialised token.\n"
     "--so-pin: the security officer's PIN ($CARDFORGE_HSM_SO_PIN, else asked twice);\n"
     "--pkcs11-pin: the user's PIN ($CARDFORGE_HSM_PIN, else asked twice).\n"},
    {"import", cmd_import, "--label= --type= --value=HEX --exportable", 0,
     "--label L --type des2|des3|aes [--value @FILE|-] [--exportable]",
     "import a key (from a file or standard input); prints its check value",
     "The key value is hex, from --value @FILE or - (standard input), or $CARDFORGE_HSM_KEY.\n"
     "It becomes a sensitive, non-extractable token object: the token never gives it out again.\n"
     "--exportable: extractable by wrapping only (still sensitive), for keys a protocol must\n"
     "copy onto a card in a record the token cannot build (docs/hsm.md).\n"},
    {"generate", cmd_generate, "--label= --type= --length=N", 0,
     "--label L --type des2|des3|aes [--length N]", "generate a key inside the token; prints its check value",
     NULL},
    {"list", cmd_list, "--json", 0, "[--json]",
     "list the keys: label, type, length, check value (never a value)", NULL},
    {"delete", cmd_delete, "--label=", 0, "--label L", "delete a key", NULL},
};

static void print_help(FILE *f) {
  fputs(
      "usage: cardforge hsm [TOKEN OPTIONS] COMMAND [OPTIONS]\n"
      "\n"
      "The PKCS#11 token that holds the host's keys (docs/hsm.md): SoftHSM2 in the state directory\n"
      "by default, any PKCS#11 module otherwise. Keys are shown by label, type and check value\n"
      "(DES/3DES: 3DES of 8 x 00; AES: AES of 16 x 01), never by value.\n"
      "\n"
      "commands:\n"
      "  init      create the token\n"
      "  import    import a key from a file or standard input\n"
      "  generate  generate a key inside the token\n"
      "  list      list the keys\n"
      "  delete    delete a key\n"
      "\n"
      "token options:\n"
      "  --pkcs11-module PATH  the PKCS#11 module (default: SoftHSM2, $CARDFORGE_PKCS11_MODULE)\n"
      "  --pkcs11-token LABEL  the token's label (default: cardforge)\n"
      "  --pkcs11-uri URI      module and token as an RFC 7512 URI "
      "(pkcs11:token=T?module-path=/path/module.so)\n"
      "  --pkcs11-pin @FILE    the user PIN (- for standard input; default $CARDFORGE_HSM_PIN, else asked)\n",
      f);
}

static const cf_cli_family hsm_family = {
    .name = "hsm",
    .commands = commands,
    .count = sizeof commands / sizeof commands[0],
    .common_options = "--pkcs11-module=PATH --pkcs11-token=LABEL --pkcs11-uri=URI --pkcs11-pin=PIN ",
    .common_help = "  --pkcs11-module PATH, --pkcs11-token LABEL, --pkcs11-uri URI, --pkcs11-pin @FILE\n"
                   "  (see cardforge hsm --help)\n",
    .print_help = print_help,
};

int cf_cmd_hsm(const cf_cli_global *g, int argc, char **argv) {
  cf_json_requested(argc, argv); /* list --json: errors as JSON too */
  static hsm_run r;
  const cf_cli_command *cmd = NULL;
  char err[256];
  memset(&r, 0, sizeof r);
  int rc = cf_cli_parse_command(&hsm_family, g, argc, argv, &r.opts, 1, &cmd, &r.global, stdout, stderr, err,
                                sizeof err);
  if (rc >= 0) {
    if (err[0] != '\0') cf_cli_error("hsm%s%s: %s", cmd ? " " : "", cmd ? cmd->name : "", err);
    return rc;
  }
  r.cfg.module = opt(&r, "--pkcs11-module");
  r.cfg.token = opt(&r, "--pkcs11-token");
  r.cfg.uri = opt(&r, "--pkcs11-uri");
  r.cfg.pin = opt(&r, "--pkcs11-pin");
  r.cfg.state_dir = r.global.state_dir;
  r.cfg.quiet = r.global.quiet;
  bool needs_label = cmd->run == cmd_import || cmd->run == cmd_generate || cmd->run == cmd_delete;
  if (needs_label && opt(&r, "--label") == NULL) {
    cf_cli_error("hsm %s: --label is required", cmd->name);
    return CF_EXIT_USAGE;
  }
  if (needs_label && cmd->run != cmd_delete && !cf_ks_label_valid(opt(&r, "--label"))) {
    cf_cli_error("hsm %s: --label: 1 to %d printable characters without blanks, not ending in %s", cmd->name,
                 CF_KS_LABEL_MAX, CF_KS_KL_SUFFIX);
    return CF_EXIT_USAGE;
  }
  return cmd->run(&r);
}
