/* The power-cut proof: a cut at any physical write of an update leaves exactly the old state or
 * exactly the new one, never a mix, and a commit that reported success always survives. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardforge/store.h"
#include "store_test_util.h"

/* Upper bound on the cut points of one commit plus the close that follows it. */
#define SWEEP_LIMIT 400

enum { K_A = 0x00020001, K_B, K_C, K_D, K_E, K_F, K_G, K_COUNTER = 0x00030001, K_SECRET };
#define N_BACKGROUND 40

typedef struct states {
  store_test_record old_recs[64], new_recs[64];
  store_test_state old_state, new_state;
} states;

static void add(store_test_record *recs, size_t *n, uint32_t key, uint32_t version, size_t len) {
  recs[(*n)++] = (store_test_record){key, version, len};
}

/* Background records that the update leaves alone, then the records it touches:
 * A grows 0->5, B grows 40->8192 (overflow pages), C shrinks 3000->12, D keeps 300 bytes with new
 * content, E is created with 1500 bytes, F (700) is deleted, G (8192) stays. */
static void make_states(states *st) {
  size_t no = 0, nn = 0;
  for (uint32_t i = 0; i < N_BACKGROUND; i++) {
    add(st->old_recs, &no, CF_STORE_KEY(1, i), 0, 64);
    add(st->new_recs, &nn, CF_STORE_KEY(1, i), 0, 64);
  }
  add(st->old_recs, &no, K_A, 0, 0);
  add(st->old_recs, &no, K_B, 0, 40);
  add(st->old_recs, &no, K_C, 0, 3000);
  add(st->old_recs, &no, K_D, 0, 300);
  add(st->old_recs, &no, K_F, 0, 700);
  add(st->old_recs, &no, K_G, 0, 8192);
  add(st->new_recs, &nn, K_A, 1, 5);
  add(st->new_recs, &nn, K_B, 1, 8192);
  add(st->new_recs, &nn, K_C, 1, 12);
  add(st->new_recs, &nn, K_D, 1, 300);
  add(st->new_recs, &nn, K_E, 1, 1500);
  add(st->new_recs, &nn, K_G, 0, 8192);
  st->old_state = (store_test_state){st->old_recs, no};
  st->new_state = (store_test_state){st->new_recs, nn};
}

#define UPDATE_OPS 6

/* The multi-write update, as an applet would issue it inside one command. Returns commit's rc. */
static int run_update(cf_store *s) {
  static const store_test_record changes[] = {
      {K_A, 1, 5}, {K_B, 1, 8192}, {K_C, 1, 12}, {K_D, 1, 300}, {K_E, 1, 1500}};
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, &(store_test_state){changes, 5});
  assert_int_equal(cf_store_delete(s, K_F), CF_STORE_OK);
  return cf_store_commit(s);
}

typedef struct file_env {
  char *dir, *template_path, *work_path, *work_wal;
} file_env;

static file_env file_env_new(char *dir, const store_test_state *initial) {
  file_env e;
  e.dir = dir;
  e.template_path = store_test_path(e.dir, "template.card");
  e.work_path = store_test_path(e.dir, "work.card");
  e.work_wal = store_test_path(e.dir, "work.card-wal");
  cf_store *s;
  assert_int_equal(cf_store_open_file(e.template_path, &s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, initial);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  cf_store_close(s);
  return e;
}

static void file_env_free(file_env *e) {
  free(e->template_path);
  free(e->work_path);
  free(e->work_wal);
}

static cf_store *open_fresh_copy(const file_env *e, const store_test_state *expect) {
  store_test_copy_card(e->template_path, e->work_path);
  cf_store *s;
  assert_int_equal(cf_store_open_file(e->work_path, &s), CF_STORE_OK);
  assert_true(store_test_equals(s, expect));
  return s;
}

/* Which of the allowed states the card is in after a restart from its file; fails on a mix. */
static int reopened_state(const file_env *e, const store_test_state *const *allowed, size_t n_allowed) {
  cf_store *s;
  assert_int_equal(cf_store_open_file(e->work_path, &s), CF_STORE_OK);
  int found = -1;
  for (size_t i = 0; i < n_allowed; i++) {
    if (store_test_equals(s, allowed[i])) {
      assert_int_equal(found, -1);
      found = (int)i;
    }
  }
  cf_store_close(s);
  if (found < 0) fail_msg("the card holds a state that is neither before nor after the update");
  return found;
}

static void store_powercut_sweep_file(void **state) {
  states st;
  make_states(&st);
  file_env e = file_env_new(*state, &st.old_state);
  const store_test_state *allowed[] = {&st.old_state, &st.new_state};

  /* A clean run counts the cut points of the commit. */
  cf_store *s = open_fresh_copy(&e, &st.old_state);
  long w0 = cf_store_write_count(s);
  assert_int_equal(run_update(s), CF_STORE_OK);
  long commit_writes = cf_store_write_count(s) - w0;
  assert_true(commit_writes > 1);
  assert_true(store_test_equals(s, &st.new_state));
  cf_store_close(s);
  assert_int_equal(reopened_state(&e, allowed, 2), 1);

  /* Then a cut at every one of them, and on through the checkpoint the close performs, until a
   * run no longer hits a write (the close then leaves no WAL behind). */
  int outcomes[2] = {0, 0}, recovered_from_wal = 0;
  long n;
  for (n = 1; n <= SWEEP_LIMIT; n++) {
    s = open_fresh_copy(&e, &st.old_state);
    cf_store_fault_at(s, n);
    int rc = run_update(s);
    if (n <= commit_writes) {
      assert_int_equal(rc, CF_STORE_POWER_CUT);
      assert_true(cf_store_is_cut(s));
    } else {
      assert_int_equal(rc, CF_STORE_OK);
    }
    cf_store_close(s);
    bool wal_left = store_test_exists(e.work_wal);
    int got = reopened_state(&e, allowed, 2);
    outcomes[got]++;
    if (rc == CF_STORE_OK) assert_int_equal(got, 1); /* a reported commit is durable */
    if (n > commit_writes) {
      if (!wal_left) break; /* the cut point lay beyond the close: nothing left to sweep */
      recovered_from_wal++;
    }
  }
  assert_true(n <= SWEEP_LIMIT);
  print_message("file sweep: %ld commit writes, %ld cut points, %d old, %d new (%d recovered from WAL)\n",
                commit_writes, n - 1, outcomes[0], outcomes[1], recovered_from_wal);
  assert_true(outcomes[0] > 0);
  assert_true(outcomes[1] > 0);
  assert_true(recovered_from_wal > 0);
  file_env_free(&e);
}

static void store_powercut_sweep_memory(void **state) {
  states st;
  make_states(&st);
  cf_store *s;
  assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, &st.old_state);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  long w0 = cf_store_write_count(s);
  assert_int_equal(run_update(s), CF_STORE_OK);
  long commit_writes = cf_store_write_count(s) - w0;
  assert_int_equal(commit_writes, UPDATE_OPS); /* one physical write per record applied */
  cf_store_close(s);

  int outcomes[2] = {0, 0};
  for (long n = 1; n <= commit_writes + 3; n++) {
    assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
    assert_int_equal(cf_store_begin(s), CF_STORE_OK);
    store_test_put_state(s, &st.old_state);
    assert_int_equal(cf_store_commit(s), CF_STORE_OK);
    cf_store_fault_at(s, n);
    int rc = run_update(s);
    assert_int_equal(rc, n <= commit_writes ? CF_STORE_POWER_CUT : CF_STORE_OK);
    assert_int_equal(cf_store_power_restore(s), CF_STORE_OK);
    bool is_old = store_test_equals(s, &st.old_state), is_new = store_test_equals(s, &st.new_state);
    assert_true(is_old != is_new);
    if (rc == CF_STORE_OK) assert_true(is_new);
    outcomes[is_new]++;
    cf_store_close(s);
  }
  assert_true(outcomes[0] > 0);
  assert_true(outcomes[1] > 0);
}

/* Retry-counter pattern: counter decremented and checkpointed, then the rest of the command.
 * A cut anywhere gives S0 (nothing), S1 (decrement only) or S2 (everything), never S2's data
 * without S1's decrement, and never less than what was reported durable. */
typedef struct checkpoint_states {
  store_test_record r0[2], r1[2], r2[3];
  store_test_state s[3];
} checkpoint_states;

static void make_checkpoint_states(checkpoint_states *c) {
  c->r0[0] = (store_test_record){K_A, 0, 100};
  c->r0[1] = (store_test_record){K_COUNTER, 3, 1};
  c->r1[0] = c->r0[0];
  c->r1[1] = (store_test_record){K_COUNTER, 2, 1};
  c->r2[0] = (store_test_record){K_A, 1, 2000};
  c->r2[1] = (store_test_record){K_COUNTER, 3, 1};
  c->r2[2] = (store_test_record){K_SECRET, 1, 16};
  c->s[0] = (store_test_state){c->r0, 2};
  c->s[1] = (store_test_state){c->r1, 2};
  c->s[2] = (store_test_state){c->r2, 3};
}

/* Returns how far the command got: 0 nothing reported, 1 checkpoint reported, 2 commit reported. */
static int run_counter_command(cf_store *s) {
  static const store_test_record dec = {K_COUNTER, 2, 1};
  static const store_test_record rest[] = {{K_A, 1, 2000}, {K_COUNTER, 3, 1}, {K_SECRET, 1, 16}};
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, &(store_test_state){&dec, 1});
  int rc = cf_store_checkpoint(s);
  if (rc != CF_STORE_OK) {
    assert_int_equal(rc, CF_STORE_POWER_CUT);
    return 0;
  }
  store_test_put_state(s, &(store_test_state){rest, 3});
  rc = cf_store_commit(s);
  if (rc != CF_STORE_OK) {
    assert_int_equal(rc, CF_STORE_POWER_CUT);
    return 1;
  }
  return 2;
}

static void store_powercut_checkpoint_sweep_file(void **state) {
  checkpoint_states c;
  make_checkpoint_states(&c);
  file_env e = file_env_new(*state, &c.s[0]);
  const store_test_state *allowed[] = {&c.s[0], &c.s[1], &c.s[2]};
  int outcomes[3] = {0, 0, 0};
  long n;
  for (n = 1; n <= SWEEP_LIMIT; n++) {
    cf_store *s = open_fresh_copy(&e, &c.s[0]);
    cf_store_fault_at(s, n);
    int reported = run_counter_command(s);
    cf_store_close(s);
    bool wal_left = store_test_exists(e.work_wal);
    int got = reopened_state(&e, allowed, 3);
    assert_true(got >= reported);
    outcomes[got]++;
    if (reported == 2 && !wal_left) break;
  }
  assert_true(n <= SWEEP_LIMIT);
  print_message("checkpoint sweep: %ld cut points: %d S0, %d S1, %d S2\n", n - 1, outcomes[0], outcomes[1],
                outcomes[2]);
  for (int i = 0; i < 3; i++)
    assert_true(outcomes[i] > 0);
  file_env_free(&e);
}

static void store_powercut_checkpoint_sweep_memory(void **state) {
  checkpoint_states c;
  make_checkpoint_states(&c);
  int outcomes[3] = {0, 0, 0};
  for (long n = 1; n <= 6; n++) {
    cf_store *s;
    assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
    assert_int_equal(cf_store_begin(s), CF_STORE_OK);
    store_test_put_state(s, &c.s[0]);
    assert_int_equal(cf_store_commit(s), CF_STORE_OK);
    cf_store_fault_at(s, n);
    int reported = run_counter_command(s);
    assert_int_equal(cf_store_power_restore(s), CF_STORE_OK);
    int got = -1;
    for (int i = 0; i < 3; i++)
      if (store_test_equals(s, &c.s[i])) got = i;
    assert_true(got >= reported);
    outcomes[got]++;
    cf_store_close(s);
  }
  for (int i = 0; i < 3; i++)
    assert_true(outcomes[i] > 0);
}

/* Commits that each rewrite one of AUTO_KEYS records; SQLite checkpoints the WAL automatically
 * once it passes 1000 pages, inside the commit that crosses the mark. */
#define AUTO_KEYS 50

static int auto_commit(cf_store *s, int i) {
  store_test_record r = {CF_STORE_KEY(5, (uint32_t)(i % AUTO_KEYS)), (uint32_t)i, 100};
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, &(store_test_state){&r, 1});
  return cf_store_commit(s);
}

/* The state after commits 1..m: each key holds the version of the last commit that wrote it. */
static store_test_state auto_state(store_test_record *recs, int m) {
  size_t n = 0;
  for (int j = 0; j < AUTO_KEYS; j++) {
    int last = m - (m - j) % AUTO_KEYS; /* largest i <= m with i % AUTO_KEYS == j (m >= AUTO_KEYS) */
    if (last >= 1) recs[n++] = (store_test_record){CF_STORE_KEY(5, (uint32_t)j), (uint32_t)last, 100};
  }
  return (store_test_state){recs, n};
}

static void store_powercut_auto_checkpoint_file(void **state) {
  char *dir = *state;
  char *probe = store_test_path(dir, "probe.card"), *tmpl = store_test_path(dir, "template.card");
  char *work = store_test_path(dir, "work.card"), *work_wal = store_test_path(dir, "work.card-wal");

  /* Find the commit k that triggers the automatic checkpoint: its write count jumps. */
  cf_store *s;
  assert_int_equal(cf_store_open_file(probe, &s), CF_STORE_OK);
  int k = 0;
  long usual = 0;
  for (int i = 1; i <= 3000 && !k; i++) {
    long w0 = cf_store_write_count(s);
    assert_int_equal(auto_commit(s, i), CF_STORE_OK);
    long w = cf_store_write_count(s) - w0;
    if (i == 2) usual = w; /* one WAL frame; commit 1 also wrote the WAL header */
    if (i > AUTO_KEYS && w > usual + 1) k = i;
  }
  assert_true(k > AUTO_KEYS);
  cf_store_close(s);

  /* Template: the database and its nearly full WAL just before commit k, as a cut would leave them. */
  unlink(probe);
  assert_int_equal(cf_store_open_file(probe, &s), CF_STORE_OK);
  for (int i = 1; i < k; i++)
    assert_int_equal(auto_commit(s, i), CF_STORE_OK);
  store_test_copy_card(probe, tmpl);
  cf_store_close(s);

  static store_test_record before_recs[AUTO_KEYS], after_recs[AUTO_KEYS];
  store_test_state before = auto_state(before_recs, k - 1), after = auto_state(after_recs, k);
  int outcomes[2] = {0, 0}, cut_after_commit = 0;
  long n;
  for (n = 1; n <= SWEEP_LIMIT * 4; n++) {
    store_test_copy_card(tmpl, work);
    assert_int_equal(cf_store_open_file(work, &s), CF_STORE_OK);
    assert_true(store_test_equals(s, &before));
    cf_store_fault_at(s, n);
    int rc = auto_commit(s, k);
    cf_store_close(s);
    bool wal_left = store_test_exists(work_wal);
    assert_int_equal(cf_store_open_file(work, &s), CF_STORE_OK);
    bool is_old = store_test_equals(s, &before), is_new = store_test_equals(s, &after);
    cf_store_close(s);
    assert_true(is_old != is_new);
    if (rc == CF_STORE_OK)
      assert_true(is_new);
    else
      assert_int_equal(rc, CF_STORE_POWER_CUT);
    if (rc == CF_STORE_POWER_CUT && is_new) cut_after_commit++;
    outcomes[is_new]++;
    if (rc == CF_STORE_OK && !wal_left) break;
  }
  assert_true(n <= SWEEP_LIMIT * 4);
  print_message(
      "auto-checkpoint sweep: commit %d, %ld cut points: %d old, %d new (%d cut in the checkpoint)\n", k,
      n - 1, outcomes[0], outcomes[1], cut_after_commit);
  assert_true(outcomes[0] > 0);
  assert_true(cut_after_commit > 0);
  free(probe);
  free(tmpl);
  free(work);
  free(work_wal);
}

static void assert_dead(cf_store *s) {
  uint8_t buf[16];
  size_t len = 5;
  long writes = cf_store_write_count(s);
  assert_true(cf_store_is_cut(s));
  assert_false(cf_store_in_transaction(s));
  assert_int_equal(cf_store_get(s, K_A, buf, sizeof(buf), &len), CF_STORE_POWER_CUT);
  assert_null(cf_store_peek(s, K_A, &len));
  assert_int_equal(len, 0);
  assert_int_equal(cf_store_keys(s, NULL, 0), 0);
  assert_int_equal(cf_store_begin(s), CF_STORE_POWER_CUT);
  assert_int_equal(cf_store_put(s, K_A, "x", 1), CF_STORE_POWER_CUT);
  assert_int_equal(cf_store_delete(s, K_A), CF_STORE_POWER_CUT);
  assert_int_equal(cf_store_commit(s), CF_STORE_POWER_CUT);
  assert_int_equal(cf_store_checkpoint(s), CF_STORE_POWER_CUT);
  cf_store_rollback(s);
  cf_store_fault_at(s, 0); /* disarming does not bring the power back */
  assert_true(cf_store_is_cut(s));
  assert_int_equal(cf_store_begin(s), CF_STORE_POWER_CUT);
  assert_int_equal(cf_store_write_count(s), writes);
}

static void store_powercut_dead_until_reopen_file(void **state) {
  states st;
  make_states(&st);
  file_env e = file_env_new(*state, &st.old_state);
  cf_store *s = open_fresh_copy(&e, &st.old_state);
  cf_store_fault_at(s, 2);
  assert_int_equal(run_update(s), CF_STORE_POWER_CUT);
  assert_dead(s);
  assert_int_equal(cf_store_power_restore(s), CF_STORE_EINVAL); /* a file store must be reopened */
  assert_dead(s);
  cf_store_close(s);
  assert_int_equal(cf_store_open_file(e.work_path, &s), CF_STORE_OK);
  assert_false(cf_store_is_cut(s));
  assert_true(store_test_equals(s, &st.old_state));
  assert_int_equal(run_update(s), CF_STORE_OK);
  assert_true(store_test_equals(s, &st.new_state));
  cf_store_close(s);
  file_env_free(&e);
}

static void store_powercut_dead_until_restore_memory(void **state) {
  states st;
  make_states(&st);
  cf_store *s;
  assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, &st.old_state);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  cf_store_fault_at(s, 4);
  assert_int_equal(run_update(s), CF_STORE_POWER_CUT);
  assert_dead(s);
  assert_int_equal(cf_store_power_restore(s), CF_STORE_OK);
  assert_false(cf_store_is_cut(s));
  assert_true(store_test_equals(s, &st.old_state));
  assert_int_equal(run_update(s), CF_STORE_OK); /* the fault is spent: restore disarmed it */
  assert_true(store_test_equals(s, &st.new_state));
  cf_store_close(s);
}

/* fault_at counts from the moment it is called, and 0 disarms. */
static void store_powercut_arming(void **state) {
  states st;
  make_states(&st);
  cf_store *s;
  assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  store_test_put_state(s, &st.old_state);
  cf_store_fault_at(s, 1);
  cf_store_fault_at(s, 0);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  long before = cf_store_write_count(s);
  assert_int_equal(before, (long)st.old_state.count);
  cf_store_fault_at(s, UPDATE_OPS + 1);
  assert_int_equal(run_update(s), CF_STORE_OK);
  assert_false(cf_store_is_cut(s));
  assert_int_equal(cf_store_write_count(s), before + UPDATE_OPS);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  assert_int_equal(cf_store_put(s, K_A, "x", 1), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_POWER_CUT); /* the 7th write from arming */
  cf_store_close(s);
}

/* The temp dir lives in the fixture so that it is removed even when a test fails. */
static int make_dir(void **state) {
  *state = store_test_mkdtemp();
  return 0;
}

static int remove_dir(void **state) {
  store_test_rmdir(*state);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(store_powercut_sweep_memory),
      cmocka_unit_test_setup_teardown(store_powercut_sweep_file, make_dir, remove_dir),
      cmocka_unit_test(store_powercut_checkpoint_sweep_memory),
      cmocka_unit_test_setup_teardown(store_powercut_checkpoint_sweep_file, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(store_powercut_auto_checkpoint_file, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(store_powercut_dead_until_reopen_file, make_dir, remove_dir),
      cmocka_unit_test(store_powercut_dead_until_restore_memory),
      cmocka_unit_test(store_powercut_arming),
  };
  return cmocka_run_group_tests_name("store_powercut", tests, NULL, NULL);
}
