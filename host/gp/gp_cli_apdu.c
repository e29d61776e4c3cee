/* `cardforge gp apdu`: any command APDU to the Security Domain, with --secure through the secure
 * channel the channel options open (wrapped at the chosen level, the answer unwrapped and its
 * R-MAC verified): GlobalPlatformPro's --apdu and --secure-apdu. */
#include <stdio.h>
#include <string.h>

#include "cardforge/hex.h"
#include "cardforge/sw.h"
#include "gp_cli_internal.h"

typedef struct apdu_state {
  gp_run *r;
  bool check;
  int number;
} apdu_state;

/* Sends one APDU given as text. Returns -1 to go on, or an exit code to stop with. */
static int send_text(apdu_state *st, const char *text) {
  uint8_t raw[261], resp[512];
  char hex[1025];
  cf_apdu cmd;
  long len = cf_hex_decode(text, raw, sizeof raw);
  st->number++;
  if (len < 4 || cf_apdu_parse(raw, (size_t)len, &cmd) != SW_OK) {
    cf_cli_error("gp apdu %d: not a short command APDU in hex: \"%.60s\"", st->number, text);
    return CF_EXIT_USAGE;
  }
  /* the secure channel sets the class's SM bit and the logical channel stays the caller's */
  size_t rlen = 0;
  uint16_t sw = 0;
  int rc = cf_gp_transmit(&st->r->c, &cmd, 0, resp, sizeof resp, &rlen, &sw);
  if (rc != CF_GP_OK) return gp_cli_report(&st->r->c, rc);
  if (rlen) {
    cf_hex_encode(resp, rlen, hex);
    printf("%s ", hex);
  }
  printf("%04X (%s)\n", sw, cf_sw_meaning(sw));
  fflush(stdout);
  if (st->check && sw != SW_OK) {
    char what[32];
    snprintf(what, sizeof what, "gp apdu %d", st->number);
    cf_cli_card_error(what, sw);
    return CF_EXIT_CARD;
  }
  return -1;
}

static int send_line(void *st, const char *line) {
  return send_text(st, line);
}

static int cmd_apdu(void *ctx) {
  gp_run *r = ctx;
  const char *file = cf_cli_opts_value(&r->opts, "--file");
  apdu_state st = {.r = r, .check = !cf_cli_opts_given(&r->opts, "--no-check")};
  if (r->opts.operands == 0 && file == NULL) {
    cf_cli_error("gp apdu: no APDU given (see cardforge gp apdu --help)");
    return CF_EXIT_USAGE;
  }
  if (cf_cli_opts_given(&r->opts, "--secure")) {
    int code = gp_cli_open_channel(&r->c, &r->o);
    if (code != CF_EXIT_OK) return code;
  }
  int rc = -1;
  for (int i = 0; rc < 0 && i < r->opts.operands; i++)
    rc = send_text(&st, r->opts.operand[i]);
  if (rc < 0 && file != NULL) rc = cf_cli_apdu_script(file, "gp apdu", send_line, &st);
  return rc < 0 ? CF_EXIT_OK : rc;
}

const cf_cli_command gp_apdu_commands[] = {
    {"apdu", cmd_apdu, "--secure|-s --file|-f=FILE --no-check", -1,
     "[--secure] [--file FILE] [--no-check] HEX... [channel options]",
     "send APDUs to the Security Domain, with --secure through the secure channel",
     "Selects the Security Domain, then sends each HEX (a short command APDU; spaces and colons\n"
     "allowed) and the lines of FILE (one APDU a line, '#' comments, \"-\": standard input), one\n"
     "line per answer: \"DATA SW (meaning)\". With --secure a secure channel is opened first (the\n"
     "channel options: keys, --level ...) and every APDU is wrapped at its level (C-MAC, C-DEC) and\n"
     "every answer unwrapped (R-MAC verified, R-ENC decrypted): give the APDUs plain, class 80 or 00.\n"
     "Exit 3 at the first status word other than 9000 (the APDUs after it are not sent), unless\n"
     "--no-check.\n"},
};
const size_t gp_apdu_command_count = sizeof gp_apdu_commands / sizeof gp_apdu_commands[0];
