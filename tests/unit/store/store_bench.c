/* Figures for docs/storage.md (not a test): read latency and commit latency per back end.
 * usage: store_bench [dir ...]   (file stores are created in each dir; default /tmp) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/store.h"

#define RECORDS 300

/* Keeps the compiler from dropping the timed reads. */
static volatile size_t bench_sink;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void fill(cf_store *s) {
  uint8_t buf[512];
  memset(buf, 0xA5, sizeof(buf));
  cf_store_begin(s);
  for (uint32_t i = 0; i < RECORDS; i++)
    cf_store_put(s, CF_STORE_KEY(1 + i / 100, i), buf, 16 + (i * 37) % 400);
  if (cf_store_commit(s) != CF_STORE_OK) {
    fprintf(stderr, "fill failed\n");
    exit(1);
  }
}

static void bench_reads(cf_store *s, const char *label) {
  uint8_t buf[512];
  size_t len;
  const int rounds = 2000000;
  double t0 = now_ns();
  for (int i = 0; i < rounds; i++) {
    uint32_t r = ((uint32_t)i * 7919u) % RECORDS;
    cf_store_get(s, CF_STORE_KEY(1 + r / 100, r), buf, sizeof(buf), &len);
    bench_sink += len;
  }
  double get_ns = (now_ns() - t0) / rounds;
  t0 = now_ns();
  for (int i = 0; i < rounds; i++) {
    uint32_t r = ((uint32_t)i * 7919u) % RECORDS;
    bench_sink += cf_store_peek(s, CF_STORE_KEY(1 + r / 100, r), &len)[0];
  }
  double peek_ns = (now_ns() - t0) / rounds;
  printf("%-28s get %6.1f ns   peek %6.1f ns   (%d records)\n", label, get_ns, peek_ns, RECORDS);
}

/* A typical command: decrement a counter and update one small record. */
static void bench_commits(cf_store *s, const char *label) {
  enum { N = 2000 };
  static double t[N];
  uint8_t counter = 0, data[32] = {0};
  long w0 = cf_store_write_count(s);
  for (int i = 0; i < N; i++) {
    counter++;
    data[0] = (uint8_t)i;
    double t0 = now_ns();
    cf_store_begin(s);
    cf_store_put(s, CF_STORE_KEY(9, 1), &counter, 1);
    cf_store_put(s, CF_STORE_KEY(9, 2), data, sizeof(data));
    if (cf_store_commit(s) != CF_STORE_OK) {
      fprintf(stderr, "commit failed\n");
      exit(1);
    }
    t[i] = now_ns() - t0;
  }
  qsort(t, N, sizeof(t[0]), cmp_double);
  printf("%-28s commit of 2 small records: median %7.1f us  p99 %7.1f us  (%.1f physical writes each)\n",
         label, t[N / 2] / 1e3, t[N * 99 / 100] / 1e3, (double)(cf_store_write_count(s) - w0) / N);
}

int main(int argc, char **argv) {
  cf_store *s;
  cf_store_open_memory(&s);
  fill(s);
  bench_reads(s, "memory");
  bench_commits(s, "memory");
  cf_store_close(s);

  const char *default_dirs[] = {"/tmp"};
  const char **dirs = argc > 1 ? (const char **)argv + 1 : default_dirs;
  int ndirs = argc > 1 ? argc - 1 : 1;
  for (int d = 0; d < ndirs; d++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/cf-store-bench-%ld.card", dirs[d], (long)getpid());
    double t0 = now_ns();
    if (cf_store_open_file(path, &s) != CF_STORE_OK) {
      fprintf(stderr, "cannot open %s\n", path);
      return 1;
    }
    fill(s);
    cf_store_close(s);
    t0 = now_ns();
    cf_store_open_file(path, &s);
    printf("file %-23s open + load of %d records: %.1f us\n", dirs[d], RECORDS, (now_ns() - t0) / 1e3);
    char label[64];
    snprintf(label, sizeof(label), "file %s", dirs[d]);
    bench_reads(s, label);
    bench_commits(s, label);
    cf_store_close(s);
    unlink(path);
  }
  return 0;
}
