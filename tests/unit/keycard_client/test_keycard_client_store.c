/* The pairing store: lookups, replacement, removal, private permissions, atomic replacement, and
 * tolerance of damaged lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/keycard_client.h"

static char dir[256], path[512];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/kcc_store_XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(path, sizeof path, "%s/sub/dir/keycard-pairings.txt", dir); /* parents do not exist yet */
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void uid_of(uint8_t uid[16], uint8_t v) {
  memset(uid, v, 16);
}

static void keycard_client_store_roundtrip(void **state) {
  (void)state;
  uint8_t uid1[16], uid2[16], key1[32], key2[32], got[32], idx = 0;
  char err[256];
  uid_of(uid1, 0x11);
  uid_of(uid2, 0x22);
  memset(key1, 0xA1, 32);
  memset(key2, 0xB2, 32);
  assert_int_equal(keycard_client_pairing_get(path, uid1, &idx, got, err, sizeof err), 0); /* no file yet */
  assert_int_equal(keycard_client_pairing_put(path, uid1, 0, key1, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_put(path, uid2, 4, key2, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid1, &idx, got, err, sizeof err), 1);
  assert_int_equal(idx, 0);
  assert_memory_equal(got, key1, 32);
  assert_int_equal(keycard_client_pairing_get(path, uid2, &idx, got, err, sizeof err), 1);
  assert_int_equal(idx, 4);
  assert_memory_equal(got, key2, 32);

  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);

  /* a second pairing of the same card (another slot) is kept beside the first and used first; a
   * pairing of a slot stored already replaces that line */
  memset(key1, 0xC3, 32);
  assert_int_equal(keycard_client_pairing_put(path, uid1, 2, key1, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid1, &idx, got, err, sizeof err), 1);
  assert_int_equal(idx, 2);
  assert_memory_equal(got, key1, 32);
  assert_int_equal(keycard_client_pairing_count(path, uid1, err, sizeof err), 2);
  memset(key1, 0xD4, 32);
  assert_int_equal(keycard_client_pairing_put(path, uid1, 2, key1, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_count(path, uid1, err, sizeof err), 2);
  assert_int_equal(keycard_client_pairing_get(path, uid1, &idx, got, err, sizeof err), 1);
  assert_memory_equal(got, key1, 32);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  int lines = 0;
  char line[256];
  while (fgets(line, sizeof line, f))
    lines++;
  fclose(f);
  assert_int_equal(lines, 3);

  /* forgetting one slot keeps the card's other pairing */
  assert_int_equal(keycard_client_pairing_forget(path, uid1, 2, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid1, &idx, got, err, sizeof err), 1);
  assert_int_equal(idx, 0);
  assert_int_equal(keycard_client_pairing_count(path, uid1, err, sizeof err), 1);

  /* removal */
  assert_int_equal(keycard_client_pairing_put(path, uid1, 0, NULL, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid1, &idx, got, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid2, &idx, got, err, sizeof err), 1);

  /* no temporary file left beside the store */
  char parent[600];
  snprintf(
      parent, sizeof parent,
      "ls '%s/sub/dir' | grep -v -e '^keycard-pairings.txt$' -e '^keycard-pairings.txt.lock$' | grep -q .",
      dir);
  assert_int_not_equal(system(parent), 0);
}

static void keycard_client_store_damaged_lines(void **state) {
  (void)state;
  char err[256];
  uint8_t none[16] = {0};
  assert_int_equal(keycard_client_pairing_put(path, none, 0, NULL, err, sizeof err),
                   0); /* makes the folders */
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("# a comment stays\n", f);
  fputs("garbage\n", f);
  fputs("33333333333333333333333333333333 7 ZZ\n", f);                                   /* bad key */
  fputs("3333 1 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n", f); /* bad uid */
  fputs("33333333333333333333333333333333 999 "
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n",
        f);
  fputs(
      "33333333333333333333333333333333 3 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n",
      f);
  fclose(f);
  uint8_t uid[16], key[32], idx = 0;
  uid_of(uid, 0x33);
  assert_int_equal(keycard_client_pairing_get(path, uid, &idx, key, err, sizeof err), 1);
  assert_int_equal(idx, 3);
  assert_int_equal(key[31], 0x1F);
  uint8_t other[16];
  uid_of(other, 0x44);
  assert_int_equal(keycard_client_pairing_put(path, other, 1, key, err, sizeof err), 0);
  f = fopen(path, "r");
  char first[128];
  assert_non_null(fgets(first, sizeof first, f));
  fclose(f);
  assert_string_equal(first, "# a comment stays\n");
}

static void keycard_client_store_errors(void **state) {
  (void)state;
  char err[256] = "";
  uint8_t uid[16] = {0}, key[32] = {0}, idx;
  /* a directory where the file should be */
  char as_dir[600];
  snprintf(as_dir, sizeof as_dir, "%s/isdir", dir);
  assert_int_equal(mkdir(as_dir, 0700), 0);
  assert_int_equal(keycard_client_pairing_get(as_dir, uid, &idx, key, err, sizeof err), -1);
  assert_non_null(strstr(err, "not a regular file"));
  err[0] = 0;
  assert_int_equal(keycard_client_pairing_put(as_dir, uid, 0, key, err, sizeof err), -1);
  assert_true(strlen(err) > 0);
  /* a parent that is a file */
  char under_file[700];
  snprintf(under_file, sizeof under_file, "%s/file", dir);
  FILE *f = fopen(under_file, "w");
  fclose(f);
  snprintf(under_file, sizeof under_file, "%s/file/store.txt", dir);
  err[0] = 0;
  assert_int_equal(keycard_client_pairing_put(under_file, uid, 0, key, err, sizeof err), -1);
  assert_true(strlen(err) > 0);
}

/* A store that group or others may read has leaked its keys: refused, naming the file and mode. */
static void keycard_client_store_too_open(void **state) {
  (void)state;
  char err[512] = "";
  uint8_t uid[16], key[32], idx;
  uid_of(uid, 0x55);
  memset(key, 0x66, sizeof key);
  assert_int_equal(keycard_client_pairing_put(path, uid, 1, key, err, sizeof err), 0);
  assert_int_equal(chmod(path, 0644), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid, &idx, key, err, sizeof err), -1);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "0644"));
  err[0] = 0;
  assert_int_equal(keycard_client_pairing_put(path, uid, 2, key, err, sizeof err), -1);
  assert_non_null(strstr(err, "too open"));
  assert_int_equal(chmod(path, 0600), 0);
  assert_int_equal(keycard_client_pairing_get(path, uid, &idx, key, err, sizeof err), 1);
  assert_int_equal(idx, 1);
}

/* Four processes add and remove pairings of their own cards at once: every change survives (the
 * read-modify-write runs under the store's lock; without it concurrent writers lose lines). */
#define WRITERS 4
#define ROUNDS 60
static void keycard_client_store_concurrent_writers(void **state) {
  (void)state;
  char err[512];
  uint8_t none[16] = {0};
  assert_int_equal(keycard_client_pairing_put(path, none, 0, NULL, err, sizeof err), 0);
  pid_t pids[WRITERS];
  for (int w = 0; w < WRITERS; w++) {
    pids[w] = fork();
    assert_true(pids[w] >= 0);
    if (pids[w] == 0) {
      uint8_t uid[16], key[32];
      int bad = 0;
      uid_of(uid, (uint8_t)(0x10 * (w + 1)));
      memset(key, w, sizeof key);
      for (int r = 0; r < ROUNDS; r++) {
        /* slots r stay; every third round one is added and removed again */
        bad |= keycard_client_pairing_put(path, uid, (uint8_t)r, key, err, sizeof err);
        if (r % 3 == 0) {
          bad |= keycard_client_pairing_put(path, uid, 200, key, err, sizeof err);
          bad |= keycard_client_pairing_forget(path, uid, 200, err, sizeof err);
        }
      }
      _exit(bad ? 1 : 0);
    }
  }
  for (int w = 0; w < WRITERS; w++) {
    int status = 0;
    assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  for (int w = 0; w < WRITERS; w++) {
    uint8_t uid[16];
    uid_of(uid, (uint8_t)(0x10 * (w + 1)));
    assert_int_equal(keycard_client_pairing_count(path, uid, err, sizeof err), ROUNDS);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(keycard_client_store_roundtrip, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_store_damaged_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_store_too_open, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_store_concurrent_writers, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_store_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
