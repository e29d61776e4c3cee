/* GlobalPlatformPro's spellings on a `cardforge gp` command line: its command flags become
 * cardforge's command words and its diversification flags the channel option, so a line such as
 * `gp --emv --key HEX --delete AID` or `gp -l` means what it means to a GlobalPlatformPro user
 * (tool/src/main/java/pro/javacard/gptool/GPCommandLineInterface.java names them). Nothing else
 * changes: the rewritten line is parsed by the one parser, so mixing a flag with a command word,
 * or two command flags, is the usual usage error. */
#include <stdlib.h>
#include <string.h>

#include "gp_cli_internal.h"

static const struct {
  const char *flag;
  const char *words[2]; /* what it becomes; the flag's own value, if any, follows */
} aliases[] = {
    {"-l", {"list", NULL}},
    {"--list", {"list", NULL}},
    {"--delete", {"delete", NULL}},
    {"--lock-applet", {"lock", NULL}},
    {"--unlock-applet", {"unlock", NULL}},
    {"--lock-card", {"lock-card", NULL}},
    {"--unlock-card", {"unlock-card", NULL}},
    {"--initialize-card", {"initialize-card", NULL}},
    {"--secure-card", {"secure-card", NULL}},
    {"--install", {"install", "--cap"}},
    {"--load", {"load", "--cap"}},
    {"--emv", {"--diversify", "emv"}},
    {"--visa2", {"--diversify", "visa2"}},
    {"--kdf3", {"--diversify", "kdf3"}},
};

char **gp_cli_gppro_aliases(int argc, char **argv, int *out_argc) {
  char **out = calloc((size_t)argc * 2 + 1, sizeof *out);
  int n = 0;
  if (out == NULL) return NULL;
  for (int i = 0; i < argc; i++) {
    size_t a = 0;
    /* argv[0] is the family's name; after "--" everything is a word */
    if (i > 0 && strcmp(argv[i], "--") == 0) {
      while (i < argc)
        out[n++] = argv[i++];
      break;
    }
    while (i > 0 && a < sizeof aliases / sizeof aliases[0] && strcmp(argv[i], aliases[a].flag) != 0)
      a++;
    if (i == 0 || a == sizeof aliases / sizeof aliases[0]) {
      out[n++] = argv[i];
      continue;
    }
    for (int w = 0; w < 2 && aliases[a].words[w]; w++)
      out[n++] = (char *)aliases[a].words[w];
  }
  out[n] = NULL;
  *out_argc = n;
  return out;
}
