#include "store_test_util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

void store_test_fill(uint8_t *buf, uint32_t key, uint32_t version, size_t len) {
  uint32_t x = key * 2654435761u ^ version * 40503u ^ (uint32_t)len;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (uint8_t)(x >> 16);
  }
}

void store_test_put_state(cf_store *s, const store_test_state *st) {
  static uint8_t buf[CF_STORE_MAX_RECORD];
  for (size_t i = 0; i < st->count; i++) {
    const store_test_record *r = &st->records[i];
    store_test_fill(buf, r->key, r->version, r->len);
    assert_int_equal(cf_store_put(s, r->key, buf, r->len), CF_STORE_OK);
  }
}

bool store_test_equals(cf_store *s, const store_test_state *st) {
  static uint8_t want[CF_STORE_MAX_RECORD], got[CF_STORE_MAX_RECORD];
  uint32_t keys[256];
  size_t n = cf_store_keys(s, keys, 256);
  if (n != st->count) return false;
  for (size_t i = 0; i < n; i++) {
    const store_test_record *r = &st->records[i];
    size_t len = 0;
    if (keys[i] != r->key) return false;
    if (cf_store_get(s, r->key, got, sizeof(got), &len) != CF_STORE_OK || len != r->len) return false;
    store_test_fill(want, r->key, r->version, r->len);
    if (memcmp(want, got, len) != 0) return false;
  }
  return true;
}

char *store_test_mkdtemp(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof(tmpl), "%s/cf-store-XXXXXX", base && *base ? base : "/tmp");
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  return strdup(dir);
}

void store_test_rmdir(char *dir) {
  if (!dir) return;
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char *p = store_test_path(dir, e->d_name);
      unlink(p);
      free(p);
    }
    closedir(d);
  }
  rmdir(dir);
  free(dir);
}

char *store_test_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

bool store_test_exists(const char *path) {
  return access(path, F_OK) == 0;
}

static void copy_file(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  assert_non_null(in);
  FILE *out = fopen(dst, "wb");
  assert_non_null(out);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
    assert_int_equal(fwrite(buf, 1, n, out), n);
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

void store_test_copy_card(const char *src, const char *dst) {
  static const char *const suffixes[] = {"", "-wal", "-journal"};
  for (size_t i = 0; i < 3; i++) {
    char s[4096], d[4096];
    snprintf(s, sizeof(s), "%s%s", src, suffixes[i]);
    snprintf(d, sizeof(d), "%s%s", dst, suffixes[i]);
    unlink(d);
    if (store_test_exists(s)) copy_file(s, d);
  }
}
