/* A plain command (no secure channel) on every card type, in process and through pcscd.
 *
 * In process, two rows per card: "card" is cf_card_transmit alone (the runtime and the applet),
 * "inproc" adds the host transport (cf_transceive over cf_transport_open_card), which is what a
 * program driving an emulated card pays. Target: a plain APDU under 2 us in process.
 *
 * Through pcscd (--reader R --card PROFILE), the same command on the card in reader R, and with
 *   --null-reader N  the same command on a card that does no work (bench_null_card) in reader N,
 *                    measured in alternation: the floor, with the target ours <= 1.10 x null;
 *   --peer-reader P  the same on another emulator (vsmartcard's vicc), reported as ours/theirs;
 *                    --peer-name names it in the row, --apdu HEX overrides the command;
 *   --floor-target X / --floor-name NAME  another target or name for the floor row (the IFD
 *                    handler's floor is its do-nothing twin, target 1.15: docs/performance.md);
 *   --peer-target X  a target for the peer row: ours/theirs <= X. */
#include "bench_cards.h"
#include "bench_harness.h"

#include "cardforge/hex.h"
#include "cardforge/registry.h"

static const char usage[] =
    "usage: bench_plain [options] [--reader R --card PROFILE [--null-reader N] [--peer-reader P]\n"
    "                   [--peer-name NAME] [--apdu HEX]]\n"
    "A plain APDU on each card type: runtime alone, in-process transport, or through pcscd.\n"
    "  --reader R        drive the card in PC/SC reader R (name, part of it, or index)\n"
    "  --card PROFILE    which card type is in that reader (its plain command is used)\n"
    "  --null-reader N   compare with the no-work card in reader N (target: ours <= 1.10 x)\n"
    "  --peer-reader P   compare with another emulator in reader P (ratio ours/theirs)\n"
    "  --peer-name NAME  how to name that emulator in the row (default: peer)\n"
    "  --apdu HEX        the command to send instead of the card type's own\n"
    "  --floor-target X  target ratio ours/floor for --null-reader (default 1.10)\n"
    "  --floor-name NAME how to name the floor card in the row (default: no-work card)\n"
    "  --peer-target X   target ratio ours/theirs for --peer-reader (default: none)\n";

/* The plain command of each card type: a read that changes nothing durable. select is the
 * SELECT to send first (NULL: the card's default application answers). */
typedef struct plain_cmd {
  const char *profile, *what, *apdu, *select;
} plain_cmd;

static const plain_cmd plain_cmds[] = {
    {"loopback", "GENERATE 8 bytes", "8002000808", NULL},
    {"keycard-applet", "SELECT (before INIT)", "00A4040009A00000080400010101", NULL},
    {"keycard", "SELECT of the wallet (before INIT)", "00A4040009A00000080400010101", NULL},
    {"gp", "GET DATA CPLC", "80CA9F7F00", "00A4040008A000000151000000"},
    {"kmc", "GET CHALLENGE", "F084000004", NULL},
    {"authcard", "GET CHALLENGE", "F084000004", NULL},
    {"workcard", "GET CHALLENGE", "F084000004", NULL},
    {"usercard", "GET CHALLENGE", "0084000004", NULL},
    {"sam", "GET CHALLENGE", "0084000004", NULL},
    {"terminal", "READ", "00B0000000", NULL},
};

typedef struct plain_ctx {
  const bench_cfg *cfg;
  cf_card *card;
  cf_transport *t;
  uint8_t cmd[261];
  size_t len;
  uint16_t want_sw;
  uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
} plain_ctx;

static int op_card(void *p) {
  plain_ctx *c = p;
  size_t n = cf_card_transmit(c->card, c->cmd, c->len, c->resp, sizeof c->resp);
  if (n < 2 || cf_be16(c->resp + n - 2) != c->want_sw) {
    fprintf(stderr, "%s: the card answered %04X\n", c->cfg->program, n >= 2 ? cf_be16(c->resp + n - 2) : 0);
    return -1;
  }
  return 0;
}

static int op_transport(void *p) {
  plain_ctx *c = p;
  size_t rlen = 0;
  uint16_t sw = 0;
  if (cf_transceive_raw(c->t, c->cmd, c->len, 0, c->resp, sizeof c->resp, &rlen, &sw) != 0) {
    fprintf(stderr, "%s: %s\n", c->cfg->program, c->t->err);
    return -1;
  }
  if (sw != c->want_sw) {
    fprintf(stderr, "%s: the card answered %04X, expected %04X\n", c->cfg->program, sw, c->want_sw);
    return -1;
  }
  return 0;
}

/* Sends the command once and remembers the status word every later exchange must repeat (a peer
 * emulator may answer a command it does not know with an error: still one full round trip). */
static int prepare(plain_ctx *c, const bench_cfg *cfg, cf_transport *t, const char *apdu_hex) {
  memset(c, 0, sizeof *c);
  c->cfg = cfg;
  c->t = t;
  long n = cf_hex_decode(apdu_hex, c->cmd, sizeof c->cmd);
  if (n < 4) {
    fprintf(stderr, "%s: bad APDU %s\n", cfg->program, apdu_hex);
    return -1;
  }
  c->len = (size_t)n;
  size_t rlen = 0;
  if (cf_transceive_raw(t, c->cmd, c->len, 0, c->resp, sizeof c->resp, &rlen, &c->want_sw) != 0) {
    fprintf(stderr, "%s: %s\n", cfg->program, t->err);
    return -1;
  }
  return 0;
}

static int select_first(const bench_cfg *cfg, cf_transport *t, const plain_cmd *pc) {
  if (pc->select == NULL) return 0;
  uint8_t sel[64];
  long n = cf_hex_decode(pc->select, sel, sizeof sel);
  return bench_expect(cfg, t, sel, (size_t)n, 0x9000, "SELECT");
}

static const plain_cmd *find_cmd(const char *profile) {
  for (size_t i = 0; i < sizeof plain_cmds / sizeof plain_cmds[0]; i++)
    if (strcmp(plain_cmds[i].profile, profile) == 0) return &plain_cmds[i];
  return NULL;
}

static int run_inproc(const bench_cfg *cfg) {
  static const bench_target under_2us = {BENCH_MAX_US, 2.0, "inproc"};
  size_t count = 0;
  const cf_card_profile *const *profiles = cf_card_profiles(&count);
  int rc = 0;
  for (size_t i = 0; i < count; i++) {
    const plain_cmd *pc = find_cmd(profiles[i]->name);
    if (pc == NULL) {
      fprintf(stderr, "%s: no plain command known for card type %s (skipped)\n", cfg->program,
              profiles[i]->name);
      continue;
    }
    char name_card[160], name_tx[160];
    snprintf(name_card, sizeof name_card, "plain %s %s (runtime only)", pc->profile, pc->what);
    snprintf(name_tx, sizeof name_tx, "plain %s %s", pc->profile, pc->what);
    bool want_card = bench_selected(cfg, name_card), want_tx = bench_selected(cfg, name_tx);
    if (!want_card && !want_tx) continue;
    bench_card bc;
    plain_ctx *c = malloc(sizeof *c);
    if (c == NULL || bench_card_emulated(cfg, pc->profile, "", pc->profile, &bc) != 0) {
      free(c);
      rc = 3;
      continue;
    }
    if (select_first(cfg, bc.t, pc) == 0 && prepare(c, cfg, bc.t, pc->apdu) == 0) {
      c->card = bc.card;
      if (c->want_sw != 0x9000) {
        fprintf(stderr, "%s: %s answered %04X to its plain command\n", cfg->program, pc->profile, c->want_sw);
        rc = 3;
      } else {
        if (want_card && bench_run(cfg, name_card, "card", "apdu", op_card, c, NULL, NULL, NULL,
                                   "cf_card_transmit only") != 0)
          rc = 3;
        if (want_tx && bench_run(cfg, name_tx, bench_path(cfg), "apdu", op_transport, c, NULL, NULL,
                                 &under_2us, "cf_transceive_raw over cf_transport_open_card") != 0)
          rc = 3;
      }
    } else {
      rc = 3;
    }
    free(c);
    bench_card_close(&bc);
  }
  return rc;
}

typedef struct pcsc_opts {
  const char *null_reader, *peer_reader, *peer_name, *apdu, *floor_name;
  double floor_target, peer_target; /* 0: none */
} pcsc_opts;

static int run_pcsc(const bench_cfg *cfg, const char *profile, const pcsc_opts *po) {
  const char *null_reader = po->null_reader, *peer_reader = po->peer_reader, *peer_name = po->peer_name,
             *apdu = po->apdu;
  const plain_cmd *pc = profile ? find_cmd(profile) : NULL;
  if (pc == NULL && apdu == NULL) {
    fprintf(stderr, "%s: --reader needs --card PROFILE (one of the known types) or --apdu\n", cfg->program);
    return 2;
  }
  const char *hex = apdu ? apdu : pc->apdu;
  char scenario[200];
  snprintf(scenario, sizeof scenario, "plain %s %s", profile ? profile : "card", apdu ? hex : pc->what);
  bench_card ours, other;
  plain_ctx *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  int rc = 3;
  memset(&other, 0, sizeof other);
  if (a == NULL || b == NULL || bench_card_pcsc(cfg, cfg->reader, &ours) != 0) goto out;
  if ((pc != NULL && select_first(cfg, ours.t, pc) != 0) || prepare(a, cfg, ours.t, hex) != 0) goto close;
  const char *other_reader = null_reader ? null_reader : peer_reader;
  if (other_reader == NULL) {
    if (bench_selected(cfg, scenario) && bench_run(cfg, scenario, "pcsc", "apdu", op_transport, a, NULL, NULL,
                                                   NULL, "through pcscd + vpcd") != 0)
      goto close;
    rc = 0;
    goto close;
  }
  if (bench_card_pcsc(cfg, other_reader, &other) != 0 || prepare(b, cfg, other.t, hex) != 0) goto close;
  char row[260], note[200];
  const bench_target floor_target = {BENCH_MAX_RATIO, po->floor_target, "pcsc"};
  const bench_target peer_target = {BENCH_MAX_RATIO, po->peer_target, "pcsc"};
  const bench_target *target = null_reader ? &floor_target : po->peer_target > 0 ? &peer_target : NULL;
  if (null_reader != NULL) {
    snprintf(row, sizeof row, "%s vs %s", scenario, po->floor_name);
    snprintf(note, sizeof note, "floor = the same APDU to the %s (answers %04X at once)", po->floor_name,
             b->want_sw);
  } else {
    snprintf(row, sizeof row, "%s vs %s", scenario, peer_name);
    snprintf(note, sizeof note, "floor = %s answering the same APDU (%04X); ratio = ours/theirs", peer_name,
             b->want_sw);
  }
  if (bench_selected(cfg, row) &&
      bench_run(cfg, row, "pcsc", "apdu", op_transport, a, op_transport, b, target, note) != 0)
    goto close;
  rc = 0;
close:
  bench_card_close(&other);
  bench_card_close(&ours);
out:
  free(a);
  free(b);
  return rc;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--card",       "--null-reader", "--peer-reader",
                                      "--peer-name",  "--apdu",        "--floor-target",
                                      "--floor-name", "--peer-target", NULL};
  const char *vals[8] = {NULL, NULL, NULL, "peer", NULL, "1.10", "no-work card", "0"};
  bench_cfg cfg;
  bench_parse(&cfg, "bench_plain", usage, argc, argv, extra, vals);
  if (!cfg.list) bench_header();
  if (cfg.reader != NULL) {
    pcsc_opts po = {vals[1], vals[2], vals[3], vals[4], vals[6], atof(vals[5]), atof(vals[7])};
    if (!(po.floor_target > 0) || po.peer_target < 0) {
      fprintf(stderr, "bench_plain: --floor-target and --peer-target want positive ratios\n");
      return 2;
    }
    return run_pcsc(&cfg, vals[0], &po);
  }
  return run_inproc(&cfg);
}
