/* `cardforge readers`: the PC/SC readers, which of them hold a card, and its ATR. */
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/hex.h"
#include "cardforge/pcsc.h"
#include "commands.h"

static const char readers_usage[] =
    "usage: cardforge readers\n"
    "\n"
    "Lists the PC/SC readers, numbered as --reader accepts them, one a line:\n"
    "  N: NAME (card, ATR HEX)   or   N: NAME (no card)\n"
    "Exit codes: 0 listed, 4 PC/SC failure or no reader.\n";

int cf_cmd_readers(const cf_cli_global *g, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(readers_usage, stdout);
      return CF_EXIT_OK;
    }
    cf_cli_error("readers: unexpected argument \"%s\" (see cardforge readers --help)", argv[i]);
    return CF_EXIT_USAGE;
  }
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  char err[256];
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
  (void)g;
  return CF_EXIT_OK;
}
