/* cf_store behaviour on both back ends: reads, writes, transactions, errors, persistence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardforge/store.h"
#include "store_test_util.h"

typedef struct fixture {
  bool file;
  char *dir;
  char *path;
  cf_store *s;
} fixture;

static int setup_memory(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  assert_int_equal(cf_store_open_memory(&f->s), CF_STORE_OK);
  *state = f;
  return 0;
}

static int setup_file(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  f->file = true;
  f->dir = store_test_mkdtemp();
  f->path = store_test_path(f->dir, "card.db");
  assert_int_equal(cf_store_open_file(f->path, &f->s), CF_STORE_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  cf_store_close(f->s);
  free(f->path);
  store_test_rmdir(f->dir);
  free(f);
  return 0;
}

/* A restart: what survives is what was committed. */
static void restart(fixture *f) {
  if (f->file) {
    cf_store_close(f->s);
    f->s = NULL;
    assert_int_equal(cf_store_open_file(f->path, &f->s), CF_STORE_OK);
  } else {
    assert_int_equal(cf_store_power_restore(f->s), CF_STORE_OK);
  }
}

static void put_str(cf_store *s, uint32_t key, const char *v) {
  assert_int_equal(cf_store_put(s, key, v, strlen(v)), CF_STORE_OK);
}

static void assert_str(cf_store *s, uint32_t key, const char *v) {
  char buf[64];
  size_t len = 0;
  assert_int_equal(cf_store_get(s, key, buf, sizeof(buf), &len), CF_STORE_OK);
  assert_int_equal(len, strlen(v));
  assert_memory_equal(buf, v, len);
  size_t plen = 0;
  const uint8_t *p = cf_store_peek(s, key, &plen);
  assert_non_null(p);
  assert_int_equal(plen, len);
  assert_memory_equal(p, v, len);
}

static void assert_absent(cf_store *s, uint32_t key) {
  char buf[8];
  size_t len = 99;
  assert_int_equal(cf_store_get(s, key, buf, sizeof(buf), &len), CF_STORE_NOT_FOUND);
  assert_null(cf_store_peek(s, key, &len));
  assert_int_equal(len, 0);
}

static void store_get_put_delete(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  uint32_t k1 = CF_STORE_KEY(1, 1), k2 = CF_STORE_KEY(1, 2), k3 = CF_STORE_KEY(2, 0xFFFF);
  assert_absent(s, k1);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  assert_true(cf_store_in_transaction(s));
  put_str(s, k1, "alpha");
  put_str(s, k2, "beta");
  put_str(s, k3, "gamma");
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  assert_false(cf_store_in_transaction(s));
  assert_str(s, k1, "alpha");
  assert_str(s, k2, "beta");
  assert_str(s, k3, "gamma");

  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, k2, "beta, longer than before");
  assert_int_equal(cf_store_delete(s, k1), CF_STORE_OK);
  assert_int_equal(cf_store_delete(s, k1), CF_STORE_NOT_FOUND);
  assert_int_equal(cf_store_delete(s, CF_STORE_KEY(9, 9)), CF_STORE_NOT_FOUND);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  assert_absent(s, k1);
  assert_str(s, k2, "beta, longer than before");
  assert_str(s, k3, "gamma");

  restart(f);
  assert_absent(f->s, k1);
  assert_str(f->s, k2, "beta, longer than before");
  assert_str(f->s, k3, "gamma");
}

static void store_read_your_writes(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  uint32_t a = CF_STORE_KEY(1, 1), b = CF_STORE_KEY(1, 2), c = CF_STORE_KEY(1, 3);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, a, "a0");
  put_str(s, b, "b0");
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);

  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, a, "a1");
  assert_str(s, a, "a1");
  put_str(s, a, "a2, again");
  assert_str(s, a, "a2, again");
  put_str(s, c, "c1");
  assert_str(s, c, "c1");
  assert_int_equal(cf_store_delete(s, b), CF_STORE_OK);
  assert_absent(s, b);
  put_str(s, b, "b reborn");
  assert_str(s, b, "b reborn");
  /* created and deleted in the same transaction: gone without a trace */
  assert_int_equal(cf_store_delete(s, c), CF_STORE_OK);
  assert_absent(s, c);
  uint32_t keys[8];
  assert_int_equal(cf_store_keys(s, keys, 8), 2);
  assert_int_equal(keys[0], a);
  assert_int_equal(keys[1], b);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  assert_str(s, a, "a2, again");
  assert_str(s, b, "b reborn");
  assert_absent(s, c);
}

static void store_rollback(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  uint32_t a = CF_STORE_KEY(3, 1), b = CF_STORE_KEY(3, 2);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, a, "kept");
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  long writes = cf_store_write_count(s);

  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, a, "changed");
  put_str(s, b, "new");
  cf_store_rollback(s);
  assert_false(cf_store_in_transaction(s));
  assert_str(s, a, "kept");
  assert_absent(s, b);

  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  assert_int_equal(cf_store_delete(s, a), CF_STORE_OK);
  cf_store_rollback(s);
  assert_str(s, a, "kept");
  assert_int_equal(cf_store_write_count(s), writes); /* a rollback costs no I/O */
  cf_store_rollback(s);                              /* without a transaction: harmless */

  restart(f);
  assert_str(f->s, a, "kept");
  assert_absent(f->s, b);
}

/* The retry-counter pattern: the decrement is durable even if the command then fails. */
static void store_checkpoint(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  uint32_t counter = CF_STORE_KEY(1, 7), other = CF_STORE_KEY(1, 8);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, counter, "3");
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);

  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, counter, "2");
  assert_int_equal(cf_store_checkpoint(s), CF_STORE_OK);
  assert_true(cf_store_in_transaction(s));
  assert_int_equal(cf_store_begin(s), CF_STORE_EINVAL);
  put_str(s, other, "not kept");
  cf_store_rollback(s);
  assert_str(s, counter, "2");
  assert_absent(s, other);

  restart(f);
  assert_str(f->s, counter, "2");
  assert_absent(f->s, other);
}

static void store_einval(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  static uint8_t big[CF_STORE_MAX_RECORD + 1];
  uint32_t k = CF_STORE_KEY(1, 1);
  assert_int_equal(cf_store_put(s, k, "x", 1), CF_STORE_EINVAL);
  assert_int_equal(cf_store_delete(s, k), CF_STORE_EINVAL);
  assert_int_equal(cf_store_commit(s), CF_STORE_EINVAL);
  assert_int_equal(cf_store_checkpoint(s), CF_STORE_EINVAL);
  assert_false(cf_store_in_transaction(s));

  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_EINVAL);
  assert_true(cf_store_in_transaction(s));
  assert_int_equal(cf_store_put(s, k, big, sizeof(big)), CF_STORE_EINVAL);
  assert_int_equal(cf_store_put(s, k, NULL, 4), CF_STORE_EINVAL);
  assert_absent(s, k);
  assert_int_equal(cf_store_put(s, k, big, CF_STORE_MAX_RECORD), CF_STORE_OK);
  assert_int_equal(cf_store_put(s, CF_STORE_KEY(1, 2), NULL, 0), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);

  uint8_t small[16];
  size_t len = 0;
  assert_int_equal(cf_store_get(s, k, small, sizeof(small), &len), CF_STORE_EINVAL);
  assert_int_equal(len, CF_STORE_MAX_RECORD);
  assert_int_equal(cf_store_get(s, k, NULL, 0, &len), CF_STORE_EINVAL);
  assert_int_equal(len, CF_STORE_MAX_RECORD);
  /* an empty record exists: get succeeds with length 0, peek is non-NULL */
  len = 99;
  assert_int_equal(cf_store_get(s, CF_STORE_KEY(1, 2), NULL, 0, &len), CF_STORE_OK);
  assert_int_equal(len, 0);
  assert_non_null(cf_store_peek(s, CF_STORE_KEY(1, 2), &len));
  assert_int_equal(len, 0);

  restart(f);
  s = f->s;
  assert_int_equal(cf_store_get(s, CF_STORE_KEY(1, 2), NULL, 0, &len), CF_STORE_OK);
  assert_int_equal(len, 0);
  assert_int_equal(cf_store_get(s, k, NULL, 0, &len), CF_STORE_EINVAL);
  assert_int_equal(len, CF_STORE_MAX_RECORD);
}

static void store_keys_sorted(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  static const uint32_t scrambled[] = {0x00030001, 0x00010005, 0xFFFFFFFF,
                                       0x00010001, 0x00000000, 0x00020000};
  static const uint32_t sorted[] = {0x00000000, 0x00010001, 0x00010005, 0x00020000, 0x00030001, 0xFFFFFFFF};
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  for (size_t i = 0; i < 4; i++)
    put_str(s, scrambled[i], "v");
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  for (size_t i = 4; i < 6; i++)
    put_str(s, scrambled[i], "v");
  put_str(s, 0x00010004, "gone before commit");
  assert_int_equal(cf_store_delete(s, 0x00010004), CF_STORE_OK);

  uint32_t keys[8];
  assert_int_equal(cf_store_keys(s, keys, 8), 6); /* committed + pending, as reads see them */
  assert_memory_equal(keys, sorted, sizeof(sorted));
  uint32_t three[3] = {0};
  assert_int_equal(cf_store_keys(s, three, 3), 6);
  assert_memory_equal(three, sorted, sizeof(three));
  assert_int_equal(cf_store_keys(s, NULL, 0), 6);
  assert_int_equal(cf_store_delete(s, 0x00010001), CF_STORE_OK);
  assert_int_equal(cf_store_keys(s, keys, 8), 5);
  assert_int_equal(keys[1], 0x00010005);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);

  restart(f);
  assert_int_equal(cf_store_keys(f->s, keys, 8), 5);
  assert_int_equal(keys[0], 0x00000000);
  assert_int_equal(keys[4], 0xFFFFFFFF);
}

/* put(k, peek(k)) must work although the new value replaces the buffer it came from. */
static void store_put_from_own_peek(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  uint32_t k = CF_STORE_KEY(4, 4);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, k, "self");
  size_t len;
  const uint8_t *p = cf_store_peek(s, k, &len);
  assert_int_equal(cf_store_put(s, k, p, len), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  p = cf_store_peek(s, k, &len);
  assert_int_equal(cf_store_put(s, k, p, len - 1), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  assert_str(s, k, "sel");
}

/* Reads and read-only transactions never reach the back end. */
static void store_read_only_costs_no_io(void **state) {
  fixture *f = *state;
  cf_store *s = f->s;
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  put_str(s, 1, "one");
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  long writes = cf_store_write_count(s);
  assert_true(writes > 0);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(cf_store_begin(s), CF_STORE_OK);
    assert_str(s, 1, "one");
    assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  }
  assert_int_equal(cf_store_write_count(s), writes);
}

static const store_test_record *many_records(size_t *count) {
  static store_test_record recs[200];
  uint32_t x = 12345;
  for (size_t i = 0; i < 200; i++) {
    x = x * 1103515245u + 12345u;
    recs[i] = (store_test_record){CF_STORE_KEY(1 + i / 50, i * 3), 1, (x >> 8) % (i % 20 == 0 ? 8193 : 300)};
  }
  *count = 200;
  return recs;
}

static void store_many_records(void **state) {
  fixture *f = *state;
  store_test_state st;
  st.records = many_records(&st.count);
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  store_test_put_state(f->s, &st);
  assert_true(store_test_equals(f->s, &st));
  assert_int_equal(cf_store_commit(f->s), CF_STORE_OK);
  assert_true(store_test_equals(f->s, &st));
  restart(f);
  assert_true(store_test_equals(f->s, &st));
}

/* Many records: every one reads back whole from the view, in any order, many times over.
 * (How fast reads are is measured by bench/, never asserted here.) */
static void store_many_records_read_back(void **state) {
  fixture *f = *state;
  store_test_state st;
  st.records = many_records(&st.count);
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  store_test_put_state(f->s, &st);
  assert_int_equal(cf_store_commit(f->s), CF_STORE_OK);
  assert_true(store_test_equals(f->s, &st));
  uint8_t buf[CF_STORE_MAX_RECORD];
  size_t len;
  for (int i = 0; i < 20000; i++) {
    const store_test_record *r = &st.records[(size_t)i * 7 % st.count];
    assert_int_equal(cf_store_get(f->s, r->key, buf, sizeof(buf), &len), CF_STORE_OK);
    assert_int_equal(len, r->len);
  }
}

/* ---- file back end only ---- */

static void store_file_persistence(void **state) {
  fixture *f = *state;
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  put_str(f->s, 10, "durable");
  assert_int_equal(cf_store_commit(f->s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  put_str(f->s, 11, "never committed");
  cf_store_close(f->s); /* power-off with an open transaction */
  f->s = NULL;
  /* a clean close leaves one self-contained file: the WAL was checkpointed and removed */
  char *wal = store_test_path(f->dir, "card.db-wal");
  assert_false(store_test_exists(wal));
  free(wal);
  assert_int_equal(cf_store_open_file(f->path, &f->s), CF_STORE_OK);
  assert_str(f->s, 10, "durable");
  assert_absent(f->s, 11);
  assert_false(cf_store_in_transaction(f->s));
  assert_int_equal(cf_store_power_restore(f->s), CF_STORE_EINVAL);
}

static void store_file_odd_paths(void **state) {
  fixture *f = *state;
  static const char *const names[] = {"we?ird #%name.card", "sp ace&x=1", "%3F"};
  for (size_t i = 0; i < 3; i++) {
    char *p = store_test_path(f->dir, names[i]);
    cf_store *s;
    assert_int_equal(cf_store_open_file(p, &s), CF_STORE_OK);
    assert_int_equal(cf_store_begin(s), CF_STORE_OK);
    put_str(s, 1, names[i]);
    assert_int_equal(cf_store_commit(s), CF_STORE_OK);
    cf_store_close(s);
    assert_true(store_test_exists(p)); /* the name was not mangled by the URI */
    assert_int_equal(cf_store_open_file(p, &s), CF_STORE_OK);
    assert_str(s, 1, names[i]);
    cf_store_close(s);
    free(p);
  }
  /* a relative path, resolved against the working directory */
  char cwd[4096];
  assert_non_null(getcwd(cwd, sizeof(cwd)));
  assert_int_equal(chdir(f->dir), 0);
  cf_store *s;
  int rc = cf_store_open_file("relative.card", &s);
  if (rc == CF_STORE_OK) cf_store_close(s);
  bool made = store_test_exists("relative.card");
  assert_int_equal(chdir(cwd), 0);
  assert_int_equal(rc, CF_STORE_OK);
  assert_true(made);
}

static void store_file_rejects_foreign(void **state) {
  fixture *f = *state;
  cf_store *s = (cf_store *)1;
  assert_int_equal(cf_store_open_file(NULL, &s), CF_STORE_EINVAL);
  assert_null(s);
  assert_int_equal(cf_store_open_file("", &s), CF_STORE_EINVAL);

  char *missing = store_test_path(f->dir, "no/such/dir.card");
  assert_int_equal(cf_store_open_file(missing, &s), CF_STORE_EIO);
  assert_null(s);
  free(missing);

  char *garbage = store_test_path(f->dir, "garbage.card");
  FILE *g = fopen(garbage, "wb");
  for (int i = 0; i < 4096; i++)
    fputc(i * 7, g);
  fclose(g);
  assert_int_equal(cf_store_open_file(garbage, &s), CF_STORE_NOT_SQLITE);
  free(garbage);

  char *foreign = store_test_path(f->dir, "foreign.db");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(foreign, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE kv(key INTEGER PRIMARY KEY, value BLOB)", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(cf_store_open_file(foreign, &s), CF_STORE_FOREIGN);
  free(foreign);
}

/* A card file altered outside the store, with rows the store could never have written. */
static void store_file_rejects_bad_rows(void **state) {
  fixture *f = *state;
  static const char *const tamper[] = {
      "INSERT INTO kv VALUES(4294967296, x'00')",     /* key beyond 32 bits */
      "INSERT INTO kv VALUES(-1, x'00')",             /* negative key */
      "INSERT INTO kv VALUES(7, 'text, not a blob')", /* wrong type */
      "INSERT INTO kv VALUES(8, zeroblob(8193))",     /* larger than CF_STORE_MAX_RECORD */
  };
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  put_str(f->s, 1, "genuine");
  assert_int_equal(cf_store_commit(f->s), CF_STORE_OK);
  cf_store_close(f->s);
  f->s = NULL;
  for (size_t i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, tamper[i], NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cf_store *s = (cf_store *)1;
    assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_CORRUPT);
    assert_null(s);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM kv WHERE key <> 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
  }
  assert_int_equal(cf_store_open_file(f->path, &f->s), CF_STORE_OK);
  assert_str(f->s, 1, "genuine");
}

/* One owner per card file: a second open while the first holds it fails cleanly. */
static void store_file_exclusive_owner(void **state) {
  fixture *f = *state;
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  put_str(f->s, 5, "owned");
  assert_int_equal(cf_store_commit(f->s), CF_STORE_OK);
  cf_store *second;
  assert_int_equal(cf_store_open_file(f->path, &second), CF_STORE_BUSY);
  assert_str(f->s, 5, "owned");
  restart(f);
  assert_str(f->s, 5, "owned");
}

/* ---- memory back end only ---- */

static void store_memory_power_restore(void **state) {
  fixture *f = *state;
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  put_str(f->s, 1, "committed");
  assert_int_equal(cf_store_commit(f->s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(f->s), CF_STORE_OK);
  put_str(f->s, 2, "pending");
  assert_int_equal(cf_store_power_restore(f->s), CF_STORE_OK);
  assert_false(cf_store_in_transaction(f->s));
  assert_str(f->s, 1, "committed");
  assert_absent(f->s, 2);
  assert_int_equal(cf_store_power_restore(NULL), CF_STORE_EINVAL);
}

#define BOTH(setup)                                                                                          \
  cmocka_unit_test_setup_teardown(store_get_put_delete, setup, teardown),                                    \
      cmocka_unit_test_setup_teardown(store_read_your_writes, setup, teardown),                              \
      cmocka_unit_test_setup_teardown(store_rollback, setup, teardown),                                      \
      cmocka_unit_test_setup_teardown(store_checkpoint, setup, teardown),                                    \
      cmocka_unit_test_setup_teardown(store_einval, setup, teardown),                                        \
      cmocka_unit_test_setup_teardown(store_keys_sorted, setup, teardown),                                   \
      cmocka_unit_test_setup_teardown(store_put_from_own_peek, setup, teardown),                             \
      cmocka_unit_test_setup_teardown(store_read_only_costs_no_io, setup, teardown),                         \
      cmocka_unit_test_setup_teardown(store_many_records, setup, teardown),                                  \
      cmocka_unit_test_setup_teardown(store_many_records_read_back, setup, teardown)

int main(void) {
  const struct CMUnitTest memory_tests[] = {
      BOTH(setup_memory),
      cmocka_unit_test_setup_teardown(store_memory_power_restore, setup_memory, teardown),
  };
  const struct CMUnitTest file_tests[] = {
      BOTH(setup_file),
      cmocka_unit_test_setup_teardown(store_file_persistence, setup_file, teardown),
      cmocka_unit_test_setup_teardown(store_file_odd_paths, setup_file, teardown),
      cmocka_unit_test_setup_teardown(store_file_rejects_foreign, setup_file, teardown),
      cmocka_unit_test_setup_teardown(store_file_rejects_bad_rows, setup_file, teardown),
      cmocka_unit_test_setup_teardown(store_file_exclusive_owner, setup_file, teardown),
  };
  int failed = cmocka_run_group_tests_name("store_memory", memory_tests, NULL, NULL);
  failed += cmocka_run_group_tests_name("store_file", file_tests, NULL, NULL);
  return failed;
}
