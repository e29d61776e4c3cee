/* `cardforge gp list`: GET STATUS (GP Card Specification 2.3.1, 11.4) of the ISD, the
 * applications and Security Domains, and the executable load files with their modules, as text
 * (one line per entry, the privileges by name) or, with --json, one document (docs/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/json_out.h"
#include "cardforge/sw.h"
#include "gp_cli_internal.h"

#define LIST_MAX 64

/* GP 2.3.1 table 11-3 (card), 11-4 (applications and Security Domains), 11-2 (load files). */
static const char *life_cycle_name(uint8_t p1, uint8_t lc) {
  if (p1 == CF_GP_STATUS_ISD) {
    switch (lc) {
    case 0x01:
      return "OP_READY";
    case 0x07:
      return "INITIALIZED";
    case 0x0F:
      return "SECURED";
    case 0x7F:
      return "CARD_LOCKED";
    case 0xFF:
      return "TERMINATED";
    default:
      return "?";
    }
  }
  if (p1 != CF_GP_STATUS_APPS) return lc == 0x01 ? "LOADED" : "?";
  if ((lc & 0x83) == 0x83) return "LOCKED";
  switch (lc) {
  case 0x03:
    return "INSTALLED";
  case 0x07:
    return "SELECTABLE";
  case 0x0F:
    return "PERSONALIZED";
  default:
    return (lc & 0x07) == 0x07 ? "SELECTABLE (application-specific state)" : "?";
  }
}

/* GP 2.3.1 table 6-1: the name of privilege bit `bit` (0 = byte 1 b8), "RFU" for the reserved. */
static bool privilege_set(const cf_gp_registry_entry *e, size_t bit) {
  return bit < 8 * e->privileges_len && (e->privileges[bit / 8] & (0x80 >> (bit % 8)));
}

static const char *kind_of(uint8_t p1) {
  return p1 == CF_GP_STATUS_ISD ? "ISD" : p1 == CF_GP_STATUS_APPS ? "APP" : "ELF";
}

static void print_entries(uint8_t p1, const cf_gp_registry_entry *e, size_t n) {
  for (size_t i = 0; i < n && i < LIST_MAX; i++) {
    printf("%-4s ", kind_of(p1));
    gp_cli_print_hex(e[i].aid, e[i].aid_len);
    printf("  %s (%02X)", life_cycle_name(p1, e[i].life_cycle), e[i].life_cycle);
    if (p1 != CF_GP_STATUS_ELF && p1 != CF_GP_STATUS_ELF_MODULES) {
      printf("  privileges ");
      gp_cli_print_hex(e[i].privileges, e[i].privileges_len);
      printf("%s", e[i].privileges_len ? "" : "-");
    }
    if (e[i].elf_aid_len) {
      printf("  load file ");
      gp_cli_print_hex(e[i].elf_aid, e[i].elf_aid_len);
    }
    printf("\n");
    const char *sep = "     ";
    for (size_t bit = 0; bit < 24; bit++)
      if (privilege_set(&e[i], bit)) {
        printf("%s%s", sep, cf_gp_privilege_name(bit));
        sep = ", ";
      }
    if (sep[0] == ',') printf("\n");
    for (size_t m = 0; m < e[i].module_count && m < CF_GP_MODULES_MAX; m++) {
      printf("     module ");
      gp_cli_print_hex(e[i].module_aid[m], e[i].module_aid_len[m]);
      printf("\n");
    }
    if (e[i].module_count > CF_GP_MODULES_MAX)
      printf("     (%zu more modules)\n", e[i].module_count - CF_GP_MODULES_MAX);
  }
  if (n > LIST_MAX) printf("(%zu more not shown)\n", n - LIST_MAX);
}

/* Appends the entries to a JSON array: {kind, aid, life_cycle, state, privileges, privilege_names,
 * load_file, modules}; NULL members (out of memory) make the document NULL in cf_json_emit. */
static void add_json(json_t *list, uint8_t p1, const cf_gp_registry_entry *e, size_t n) {
  for (size_t i = 0; list && i < n && i < LIST_MAX; i++) {
    json_t *names = json_array(), *modules = json_array();
    for (size_t bit = 0; names && bit < 24; bit++)
      if (privilege_set(&e[i], bit)) json_array_append_new(names, json_string(cf_gp_privilege_name(bit)));
    for (size_t m = 0; modules && m < e[i].module_count && m < CF_GP_MODULES_MAX; m++)
      json_array_append_new(modules, cf_json_hex(e[i].module_aid[m], e[i].module_aid_len[m]));
    uint8_t lc = e[i].life_cycle;
    json_t *entry =
        json_pack("{s:s, s:o, s:o, s:s, s:o?, s:o?, s:o?, s:o?}", "kind", kind_of(p1), "aid",
                  cf_json_hex(e[i].aid, e[i].aid_len), "life_cycle", cf_json_hex(&lc, 1), "state",
                  life_cycle_name(p1, lc), "privileges",
                  e[i].privileges_len ? cf_json_hex(e[i].privileges, e[i].privileges_len) : NULL,
                  "privilege_names", names, "load_file",
                  e[i].elf_aid_len ? cf_json_hex(e[i].elf_aid, e[i].elf_aid_len) : NULL, "modules", modules);
    if (entry == NULL || json_array_append_new(list, entry) != 0) {
      json_array_clear(list);
      return;
    }
  }
}

/* GET STATUS of subset p1 into e[]; an ELF listing falls back from P1 10 to 20 on 6A86. */
static int get_subset(cf_gp_client *c, uint8_t *p1, bool tlv, cf_gp_registry_entry *e, size_t *n) {
  int rc = cf_gp_get_status(c, *p1, tlv, e, LIST_MAX, n);
  if (*p1 == CF_GP_STATUS_ELF_MODULES && rc == CF_GP_ERR_CARD && c->last_sw == SW_INCORRECT_P1P2 && c->open) {
    *p1 = CF_GP_STATUS_ELF;
    rc = cf_gp_get_status(c, *p1, tlv, e, LIST_MAX, n);
  }
  return rc;
}

/* The TLV format first, the deprecated one for cards that refuse it (6A86 to the ISD's); load
 * files alone (P1 20) for cards that do not list modules. */
int gp_cli_cmd_list(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  bool json = cf_cli_opts_given(&r->opts, "--json");
  cf_gp_registry_entry *e = calloc(LIST_MAX, sizeof *e);
  json_t *entries = json ? json_array() : NULL;
  int code = CF_EXIT_INTERNAL;
  if (e == NULL || (json && entries == NULL)) {
    cf_cli_error("gp list: out of memory");
    goto out;
  }
  if ((code = gp_cli_open_channel(c, &r->o)) != CF_EXIT_OK) goto out;
  bool tlv = true;
  size_t n = 0;
  int rc = cf_gp_get_status(c, CF_GP_STATUS_ISD, tlv, e, LIST_MAX, &n);
  if (rc == CF_GP_ERR_CARD && c->last_sw == SW_INCORRECT_P1P2 && c->open) {
    tlv = false;
    rc = cf_gp_get_status(c, CF_GP_STATUS_ISD, tlv, e, LIST_MAX, &n);
  }
  static const uint8_t subsets[3] = {CF_GP_STATUS_ISD, CF_GP_STATUS_APPS, CF_GP_STATUS_ELF_MODULES};
  for (size_t s = 0; rc == CF_GP_OK && s < 3; s++) {
    uint8_t p1 = subsets[s];
    if (s > 0) rc = get_subset(c, &p1, tlv, e, &n);
    if (rc != CF_GP_OK) break;
    if (json)
      add_json(entries, p1, e, n);
    else
      print_entries(p1, e, n);
  }
  code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(c, rc);
  if (code == CF_EXIT_OK && json) {
    json_t *doc =
        json_pack("{s:o, s:o}", "security_domain", cf_json_hex(c->sd_aid, c->sd_aid_len), "entries", entries);
    entries = NULL; /* the document holds it, or json_pack released it */
    if (cf_json_emit(doc) != 0) {
      cf_cli_error("gp list: the JSON document could not be written");
      code = CF_EXIT_INTERNAL;
    }
  }
out:
  json_decref(entries);
  free(e);
  return code;
}
