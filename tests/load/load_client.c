/* cf_load_client KIND READER SECONDS ID: one load client (see load.h). Prints one result line:
 *   result KIND READER ID apdus=N operations=N failures=N updates=N last=N [first failure]
 * and exits 0 when no operation failed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

void load_fail(load_result *r, const char *fmt, ...) {
  if (r->failures++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->first_failure, sizeof r->first_failure, fmt, ap);
    va_end(ap);
  }
}

uint32_t load_rand(uint32_t *state) {
  /* xorshift32: reproducible command mixes, not cryptography */
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

double load_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: cf_load_client loopback|keycard|gp READER SECONDS ID\n");
    return 2;
  }
  load_opts o = {.reader = argv[2], .seconds = atof(argv[3]), .id = (unsigned)atoi(argv[4])};
  load_result r;
  memset(&r, 0, sizeof r);
  r.last_value = -1;
  int rc;
  if (strcmp(argv[1], "loopback") == 0) {
    rc = load_loopback(&o, &r);
  } else if (strcmp(argv[1], "keycard") == 0) {
    rc = load_keycard(&o, &r);
  } else if (strcmp(argv[1], "gp") == 0) {
    rc = load_gp(&o, &r);
  } else {
    fprintf(stderr, "cf_load_client: unknown kind %s\n", argv[1]);
    return 2;
  }
  if (rc != 0 && r.failures == 0) load_fail(&r, "client could not start");
  printf("result %s %s %u apdus=%llu operations=%llu failures=%llu updates=%llu last=%lld%s%s\n", argv[1],
         o.reader, o.id, (unsigned long long)r.apdus, (unsigned long long)r.operations,
         (unsigned long long)r.failures, (unsigned long long)r.updates, (long long)r.last_value,
         r.failures ? " first failure: " : "", r.failures ? r.first_failure : "");
  return r.failures ? 1 : 0;
}
