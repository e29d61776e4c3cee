/* CAP files (host/gp/gp_cap.c): the load file data block from a bare block and from ZIPs with
 * stored and deflated entries in any order, the package and applet AIDs, and every malformed
 * input refused with a reason. */
#include <stdlib.h>
#include <unistd.h>

#include "gp_cap_builder.h"
#include "cardforge/gp_cap.h"

typedef struct parts3 {
  cap_part header, applet, method;
} parts3;

static void make_parts(parts3 *p) {
  static const char *const applets[] = {"F063666C6F6F70", "F063666C6F6F71"};
  p->header = (cap_part){.name = "Header"};
  p->applet = (cap_part){.name = "Applet"};
  p->method = (cap_part){.name = "Method"};
  p->header.len = cap_header("F063666C6F6F", p->header.bytes);
  p->applet.len = cap_applets(applets, 2, p->applet.bytes);
  p->method.len = cap_method(300, p->method.bytes);
}

static size_t lfdb_of(const parts3 *p, uint8_t *out) {
  size_t n = 0;
  memcpy(out + n, p->header.bytes, p->header.len), n += p->header.len;
  memcpy(out + n, p->applet.bytes, p->applet.len), n += p->applet.len;
  memcpy(out + n, p->method.bytes, p->method.len), n += p->method.len;
  return n;
}

static void check_cap(const cf_gp_cap *c, const uint8_t *lfdb, size_t len) {
  assert_hex(c->package_aid, c->package_aid_len, "F063666C6F6F");
  assert_int_equal(c->package_major, 1);
  assert_int_equal(c->package_minor, 0);
  assert_int_equal(c->applet_count, 2);
  assert_hex(c->applet_aid[0], c->applet_aid_len[0], "F063666C6F6F70");
  assert_hex(c->applet_aid[1], c->applet_aid_len[1], "F063666C6F6F71");
  assert_int_equal(c->lfdb_len, len);
  assert_memory_equal(c->lfdb, lfdb, len);
}

static void test_bare_block(void **state) {
  (void)state;
  parts3 p;
  uint8_t lfdb[1024];
  char err[256];
  make_parts(&p);
  size_t n = lfdb_of(&p, lfdb);
  cf_gp_cap c;
  assert_int_equal(cf_gp_cap_from_bytes(lfdb, n, &c, err, sizeof err), 0);
  check_cap(&c, lfdb, n);
  cf_gp_cap_free(&c);
}

/* Entries in the ZIP in another order (Method, Applet, Header) and beside other files: the block
 * is still Header, Applet, Method (installation order), stored or deflated alike. */
static void test_zip(void **state) {
  (void)state;
  parts3 p;
  uint8_t lfdb[1024], zip[4096];
  char err[256];
  make_parts(&p);
  size_t n = lfdb_of(&p, lfdb);
  cap_part descriptor = {.name = "Descriptor", .bytes = {0x0B, 0x00, 0x01, 0x00}, .len = 4};
  cap_part manifest = {.name = "../../META-INF/MANIFEST", .bytes = "Manifest-Version: 1.0\n", .len = 22};
  cap_part parts[] = {p.method, descriptor, p.applet, manifest, p.header};
  for (int deflated = 0; deflated <= 1; deflated++) {
    size_t zn = cap_zip("org/example/cfloop", parts, 5, deflated, zip, sizeof zip);
    cf_gp_cap c;
    assert_int_equal(cf_gp_cap_from_bytes(zip, zn, &c, err, sizeof err), 0);
    check_cap(&c, lfdb, n); /* Descriptor left out */
    cf_gp_cap_free(&c);
  }
  /* a file */
  char path[] = "/tmp/cf-gp-cap-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t zn = cap_zip("x", parts, 5, 1, zip, sizeof zip);
  FILE *f = fdopen(fd, "wb");
  assert_int_equal(fwrite(zip, 1, zn, f), zn);
  fclose(f);
  cf_gp_cap c;
  assert_int_equal(cf_gp_cap_read(path, &c, err, sizeof err), 0);
  check_cap(&c, lfdb, n);
  cf_gp_cap_free(&c);
  unlink(path);
  assert_int_equal(cf_gp_cap_read(path, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, path));
}

static void test_malformed(void **state) {
  (void)state;
  parts3 p;
  uint8_t lfdb[1024], zip[4096], bad[1024];
  char err[256];
  cf_gp_cap c;
  make_parts(&p);
  size_t n = lfdb_of(&p, lfdb);
  /* cut short, anywhere */
  for (size_t cut = 1; cut < n; cut += 13) {
    err[0] = 0;
    if (cf_gp_cap_from_bytes(lfdb, cut, &c, err, sizeof err) == 0) {
      /* a cut exactly between components is a whole (shorter) block */
      assert_true(cut == p.header.len || cut == p.header.len + p.applet.len);
      cf_gp_cap_free(&c);
    } else {
      assert_true(err[0] != 0);
    }
  }
  assert_int_equal(cf_gp_cap_from_bytes(lfdb, 0, &c, err, sizeof err), -1);
  /* Applet first */
  memcpy(bad, p.applet.bytes, p.applet.len);
  memcpy(bad + p.applet.len, p.header.bytes, p.header.len);
  assert_int_equal(cf_gp_cap_from_bytes(bad, p.applet.len + p.header.len, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, "Header"));
  /* bad magic, bad AID length, tag 0, Applet component with trailing bytes */
  memcpy(bad, lfdb, n);
  bad[3] = 0xCA;
  assert_int_equal(cf_gp_cap_from_bytes(bad, n, &c, err, sizeof err), -1);
  memcpy(bad, lfdb, n);
  bad[12] = 17;
  assert_int_equal(cf_gp_cap_from_bytes(bad, n, &c, err, sizeof err), -1);
  memcpy(bad, lfdb, n);
  bad[p.header.len] = 0x00;
  assert_int_equal(cf_gp_cap_from_bytes(bad, n, &c, err, sizeof err), -1);
  memcpy(bad, lfdb, n);
  bad[p.header.len + 3] = 1; /* one applet announced, two there */
  assert_int_equal(cf_gp_cap_from_bytes(bad, n, &c, err, sizeof err), -1);
  /* ZIP: a flipped data byte (CRC), no Header entry, a truncated central directory */
  cap_part parts[] = {p.header, p.applet, p.method};
  size_t zn = cap_zip("a", parts, 3, 0, zip, sizeof zip);
  zip[30 + 21 + 5] ^= 1; /* inside the Header entry's data (30-byte header, 21-byte name) */
  assert_int_equal(cf_gp_cap_from_bytes(zip, zn, &c, err, sizeof err), -1);
  zn = cap_zip("a", parts + 1, 2, 1, zip, sizeof zip);
  assert_int_equal(cf_gp_cap_from_bytes(zip, zn, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, "Header"));
  zn = cap_zip("a", parts, 3, 1, zip, sizeof zip);
  assert_int_equal(cf_gp_cap_from_bytes(zip, zn - 30, &c, err, sizeof err), -1);
  zip[zn - 6] = 0xFF; /* central directory offset beyond the file */
  assert_int_equal(cf_gp_cap_from_bytes(zip, zn, &c, err, sizeof err), -1);
}

/* Mutated and cut CAP files and blocks (a fixed pseudo-random sequence): each is parsed or refused
 * with a reason, never read out of bounds (the sanitizers watch), and a parsed one is consistent. */
static void test_mutations(void **state) {
  (void)state;
  parts3 p;
  uint8_t lfdb[1024], zips[2][4096], buf[4096];
  char err[256];
  make_parts(&p);
  size_t n = lfdb_of(&p, lfdb);
  cap_part parts[] = {p.header, p.applet, p.method};
  size_t zn[2] = {cap_zip("m", parts, 3, 0, zips[0], sizeof zips[0]),
                  cap_zip("m", parts, 3, 1, zips[1], sizeof zips[1])};
  uint32_t x = 0x2545F491;
  size_t parsed = 0, refused = 0;
  for (int round = 0; round < 3000; round++) {
    int which = round % 3;
    const uint8_t *src = which == 2 ? lfdb : zips[which];
    size_t len = which == 2 ? n : zn[which];
    memcpy(buf, src, len);
    for (int k = 0; k < 1 + round % 4; k++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      buf[x % len] ^= (uint8_t)(x >> 8 | 1);
    }
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    if (round % 5 == 0) len = x % len;
    cf_gp_cap c;
    err[0] = 0;
    if (cf_gp_cap_from_bytes(buf, len, &c, err, sizeof err) == 0) {
      assert_true(c.package_aid_len >= 5 && c.package_aid_len <= 16);
      assert_true(c.lfdb_len > 0 && c.lfdb[0] == 0x01);
      cf_gp_cap_free(&c);
      parsed++;
    } else {
      assert_true(err[0] != 0);
      refused++;
    }
  }
  assert_true(refused > 0);
  assert_true(parsed > 0); /* a flipped filler byte of a bare block still parses */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bare_block),
      cmocka_unit_test(test_zip),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
