/* Helpers shared by the `cardforge` subcommands beyond cli.h: where state lives, directories. */
#ifndef CARDFORGE_CLICOMMON_H
#define CARDFORGE_CLICOMMON_H

#include <stddef.h>

/* The host state directory: $CARDFORGE_HOME, else $XDG_DATA_HOME/cardforge, else
 * $HOME/.local/share/cardforge. Returns 0, or -1 when none of these variables is set (or the
 * path does not fit in cap). */
int cf_cli_default_state_dir(char *out, size_t cap);

/* Creates path and its missing parents (mode 0700 for new ones). Returns 0 or -1 (errno set). */
int cf_cli_mkdirs(const char *path);

#endif
