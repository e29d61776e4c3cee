/* The reader pool (host/common/reader_pool.c) and the batch journal (host/common/batch_journal.c):
 * every item run exactly once, in list order per worker; a failure stops only its worker; a stop
 * request stops every worker between items; the journal keeps exactly the cards added, refuses
 * another batch's file and a second user, and drops a line cut by a crash. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/batch_journal.h"
#include "cardforge/reader_pool.h"

#define ITEMS 200

typedef struct bench {
  pthread_mutex_t lock;
  int runs[ITEMS];      /* times each item ran */
  long order[8][ITEMS]; /* items each worker ran, in order */
  size_t count[8];
  long fail_item; /* this item fails (-1: none) */
  int stop_after; /* stop_requested says SIGINT once this many items ran (0: never) */
  int total;
} bench;

static bench *current;

static int run_item(void *arg, size_t worker, size_t item) {
  bench *b = arg;
  usleep(50); /* long enough for the workers to interleave */
  pthread_mutex_lock(&b->lock);
  b->runs[item]++;
  b->order[worker][b->count[worker]++] = (long)item;
  b->total++;
  pthread_mutex_unlock(&b->lock);
  return (long)item == b->fail_item ? -1 : 0;
}

static int stop_requested(void) {
  pthread_mutex_lock(&current->lock);
  int stop = current->stop_after && current->total >= current->stop_after ? SIGINT : 0;
  pthread_mutex_unlock(&current->lock);
  return stop;
}

static bench *bench_new(void) {
  bench *b = calloc(1, sizeof *b);
  pthread_mutex_init(&b->lock, NULL);
  b->fail_item = -1;
  current = b;
  return b;
}

static void bench_free(bench *b) {
  pthread_mutex_destroy(&b->lock);
  free(b);
}

static void each_item_once_in_order(void **state) {
  (void)state;
  for (size_t workers = 1; workers <= 8; workers *= 2) {
    bench *b = bench_new();
    uint8_t outcome[ITEMS];
    int worker_of[ITEMS];
    size_t done[8];
    cf_reader_pool p = {.items = ITEMS,
                        .workers = workers,
                        .run_item = run_item,
                        .arg = b,
                        .outcome = outcome,
                        .worker_of = worker_of,
                        .worker_done = done};
    char err[128];
    assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), 0);
    assert_int_equal(p.done, ITEMS);
    assert_int_equal(p.todo, ITEMS);
    assert_int_equal(p.first_failed, -1);
    assert_int_equal(p.stopped, 0);
    size_t sum = 0;
    for (size_t w = 0; w < workers; w++) {
      sum += done[w];
      assert_int_equal(done[w], b->count[w]);
      for (size_t k = 1; k < b->count[w]; k++)
        assert_true(b->order[w][k - 1] < b->order[w][k]); /* each worker takes the lowest left */
    }
    assert_int_equal(sum, ITEMS);
    for (size_t i = 0; i < ITEMS; i++) {
      assert_int_equal(b->runs[i], 1);
      assert_int_equal(outcome[i], CF_POOL_ITEM_DONE);
      assert_true(worker_of[i] >= 0 && (size_t)worker_of[i] < workers);
      assert_int_equal(b->order[worker_of[i]][0] <= (long)i, 1);
    }
    bench_free(b);
  }
}

/* Items assigned to workers (i % 4); item 5 (worker 1) fails: worker 1 does nothing after it, the
 * other workers finish every item of theirs. */
static void failure_stops_its_worker_only(void **state) {
  (void)state;
  bench *b = bench_new();
  b->fail_item = 5;
  int assign[40];
  uint8_t outcome[40];
  long failed[4];
  for (int i = 0; i < 40; i++)
    assign[i] = i % 4;
  cf_reader_pool p = {.items = 40,
                      .workers = 4,
                      .assign = assign,
                      .run_item = run_item,
                      .arg = b,
                      .outcome = outcome,
                      .worker_failed = failed};
  char err[128];
  assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), 0);
  assert_int_equal(p.first_failed, 5);
  assert_int_equal(failed[1], 5);
  assert_int_equal(failed[0], -1);
  assert_int_equal(failed[2], -1);
  assert_int_equal(failed[3], -1);
  for (int i = 0; i < 40; i++) {
    int want = i == 5                  ? CF_POOL_ITEM_FAILED
               : (i % 4 == 1 && i > 5) ? CF_POOL_ITEM_NOT_RUN
                                       : CF_POOL_ITEM_DONE;
    assert_int_equal(outcome[i], want);
    assert_int_equal(b->runs[i], want == CF_POOL_ITEM_NOT_RUN ? 0 : 1);
  }
  assert_int_equal(p.done, 40 - 1 - 8);
  bench_free(b);
}

/* A stop request: no item starts after it; with one worker the items left are a suffix. */
static void stop_request_between_items(void **state) {
  (void)state;
  bench *b = bench_new();
  b->stop_after = 10;
  uint8_t outcome[ITEMS];
  cf_reader_pool p = {.items = ITEMS,
                      .workers = 1,
                      .stop_requested = stop_requested,
                      .run_item = run_item,
                      .arg = b,
                      .outcome = outcome};
  char err[128];
  assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), 0);
  assert_int_equal(p.stopped, SIGINT);
  assert_int_equal(p.done, 10);
  for (size_t i = 0; i < ITEMS; i++)
    assert_int_equal(outcome[i], i < 10 ? CF_POOL_ITEM_DONE : CF_POOL_ITEM_NOT_RUN);
  bench_free(b);
  /* eight workers: at most one item per worker after the request, every item at most once */
  b = bench_new();
  b->stop_after = 10;
  p.workers = 8;
  p.arg = b;
  assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), 0);
  assert_int_equal(p.stopped, SIGINT);
  assert_true(p.done >= 10 && p.done < 10 + 8);
  size_t ran = 0;
  for (size_t i = 0; i < ITEMS; i++) {
    assert_true(b->runs[i] <= 1);
    ran += (size_t)b->runs[i];
    assert_int_equal(outcome[i], b->runs[i] ? CF_POOL_ITEM_DONE : CF_POOL_ITEM_NOT_RUN);
  }
  assert_int_equal(ran, p.done);
  bench_free(b);
}

static void start_and_skip(void **state) {
  (void)state;
  bench *b = bench_new();
  uint8_t skip[20] = {0}, outcome[20];
  for (int i = 0; i < 20; i++)
    skip[i] = i % 2;
  cf_reader_pool p = {.items = 20,
                      .workers = 3,
                      .start = 4,
                      .skip = skip,
                      .run_item = run_item,
                      .arg = b,
                      .outcome = outcome};
  char err[128];
  assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), 0);
  assert_int_equal(p.todo, 8);
  assert_int_equal(p.done, 8);
  for (int i = 0; i < 20; i++)
    assert_int_equal(b->runs[i], i >= 4 && i % 2 == 0);
  /* bad arguments: nothing runs */
  p.workers = CF_READER_POOL_MAX_WORKERS + 1;
  assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), -1);
  p.workers = 2;
  p.start = 21;
  assert_int_equal(cf_reader_pool_run(&p, err, sizeof err), -1);
  assert_int_equal(b->total, 8);
  bench_free(b);
}

/* ---- the journal ---- */

static char dir[64];

static int journal_setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/cf_journal_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int journal_teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void journal_keeps_what_was_added(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/j1", dir);
  cf_batch_journal j;
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "batch-1"), 0);
  assert_false(cf_batch_journal_has(&j, "AA01"));
  assert_int_equal(cf_batch_journal_add(&j, "AA01", "Reader One"), 0);
  assert_int_equal(cf_batch_journal_add(&j, "AA02", "Reader Two"), 0);
  assert_true(cf_batch_journal_has(&j, "AA01"));
  /* a second user of the file is refused while the first holds it */
  cf_batch_journal k;
  assert_int_equal(cf_batch_journal_open(&k, path, "test", "batch-1"), -1);
  assert_non_null(strstr(k.err, "in use"));
  cf_batch_journal_close(&k);
  cf_batch_journal_close(&j);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "batch-1"), 0);
  assert_true(cf_batch_journal_has(&j, "AA01"));
  assert_true(cf_batch_journal_has(&j, "AA02"));
  assert_false(cf_batch_journal_has(&j, "AA03"));
  cf_batch_journal_close(&j);
  /* another batch, another kind, or not a journal: refused */
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "batch-2"), -1);
  assert_non_null(strstr(j.err, "another batch"));
  cf_batch_journal_close(&j);
  assert_int_equal(cf_batch_journal_open(&j, path, "other", "batch-1"), -1);
  cf_batch_journal_close(&j);
  snprintf(path, sizeof path, "%s/notes", dir);
  FILE *f = fopen(path, "w");
  fputs("shopping list\n", f);
  fclose(f);
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "batch-1"), -1);
  assert_non_null(strstr(j.err, "not a cardforge journal"));
  cf_batch_journal_close(&j);
  /* no journal: nothing recorded, every call succeeds */
  assert_int_equal(cf_batch_journal_open(&j, NULL, "test", "batch-1"), 0);
  assert_int_equal(cf_batch_journal_add(&j, "AA01", "r"), 0);
  assert_false(cf_batch_journal_has(&j, "AA01"));
  cf_batch_journal_close(&j);
}

static void journal_drops_a_cut_line(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/j2", dir);
  cf_batch_journal j;
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "b"), 0);
  assert_int_equal(cf_batch_journal_add(&j, "01", "r1"), 0);
  cf_batch_journal_close(&j);
  int fd = open(path, O_WRONLY | O_APPEND);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "done 02 r", 9), 9); /* a crash in the middle of a line */
  close(fd);
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "b"), 0);
  assert_true(cf_batch_journal_has(&j, "01"));
  assert_false(cf_batch_journal_has(&j, "02"));
  assert_int_equal(cf_batch_journal_add(&j, "03", "r3"), 0);
  cf_batch_journal_close(&j);
  FILE *f = fopen(path, "r");
  char text[256] = "";
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  assert_string_equal(text, "cardforge-journal 1 test b\ndone 01 r1\ndone 03 r3\n");
}

typedef struct adder {
  cf_batch_journal *j;
  int base;
} adder;

static void *add_many(void *arg) {
  adder *a = arg;
  for (int i = 0; i < 50; i++) {
    char id[16];
    snprintf(id, sizeof id, "%02X%02X", a->base, i);
    if (cf_batch_journal_add(a->j, id, "Virtual PCD 00 00") != 0) return arg;
  }
  return NULL;
}

/* Eight workers adding at once: every line whole, none lost. */
static void journal_from_many_threads(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/j3", dir);
  cf_batch_journal j;
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "b"), 0);
  pthread_t tid[8];
  adder a[8];
  for (int t = 0; t < 8; t++) {
    a[t] = (adder){&j, t};
    assert_int_equal(pthread_create(&tid[t], NULL, add_many, &a[t]), 0);
  }
  for (int t = 0; t < 8; t++) {
    void *rc;
    pthread_join(tid[t], &rc);
    assert_null(rc);
  }
  cf_batch_journal_close(&j);
  assert_int_equal(cf_batch_journal_open(&j, path, "test", "b"), 0);
  for (int t = 0; t < 8; t++)
    for (int i = 0; i < 50; i++) {
      char id[16];
      snprintf(id, sizeof id, "%02X%02X", t, i);
      assert_true(cf_batch_journal_has(&j, id));
    }
  assert_int_equal(j.count, 400);
  cf_batch_journal_close(&j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(each_item_once_in_order),
      cmocka_unit_test(failure_stops_its_worker_only),
      cmocka_unit_test(stop_request_between_items),
      cmocka_unit_test(start_and_skip),
      cmocka_unit_test_setup_teardown(journal_keeps_what_was_added, journal_setup, journal_teardown),
      cmocka_unit_test_setup_teardown(journal_drops_a_cut_line, journal_setup, journal_teardown),
      cmocka_unit_test_setup_teardown(journal_from_many_threads, journal_setup, journal_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
