/* The subcommands implemented in tools/ itself (the others live in host/<module>/). */
#ifndef CARDFORGE_TOOLS_COMMANDS_H
#define CARDFORGE_TOOLS_COMMANDS_H

#include "cardforge/cli.h"

int cf_cmd_readers(const cf_cli_global *g, int argc, char **argv);
int cf_cmd_apdu(const cf_cli_global *g, int argc, char **argv);
int cf_cmd_audit(const cf_cli_global *g, int argc, char **argv);
int cf_cmd_hsm(const cf_cli_global *g, int argc, char **argv);
int cf_cmd_sim(const cf_cli_global *g, int argc, char **argv);

#endif
