/* `cardforge readers`: the PC/SC readers, which of them hold a card, and its ATR. */
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/hex.h"
#include "cardforge/pcsc.h"
#include "commands.h"

static const cf_cli_command readers_command = {
    "readers",
    NULL,
    "",
    0,
    "",
    "list the PC/SC readers and the cards in them",
    "Lists the PC/SC readers, numbered as --reader accepts them, one a line:\n"
    "  N: NAME (card, ATR HEX)   or   N: NAME (no card)\n"
    "Exit codes: 0 listed, 4 PC/SC failure or no reader.\n"};

int cf_cmd_readers(const cf_cli_global *g, int argc, char **argv) {
  static cf_cli_opts opts;
  cf_cli_global global;
  char err[256];
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
