/* The measuring harness shared by the bench programs (header only: every C file in bench/ is a
 * program of its own).
 *
 * A scenario is an operation run many times. Timed mode runs it in batches of about 2 ms until
 * the time budget is spent and reports the median time per operation over the batches (robust
 * against a noisy neighbour), the fastest batch, the 90th percentile and the throughput.
 * Fixed mode (--iters N, used under callgrind) runs exactly N operations after a short warm-up
 * and brackets them with callgrind client requests (zero, dump "program/scenario/kind/N"), so the
 * instruction count of those N operations alone lands in its own dump; outside valgrind these
 * requests cost a few instructions.
 *
 * Every row goes to stdout and, with --csv, is appended to a CSV file shared by all programs. */
#ifndef CF_BENCH_HARNESS_H
#define CF_BENCH_HARNESS_H

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Without valgrind's headers the client requests are no-ops (and so are the counts). */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#endif
#endif
#ifndef BENCH_HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#endif

typedef struct bench_cfg {
  const char *program;
  const char *csv;    /* append rows here */
  const char *label;  /* free text for the CSV (build, machine) */
  const char *only;   /* run only scenarios whose name contains this */
  const char *skip;   /* and none whose name contains this */
  const char *reader; /* PC/SC reader: drive a card through pcscd instead of in-process */
  const char *store;  /* in-process cards: "memory" (default) or a directory for card files */
  double seconds;     /* time budget per measurement */
  double batch_us;    /* length of one timed batch (default 2000 us) */
  long iters;         /* > 0: fixed count (callgrind) */
  bool list;          /* print scenario names and exit */
} bench_cfg;

typedef struct bench_stats {
  long ops;
  double median_us, min_us, p90_us, per_s;
  double ratio; /* against the floor: median of the per-round ratios (0: no floor) */
} bench_stats;

/* What a row promises. */
typedef enum { BENCH_NO_TARGET, BENCH_MAX_US, BENCH_MAX_RATIO, BENCH_MIN_PER_S } bench_target_kind;
typedef struct bench_target {
  bench_target_kind kind;
  double value;
  const char *path; /* the only path it applies to ("inproc": memory stores, in process); NULL: all */
} bench_target;

static const char bench_common_usage[] =
    "  --seconds S   time budget per measurement (default 0.4)\n"
    "  --batch-us U  length of one timed batch in microseconds (default 2000)\n"
    "  --iters N     run exactly N operations per measurement (for callgrind)\n"
    "  --only TEXT   run only the scenarios whose name contains TEXT\n"
    "  --skip TEXT   skip the scenarios whose name contains TEXT\n"
    "  --list        print the scenario names\n"
    "  --csv FILE    append the rows to FILE (header written when it is new)\n"
    "  --label TEXT  free text for the CSV rows\n";

static inline double bench_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline void bench_die(const char *program, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", program);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

/* Parses the common options; extra_opts lists the program's own (each takes a value and is
 * stored into *extra_vals in order). Exits on --help or an error. */
static inline void bench_parse(bench_cfg *cfg, const char *program, const char *usage, int argc, char **argv,
                               const char *const *extra_opts, const char **extra_vals) {
  memset(cfg, 0, sizeof *cfg);
  cfg->program = program;
  cfg->label = "";
  cfg->store = "memory";
  cfg->seconds = 0.4;
  cfg->batch_us = 2000.0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      fputs(bench_common_usage, stdout);
      exit(0);
    }
    if (strcmp(a, "--list") == 0) {
      cfg->list = true;
      continue;
    }
    if (v == NULL) {
      fprintf(stderr, "%s: %s needs a value (see --help)\n", program, a);
      exit(2);
    }
    i++;
    if (strcmp(a, "--csv") == 0) {
      cfg->csv = v;
    } else if (strcmp(a, "--label") == 0) {
      cfg->label = v;
    } else if (strcmp(a, "--only") == 0) {
      cfg->only = v;
    } else if (strcmp(a, "--skip") == 0) {
      cfg->skip = v;
    } else if (strcmp(a, "--reader") == 0 || strcmp(a, "-r") == 0) {
      cfg->reader = v;
    } else if (strcmp(a, "--store") == 0) {
      cfg->store = v;
    } else if (strcmp(a, "--seconds") == 0) {
      cfg->seconds = strtod(v, NULL);
      if (!(cfg->seconds > 0.0 && cfg->seconds <= 60.0)) {
        fprintf(stderr, "%s: --seconds wants 0 < S <= 60\n", program);
        exit(2);
      }
    } else if (strcmp(a, "--batch-us") == 0) {
      cfg->batch_us = strtod(v, NULL);
      if (!(cfg->batch_us >= 1.0 && cfg->batch_us <= 1e6)) {
        fprintf(stderr, "%s: --batch-us wants 1..1000000\n", program);
        exit(2);
      }
    } else if (strcmp(a, "--iters") == 0) {
      cfg->iters = strtol(v, NULL, 10);
      if (cfg->iters < 1 || cfg->iters > 100000000) {
        fprintf(stderr, "%s: --iters wants 1..100000000\n", program);
        exit(2);
      }
    } else {
      bool known = false;
      for (size_t k = 0; extra_opts != NULL && extra_opts[k] != NULL; k++) {
        if (strcmp(a, extra_opts[k]) == 0) {
          extra_vals[k] = v;
          known = true;
        }
      }
      if (!known) {
        fprintf(stderr, "%s: unknown option %s (see --help)\n", program, a);
        exit(2);
      }
    }
  }
}

/* Whether a scenario runs (and with --list, prints its name instead). */
static inline bool bench_selected(const bench_cfg *cfg, const char *scenario) {
  if (cfg->only != NULL && strstr(scenario, cfg->only) == NULL) return false;
  if (cfg->skip != NULL && strstr(scenario, cfg->skip) != NULL) return false;
  if (cfg->list) {
    printf("%s\n", scenario);
    return false;
  }
  return true;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static inline double bench_percentile(const double *sorted, size_t n, double p) {
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return sorted[i < n ? i : n - 1];
}

/* One operation: returns 0, or -1 (the run stops with the message the op printed). */
typedef int (*bench_fn)(void *ctx);

#define BENCH_MAX_BATCHES 4096

/* A measurement in progress: per-operation times of batches of about 2 ms. */
typedef struct bench_series {
  bench_fn fn;
  void *ctx;
  long batch;
  long ops;
  double busy_us;
  size_t n;
  double samples[BENCH_MAX_BATCHES];
} bench_series;

/* Warm-up (the first calls pay for lazy initialisation: algorithm fetches, page faults) and
 * batch size. Returns 0 or -1. */
static inline int bench_series_start(bench_series *s, bench_fn fn, void *ctx, double batch_us) {
  memset(s, 0, sizeof *s);
  s->fn = fn;
  s->ctx = ctx;
  double t0 = bench_now_us();
  if (fn(ctx) != 0) return -1;
  double first = bench_now_us() - t0;
  int calib = first > 20000.0 ? 1 : 5;
  t0 = bench_now_us();
  for (int i = 0; i < calib; i++)
    if (fn(ctx) != 0) return -1;
  double one = (bench_now_us() - t0) / calib;
  s->batch = one >= batch_us ? 1 : (long)(batch_us / (one > 0.01 ? one : 0.01));
  return 0;
}

static inline int bench_series_sample(bench_series *s) {
  if (s->n == BENCH_MAX_BATCHES) return 0;
  double b0 = bench_now_us();
  for (long i = 0; i < s->batch; i++)
    if (s->fn(s->ctx) != 0) return -1;
  double dt = bench_now_us() - b0;
  s->busy_us += dt;
  s->ops += s->batch;
  s->samples[s->n++] = dt / (double)s->batch;
  return 0;
}

static inline void bench_series_stats(bench_series *s, bench_stats *st) {
  qsort(s->samples, s->n, sizeof(double), bench_cmp_double);
  st->ops = s->ops;
  st->median_us = bench_percentile(s->samples, s->n, 0.5);
  st->min_us = s->samples[0];
  st->p90_us = bench_percentile(s->samples, s->n, 0.9);
  st->per_s = (double)s->ops / (s->busy_us / 1e6);
}

/* Fixed mode: exactly cfg->iters operations after two warm-up calls, in their own callgrind dump
 * named program/scenario/kind/iters. */
static inline int bench_fixed(const bench_cfg *cfg, const char *name, const char *kind, bench_fn fn,
                              void *ctx, bench_stats *st) {
  memset(st, 0, sizeof *st);
  if (fn(ctx) != 0 || fn(ctx) != 0) return -1;
  char dump[256];
  snprintf(dump, sizeof dump, "%s/%s/%s/%ld", cfg->program, name, kind, cfg->iters);
  CALLGRIND_ZERO_STATS;
  double start = bench_now_us();
  for (long i = 0; i < cfg->iters; i++)
    if (fn(ctx) != 0) return -1;
  double total = bench_now_us() - start;
  CALLGRIND_DUMP_STATS_AT(dump);
  st->ops = cfg->iters;
  st->median_us = st->min_us = st->p90_us = total / (double)cfg->iters;
  st->per_s = (double)cfg->iters / (total / 1e6);
  return 0;
}

/* Measures op and, when given, its floor. The two are sampled in alternation (one batch of each
 * per round, a batch lasting about cfg->batch_us) so that a busy machine slows both alike and their ratio
 * stays meaningful. A slow operation gets at least 3 samples and stops at 4x the budget. Returns 0 or -1. */
static inline int bench_measure2(const bench_cfg *cfg, const char *name, bench_fn op, void *op_ctx,
                                 bench_fn floor_fn, void *floor_ctx, bench_stats *st, bench_stats *fl) {
  if (cfg->iters > 0) {
    if (bench_fixed(cfg, name, "op", op, op_ctx, st) != 0 ||
        (floor_fn != NULL && bench_fixed(cfg, name, "floor", floor_fn, floor_ctx, fl) != 0))
      return -1;
    st->ratio = floor_fn != NULL ? st->median_us / fl->median_us : 0.0;
    return 0;
  }
  bench_series *a = malloc(sizeof *a), *b = floor_fn ? malloc(sizeof *b) : NULL;
  int rc = -1;
  if (a == NULL || (floor_fn != NULL && b == NULL)) goto out;
  if (bench_series_start(a, op, op_ctx, cfg->batch_us) != 0 ||
      (b != NULL && bench_series_start(b, floor_fn, floor_ctx, cfg->batch_us) != 0))
    goto out;
  double budget = cfg->seconds * 1e6;
  for (;;) {
    if (bench_series_sample(a) != 0 || (b != NULL && bench_series_sample(b) != 0)) goto out;
    double busy = a->busy_us + (b ? b->busy_us : 0.0);
    if (a->n >= 5 && busy >= budget) break;
    if (a->n >= 3 && busy > 4.0 * budget) break;
    if (a->n == BENCH_MAX_BATCHES) break;
  }
  st->ratio = 0.0;
  if (b != NULL) {
    /* a round pairs an op batch with the floor batch run right after it: the median of the
     * rounds' ratios cancels what drifts between rounds (another process, the CPU's clock) */
    size_t pairs = a->n < b->n ? a->n : b->n;
    double *ratios = malloc(sizeof(double) * (pairs ? pairs : 1));
    if (ratios == NULL) goto out;
    for (size_t i = 0; i < pairs; i++)
      ratios[i] = a->samples[i] / b->samples[i];
    qsort(ratios, pairs, sizeof(double), bench_cmp_double);
    st->ratio = bench_percentile(ratios, pairs, 0.5);
    free(ratios);
    bench_series_stats(b, fl);
  }
  double ratio = st->ratio;
  bench_series_stats(a, st);
  st->ratio = ratio;
  rc = 0;
out:
  free(a);
  free(b);
  return rc;
}

static inline const char *bench_target_text(const bench_target *t, char *buf, size_t cap) {
  switch (t->kind) {
  case BENCH_MAX_US:
    snprintf(buf, cap, "<%gus", t->value);
    break;
  case BENCH_MAX_RATIO:
    snprintf(buf, cap, "<=%gx floor", t->value);
    break;
  case BENCH_MIN_PER_S:
    snprintf(buf, cap, ">=%g/s", t->value);
    break;
  default:
    snprintf(buf, cap, "-");
  }
  return buf;
}

static inline const char *bench_verdict(const bench_target *t, const bench_stats *st, double ratio) {
  switch (t->kind) {
  case BENCH_MAX_US:
    return st->median_us < t->value ? "pass" : "MISS";
  case BENCH_MAX_RATIO:
    return ratio > 0.0 && ratio <= t->value ? "pass" : "MISS";
  case BENCH_MIN_PER_S:
    return 1e6 / st->median_us >= t->value ? "pass" : "MISS";
  default:
    return "-";
  }
}

/* One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static inline void bench_csv_field(FILE *f, const char *s) {
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static inline void bench_header(void) {
  printf("%-46s %-9s %10s %10s %12s %10s %7s  %-13s %s\n", "scenario", "path", "median us", "min us", "per s",
         "floor us", "ratio", "target", "verdict");
}

/* Prints and records one row. unit: what one operation is ("apdu", "op", "card"). floor may be
 * NULL; the ratio is the median of the paired rounds' ratios. note: free text (CSV only). */
static inline void bench_row(const bench_cfg *cfg, const char *scenario, const char *path, const char *unit,
                             const bench_stats *st, const bench_stats *floor, const bench_target *target,
                             const char *note) {
  static const bench_target none = {BENCH_NO_TARGET, 0, NULL};
  if (target == NULL || (target->path != NULL && strcmp(target->path, path) != 0)) target = &none;
  double ratio = floor != NULL ? st->ratio : 0.0;
  char tt[32], fl[32], ra[32];
  const char *verdict = bench_verdict(target, st, ratio);
  if (cfg->iters > 0) verdict = "-"; /* fixed-count runs (callgrind) judge nothing */
  snprintf(fl, sizeof fl, floor ? "%.2f" : "-", floor ? floor->median_us : 0.0);
  snprintf(ra, sizeof ra, floor ? "%.2f" : "-", ratio);
  printf("%-46s %-9s %10.2f %10.2f %12.0f %10s %7s  %-13s %s\n", scenario, path, st->median_us, st->min_us,
         1e6 / st->median_us, fl, ra, bench_target_text(target, tt, sizeof tt), verdict);
  fflush(stdout);
  if (cfg->csv == NULL) return;
  FILE *f = fopen(cfg->csv, "a+");
  if (f == NULL) {
    fprintf(stderr, "%s: %s: %s\n", cfg->program, cfg->csv, strerror(errno));
    return;
  }
  fseek(f, 0, SEEK_END);
  if (ftell(f) == 0)
    fputs("utc,program,scenario,path,unit,ops,median_us,min_us,p90_us,per_s,floor_us,ratio,target,verdict,"
          "label,note\n",
          f);
  char stamp[32], ops[32], num[5][32];
  time_t now = time(NULL);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  snprintf(ops, sizeof ops, "%ld", st->ops);
  snprintf(num[0], sizeof num[0], "%.3f", st->median_us);
  snprintf(num[1], sizeof num[1], "%.3f", st->min_us);
  snprintf(num[2], sizeof num[2], "%.3f", st->p90_us);
  snprintf(num[3], sizeof num[3], "%.1f", 1e6 / st->median_us);
  const char *fields[] = {stamp,
                          cfg->program,
                          scenario,
                          path,
                          unit,
                          ops,
                          num[0],
                          num[1],
                          num[2],
                          num[3],
                          floor ? fl : "",
                          floor ? ra : "",
                          bench_target_text(target, tt, sizeof tt),
                          verdict,
                          cfg->label,
                          note ? note : ""};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (i) fputc(',', f);
    bench_csv_field(f, fields[i]);
  }
  fputc('\n', f);
  fclose(f);
}

static inline void bench_scale(bench_stats *st, double units) {
  st->median_us /= units;
  st->min_us /= units;
  st->p90_us /= units;
  st->per_s *= units;
  st->ops = (long)((double)st->ops * units);
}

/* Measures op and (when given) its floor, and prints the row; one call of op does units
 * operations of the row's unit (a batch of cards), and the figures are per unit. Returns 0 or -1. */
static inline int bench_run_n(const bench_cfg *cfg, const char *scenario, const char *path, const char *unit,
                              double units, bench_fn op, void *op_ctx, bench_fn floor_fn, void *floor_ctx,
                              const bench_target *target, const char *note) {
  bench_stats st, fl;
  if (bench_measure2(cfg, scenario, op, op_ctx, floor_fn, floor_ctx, &st, &fl) != 0) {
    fprintf(stderr, "%s: %s failed\n", cfg->program, scenario);
    return -1;
  }
  bench_scale(&st, units);
  if (floor_fn != NULL) bench_scale(&fl, units);
  bench_row(cfg, scenario, path, unit, &st, floor_fn ? &fl : NULL, target, note);
  return 0;
}

static inline int bench_run(const bench_cfg *cfg, const char *scenario, const char *path, const char *unit,
                            bench_fn op, void *op_ctx, bench_fn floor_fn, void *floor_ctx,
                            const bench_target *target, const char *note) {
  return bench_run_n(cfg, scenario, path, unit, 1.0, op, op_ctx, floor_fn, floor_ctx, target, note);
}

#endif
