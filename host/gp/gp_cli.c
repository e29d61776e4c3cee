/* `cardforge gp`: inspect a GlobalPlatform card and manage its Security Domain keys.
 *
 *   cardforge [global options] gp [channel options] COMMAND [command options] [channel options]
 *
 * Every option means one thing wherever it stands: the channel's keys are --key/--key-enc/
 * --key-mac/--key-dek/--key-file and --key-ver (GlobalPlatformPro's names), the key set put-key
 * writes is --new-kvn with --new-key/--new-enc/--new-mac/--new-dek/--new-key-file, and the set
 * delete-key removes is --delete-kvn. (Before, --kvn and --key meant the channel before the
 * command and the new set after it.) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardforge/audit.h"
#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/crypto.h"
#include "cardforge/gp_client.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cardforge/secret_input.h"
#include "cardforge/sw.h"
#include "gp_cli_internal.h"
#include "gp_keysource_pkcs11.h"

static const char channel_help[] =
    "  --aid HEX       Security Domain AID (default A000000151000000, then A000000003000000)\n"
    "  --scp 02|03     insist on this protocol (default: what the card answers)\n"
    "  --level L       none, mac, mac+enc (default), mac+rmac, mac+enc+rmac, mac+enc+rmac+renc,\n"
    "                  rmac (SCP02 only)\n"
    "  --key-ver N     the key set that opens the channel, hex (default 00: the card's default set)\n"
    "  --key HEX       its ENC=MAC=DEK (default 404142434445464748494A4B4C4D4E4F)\n"
    "  --key-enc HEX, --key-mac HEX, --key-dek HEX   one key each\n"
    "  --key-file FILE lines enc=HEX, mac=HEX, dek=HEX or key=HEX (mode 0600)\n"
    "                  a key's HEX may be @FILE (the hex in a 0600 file) or - (standard input): a\n"
    "                  key on the command line is visible to other users; or pkcs11:LABEL, a key in\n"
    "                  the PKCS#11 token, which computes the session keys (docs/hsm.md)\n"
    "  --diversify M   the keys are master keys: the card's are derived from them and the card's\n"
    "                  KDD (INITIALIZE UPDATE) with M = emv (EMV CPS 1.1), visa2 or kdf3 (SCP03)\n"
    "  --s16           SCP03 S16 mode: 16-byte challenges, cryptograms and MACs (cards with i b1)\n";

static const cf_cli_command *gp_commands(size_t *count);

static void print_help(FILE *f) {
  size_t n = 0;
  const cf_cli_command *cmds = gp_commands(&n);
  fputs("usage: cardforge gp [channel options] COMMAND [command options]\n"
        "\n"
        "Commands:\n",
        f);
  for (size_t i = 0; i < n; i++)
    cf_cli_print_command_row(f, 16, cmds[i].name, cmds[i].summary, NULL);
  fputs("\n"
        "Channel options (before or after the command; they always mean the channel):\n",
        f);
  fputs(channel_help, f);
  fputs("\n"
        "Global options (--reader R, --trace, --quiet) may also follow the command.\n"
        "`cardforge gp COMMAND --help` describes one command.\n"
        "Numbers (KVN, key id) are hex. Exit codes: 0 ok, 2 usage, 3 card refused, 4 reader, 5 check\n"
        "value or cryptogram mismatch, 6 file, 7 another program reset or used the card.\n",
        f);
}

void gp_cli_print_hex(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02X", b[i]);
}

int gp_cli_hex(const char *what, const char *hex, size_t min, uint8_t *out, size_t cap, size_t *len) {
  long n = hex ? cf_hex_decode(hex, out, cap) : -1;
  if (n < 0 || (size_t)n < min) {
    cf_cli_error("%s: expected %zu to %zu bytes of hex", what, min, cap);
    return CF_EXIT_USAGE;
  }
  *len = (size_t)n;
  return CF_EXIT_OK;
}

int gp_cli_aid(const char *what, const char *hex, uint8_t aid[16], size_t *len) {
  return gp_cli_hex(what, hex, 5, aid, 16, len);
}

static int parse_hex_byte(const char *s, int max, int *out) {
  char *end;
  if (s == NULL || *s == 0) return -1;
  if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0) s += 2;
  errno = 0;
  long v = strtol(s, &end, 16);
  if (errno || *end || v < 0 || v > max) return -1;
  *out = (int)v;
  return 0;
}

/* A key option's value: the hex itself (warned about: visible in ps), or @FILE / - holding it
 * (cardforge/secret_input.h). */
static int parse_key(const char *what, const char *value, uint8_t out[32], size_t *len) {
  char hex[CF_SECRET_MAX], err[512] = "";
  cf_secret_source src = CF_SECRET_NONE;
  cf_secret_spec spec = {.option = what, .value = value};
  if (cf_secret_get(&spec, hex, sizeof hex, &src, err, sizeof err) < 0) {
    cf_cli_error("%s", err);
    return src == CF_SECRET_FILE || src == CF_SECRET_STDIN ? CF_EXIT_FILE : CF_EXIT_USAGE;
  }
  long n = cf_hex_decode(hex, out, 32);
  cf_wipe(hex, sizeof hex);
  if (n != 16 && n != 24 && n != 32) {
    cf_cli_error("%s: expected 16, 24 or 32 bytes of hex", what);
    return CF_EXIT_USAGE;
  }
  *len = (size_t)n;
  return CF_EXIT_OK;
}

/* Key file: "enc=HEX", "mac=HEX", "dek=HEX" or "key=HEX" lines; '#' starts a comment. */
static int read_key_file(const char *path, gp_key_opts *k) {
  /* a key file others may read is refused, as every file holding secrets is */
  char why[512];
  struct stat st;
  int fd = cf_secret_file_open(path, true, &st, why, sizeof why);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  char line[256];
  int rc = CF_EXIT_OK, lineno = 0;
  if (f == NULL) {
    if (fd >= 0) {
      snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
      close(fd);
    }
    cf_cli_error("%s", why);
    return CF_EXIT_FILE;
  }
  while (rc == CF_EXIT_OK && fgets(line, sizeof line, f) != NULL) {
    lineno++;
    char *p = line + strspn(line, " \t");
    p[strcspn(p, "#\r\n")] = 0;
    if (*p == 0) continue;
    char *eq = strchr(p, '=');
    if (eq == NULL) {
      cf_cli_error("%s:%d: expected name=HEX", path, lineno);
      rc = CF_EXIT_FILE;
      break;
    }
    *eq = 0;
    char *name = p, *value = eq + 1;
    name[strcspn(name, " \t")] = 0;
    value += strspn(value, " \t");
    value[strcspn(value, " \t")] = 0;
    uint8_t key[32];
    size_t len = 0;
    long n = cf_hex_decode(value, key, sizeof key);
    if (n != 16 && n != 24 && n != 32) {
      cf_cli_error("%s:%d: %s: expected 16, 24 or 32 bytes of hex", path, lineno, name);
      rc = CF_EXIT_FILE;
      break;
    }
    len = (size_t)n;
    if (strcmp(name, "key") == 0 || strcmp(name, "enc") == 0) memcpy(k->enc, key, len), k->enc_len = len;
    if (strcmp(name, "key") == 0 || strcmp(name, "mac") == 0) memcpy(k->mac, key, len), k->mac_len = len;
    if (strcmp(name, "key") == 0 || strcmp(name, "dek") == 0) memcpy(k->dek, key, len), k->dek_len = len;
    if (strcmp(name, "key") && strcmp(name, "enc") && strcmp(name, "mac") && strcmp(name, "dek")) {
      cf_cli_error("%s:%d: unknown name '%s' (enc, mac, dek or key)", path, lineno, name);
      rc = CF_EXIT_FILE;
    }
    cf_wipe(key, sizeof key);
  }
  fclose(f);
  cf_wipe(line, sizeof line);
  return rc;
}

/* A key set from its options: ENC=MAC=DEK, one key each, or a key file (names[0..4]: all three,
 * enc, mac, dek, file). */
static int read_key_set(const cf_cli_opts *opts, const char *const names[5], gp_key_opts *k) {
  const char *file = cf_cli_opts_value(opts, names[4]);
  if (file != NULL) {
    int rc = read_key_file(file, k);
    if (rc != CF_EXIT_OK) return rc;
  }
  for (int which = 0; which < 4; which++) {
    const char *v = cf_cli_opts_value(opts, names[which]);
    if (v == NULL) continue;
    if (gp_p11_is_spec(v)) { /* a key in the token (gp_keysource_pkcs11.c) */
      int prc = gp_p11_key_option(names[which], v, which, strcmp(names[0], "--key") == 0, k);
      if (prc != CF_EXIT_OK) return prc;
      continue;
    }
    uint8_t key[32];
    size_t len = 0;
    int rc = parse_key(names[which], v, key, &len);
    if (rc != CF_EXIT_OK) return rc;
    if (which == 0 || which == 1) memcpy(k->enc, key, len), k->enc_len = len;
    if (which == 0 || which == 2) memcpy(k->mac, key, len), k->mac_len = len;
    if (which == 0 || which == 3) memcpy(k->dek, key, len), k->dek_len = len;
    cf_wipe(key, sizeof key);
  }
  return CF_EXIT_OK;
}

static int parse_level(const char *text, uint8_t *level) {
  static const struct {
    const char *name;
    uint8_t level;
  } levels[] = {{"none", 0x00},     {"mac", 0x01},          {"mac+enc", 0x03},
                {"mac+rmac", 0x11}, {"mac+enc+rmac", 0x13}, {"mac+enc+rmac+renc", 0x33},
                {"rmac", 0x10}};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
    if (strcmp(text, levels[i].name) == 0) {
      *level = levels[i].level;
      return 0;
    }
  return -1;
}

const char *gp_cli_level_name(uint8_t level) {
  switch (level) {
  case 0x00:
    return "none";
  case 0x01:
    return "mac";
  case 0x03:
    return "mac+enc";
  case 0x10:
    return "rmac";
  case 0x11:
    return "mac+rmac";
  case 0x13:
    return "mac+enc+rmac";
  case 0x33:
    return "mac+enc+rmac+renc";
  default:
    return "?";
  }
}

/* Maps a client failure to one line and an exit code. */
int gp_cli_report(const cf_gp_client *c, int rc) {
  /* after EXTERNAL AUTHENTICATE succeeded, only the end of the session makes the card answer 6982 */
  if (rc == CF_GP_ERR_CARD && cf_transport_state_lost(c->t, c->last_sw)) {
    cf_cli_error("%s", c->t->err);
    return CF_EXIT_SHARED;
  }
  if (rc == CF_GP_ERR_CARD) {
    char what[128];
    const char *cut = strstr(c->err, ": card answered");
    size_t n = cut ? (size_t)(cut - c->err) : strlen(c->err);
    if (n >= sizeof what) n = sizeof what - 1;
    memcpy(what, c->err, n);
    what[n] = 0;
    cf_cli_card_error(what, c->last_sw);
    return CF_EXIT_CARD;
  }
  cf_cli_error("%s", c->err);
  switch (rc) {
  case CF_GP_ERR_TRANSPORT:
    return cf_cli_transport_exit(c->t);
  case CF_GP_ERR_VERIFY:
    return CF_EXIT_VERIFY;
  case CF_GP_ERR_PARAM:
    return CF_EXIT_USAGE;
  default:
    return CF_EXIT_CARD;
  }
}

int gp_cli_open_channel(cf_gp_client *c, const gp_opts *o) {
  static const uint8_t default_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                          0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
  cf_scp_keys keys = {0};
  uint8_t level = 0x03;
  if (o->level_text && parse_level(o->level_text, &level) != 0) {
    cf_cli_error("--level: unknown level '%s'", o->level_text);
    return CF_EXIT_USAGE;
  }
  const gp_key_opts *k = &o->chan;
  size_t len = k->enc_len ? k->enc_len : 16;
  if ((k->mac_len && k->mac_len != len) || (k->dek_len && k->dek_len != len)) {
    cf_cli_error("channel keys: ENC, MAC and DEK must have the same length");
    return CF_EXIT_USAGE;
  }
  keys.klen = len;
  memcpy(keys.enc, k->enc_len ? k->enc : default_key, len);
  memcpy(keys.mac, k->mac_len ? k->mac : (k->enc_len ? k->enc : default_key), len);
  memcpy(keys.dek, k->dek_len ? k->dek : (k->enc_len ? k->enc : default_key), len);
  cf_gp_open_opts oo = {
      .scp = o->scp, .level = level, .kvn = (uint8_t)o->kvn, .diversify = o->diversify, .s16 = o->s16};
  gp_p11_channel tok; /* channel keys in the token: it computes the session keys */
  int prc = gp_p11_channel_open(o, &tok, &oo, &keys);
  if (prc != CF_EXIT_OK) return prc;
  int rc = cf_gp_open(c, &keys, &oo);
  gp_p11_channel_close(&tok);
  cf_wipe(&keys, sizeof keys);
  if (rc == CF_GP_OK) cf_transport_mark_secured(c->t); /* a secure channel: reset the card when we leave */
  return rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
}

static int cmd_auth(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  int erc = gp_cli_open_channel(c, &r->o);
  if (erc != CF_EXIT_OK) return erc;
  printf("Secure channel open: SCP%02X i=%02X, KVN %02X, level %s\n", c->scp.scp, c->scp.i, c->kvn,
         gp_cli_level_name(c->scp.level));
  return CF_EXIT_OK;
}

int gp_cli_put_new_keys(cf_gp_client *c, const gp_opts *o, uint8_t type, uint8_t kcv[3][3],
                        bool *undiversifiable) {
  const gp_key_opts *k = &o->new_keys;
  cf_gp_new_key nk[3];
  const uint8_t *src[3] = {k->enc, k->mac, k->dek};
  *undiversifiable = false;
  for (int i = 0; i < 3; i++) {
    nk[i].type = type;
    nk[i].len = k->enc_len;
    memcpy(nk[i].value, src[i], k->enc_len);
    /* --new-diversify: the card's own keys, from the masters and the KDD it just sent (ENC, MAC
     * and DEK take the key ids 1, 2, 3 of the derivation whatever --id says) */
    if (o->new_diversify != CF_SCP_DIV_NONE &&
        cf_scp_diversify_key(o->new_diversify, src[i], k->enc_len, (uint8_t)(i + 1), c->kdd, nk[i].value) !=
            0) {
      cf_wipe(nk, sizeof nk);
      *undiversifiable = true;
      return CF_GP_OK;
    }
  }
  int rc = cf_gp_put_key(c, (uint8_t)o->replace, (uint8_t)o->cmd_kvn,
                         (uint8_t)(o->cmd_id >= 0 ? o->cmd_id : 1), nk, 3, o->chain);
  for (int i = 0; i < 3; i++)
    cf_scp_kcv(type, nk[i].value, nk[i].len, kcv[i]);
  cf_wipe(nk, sizeof nk);
  return rc;
}

static int cmd_put_key(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  const gp_opts *o = &r->o;
  const gp_key_opts *k = &o->new_keys;
  if (o->cmd_kvn < 1 || o->cmd_kvn > 0x7F) {
    cf_cli_error("put-key: --new-kvn (the new key version, 01..7F) is required");
    return CF_EXIT_USAGE;
  }
  if (!k->enc_len || !k->mac_len || !k->dek_len) {
    cf_cli_error("put-key: give the new keys (--new-key, or --new-enc, --new-mac and --new-dek, or "
                 "--new-key-file)");
    return CF_EXIT_USAGE;
  }
  if (k->mac_len != k->enc_len || k->dek_len != k->enc_len) {
    cf_cli_error("put-key: ENC, MAC and DEK must have the same length");
    return CF_EXIT_USAGE;
  }
  if ((o->new_diversify == CF_SCP_DIV_EMV || o->new_diversify == CF_SCP_DIV_VISA2) && k->enc_len != 16) {
    cf_cli_error("put-key: %s diversification needs 16-byte (two-key 3DES) master keys",
                 cf_scp_diversify_name(o->new_diversify));
    return CF_EXIT_USAGE;
  }
  int erc = gp_cli_open_channel(c, o);
  if (erc != CF_EXIT_OK) return erc;
  uint8_t type;
  if (o->type_text == NULL)
    type = (k->enc_len != 16 || c->scp.scp == 0x03) ? CF_GP_KEY_AES : CF_GP_KEY_DES;
  else if (strcmp(o->type_text, "aes") == 0)
    type = CF_GP_KEY_AES;
  else if (strcmp(o->type_text, "des") == 0)
    type = CF_GP_KEY_DES;
  else {
    cf_cli_error("put-key: --type must be des or aes");
    return CF_EXIT_USAGE;
  }
  if (type == CF_GP_KEY_DES && k->enc_len != 16) {
    cf_cli_error("put-key: DES keys are 16 bytes (two-key 3DES)");
    return CF_EXIT_USAGE;
  }
  uint8_t kcv[3][3];
  bool undiversifiable = false;
  int rc = gp_cli_put_new_keys(c, o, type, kcv, &undiversifiable);
  if (undiversifiable) {
    cf_cli_error("put-key: %s diversification needs %s master keys", cf_scp_diversify_name(o->new_diversify),
                 o->new_diversify == CF_SCP_DIV_KDF3 ? "16, 24 or 32-byte" : "16-byte");
    return CF_EXIT_USAGE;
  }
  int code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
  uint8_t id = (uint8_t)(o->cmd_id >= 0 ? o->cmd_id : 1), kvn = (uint8_t)o->cmd_kvn,
          old = (uint8_t)o->replace;
  cf_audit_record(&r->global, NULL, "gp put-key", c->last_sw, code, "{s:s,s:s,s:s?,s:s,s:[i,i,i],s:[s,s,s]}",
                  "sd_aid", cf_audit_hex(c->sd_aid, c->sd_aid_len), "kvn", cf_audit_hex(&kvn, 1), "replaces",
                  old ? cf_audit_hex(&old, 1) : NULL, "type", type == CF_GP_KEY_AES ? "AES" : "DES",
                  "key_ids", id, id + 1, id + 2, "kcv", cf_audit_hex(kcv[0], 3), cf_audit_hex(kcv[1], 3),
                  cf_audit_hex(kcv[2], 3));
  if (code != CF_EXIT_OK) return code;
  printf("KVN %02X %s (%s-%zu): check values ENC %02X%02X%02X MAC %02X%02X%02X DEK %02X%02X%02X verified\n",
         o->cmd_kvn, o->replace ? "replaced" : "added", type == CF_GP_KEY_AES ? "AES" : "DES",
         type == CF_GP_KEY_AES ? k->enc_len * 8 : (size_t)112, kcv[0][0], kcv[0][1], kcv[0][2], kcv[1][0],
         kcv[1][1], kcv[1][2], kcv[2][0], kcv[2][1], kcv[2][2]);
  return CF_EXIT_OK;
}

static int cmd_delete_key(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  const gp_opts *o = &r->o;
  if (o->cmd_kvn < 0 && o->cmd_id < 0) {
    cf_cli_error("delete-key: give --delete-kvn and/or --id");
    return CF_EXIT_USAGE;
  }
  int erc = gp_cli_open_channel(c, o);
  if (erc != CF_EXIT_OK) return erc;
  int rc = cf_gp_delete_key(c, o->cmd_kvn, o->cmd_id);
  int code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
  uint8_t kvn = (uint8_t)o->cmd_kvn, id = (uint8_t)o->cmd_id;
  cf_audit_record(&r->global, NULL, "gp delete-key", c->last_sw, code, "{s:s,s:s?,s:s?}", "sd_aid",
                  cf_audit_hex(c->sd_aid, c->sd_aid_len), "kvn",
                  o->cmd_kvn >= 0 ? cf_audit_hex(&kvn, 1) : NULL, "key_id",
                  o->cmd_id >= 0 ? cf_audit_hex(&id, 1) : NULL);
  if (code != CF_EXIT_OK) return code;
  if (o->cmd_kvn >= 0 && o->cmd_id >= 0)
    printf("Deleted key %02X of KVN %02X\n", o->cmd_id, o->cmd_kvn);
  else if (o->cmd_kvn >= 0)
    printf("Deleted KVN %02X\n", o->cmd_kvn);
  else
    printf("Deleted key id %02X from every set\n", o->cmd_id);
  return CF_EXIT_OK;
}

#define CHANNEL_OPTIONS                                                                                      \
  "--aid=HEX --scp=02|03 --level=L --key-ver=N --key=HEX --key-enc=HEX --key-mac=HEX --key-dek=HEX "         \
  "--key-file=FILE --diversify=emv|visa2|kdf3 --s16 "

/* name, handler, options (cardforge/cli_opts.h), words, usage, summary, help */
static const cf_cli_command key_commands[] = {
    {"info", gp_cli_cmd_info, "--json", 0, "[channel options] [--json]",
     "CPLC, card recognition data and key information",
     "Needs no secure channel; a card that shows its key information only inside one gets one,\n"
     "opened with the channel options.\n"},
    {"keys", gp_cli_cmd_keys, "--json", 0, "[channel options] [--json]",
     "list the key information template (GET DATA 00E0)",
     "Without a secure channel first; with one, opened with the channel options, when the card\n"
     "answers 6982.\n"},
    {"auth", cmd_auth, "", 0, "[channel options]",
     "open a secure channel with the channel options and report it (verifies the keys)", NULL},
    {"put-key", cmd_put_key,
     "--new-kvn=N --replace=N --type=des|aes --id=N --chain --new-key=HEX --new-enc=HEX --new-mac=HEX "
     "--new-dek=HEX --new-key-file=FILE --new-diversify=emv|visa2|kdf3",
     0,
     "--new-kvn N [--replace N] [--type des|aes] [--id N] [--chain]\n"
     "(--new-key HEX | --new-enc HEX --new-mac HEX --new-dek HEX | --new-key-file FILE)\n"
     "[channel options]",
     "add a key set (or replace one with --replace N) through a secure channel",
     "--new-kvn is the version of the set written (hex 01..7F); the channel is opened with the\n"
     "channel options (--key-ver, --key, ...), which never name the new set. --id is the first key's\n"
     "id (default 01); --type defaults to AES on SCP03 or for 24/32-byte keys, else DES; --chain\n"
     "sends the set in chained commands. The new keys' HEX may be @FILE or -, like every key, or\n"
     "pkcs11:LABEL for a key imported into the token with cardforge hsm import --exportable.\n"
     "--new-diversify M writes the card's own keys: the new keys are masters, diversified with the\n"
     "card's KDD (emv, visa2: 16-byte DES masters; kdf3: AES masters).\n"
     "The card's key check values are compared with the host's.\n"},
    {"delete-key", cmd_delete_key, "--delete-kvn=N --id=N", 0,
     "(--delete-kvn N | --id N | both) [channel options]",
     "delete a key set, a key id from every set, or one key", NULL},
};

/* The one table of `cardforge gp`: the key commands here, then each file's (gp_cli_internal.h). */
static const cf_cli_command *gp_commands(size_t *count) {
  static cf_cli_command all[48];
  static size_t n;
  if (n == 0) {
    const struct {
      const cf_cli_command *rows;
      size_t count;
    } parts[] = {
        {key_commands, sizeof key_commands / sizeof key_commands[0]},
        {gp_content_commands, gp_content_command_count},
        {gp_lifecycle_commands, gp_lifecycle_command_count},
        {gp_apdu_commands, gp_apdu_command_count},
        {gp_rotate_commands, gp_rotate_command_count},
    };
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
      for (size_t i = 0; i < parts[p].count && n < sizeof all / sizeof all[0]; i++)
        all[n++] = parts[p].rows[i];
  }
  *count = n;
  return all;
}

static cf_cli_family gp_family(void) {
  cf_cli_family f = {
      .name = "gp", .common_options = CHANNEL_OPTIONS, .common_help = channel_help, .print_help = print_help};
  f.commands = gp_commands(&f.count);
  return f;
}

/* A hex number option into *out (left alone when the option is not given). */
static int hex_number(const cf_cli_opts *opts, const char *name, int max, int *out) {
  const char *v = cf_cli_opts_value(opts, name);
  int byte = 0;
  if (v == NULL) return CF_EXIT_OK;
  if (parse_hex_byte(v, max, &byte) != 0) {
    cf_cli_error("%s: '%s' is not a valid hex number (00..%02X)", name, v, max);
    return CF_EXIT_USAGE;
  }
  *out = byte;
  return CF_EXIT_OK;
}

/* The parsed options into r->o: numbers checked, keys read. */
static int collect(gp_run *r) {
  static const char *const channel_keys[5] = {"--key", "--key-enc", "--key-mac", "--key-dek", "--key-file"};
  static const char *const new_keys[5] = {"--new-key", "--new-enc", "--new-mac", "--new-dek",
                                          "--new-key-file"};
  const cf_cli_opts *opts = &r->opts;
  gp_opts *o = &r->o;
  o->cmd_kvn = o->cmd_id = -1;
  const char *div = cf_cli_opts_value(opts, "--diversify"),
             *new_div = cf_cli_opts_value(opts, "--new-diversify");
  if ((div && (o->diversify = cf_scp_diversify_parse(div)) < 0) ||
      (new_div && (o->new_diversify = cf_scp_diversify_parse(new_div)) < 0)) {
    cf_cli_error("%s: emv, visa2, kdf3 or none", div && o->diversify < 0 ? "--diversify" : "--new-diversify");
    return CF_EXIT_USAGE;
  }
  o->aid_hex = cf_cli_opts_value(opts, "--aid");
  o->level_text = cf_cli_opts_value(opts, "--level");
  o->s16 = cf_cli_opts_given(opts, "--s16");
  o->type_text = cf_cli_opts_value(opts, "--type");
  o->chain = cf_cli_opts_given(opts, "--chain");
  const char *scp = cf_cli_opts_value(opts, "--scp");
  if (scp != NULL) {
    if (strcmp(scp, "02") && strcmp(scp, "2") && strcmp(scp, "03") && strcmp(scp, "3")) {
      cf_cli_error("--scp: 02 or 03");
      return CF_EXIT_USAGE;
    }
    o->scp = atoi(scp);
  }
  int rc;
  if ((rc = hex_number(opts, "--key-ver", 0xFF, &o->kvn)) != CF_EXIT_OK ||
      (rc = hex_number(opts, "--new-kvn", 0xFF, &o->cmd_kvn)) != CF_EXIT_OK ||
      (rc = hex_number(opts, "--delete-kvn", 0xFF, &o->cmd_kvn)) != CF_EXIT_OK ||
      (rc = hex_number(opts, "--id", 0x7F, &o->cmd_id)) != CF_EXIT_OK ||
      (rc = hex_number(opts, "--replace", 0x7F, &o->replace)) != CF_EXIT_OK)
    return rc;
  if (cf_cli_opts_given(opts, "--replace") && o->replace == 0) {
    cf_cli_error("--replace: the key version to replace is 01..7F");
    return CF_EXIT_USAGE;
  }
  if ((rc = read_key_set(opts, channel_keys, &o->chan)) != CF_EXIT_OK) return rc;
  return read_key_set(opts, new_keys, &o->new_keys);
}

/* The options that meant two things (channel before the command, new set after it) are gone:
 * name the ones that replace them. */
static void retired_option_hint(const cf_cli_opts *opts) {
  const char *bad = opts->bad_arg;
  if (bad == NULL) return;
  size_t n = strcspn(bad, "=");
  if (n == 5 && strncmp(bad, "--kvn", 5) == 0)
    cf_cli_error("--kvn is now --key-ver N (the key set that opens the channel), put-key --new-kvn N "
                 "(the set written) or delete-key --delete-kvn N (the set deleted)");
  else if (n == 5 && (!strncmp(bad, "--enc", 5) || !strncmp(bad, "--mac", 5) || !strncmp(bad, "--dek", 5)))
    cf_cli_error("%.5s is now --key-%.3s (the channel's key) or put-key --new-%.3s (the new key)", bad,
                 bad + 2, bad + 2);
}

/* Parses argv (argv[0] = "gp"). Returns -1 to go on, or an exit code (reported). */
static int parse(const cf_cli_global *g, int argc, char **argv, gp_run *r, const cf_cli_command **cmd) {
  char err[256];
  const cf_cli_family family = gp_family();
  cf_json_requested(argc, argv); /* list --json: errors as JSON too */
  int n = 0;
  char **args = gp_cli_gppro_aliases(argc, argv, &n);
  if (args == NULL) {
    cf_cli_error("gp: out of memory");
    return CF_EXIT_INTERNAL;
  }
  int rc = cf_cli_parse_command(&family, g, n, args, &r->opts, CF_CLI_OPTS_MAX_VALUES, cmd, &r->global,
                                stdout, stderr, err, sizeof err);
  free(args); /* the options point at the strings, which are argv's or constants */
  if (rc >= 0) {
    if (err[0] != '\0') {
      cf_cli_error("gp%s%s: %s", *cmd ? " " : "", *cmd ? (*cmd)->name : "", err);
      retired_option_hint(&r->opts);
    }
    return rc;
  }
  rc = collect(r);
  return rc == CF_EXIT_OK ? -1 : rc;
}

static int execute(gp_run *r, const cf_cli_command *cmd, cf_transport *t) {
  uint8_t aid[16];
  long aid_len = 0;
  if (r->o.aid_hex && ((aid_len = cf_hex_decode(r->o.aid_hex, aid, sizeof aid)) < 5)) {
    cf_cli_error("--aid: expected 5 to 16 bytes of hex");
    return CF_EXIT_USAGE;
  }
  cf_gp_client_init(&r->c, t);
  int crc = cf_gp_select(&r->c, r->o.aid_hex ? aid : NULL, (size_t)aid_len, NULL, 0, NULL);
  int rc = crc == CF_GP_OK ? cmd->run(r) : gp_cli_report(&r->c, crc);
  cf_gp_close(&r->c);
  return rc;
}

int cf_gp_cli_run(const struct cf_cli_global *g, cf_transport *t, int argc, char **argv) {
  gp_run *r = calloc(1, sizeof *r);
  if (r == NULL) {
    cf_cli_error("gp: out of memory");
    return CF_EXIT_INTERNAL;
  }
  const cf_cli_command *cmd = NULL;
  int rc = parse(g, argc, argv, r, &cmd);
  if (rc < 0) rc = execute(r, cmd, t);
  cf_wipe(r, sizeof *r);
  free(r);
  fflush(stdout);
  return rc;
}

int cf_cli_gp(const cf_cli_global *g, int argc, char **argv) {
  gp_run *r = calloc(1, sizeof *r);
  if (r == NULL) {
    cf_cli_error("gp: out of memory");
    return CF_EXIT_INTERNAL;
  }
  const cf_cli_command *cmd = NULL;
  int rc = parse(g, argc, argv, r, &cmd);
  if (rc < 0) {
    /* the reader is a global option: before `gp`, or anywhere after it */
    int code = CF_EXIT_TRANSPORT;
    /* rotate opens the readers of its --readers list itself */
    cf_transport *t = cmd->run == gp_cli_cmd_rotate ? NULL : cf_cli_connect_ex(&r->global, NULL, &code);
    rc = cmd->run == gp_cli_cmd_rotate ? cmd->run(r) : t != NULL ? execute(r, cmd, t) : code;
    if (t != NULL) cf_transport_close(t);
  }
  cf_wipe(r, sizeof *r);
  free(r);
  fflush(stdout);
  return rc;
}
