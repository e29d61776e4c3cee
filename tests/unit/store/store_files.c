/* Card files at rest: permissions whatever the umask, what a broken file is reported as, the
 * owner lock, and erasing (CF_STORE_OPEN_FRESH) only under that lock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/store.h"
#include "store_test_util.h"

typedef struct fixture {
  char *dir;
  char *path;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  f->dir = store_test_mkdtemp();
  f->path = store_test_path(f->dir, "card.db");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  free(f->path);
  store_test_rmdir(f->dir);
  free(f);
  return 0;
}

static unsigned mode_of(const char *path) {
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_mode & 07777;
}

static int entries_in(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void put_commit(cf_store *s, uint32_t key, const char *value) {
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  assert_int_equal(cf_store_put(s, key, value, strlen(value)), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
}

static void make_card(const char *path, uint32_t key, const char *value) {
  cf_store *s;
  assert_int_equal(cf_store_open_file(path, &s), CF_STORE_OK);
  put_commit(s, key, value);
  cf_store_close(s);
}

static bool holds(cf_store *s, uint32_t key, const char *value) {
  size_t len = 0;
  const uint8_t *v = cf_store_peek(s, key, &len);
  return v && len == strlen(value) && memcmp(v, value, len) == 0;
}

static void write_bytes(const char *path, const void *data, size_t len) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  if (len) assert_int_equal(fwrite(data, 1, len, fp), len);
  assert_int_equal(fclose(fp), 0);
}

static void sql(const char *path, const char *statement) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, statement, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The database and its WAL are 0600 even when the umask lets everything through. */
static void modes_are_private_under_umask_000(void **state) {
  fixture *f = *state;
  mode_t old = umask(0);
  cf_store *s;
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  put_commit(s, 1, "pin");
  char *wal = store_test_path(f->dir, "card.db-wal");
  assert_true(store_test_exists(wal)); /* open, with a commit: the WAL is there */
  assert_int_equal(mode_of(f->path), 0600);
  assert_int_equal(mode_of(wal), 0600);
  char *shm = store_test_path(f->dir, "card.db-shm");
  assert_false(store_test_exists(shm));
  cf_store_close(s);
  umask(old);
  assert_int_equal(mode_of(f->path), 0600);
  assert_int_equal(entries_in(f->dir), 1); /* no temporary file left from its creation */
  free(wal);
  free(shm);
}

/* A card file written by an older version (0644) is made private when it is opened. */
static void existing_files_are_made_private(void **state) {
  fixture *f = *state;
  make_card(f->path, 1, "key");
  assert_int_equal(chmod(f->path, 0644), 0);
  cf_store *s;
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  assert_int_equal(mode_of(f->path), 0600);
  assert_true(holds(s, 1, "key"));
  cf_store_close(s);
}

/* Each kind of broken file has its own error, and the file is left exactly as it was. */
static void broken_files_are_named_and_left_alone(void **state) {
  fixture *f = *state;
  cf_store *s = (cf_store *)1;
  write_bytes(f->path, "", 0);
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_EMPTY);
  assert_null(s);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_size, 0);

  write_bytes(f->path, "PIN=1234\n", 9);
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_NOT_SQLITE);
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_size, 9);

  unlink(f->path);
  sql(f->path, "CREATE TABLE notes(x)");
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_FOREIGN);
  unlink(f->path);
  sql(f->path, "VACUUM"); /* an empty SQLite database is not a card store either */
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_FOREIGN);
  unlink(f->path);
}

/* Pages overwritten with garbage: SQLite's corruption checks speak, we report it as corrupt. */
static void corrupt_file_is_named(void **state) {
  fixture *f = *state;
  cf_store *s;
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  char value[600];
  memset(value, 'v', sizeof value);
  for (uint32_t k = 0; k < 40; k++)
    assert_int_equal(cf_store_put(s, k, value, sizeof value), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  cf_store_close(s);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_true(st.st_size > 4096 * 3);
  int fd = open(f->path, O_WRONLY);
  assert_true(fd >= 0);
  uint8_t junk[4096];
  memset(junk, 0xA5, sizeof junk);
  assert_int_equal(pwrite(fd, junk, sizeof junk, 4096), (ssize_t)sizeof junk); /* page 2: the kv root */
  close(fd);
  s = (cf_store *)1;
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_CORRUPT);
  assert_null(s);
}

/* Rows removed behind the store's back (a PIN record, say) are noticed; rows added too. */
static void missing_and_added_records(void **state) {
  fixture *f = *state;
  cf_store *s;
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  put_commit(s, 1, "config");
  put_commit(s, 2, "credentials");
  cf_store_close(s);
  sql(f->path, "DELETE FROM kv WHERE key = 2");
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_MISSING);
  sql(f->path, "INSERT INTO kv VALUES(2, x'00'); INSERT INTO kv VALUES(3, x'00')");
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_CORRUPT);
  sql(f->path, "DELETE FROM kv WHERE key = 3");
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  /* deleting through the store keeps the manifest right */
  assert_int_equal(cf_store_begin(s), CF_STORE_OK);
  assert_int_equal(cf_store_delete(s, 1), CF_STORE_OK);
  assert_int_equal(cf_store_commit(s), CF_STORE_OK);
  cf_store_close(s);
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  assert_false(holds(s, 1, "config"));
  cf_store_close(s);
}

/* A file without a manifest (written before it existed) is adopted with its record count. */
static void file_without_manifest_is_adopted(void **state) {
  fixture *f = *state;
  make_card(f->path, 9, "old");
  sql(f->path, "PRAGMA user_version = 0");
  cf_store *s;
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_OK);
  assert_true(holds(s, 9, "old"));
  cf_store_close(s);
  sql(f->path, "DELETE FROM kv");
  assert_int_equal(cf_store_open_file(f->path, &s), CF_STORE_MISSING);
}

/* Erasing takes the lock first: with an owner, nothing is erased; without, the card is new. */
static void fresh_only_under_the_lock(void **state) {
  fixture *f = *state;
  cf_store *owner, *other = (cf_store *)1;
  assert_int_equal(cf_store_open_file(f->path, &owner), CF_STORE_OK);
  put_commit(owner, 1, "live card");
  char *wal = store_test_path(f->dir, "card.db-wal");
  assert_true(store_test_exists(wal));
  assert_int_equal(cf_store_open_file_ex(f->path, CF_STORE_OPEN_FRESH, &other), CF_STORE_BUSY);
  assert_null(other);
  assert_true(store_test_exists(wal)); /* the live WAL is still there */
  put_commit(owner, 2, "still live");
  cf_store_close(owner);
  assert_int_equal(cf_store_open_file(f->path, &owner), CF_STORE_OK);
  assert_true(holds(owner, 1, "live card"));
  assert_true(holds(owner, 2, "still live"));
  cf_store_close(owner);

  assert_int_equal(cf_store_open_file_ex(f->path, CF_STORE_OPEN_FRESH, &owner), CF_STORE_OK);
  assert_int_equal(cf_store_keys(owner, NULL, 0), 0);
  assert_int_equal(mode_of(f->path), 0600);
  cf_store_close(owner);
  assert_int_equal(cf_store_open_file(f->path, &owner), CF_STORE_OK);
  assert_int_equal(cf_store_keys(owner, NULL, 0), 0);
  cf_store_close(owner);
  free(wal);
}

/* --fresh is also the way out of a broken file. */
static void fresh_replaces_broken_files(void **state) {
  fixture *f = *state;
  cf_store *s;
  write_bytes(f->path, "", 0);
  assert_int_equal(cf_store_open_file_ex(f->path, CF_STORE_OPEN_FRESH, &s), CF_STORE_OK);
  put_commit(s, 4, "new");
  cf_store_close(s);
  write_bytes(f->path, "garbage", 7);
  assert_int_equal(cf_store_open_file_ex(f->path, CF_STORE_OPEN_FRESH, &s), CF_STORE_OK);
  assert_false(holds(s, 4, "new"));
  cf_store_close(s);
  assert_int_equal(cf_store_open_file_ex(f->path, 0x80, &s), CF_STORE_EINVAL);
}

/* Two owners in one process, or in two: the second is refused, the first keeps working. */
static void second_owner_is_busy(void **state) {
  fixture *f = *state;
  cf_store *a, *b = (cf_store *)1;
  assert_int_equal(cf_store_open_file(f->path, &a), CF_STORE_OK);
  assert_int_equal(cf_store_open_file(f->path, &b), CF_STORE_BUSY);
  assert_null(b);
  put_commit(a, 1, "a");
  cf_store_close(a);
  assert_int_equal(cf_store_open_file(f->path, &b), CF_STORE_OK);
  assert_true(holds(b, 1, "a"));
  cf_store_close(b);
}

static void error_texts(void **state) {
  (void)state;
  assert_non_null(strstr(cf_store_error_text(CF_STORE_EMPTY), "empty"));
  assert_non_null(strstr(cf_store_error_text(CF_STORE_NOT_SQLITE), "not an SQLite"));
  assert_non_null(strstr(cf_store_error_text(CF_STORE_FOREIGN), "another application"));
  assert_non_null(strstr(cf_store_error_text(CF_STORE_CORRUPT), "corrupt"));
  assert_non_null(strstr(cf_store_error_text(CF_STORE_MISSING), "missing"));
  assert_non_null(strstr(cf_store_error_text(CF_STORE_BUSY), "in use"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(modes_are_private_under_umask_000, setup, teardown),
      cmocka_unit_test_setup_teardown(existing_files_are_made_private, setup, teardown),
      cmocka_unit_test_setup_teardown(broken_files_are_named_and_left_alone, setup, teardown),
      cmocka_unit_test_setup_teardown(corrupt_file_is_named, setup, teardown),
      cmocka_unit_test_setup_teardown(missing_and_added_records, setup, teardown),
      cmocka_unit_test_setup_teardown(file_without_manifest_is_adopted, setup, teardown),
      cmocka_unit_test_setup_teardown(fresh_only_under_the_lock, setup, teardown),
      cmocka_unit_test_setup_teardown(fresh_replaces_broken_files, setup, teardown),
      cmocka_unit_test_setup_teardown(second_owner_is_busy, setup, teardown),
      cmocka_unit_test(error_texts),
  };
  return cmocka_run_group_tests_name("store_files", tests, NULL, NULL);
}
