/* `cardforge gp info` and `gp keys`: what a card tells without (or, when it insists, with) a secure
 * channel: the Security Domain, card recognition data, CPLC and the key information template; as
 * text, or with --json as one document (docs/cli.md). */
#include <stdio.h>

#include "cardforge/json_out.h"
#include "cardforge/tlv.h"
#include "gp_cli_internal.h"

static void print_keys(const cf_gp_key_info *ki, size_t n) {
  printf("KVN  ID  TYPE  LENGTH\n");
  for (size_t i = 0; i < n; i++)
    printf("%02X   %02X  %-5s %u%s\n", ki[i].kvn, ki[i].id, cf_gp_key_type_name(ki[i].type), ki[i].len,
           ki[i].extended ? " (extended)" : "");
}

/* [{kvn, id, type, length, extended}], KVN and id as two hex digits as the text shows them. */
static json_t *keys_json(const cf_gp_key_info *ki, size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < n; i++) {
    json_t *k = json_pack("{s:o, s:o, s:s, s:i, s:b}", "kvn", cf_json_hex(&ki[i].kvn, 1), "id",
                          cf_json_hex(&ki[i].id, 1), "type", cf_gp_key_type_name(ki[i].type), "length",
                          (int)ki[i].len, "extended", ki[i].extended);
    if (k == NULL || json_array_append_new(list, k) != 0) {
      json_decref(list);
      list = NULL;
    }
  }
  return list;
}

/* GET DATA 00E0, first without a channel; cards that want one get it. With doc, the keys go into
 * it as "keys" instead of being printed. */
static int show_keys(cf_gp_client *c, const gp_opts *o, bool with_header, json_t *doc) {
  uint8_t buf[1024];
  size_t len = 0;
  int rc = cf_gp_get_data(c, 0x00E0, buf, sizeof buf, &len);
  if (rc == CF_GP_ERR_CARD && c->last_sw == 0x6982) {
    int erc = gp_cli_open_channel(c, o);
    if (erc != CF_EXIT_OK) return erc;
    rc = cf_gp_get_data(c, 0x00E0, buf, sizeof buf, &len);
  }
  if (rc != CF_GP_OK) return gp_cli_report(c, rc);
  cf_gp_key_info ki[64];
  size_t n = 0;
  if (cf_gp_parse_key_info(buf, len, ki, 64, &n) != 0) {
    cf_cli_error("key information template is malformed");
    return CF_EXIT_CARD;
  }
  if (doc != NULL) {
    json_object_set_new(doc, "keys", keys_json(ki, n));
    return CF_EXIT_OK;
  }
  if (with_header) printf("Key information:\n");
  print_keys(ki, n);
  return CF_EXIT_OK;
}

/* With --json (doc), the document is printed only when the command succeeded; a failure is its
 * error object. Without, code as it is. */
static int emit(json_t *doc, int code) {
  if (doc == NULL) return code;
  if (code != CF_EXIT_OK) {
    json_decref(doc);
    return code;
  }
  if (cf_json_emit(doc) != 0) {
    cf_cli_error("cannot print the JSON document");
    return CF_EXIT_INTERNAL;
  }
  return CF_EXIT_OK;
}

int gp_cli_cmd_info(void *ctx) {
  gp_run *r = ctx;
  cf_gp_client *c = &r->c;
  json_t *doc = cf_cli_opts_given(&r->opts, "--json") ? json_object() : NULL;
  uint8_t buf[512];
  size_t len = 0;
  if (doc != NULL) {
    json_object_set_new(doc, "security_domain",
                        c->sd_aid_len ? cf_json_hex(c->sd_aid, c->sd_aid_len) : json_null());
  } else {
    printf("Security Domain: ");
    gp_cli_print_hex(c->sd_aid, c->sd_aid_len);
    printf("%s\n", c->sd_aid_len ? "" : "(default selection)");
  }
  int rc = cf_gp_get_data(c, 0x0066, buf, sizeof buf, &len);
  cf_gp_card_data cd;
  if (rc == CF_GP_ERR_TRANSPORT) return emit(doc, gp_cli_report(c, rc));
  bool have_cd = rc == CF_GP_OK && cf_gp_parse_card_data(buf, len, &cd) == 0;
  if (doc != NULL) {
    json_t *scps = json_array();
    for (size_t i = 0; have_cd && i < cd.scp_count; i++)
      json_array_append_new(scps, json_pack("{s:o, s:o}", "scp", cf_json_hex(&cd.scp[i], 1), "i",
                                            cf_json_hex(&cd.scp_i[i], 1)));
    json_object_set_new(doc, "gp_version",
                        have_cd && cd.gp_version[0] ? json_string(cd.gp_version) : json_null());
    json_object_set_new(doc, "secure_channel_protocols", scps);
  } else if (have_cd) {
    printf("GlobalPlatform version: %s\n", cd.gp_version[0] ? cd.gp_version : "(not given)");
    printf("Secure channel protocols:");
    for (size_t i = 0; i < cd.scp_count; i++)
      printf(" SCP%02X i=%02X", cd.scp[i], cd.scp_i[i]);
    printf("%s\n", cd.scp_count ? "" : " (not given)");
  } else {
    printf("Card recognition data: (not available)\n");
  }
  rc = cf_gp_get_data(c, 0x9F7F, buf, sizeof buf, &len);
  if (rc == CF_GP_ERR_TRANSPORT) return emit(doc, gp_cli_report(c, rc));
  if (doc != NULL) {
    /* the 42 bytes of CPLC, without the 9F7F header GET DATA answers with */
    cf_tlv t;
    const uint8_t *cplc = buf;
    if (rc == CF_GP_OK && len != 42 && cf_tlv_read(buf, len, &t) && t.tag == 0x9F7F) {
      cplc = t.value;
      len = t.len;
    }
    json_object_set_new(doc, "cplc", rc == CF_GP_OK ? cf_json_hex(cplc, len) : json_null());
  } else if (rc == CF_GP_OK) {
    printf("CPLC:\n");
    if (cf_gp_print_cplc(buf, len, stdout) != 0) printf("  (malformed, %zu bytes)\n", len);
  } else {
    printf("CPLC: (not available)\n");
  }
  return emit(doc, show_keys(c, &r->o, true, doc));
}

int gp_cli_cmd_keys(void *ctx) {
  gp_run *r = ctx;
  json_t *doc = cf_cli_opts_given(&r->opts, "--json") ? json_object() : NULL;
  return emit(doc, show_keys(&r->c, &r->o, false, doc));
}
