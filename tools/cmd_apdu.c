/* `cardforge apdu`: send command APDUs given in hex and print the answers. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/hex.h"
#include "cardforge/json_out.h"
#include "commands.h"

static const char apdu_help[] =
    "Sends each HEX argument as one command APDU (spaces and colons allowed inside) and prints\n"
    "one line per answer: \"DATA SW (meaning)\", DATA in hex, omitted when empty.\n"
    "All APDUs of one run (arguments and file) go in one PC/SC transaction: no other program's\n"
    "APDU comes between them. Unless every APDU was a plain read (SELECT, GET RESPONSE, READ\n"
    "BINARY/RECORD, GET DATA), the card is reset at the end, so a PIN verified or a session\n"
    "opened here does not outlive the run (docs/security.md).\n"
    "61XX is followed with GET RESPONSE and 6CXX by resending with the right Le, unless --raw.\n"
    "\n"
    "options:\n"
    "  -r, --reader R   reader: full name, number (see `cardforge readers`) or part of the name;\n"
    "                   default: the global --reader, else the first reader holding a card\n"
    "  -f, --file FILE  also read APDUs from FILE, one a line, '#' comments (\"-\": stdin)\n"
    "  --raw            do not follow 61XX / 6CXX\n"
    "  --reset          warm-reset the card before the first APDU\n"
    "  --no-check       send every APDU whatever the status words, and exit 0\n"
    "  --json           print one JSON document at the end instead (docs/cli.md): every APDU\n"
    "                   answered, also when one stops the run; errors as JSON on stderr\n"
    "  -h, --help       this help\n"
    "  --               every argument after it is an APDU\n"
    "\n"
    "Exit codes: 0 every APDU answered 9000 (with --raw, 61XX counts as success too), 2 bad\n"
    "hex or usage, 3 an APDU answered another status word (the APDUs after it are not sent),\n"
    "4 reader or PC/SC failure, 6 the file cannot be read, 7 another program reset or used\n"
    "the card during the run.\n";

static const cf_cli_command apdu_command = {"apdu",
                                            NULL,
                                            "--file|-f= --raw --reset --no-check --json",
                                            -1,
                                            "[OPTIONS] HEX...",
                                            "send command APDUs given in hex",
                                            apdu_help};

#define APDU_CMD_MAX (4 + 3 + 65535 + 3)
#define APDU_RESP_MAX 65536

typedef struct apdu_run {
  cf_transport *t;
  unsigned flags;
  bool check;
  int number;
  uint8_t *cmd, *resp;
  char *hex;
  json_t *answers; /* --json: the answers so far, else NULL */
} apdu_run;

/* --json: {"command": HEX, "data": HEX, "sw": "9000", "meaning": ...} appended to the answers. */
static int add_answer(apdu_run *r, size_t cmd_len, size_t rlen, uint16_t sw) {
  json_t *a = json_object();
  if (!a || json_object_set_new(a, "command", cf_json_hex(r->cmd, cmd_len)) != 0 ||
      json_object_set_new(a, "data", cf_json_hex(r->resp, rlen)) != 0 ||
      json_object_set_new(a, "sw", cf_json_sw(sw)) != 0 ||
      json_object_set_new(a, "meaning", json_string(cf_sw_meaning(sw))) != 0 ||
      json_array_append_new(r->answers, a) != 0) {
    json_decref(a);
    cf_cli_error("apdu: out of memory");
    return CF_EXIT_INTERNAL;
  }
  return -1;
}

/* Sends one APDU given as text. Returns -1 to go on, or an exit code to stop with. */
static int send_one(apdu_run *r, const char *text) {
  long len = cf_hex_decode(text, r->cmd, APDU_CMD_MAX);
  r->number++;
  if (len < 0) {
    cf_cli_error("apdu %d: not hex: \"%.60s\"", r->number, text);
    return CF_EXIT_USAGE;
  }
  if (len < 4) {
    cf_cli_error("apdu %d: a command APDU has at least 4 bytes (CLA INS P1 P2), got %ld", r->number, len);
    return CF_EXIT_USAGE;
  }
  size_t rlen = 0;
  uint16_t sw = 0;
  if (cf_transceive_raw(r->t, r->cmd, (size_t)len, r->flags, r->resp, APDU_RESP_MAX, &rlen, &sw) != 0) {
    cf_cli_error("apdu %d: %s", r->number, r->t->err);
    return cf_cli_transport_exit(r->t);
  }
  if (r->answers) {
    int rc = add_answer(r, (size_t)len, rlen, sw);
    if (rc >= 0) return rc;
  } else {
    if (rlen > 0) {
      cf_hex_encode(r->resp, rlen, r->hex);
      printf("%s ", r->hex);
    }
    printf("%04X (%s)\n", sw, cf_sw_meaning(sw));
    fflush(stdout);
  }
  bool ok = sw == 0x9000 || ((r->flags & CF_TX_RAW) && (sw >> 8) == 0x61);
  if (r->check && !ok) {
    char what[32];
    snprintf(what, sizeof what, "apdu %d", r->number);
    cf_cli_card_error(what, sw);
    return CF_EXIT_CARD;
  }
  return -1;
}

static int send_line(void *r, const char *line) {
  return send_one(r, line);
}

int cf_cmd_apdu(const cf_cli_global *g, int argc, char **argv) {
  static cf_cli_opts opts;
  cf_cli_global global;
  char err[256];
  bool json = cf_json_requested(argc, argv);
  int code = cf_cli_parse_single(&apdu_command, g, argc, argv, &opts, 1, &global, err, sizeof err);
  if (code >= 0) {
    if (err[0] != '\0') cf_cli_error("apdu: %s", err);
    return code;
  }
  const char *file = cf_cli_opts_value(&opts, "--file");
  bool reset = cf_cli_opts_given(&opts, "--reset");
  apdu_run r = {.check = !cf_cli_opts_given(&opts, "--no-check")};
  if (cf_cli_opts_given(&opts, "--raw")) r.flags |= CF_TX_RAW;
  if (opts.operands == 0 && file == NULL) {
    cf_cli_error("apdu: no APDU given (see cardforge apdu --help)");
    return CF_EXIT_USAGE;
  }
  r.cmd = malloc(APDU_CMD_MAX);
  r.resp = malloc(APDU_RESP_MAX);
  r.hex = malloc(2 * APDU_RESP_MAX + 1);
  if (json) r.answers = json_array();
  int rc = CF_EXIT_INTERNAL;
  if (r.cmd == NULL || r.resp == NULL || r.hex == NULL || (json && r.answers == NULL)) {
    cf_cli_error("apdu: out of memory");
    goto out;
  }
  code = CF_EXIT_TRANSPORT;
  r.t = cf_cli_connect_ex(&global, NULL, &code);
  if (r.t == NULL) {
    rc = code;
    goto out;
  }
  rc = -1;
  if (reset && r.t->ops->reset(r.t) != 0) {
    cf_cli_error("apdu: %s", r.t->err);
    rc = cf_cli_transport_exit(r.t);
  }
  for (int i = 0; rc < 0 && i < opts.operands; i++)
    rc = send_one(&r, opts.operand[i]);
  if (rc < 0 && file != NULL) rc = cf_cli_apdu_script(file, "apdu", send_line, &r);
  if (rc < 0) rc = CF_EXIT_OK;
  if (json) { /* what was answered, also when an APDU stopped the run (the error is on stderr) */
    json_t *doc = json_pack("{s:s, s:O}", "reader", r.t->name, "answers", r.answers);
    if (cf_json_emit(doc) != 0 && rc == CF_EXIT_OK) {
      cf_cli_error("apdu: cannot write the JSON document");
      rc = CF_EXIT_INTERNAL;
    }
  }
  cf_transport_close(r.t);
out:
  json_decref(r.answers);
  free(r.cmd);
  free(r.resp);
  free(r.hex);
  return rc;
}
