/* `cardforge gp` card content commands: install, make-selectable, load, delete and store-data
 * (GP Card Specification 2.3.1, 11.2, 11.5, 11.6, 11.11), and the table row of list
 * (gp_cli_list.c). Each opens the secure channel the channel options describe. Option names
 * follow GlobalPlatformPro's (--package, --applet, --create, --privs, --params) where it has one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/crypto.h"
#include "cardforge/gp_cap.h"
#include "cardforge/hex.h"
#include "cardforge/sw.h"
#include "gp_cli_internal.h"

/* The one AID word a command takes. */
static int aid_word(const gp_run *r, const char *what, uint8_t aid[16], size_t *len) {
  if (r->opts.operands != 1) {
    cf_cli_error("gp %s: give the AID (see cardforge gp %s --help)", what, what);
    return CF_EXIT_USAGE;
  }
  return gp_cli_aid(what, r->opts.operand[0], aid, len);
}

static int aid_option(const gp_run *r, const char *name, uint8_t aid[16], size_t *len) {
  const char *v = cf_cli_opts_value(&r->opts, name);
  *len = 0;
  return v ? gp_cli_aid(name, v, aid, len) : CF_EXIT_OK;
}

static int read_cap(const char *path, cf_gp_cap *cap) {
  char err[256];
  if (cf_gp_cap_read(path, cap, err, sizeof err) != 0) {
    cf_cli_error("%s", err);
    return CF_EXIT_FILE;
  }
  return CF_EXIT_OK;
}

/* LOAD of a CAP file through the open channel. */
static int load_cap(const cf_cli_global *g, cf_gp_client *c, const cf_gp_cap *cap, const cf_cli_opts *opts) {
  const char *block = cf_cli_opts_value(opts, "--block");
  size_t block_len = 0;
  if (block != NULL) {
    char *end;
    unsigned long v = strtoul(block, &end, 10);
    if (*block == 0 || *end || v < 16 || v > 239) {
      cf_cli_error("--block: the bytes of a LOAD block, 16 to 239 (decimal)");
      return CF_EXIT_USAGE;
    }
    block_len = v;
  }
  bool hash = cf_cli_opts_given(opts, "--hash");
  int rc = cf_gp_load(c, cap->package_aid, cap->package_aid_len, NULL, 0, cap->lfdb, cap->lfdb_len, hash,
                      block_len);
  int code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
  cf_audit_record(g, NULL, "gp load", c->last_sw, code, "{s:s,s:s,s:i,s:b}", "sd_aid",
                  cf_audit_hex(c->sd_aid, c->sd_aid_len), "package",
                  cf_audit_hex(cap->package_aid, cap->package_aid_len), "bytes", (int)cap->lfdb_len, "hash",
                  hash);
  if (code != CF_EXIT_OK) return code;
  printf("Loaded ");
  gp_cli_print_hex(cap->package_aid, cap->package_aid_len);
  printf(" (%zu bytes%s)\n", cap->lfdb_len, cf_cli_opts_given(opts, "--hash") ? ", SHA-256 checked" : "");
  return CF_EXIT_OK;
}

static int cmd_load(void *ctx) {
  gp_run *r = ctx;
  cf_gp_cap cap = {0};
  const char *path = cf_cli_opts_value(&r->opts, "--cap");
  if (path == NULL) {
    cf_cli_error("gp load: --cap FILE is required");
    return CF_EXIT_USAGE;
  }
  int code = read_cap(path, &cap);
  if (code == CF_EXIT_OK) code = gp_cli_open_channel(&r->c, &r->o);
  if (code == CF_EXIT_OK) code = load_cap(&r->global, &r->c, &cap, &r->opts);
  cf_gp_cap_free(&cap);
  return code;
}

/* --privs: 1 or 3 bytes of hex, or privilege names separated by commas ("CardLock,CardTerminate",
 * GlobalPlatformPro's spelling, or "card-lock"); names beyond the first byte make it 3 bytes. */
static int privileges_option(const char *text, cf_gp_install_req *req) {
  size_t n = strlen(text);
  if ((n == 2 || n == 6) && strspn(text, "0123456789abcdefABCDEF") == n)
    return gp_cli_hex("--privs", text, 1, req->privileges, 3, &req->privileges_len);
  uint8_t p[3] = {0};
  size_t len = 1;
  for (const char *name = text; *name;) {
    size_t k = strcspn(name, ",");
    int bit = cf_gp_privilege_bit(name, k);
    if (bit < 0) {
      cf_cli_error("--privs: unknown privilege \"%.*s\" (1 or 3 bytes of hex, or names such as CardLock, "
                   "AuthorizedManagement; `cardforge gp install --help`)",
                   (int)k, name);
      return CF_EXIT_USAGE;
    }
    p[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
    if (bit >= 8) len = 3;
    name += k + (name[k] == ',');
  }
  memcpy(req->privileges, p, len);
  req->privileges_len = len;
  return CF_EXIT_OK;
}

static int cmd_install(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  const cf_cli_opts *opts = &r->opts;
  cf_gp_cap cap = {0};
  uint8_t package[16], applet[16], instance[16], c9[127];
  size_t package_len = 0, applet_len = 0, instance_len = 0, c9_len = 0;
  cf_gp_install_req req = {.selectable = !cf_cli_opts_given(opts, "--not-selectable")};
  const char *path = cf_cli_opts_value(opts, "--cap");
  int code;
  if ((code = aid_option(r, "--package", package, &package_len)) != CF_EXIT_OK ||
      (code = aid_option(r, "--applet", applet, &applet_len)) != CF_EXIT_OK ||
      (code = aid_option(r, "--create", instance, &instance_len)) != CF_EXIT_OK)
    return code;
  const char *privs = cf_cli_opts_value(opts, "--privs"), *params = cf_cli_opts_value(opts, "--params");
  if (privs && (code = privileges_option(privs, &req)) != CF_EXIT_OK) return code;
  if (params && (code = gp_cli_hex("--params", params, 0, c9, sizeof c9, &c9_len)) != CF_EXIT_OK) return code;
  if (path != NULL) {
    if ((code = read_cap(path, &cap)) != CF_EXIT_OK) return code;
    if (package_len &&
        (package_len != cap.package_aid_len || memcmp(package, cap.package_aid, package_len))) {
      cf_cli_error("--package does not name the package of %s", path);
      cf_gp_cap_free(&cap);
      return CF_EXIT_USAGE;
    }
    memcpy(package, cap.package_aid, package_len = cap.package_aid_len);
    if (!applet_len && cap.applet_count != 1) {
      cf_cli_error("%s has %zu applets: name one with --applet", path, cap.applet_count);
      cf_gp_cap_free(&cap);
      return CF_EXIT_USAGE;
    }
    if (!applet_len) memcpy(applet, cap.applet_aid[0], applet_len = cap.applet_aid_len[0]);
  }
  if (!package_len || !applet_len) {
    cf_cli_error("gp install: give --package and --applet, or --cap FILE");
    cf_gp_cap_free(&cap);
    return CF_EXIT_USAGE;
  }
  if (!instance_len) memcpy(instance, applet, instance_len = applet_len);
  code = gp_cli_open_channel(c, &r->o);
  if (code == CF_EXIT_OK && path != NULL) code = load_cap(&r->global, c, &cap, opts);
  cf_gp_cap_free(&cap);
  if (code != CF_EXIT_OK) return code;
  req.elf_aid = package, req.elf_aid_len = package_len;
  req.module_aid = applet, req.module_aid_len = applet_len;
  req.app_aid = instance, req.app_aid_len = instance_len;
  req.c9 = c9, req.c9_len = c9_len;
  int rc = cf_gp_install(c, &req);
  code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
  cf_audit_record(&r->global, NULL, "gp install", c->last_sw, code, "{s:s,s:s,s:s,s:s,s:s,s:b}", "sd_aid",
                  cf_audit_hex(c->sd_aid, c->sd_aid_len), "package", cf_audit_hex(package, package_len),
                  "module", cf_audit_hex(applet, applet_len), "instance",
                  cf_audit_hex(instance, instance_len), "privileges",
                  req.privileges_len ? cf_audit_hex(req.privileges, req.privileges_len) : "00", "selectable",
                  req.selectable);
  if (code != CF_EXIT_OK) return code;
  printf("Installed ");
  gp_cli_print_hex(instance, instance_len);
  printf(" (module ");
  gp_cli_print_hex(applet, applet_len);
  printf(" of ");
  gp_cli_print_hex(package, package_len);
  printf("), %s\n", req.selectable ? "SELECTABLE" : "INSTALLED");
  return CF_EXIT_OK;
}

static int cmd_make_selectable(void *ctx) {
  gp_run *r = ctx;
  uint8_t aid[16];
  size_t len = 0;
  int code = aid_word(r, "make-selectable", aid, &len);
  if (code == CF_EXIT_OK) code = gp_cli_open_channel(&r->c, &r->o);
  if (code != CF_EXIT_OK) return code;
  int rc = cf_gp_make_selectable(&r->c, aid, len);
  if (rc != CF_GP_OK) return gp_cli_report(&r->c, rc);
  printf("SELECTABLE ");
  gp_cli_print_hex(aid, len);
  printf("\n");
  return CF_EXIT_OK;
}

static int cmd_delete(void *ctx) {
  gp_run *r = ctx;
  uint8_t aid[16];
  size_t len = 0;
  bool related = cf_cli_opts_given(&r->opts, "--related");
  int code = aid_word(r, "delete", aid, &len);
  if (code == CF_EXIT_OK) code = gp_cli_open_channel(&r->c, &r->o);
  if (code != CF_EXIT_OK) return code;
  int rc = cf_gp_delete_aid(&r->c, aid, len, related);
  code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(&r->c, rc);
  cf_audit_record(&r->global, NULL, "gp delete", r->c.last_sw, code, "{s:s,s:s,s:b}", "sd_aid",
                  cf_audit_hex(r->c.sd_aid, r->c.sd_aid_len), "aid", cf_audit_hex(aid, len), "related",
                  related);
  if (code != CF_EXIT_OK) return code;
  printf("Deleted ");
  gp_cli_print_hex(aid, len);
  printf("%s\n", related ? " and its related objects" : "");
  return CF_EXIT_OK;
}

/* INSTALL [for personalization], then one STORE DATA per --data, numbered from 00, the last with
 * P1 b8 (GP 2.3.1 11.11.2.1). */
static int cmd_store_data(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  uint8_t aid[16], data[255], resp[256];
  size_t len = 0, n = 0, rlen = 0;
  int p1 = 0, blocks = cf_cli_opts_count(&r->opts, "--data");
  int code = aid_word(r, "store-data", aid, &len);
  if (code != CF_EXIT_OK) return code;
  const char *p1_text = cf_cli_opts_value(&r->opts, "--p1");
  if (p1_text != NULL) {
    char *end;
    long v = strtol(p1_text, &end, 16);
    if (*p1_text == 0 || *end || v < 0 || v > 0x7F) {
      cf_cli_error("--p1: hex 00..7F (b8, the last block, is set on the last --data)");
      return CF_EXIT_USAGE;
    }
    p1 = (int)v;
  }
  if (blocks < 1 || blocks > 256) {
    cf_cli_error("gp store-data: give the data, --data HEX once per block");
    return CF_EXIT_USAGE;
  }
  for (int b = 0; b < blocks; b++)
    if ((code = gp_cli_hex("--data", cf_cli_opts_value_at(&r->opts, "--data", b), 1, data, sizeof data,
                           &n)) != CF_EXIT_OK)
      return code;
  if ((code = gp_cli_open_channel(c, &r->o)) != CF_EXIT_OK) return code;
  int rc = cf_gp_install_for_personalization(c, aid, len);
  for (int b = 0; rc == CF_GP_OK && b < blocks; b++) {
    gp_cli_hex("--data", cf_cli_opts_value_at(&r->opts, "--data", b), 1, data, sizeof data, &n);
    uint8_t block_p1 = (uint8_t)(p1 | (b == blocks - 1 ? 0x80 : 0x00));
    rc = cf_gp_store_data(c, block_p1, (uint8_t)b, data, n, resp, sizeof resp, &rlen);
    if (rc == CF_GP_OK) {
      printf("STORE DATA %02X %02X: ", block_p1, b);
      gp_cli_print_hex(resp, rlen);
      printf("%s9000\n", rlen ? " " : "");
    }
  }
  code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
  /* the blocks' count only: personalisation data may hold keys */
  cf_audit_record(&r->global, NULL, "gp store-data", c->last_sw, code, "{s:s,s:s,s:i}", "sd_aid",
                  cf_audit_hex(c->sd_aid, c->sd_aid_len), "aid", cf_audit_hex(aid, len), "blocks", blocks);
  cf_wipe(data, sizeof data);
  return code;
}

/* name, handler, options (cardforge/cli_opts.h), words, usage, summary, help */
const cf_cli_command gp_content_commands[] = {
    {"list", gp_cli_cmd_list, "--json", 0, "[--json] [channel options]",
     "GET STATUS: the ISD, applications, load files and modules (opens a channel)",
     "One line per registry entry: ISD, APP (applications and Security Domains) and ELF (executable\n"
     "load files, each with its modules), with its life cycle state and privileges (named below the\n"
     "line when any is set) and an application's load file. The TLV format of GET STATUS first, the\n"
     "deprecated one on cards that refuse it.\n"},
    {"install", cmd_install,
     "--package=AID --applet=AID --create=AID --privs=PRIVS --params=HEX --cap=FILE --hash --block=N "
     "--not-selectable",
     0,
     "(--package AID --applet AID | --cap FILE [--applet AID]) [--create AID] [--privs PRIVS]\n"
     "[--params HEX] [--not-selectable] [channel options]",
     "INSTALL [for install and make selectable] an application from a load file's module",
     "--package is the load file (executable load file AID), --applet its module, --create the new\n"
     "instance's AID (default: the module's). With --cap the CAP file is loaded first (INSTALL [for\n"
     "load] + LOAD, --hash and --block as for load) and gives the package and, when it has one applet,\n"
     "the module. --privs: 1 or 3 bytes of privileges in hex (default 00) or their names, e.g.\n"
     "CardLock,CardTerminate (GlobalPlatformPro's spelling; `gp list` shows them).\n"
     "--params: the application's install parameters (tag C9), hex; cardforge's applications take\n"
     "text options, so the hex of \"version=3.2\" is their C9. --not-selectable: INSTALL [for\n"
     "install] only (then make-selectable).\n"
     "cardforge's emulated cards instantiate only the packages built into cardforge (docs/gp.md).\n"},
    {"make-selectable", cmd_make_selectable, "", 1, "AID [channel options]",
     "INSTALL [for make selectable] an installed application", NULL},
    {"load", cmd_load, "--cap=FILE --hash --block=N", 0, "--cap FILE [--hash] [--block N] [channel options]",
     "INSTALL [for load] + LOAD of a CAP file's load file data block",
     "FILE is a CAP file (the ZIP a Java Card converter writes) or a bare load file data block (an\n"
     "IJC file). The package AID comes from its Header component. --hash sends the block's SHA-256\n"
     "in INSTALL [for load]; --block N cuts it into LOADs of N bytes (default 200, at most 239).\n"},
    {"delete", cmd_delete, "--related", 1, "AID [--related] [channel options]",
     "DELETE an application or a load file (--related: with its applications)", NULL},
    {"store-data", cmd_store_data, "--data+HEX --p1=HEX", 1, "AID --data HEX [--data HEX]... [--p1 HEX]",
     "INSTALL [for personalization] + STORE DATA blocks to an application",
     "Each --data is one STORE DATA block (P2 its number from 00); --p1 the data structure and\n"
     "encryption bits (default 00), b8 set on the last block. Each block's answer is printed.\n"},
};
const size_t gp_content_command_count = sizeof gp_content_commands / sizeof gp_content_commands[0];
