/* The ceremony log on its own: appending, the chain, and each kind of tampering found at the
 * right line; the MAC mode with the right key, a wrong key and a line written without it. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/audit.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t other_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};

typedef struct log_fixture {
  char dir[64], path[128];
} log_fixture;

static int setup(void **state) {
  log_fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/cf-audit-XXXXXX");
  if (mkdtemp(f->dir) == NULL) return -1;
  snprintf(f->path, sizeof f->path, "%s/audit.log", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  log_fixture *f = *state;
  char lock[160], head[160];
  snprintf(lock, sizeof lock, "%s.lock", f->path);
  snprintf(head, sizeof head, "%s.head", f->path);
  unlink(f->path);
  unlink(lock);
  unlink(head);
  rmdir(f->dir);
  free(f);
  return 0;
}

/* n events: a GP key set each, KVN i, with made-up check values. */
static void write_events(const char *path, int n, const uint8_t *k) {
  for (int i = 1; i <= n; i++) {
    char kcv[12];
    snprintf(kcv, sizeof kcv, "%06X", 0xA0B0C0 + i);
    assert_int_equal(cf_audit_append(path, k, k ? 16 : 0, "gp put-key", "Reader 0", 0x9000, 0,
                                     "{s:i,s:[i,i,i],s:s}", "kvn", i, "key_ids", 1, 2, 3, "kcv_enc", kcv),
                     0);
  }
}

static size_t read_file(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = 0;
  return n;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The log split into lines (each with its newline). */
static int split(char *buf, char *line[], int max) {
  int n = 0;
  for (char *p = buf; *p && n < max;) {
    line[n++] = p;
    char *nl = strchr(p, '\n');
    if (nl == NULL) break;
    p = nl + 1;
  }
  return n;
}

static void write_lines(const char *path, char *const line[], const int order[], int n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  for (int i = 0; i < n; i++) {
    const char *s = line[order[i]];
    fwrite(s, 1, (size_t)(strchr(s, '\n') - s + 1), f);
  }
  fclose(f);
}

static void expect_bad(const char *path, const uint8_t *k, size_t want_line, const char *want_why) {
  size_t lines = 99, bad = 0;
  char why[512] = "";
  assert_int_equal(cf_audit_verify(path, k, k ? 16 : 0, &lines, &bad, why, sizeof why), 1);
  print_message("verify: %s\n", why);
  assert_int_equal(bad, want_line);
  assert_int_equal(lines, 0);
  if (strstr(why, want_why) == NULL) fail_msg("why \"%s\" lacks \"%s\"", why, want_why);
}

static void expect_good(const char *path, const uint8_t *k, size_t want_lines) {
  size_t lines = 0, bad = 99;
  char why[512] = "";
  int rc = cf_audit_verify(path, k, k ? 16 : 0, &lines, &bad, why, sizeof why);
  if (rc != 0) fail_msg("verify: %s", why);
  assert_int_equal(lines, want_lines);
}

static void test_append_and_verify(void **state) {
  log_fixture *f = *state;
  write_events(f->path, 4, NULL);
  expect_good(f->path, NULL, 4);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  char buf[8192], *line[8];
  read_file(f->path, buf, sizeof buf);
  assert_int_equal(split(buf, line, 8), 4);
  /* the reserved fields first, in order, then the event's */
  assert_memory_equal(line[0], "{\"seq\":1,\"time\":\"", 17);
  assert_non_null(strstr(line[2], "\"command\":\"gp put-key\",\"reader\":\"Reader 0\",\"result\":\"ok\","
                                  "\"sw\":\"9000\",\"exit\":0,\"kvn\":3,\"key_ids\":[1,2,3],"
                                  "\"kcv_enc\":\"A0B0C3\"}\n"));
  /* the first line chains to SHA-256("cardforge ceremony log v1"), the second to the first's bytes */
  uint8_t h[32];
  char want[200], hex[65];
  assert_int_equal(cf_sha256(CF_AUDIT_GENESIS, strlen(CF_AUDIT_GENESIS), h), 0);
  cf_hex_encode(h, sizeof h, hex);
  snprintf(want, sizeof want, "\"prev\":\"%s\"", hex);
  assert_non_null(strstr(line[0], want));
  assert_int_equal(cf_sha256(line[0], (size_t)(line[1] - line[0] - 1), h), 0);
  cf_hex_encode(h, sizeof h, hex);
  snprintf(want, sizeof want, "\"prev\":\"%s\"", hex);
  assert_non_null(strstr(line[1], want));
  assert_null(strstr(line[0], "\"mac\""));
}

static void test_empty_log_verifies(void **state) {
  log_fixture *f = *state;
  write_file(f->path, "");
  expect_good(f->path, NULL, 0);
  size_t lines, bad;
  char why[256];
  unlink(f->path);
  assert_int_equal(cf_audit_verify(f->path, NULL, 0, &lines, &bad, why, sizeof why), -1);
}

static void test_removed_line(void **state) {
  log_fixture *f = *state;
  write_events(f->path, 5, NULL);
  char buf[8192], *line[8];
  read_file(f->path, buf, sizeof buf);
  split(buf, line, 8);
  write_lines(f->path, line, (const int[]){0, 1, 3, 4}, 4);
  expect_bad(f->path, NULL, 3, "seq 4 where 3 was expected");
  write_lines(f->path, line, (const int[]){1, 2, 3, 4}, 4);
  expect_bad(f->path, NULL, 1, "seq 2 where 1 was expected");
}

static void test_reordered_lines(void **state) {
  log_fixture *f = *state;
  write_events(f->path, 5, NULL);
  char buf[8192], *line[8];
  read_file(f->path, buf, sizeof buf);
  split(buf, line, 8);
  write_lines(f->path, line, (const int[]){0, 1, 3, 2, 4}, 5);
  expect_bad(f->path, NULL, 3, "reordered");
  write_lines(f->path, line, (const int[]){0, 1, 2, 3, 3}, 5);
  expect_bad(f->path, NULL, 5, "seq 4 where 5 was expected");
}

static void test_edited_line(void **state) {
  log_fixture *f = *state;
  write_events(f->path, 5, NULL);
  char buf[8192], copy[8192], *line[8];
  read_file(f->path, buf, sizeof buf);
  memcpy(copy, buf, sizeof buf);
  /* a check value changed: still canonical JSON, caught by line 3's prev */
  char *kcv = strstr(strstr(copy, "\"seq\":2,"), "A0B0C2");
  kcv[5] = '9';
  write_file(f->path, copy);
  expect_bad(f->path, NULL, 2, "line 2: changed (line 3's prev does not match");
  /* a space added: not in the writer's form */
  memcpy(copy, buf, sizeof buf);
  split(copy, line, 8);
  char edited[9000];
  snprintf(edited, sizeof edited, "%.*s%.*s %s", (int)(line[3] - copy), copy, (int)(line[4] - line[3] - 2),
           line[3], line[4] - 2);
  write_file(f->path, edited);
  expect_bad(f->path, NULL, 4, "line 4: edited");
  /* garbage, and a cut-off last line */
  memcpy(copy, buf, sizeof buf);
  split(copy, line, 8);
  memcpy(line[1], "not json", 8);
  write_file(f->path, copy);
  expect_bad(f->path, NULL, 2, "not a JSON object");
  memcpy(copy, buf, sizeof buf);
  copy[strlen(copy) - 3] = 0;
  write_file(f->path, copy);
  expect_bad(f->path, NULL, 5, "incomplete");
  /* appending after a torn line keeps the damage visible and chains past it */
  assert_int_equal(cf_audit_append(f->path, NULL, 0, "gp delete-key", NULL, 0x6A88, 3, NULL), 0);
  expect_bad(f->path, NULL, 5, "line 5: not a JSON object");
}

static void test_mac_mode(void **state) {
  log_fixture *f = *state;
  write_events(f->path, 3, key);
  expect_good(f->path, key, 3);
  expect_good(f->path, NULL, 3); /* the chain alone */
  expect_bad(f->path, other_key, 1, "line 1: MAC does not match");
  /* the last line edited: the chain cannot see it; the head's hash and the MAC do */
  char buf[8192];
  read_file(f->path, buf, sizeof buf);
  char *kcv = strstr(strstr(buf, "\"seq\":3,"), "A0B0C3");
  kcv[5] = '7';
  write_file(f->path, buf);
  expect_bad(f->path, NULL, 3, "line 3: changed (the last line does not match the head's hash)");
  expect_bad(f->path, key, 3, "line 3: MAC does not match");
  kcv[5] = '3';
  write_file(f->path, buf);
  /* a line written without the key */
  assert_int_equal(cf_audit_append(f->path, NULL, 0, "gp delete-key", NULL, 0x9000, 0, "{s:i}", "kvn", 2), 0);
  expect_good(f->path, NULL, 4);
  expect_bad(f->path, key, 4, "line 4: no MAC");
}

/* The head file: lines cut off at the end, a missing or forged head, and the head one line behind
 * that a crash between an append's two writes leaves (accepted). */
static void test_head(void **state) {
  log_fixture *f = *state;
  char head[160], saved[1024], buf[8192], *line[8];
  snprintf(head, sizeof head, "%s.head", f->path);
  write_events(f->path, 2, key);
  read_file(head, saved, sizeof saved);
  assert_non_null(strstr(saved, "{\"lines\":2,\"last\":\""));
  assert_non_null(strstr(saved, "\"mac\":\""));
  struct stat st;
  assert_int_equal(stat(head, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  write_events(f->path, 1, key);
  expect_good(f->path, key, 3);
  /* the last line cut off: the chain alone is intact, the head is not */
  read_file(f->path, buf, sizeof buf);
  assert_int_equal(split(buf, line, 8), 3);
  write_lines(f->path, line, (const int[]){0, 1}, 2);
  expect_bad(f->path, NULL, 3, "line 3: removed (the log ends at line 2; its head records 3 lines)");
  expect_bad(f->path, key, 3, "line 3: removed");
  /* the log back, the head of two lines back: one line behind is a crash, accepted */
  write_lines(f->path, line, (const int[]){0, 1, 2}, 3);
  write_file(head, saved);
  expect_good(f->path, key, 3);
  /* two lines behind is not */
  write_events(f->path, 1, key);
  write_file(head, saved);
  expect_bad(f->path, key, 3, "line 3: not recorded in the head");
  /* a head forged without the key, and none at all */
  write_file(head, "{\"lines\":4,\"last\":\"00\"}\n");
  expect_bad(f->path, key, 5, "no MAC");
  unlink(head);
  expect_bad(f->path, NULL, 5, "the head file");
  /* the next append writes the head again */
  write_events(f->path, 1, key);
  expect_good(f->path, key, 5);
}

static void test_bad_events_refused(void **state) {
  log_fixture *f = *state;
  assert_int_equal(cf_audit_append(f->path, NULL, 0, "x", NULL, 0, 0, "{s:i}", "seq", 7), -1);
  assert_int_equal(cf_audit_append(f->path, NULL, 0, "x", NULL, 0, 0, "[i]", 7), -1);
  assert_int_equal(cf_audit_append(f->path, NULL, 0, "x", NULL, 0, 0, "{s:s}", "name", "\xff\xfe"), -1);
  /* nothing was written: refused before the log was even opened */
  struct stat st;
  assert_int_equal(stat(f->path, &st), -1);
  /* a name with quotes and a newline is escaped by the library, so the line stays one line */
  assert_int_equal(cf_audit_append(f->path, NULL, 0, "x", "Reader \"A\"\n0", 0, 0, NULL), 0);
  expect_good(f->path, NULL, 1);
}

static void test_path_and_key_config(void **state) {
  log_fixture *f = *state;
  char path[256], err[256], keyfile[160];
  uint8_t k[CF_AUDIT_KEY_MAX];
  size_t klen = 0;
  cf_cli_global g = {.state_dir = f->dir};
  unsetenv(CF_AUDIT_ENV_LOG);
  unsetenv(CF_AUDIT_ENV_KEY);
  assert_int_equal(cf_audit_path(&g, path, sizeof path), 0);
  assert_string_equal(path, f->path);
  setenv(CF_AUDIT_ENV_LOG, "/elsewhere/log", 1);
  assert_int_equal(cf_audit_path(&g, path, sizeof path), 0);
  assert_string_equal(path, "/elsewhere/log");
  cf_audit_configure("/given/log", NULL);
  assert_int_equal(cf_audit_path(&g, path, sizeof path), 0);
  assert_string_equal(path, "/given/log");
  unsetenv(CF_AUDIT_ENV_LOG);
  assert_int_equal(cf_audit_key(k, &klen, err, sizeof err), 0);
  /* a key file others may read is refused; a 0600 one is used */
  snprintf(keyfile, sizeof keyfile, "%s/audit.key", f->dir);
  write_file(keyfile, "000102030405060708090A0B0C0D0E0F\n");
  chmod(keyfile, 0644);
  char opt[200];
  snprintf(opt, sizeof opt, "@%s", keyfile);
  cf_audit_configure(NULL, opt);
  assert_int_equal(cf_audit_key(k, &klen, err, sizeof err), -2);
  assert_non_null(strstr(err, "too open"));
  chmod(keyfile, 0600);
  assert_int_equal(cf_audit_key(k, &klen, err, sizeof err), 1);
  assert_int_equal(klen, 16);
  assert_int_equal(k[15], 0x0F);
  write_file(keyfile, "0001\n");
  assert_int_equal(cf_audit_key(k, &klen, err, sizeof err), -1);
  unlink(keyfile);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_append_and_verify, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_log_verifies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_removed_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reordered_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edited_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mac_mode, setup, teardown),
      cmocka_unit_test_setup_teardown(test_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_events_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_and_key_config, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
