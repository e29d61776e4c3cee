/* `cardforge readers`: the PC/SC readers, which of them hold a card, and its ATR. */
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "cardforge/pcsc.h"
#include "commands.h"

static const cf_cli_command readers_command = {
    "readers",
    NULL,
    "--json",
    0,
    "[--json]",
    "list the PC/SC readers and the cards in them",
    "Lists the PC/SC readers, numbered as --reader accepts them, one a line:\n"
    "  N: NAME (card, ATR HEX)   or   N: NAME (no card)\n"
    "--json prints one JSON document instead (docs/cli.md), errors as JSON on stderr.\n"
    "Exit codes: 0 listed, 4 PC/SC failure or no reader.\n"};

/* {"readers": [{"index": 0, "name": "...", "card": true, "atr": "3B..."}, ...]} */
static int print_json(const cf_pcsc_reader *readers, int count) {
  json_t *list = json_array();
  for (int i = 0; list && i < count; i++) {
    json_t *r =
        json_pack("{s:i, s:s, s:b}", "index", i, "name", readers[i].name, "card", readers[i].has_card);
    if (r && readers[i].has_card)
      json_object_set_new(r, "atr", cf_json_hex(readers[i].atr, readers[i].atr_len));
    if (!r || json_array_append_new(list, r) != 0) {
      json_decref(list);
      list = NULL;
    }
  }
  if (cf_json_emit(list ? json_pack("{s:o}", "readers", list) : NULL) != 0) {
    cf_cli_error("readers: cannot write the JSON document");
    return CF_EXIT_INTERNAL;
  }
  return CF_EXIT_OK;
}

int cf_cmd_readers(const cf_cli_global *g, int argc, char **argv) {
  static cf_cli_opts opts;
  cf_cli_global global;
  char err[256];
  cf_json_requested(argc, argv);
  int code = cf_cli_parse_single(&readers_command, g, argc, argv, &opts, 1, &global, err, sizeof err);
  if (code >= 0) {
    if (err[0] != '\0') cf_cli_error("readers: %s", err);
    return code;
  }
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  int count = cf_pcsc_readers(readers, CF_PCSC_MAX_READERS, err, sizeof err);
  if (count < 0) {
    cf_cli_error("%s", err);
    return CF_EXIT_TRANSPORT;
  }
  if (count == 0) {
    cf_cli_error("no PC/SC reader found");
    return CF_EXIT_TRANSPORT;
  }
  if (cf_cli_opts_given(&opts, "--json")) return print_json(readers, count);
  for (int i = 0; i < count; i++) {
    if (readers[i].has_card) {
      char atr[2 * CF_PCSC_MAX_ATR + 1];
      cf_hex_encode(readers[i].atr, readers[i].atr_len, atr);
      printf("%d: %s (card, ATR %s)\n", i, readers[i].name, atr);
    } else {
      printf("%d: %s (no card)\n", i, readers[i].name);
    }
  }
  return CF_EXIT_OK;
}
