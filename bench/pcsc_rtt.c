/* Round-trip time of one short APDU through pcscd + vpcd to an emulated card (the loopback card
 * by default): a plain pcsc-lite client, so the figure is what any PC/SC application sees.
 * Prints min / median / p90 / p99 / max and APDUs per second, and appends a CSV line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "cardforge/hex.h"
#include "cardforge/pcsc.h"

static const char usage[] =
    "usage: bench_pcsc_rtt [-r READER] [-n N] [-w WARMUP] [--apdu HEX] [--csv FILE] [--label TEXT]\n"
    "  -r READER     reader name, number or part of the name (default: first with a card)\n"
    "  -n N          measured exchanges (default 10000)\n"
    "  -w WARMUP     exchanges before measuring (default 500)\n"
    "  --apdu HEX    the command (default 8002000808: loopback, 8 bytes back); must answer 9000\n"
    "  --csv FILE    append one line of results to FILE (header written when it is new)\n"
    "  --label TEXT  free text for the CSV line (build type, machine...)\n"
    "Run it against `cardforge sim --card loopback`, e.g. under tests/integration/lib/cf-pcsc-env.\n";

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p) {
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return sorted[i < n ? i : n - 1];
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int choose_reader(const char *want, char *name, size_t cap) {
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  char err[256];
  int count = cf_pcsc_readers(readers, CF_PCSC_MAX_READERS, err, sizeof err);
  if (count < 0) {
    fprintf(stderr, "bench_pcsc_rtt: %s\n", err);
    return -1;
  }
  const char *names[CF_PCSC_MAX_READERS];
  bool has_card[CF_PCSC_MAX_READERS];
  for (int i = 0; i < count; i++) {
    names[i] = readers[i].name;
    has_card[i] = readers[i].has_card;
  }
  int idx = cf_pcsc_match_reader(names, has_card, count, want, err, sizeof err);
  if (idx < 0) {
    fprintf(stderr, "bench_pcsc_rtt: %s\n", err);
    return -1;
  }
  snprintf(name, cap, "%s", names[idx]);
  return 0;
}

static void append_csv(const char *path, const char *label, const char *apdu_hex, long n, const double *s,
                       double per_s) {
  FILE *f = fopen(path, "a+");
  if (f == NULL) {
    fprintf(stderr, "bench_pcsc_rtt: %s: %s\n", path, strerror(errno));
    return;
  }
  fseek(f, 0, SEEK_END);
  if (ftell(f) == 0) fputs("utc,client,label,apdu,n,min_us,median_us,p90_us,p99_us,max_us,apdu_per_s\n", f);
  char stamp[32];
  time_t t = time(NULL);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  fprintf(f, "%s,c-pcsclite,%s,%s,%ld,%.1f,%.1f,%.1f,%.1f,%.1f,%.0f\n", stamp, label, apdu_hex, n,
          percentile(s, (size_t)n, 0), percentile(s, (size_t)n, 0.5), percentile(s, (size_t)n, 0.9),
          percentile(s, (size_t)n, 0.99), percentile(s, (size_t)n, 1), per_s);
  fclose(f);
}

int main(int argc, char **argv) {
  const char *reader = NULL, *csv = NULL, *label = "", *apdu_hex = "8002000808";
  long n = 10000, warmup = 500;
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (v == NULL) {
      fprintf(stderr, "bench_pcsc_rtt: %s needs a value\n", a);
      return 2;
    }
    if (strcmp(a, "-r") == 0)
      reader = v;
    else if (strcmp(a, "-n") == 0)
      n = strtol(v, NULL, 10);
    else if (strcmp(a, "-w") == 0)
      warmup = strtol(v, NULL, 10);
    else if (strcmp(a, "--apdu") == 0)
      apdu_hex = v;
    else if (strcmp(a, "--csv") == 0)
      csv = v;
    else if (strcmp(a, "--label") == 0)
      label = v;
    else {
      fprintf(stderr, "bench_pcsc_rtt: unknown option %s (see --help)\n", a);
      return 2;
    }
  }
  uint8_t cmd[261];
  long cmd_len = cf_hex_decode(apdu_hex, cmd, sizeof cmd);
  if (n < 1 || n > 10000000 || warmup < 0 || cmd_len < 4) {
    fprintf(stderr, "bench_pcsc_rtt: bad -n, -w or --apdu\n");
    return 2;
  }
  SCARDCONTEXT ctx;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
  if (rv != SCARD_S_SUCCESS) {
    fprintf(stderr, "bench_pcsc_rtt: %s\n", cf_pcsc_describe(rv));
    return 4;
  }
  char name[128];
  SCARDHANDLE card;
  DWORD proto;
  if (choose_reader(reader, name, sizeof name) != 0) return 4;
  rv = SCardConnect(ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
  if (rv != SCARD_S_SUCCESS) {
    fprintf(stderr, "bench_pcsc_rtt: %s: %s\n", name, cf_pcsc_describe(rv));
    return 4;
  }
  const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  double *samples = malloc(sizeof(double) * (size_t)n);
  if (samples == NULL) return 1;
  uint8_t resp[258];
  double start = 0;
  for (long i = -warmup; i < n; i++) {
    if (i == 0) start = now_us();
    DWORD rlen = sizeof resp;
    double t0 = now_us();
    rv = SCardTransmit(card, pci, cmd, (DWORD)cmd_len, NULL, resp, &rlen);
    double t1 = now_us();
    if (rv != SCARD_S_SUCCESS || rlen < 2 || resp[rlen - 2] != 0x90 || resp[rlen - 1] != 0x00) {
      fprintf(stderr, "bench_pcsc_rtt: exchange %ld failed: %s\n", i + warmup,
              rv != SCARD_S_SUCCESS ? cf_pcsc_describe(rv) : "status word is not 9000");
      return 3;
    }
    if (i >= 0) samples[i] = t1 - t0;
  }
  double total_s = (now_us() - start) / 1e6;
  qsort(samples, (size_t)n, sizeof(double), cmp_double);
  double per_s = (double)n / total_s;
  printf("reader   %s\napdu     %s (%ld exchanges, %ld warm-up)\n", name, apdu_hex, n, warmup);
  printf("%10s %10s %10s %10s %10s %12s\n", "min us", "median us", "p90 us", "p99 us", "max us", "APDU/s");
  printf("%10.1f %10.1f %10.1f %10.1f %10.1f %12.0f\n", percentile(samples, (size_t)n, 0),
         percentile(samples, (size_t)n, 0.5), percentile(samples, (size_t)n, 0.9),
         percentile(samples, (size_t)n, 0.99), percentile(samples, (size_t)n, 1), per_s);
  if (csv != NULL) append_csv(csv, label, apdu_hex, n, samples, per_s);
  free(samples);
  SCardDisconnect(card, SCARD_LEAVE_CARD);
  SCardReleaseContext(ctx);
  return 0;
}
