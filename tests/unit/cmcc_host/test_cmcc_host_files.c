/* The cmcc host's files: HSM vault, key code sheet, batch card lists (parsing, rejection of
 * malformed files with a clear error, the 0600 rule, save/load), and the Export Keys&Data request
 * encoding byte by byte. */
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

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/hex.h"
#include "cmcc_host_test_files.h"

static const char good_hsm[] =
    "# operator vault\n"
    "cardforge-cmcc-hsm 1\n"
    "key 01 01 01 00 00 00 AA 00000000 404142434445464748494A4B4C4D4E4F operator KMC master\n"
    "  key 03 02 05 00 10 21 AA 80000010 000102030405060708090a0b0c0d0e0f   # auth card\n"
    "\n"
    "key 04 01 01 00 00 00 AA 00000000 A4A4A4A4A4A4A4A4A4A4A4A4A4A4A4A4\n";

static void cmcc_host_hsm_parses_good_file(void **state) {
  (void)state;
  cf_cmcc_hsm *h = NULL;
  char err[256] = "";
  assert_int_equal(cf_cmcc_hsm_parse(good_hsm, strlen(good_hsm), "v", &h, err, sizeof err), 0);
  assert_int_equal(cf_cmcc_hsm_count(h), 3);
  const cf_cmcc_key *k = cf_cmcc_hsm_find(h, 0x03, -1, -1, err, sizeof err);
  assert_non_null(k);
  const uint8_t attrs[11] = {0x03, 0x02, 0x05, 0x00, 0x10, 0x21, 0xAA, 0x80, 0x00, 0x00, 0x10};
  assert_memory_equal(k->attrs, attrs, 11);
  assert_int_equal(k->value[15], 0x0F);
  assert_string_equal(k->label, "");
  k = cf_cmcc_hsm_find(h, 0x01, 0x01, 0x01, err, sizeof err);
  assert_non_null(k);
  assert_string_equal(k->label, "operator KMC master");
  assert_null(cf_cmcc_hsm_find(h, 0x02, -1, -1, err, sizeof err));
  assert_non_null(strstr(err, "no key of type 02"));
  assert_null(cf_cmcc_hsm_find(h, 0x01, 0x02, -1, err, sizeof err));
  cf_cmcc_hsm_free(h);
}

/* Each malformed vault is refused with "name:line: why" naming the problem. */
static void cmcc_host_hsm_rejects_malformed(void **state) {
  (void)state;
  static const struct {
    const char *text, *expect;
  } cases[] = {
      {"", "v: empty"},
      {"# only a comment\n", "v: empty"},
      {"cardforge-cmcc-hsm 2\n", "v:1: not an HSM key file"},
      {"cardforge-cmcc-keysheet 1\nseed 00\n", "v:1: not an HSM key file"},
      {"cardforge-cmcc-hsm 1\n", "v: holds no key"},
      {"cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 00000000\n", "v:2: a key line needs"},
      {"cardforge-cmcc-hsm 1\nkye 01 01 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEEFF\n",
       "v:2: unknown directive \"kye\""},
      {"cardforge-cmcc-hsm 1\nkey 1 01 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEEFF\n",
       "v:2: type must be 2 hex digits"},
      {"cardforge-cmcc-hsm 1\nkey 01 0G 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEEFF\n",
       "v:2: version must be 2 hex digits"},
      {"cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 0000000 00112233445566778899AABBCCDDEEFF\n",
       "v:2: usage counter must be 8 hex digits"},
      {"cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEE\n",
       "v:2: key value must be 32 hex digits"},
      {"cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEEFFAA\n",
       "v:2: key value must be 32 hex digits"},
      {"cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 00000000 0011223344556677:8899AABBCCDDEEFF\n",
       "v:2: key value must be 32 hex digits"},
      {"cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEEFF\n"
       "key 01 01 01 00 00 00 AA 00000000 FF112233445566778899AABBCCDDEEFF\n",
       "v:3: duplicate key type 01 version 01 index 01"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cf_cmcc_hsm *h = (cf_cmcc_hsm *)1;
    char err[256] = "";
    assert_int_equal(cf_cmcc_hsm_parse(cases[i].text, strlen(cases[i].text), "v", &h, err, sizeof err), -1);
    assert_null(h);
    if (strncmp(err, cases[i].expect, strlen(cases[i].expect)) != 0)
      fail_msg("case %zu: got \"%s\", expected \"%s...\"", i, err, cases[i].expect);
    assert_null(strchr(err, '\n'));
  }
  /* a line longer than the limit */
  char *big = malloc(2000);
  snprintf(big, 2000,
           "cardforge-cmcc-hsm 1\nkey 01 01 01 00 00 00 AA 00000000 00112233445566778899AABBCCDDEEFF ");
  size_t n = strlen(big);
  memset(big + n, 'x', 1000);
  big[n + 1000] = 0;
  cf_cmcc_hsm *h = NULL;
  char err[256];
  assert_int_equal(cf_cmcc_hsm_parse(big, strlen(big), "v", &h, err, sizeof err), -1);
  assert_string_equal(err, "v:2: line too long");
  free(big);
}

/* Random damage to a good vault never crashes the parser: it parses or names a line. */
static void cmcc_host_hsm_survives_mutations(void **state) {
  (void)state;
  srand(1234);
  size_t len = strlen(good_hsm);
  char buf[sizeof good_hsm];
  for (int round = 0; round < 5000; round++) {
    memcpy(buf, good_hsm, len + 1);
    int edits = 1 + rand() % 4;
    for (int e = 0; e < edits; e++)
      buf[rand() % len] = (char)(rand() % 256);
    cf_cmcc_hsm *h = NULL;
    char err[256] = "";
    size_t blen = strnlen(buf, len);
    if (cf_cmcc_hsm_parse(buf, blen, "m", &h, err, sizeof err) == 0) {
      assert_non_null(h);
      cf_cmcc_hsm_free(h);
    } else {
      assert_null(h);
      assert_true(strncmp(err, "m", 1) == 0);
    }
  }
}

static char tmpdir[64];

static int make_tmpdir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/cmcc_host_files_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void cmcc_host_hsm_file_permissions(void **state) {
  (void)state;
  char path[128], err[256];
  cf_cmcc_hsm *h = NULL;
  snprintf(path, sizeof path, "%s/vault", tmpdir);
  write_file(path, good_hsm, 0644);
  assert_int_equal(cf_cmcc_hsm_load(path, &h, err, sizeof err), -1);
  assert_non_null(strstr(err, "permissions 0644 are too open"));
  assert_int_equal(chmod(path, 0600), 0);
  assert_int_equal(cf_cmcc_hsm_load(path, &h, err, sizeof err), 0);
  assert_int_equal(cf_cmcc_hsm_count(h), 3);
  cf_cmcc_hsm_free(h);
  snprintf(path, sizeof path, "%s/missing", tmpdir);
  assert_int_equal(cf_cmcc_hsm_load(path, &h, err, sizeof err), -1);
  assert_non_null(strstr(err, "No such file"));
  assert_int_equal(cf_cmcc_hsm_load(tmpdir, &h, err, sizeof err), -1);
  assert_non_null(strstr(err, "not a regular file"));
}

static void cmcc_host_hsm_save_round_trip(void **state) {
  (void)state;
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/saved", tmpdir);
  cf_cmcc_hsm *h = cf_cmcc_hsm_new();
  uint8_t attrs[11] = {0x05, 0x01, 0x02, 0x00, 0x00, 0x00, 0xAA, 0, 0, 0, 0}, value[16];
  for (int i = 0; i < 16; i++)
    value[i] = (uint8_t)(0xC0 + i);
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, "working card master"), 0);
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, NULL), -1); /* same type/version/index */
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, "bad # label"), -1);
  attrs[2] = 0x03;
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, NULL), 0);
  assert_int_equal(cf_cmcc_hsm_save(h, path, false, err, sizeof err), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(cf_cmcc_hsm_save(h, path, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "exists already"));
  assert_int_equal(cf_cmcc_hsm_save(h, path, true, err, sizeof err), 0);
  cf_cmcc_hsm *back = NULL;
  assert_int_equal(cf_cmcc_hsm_load(path, &back, err, sizeof err), 0);
  assert_int_equal(cf_cmcc_hsm_count(back), 2);
  const cf_cmcc_key *k = cf_cmcc_hsm_find(back, 0x05, 0x01, 0x02, err, sizeof err);
  assert_non_null(k);
  assert_memory_equal(k->value, value, 16);
  assert_string_equal(k->label, "working card master");
  /* two keys of type 05: a lookup by type alone is ambiguous */
  assert_null(cf_cmcc_hsm_find(back, 0x05, -1, -1, err, sizeof err));
  assert_non_null(strstr(err, "several keys of type 05"));
  cf_cmcc_hsm_free(back);

  /* four processes create the same new vault at once: exactly one wins, the others are told it
   * exists, and the vault is whole (the winner's) */
  snprintf(path, sizeof path, "%s/raced", tmpdir);
  pid_t pids[4];
  for (int p = 0; p < 4; p++) {
    pids[p] = fork();
    assert_true(pids[p] >= 0);
    if (pids[p] == 0) {
      char e[256];
      _exit(cf_cmcc_hsm_save(h, path, false, e, sizeof e) == 0 ? 0 : strstr(e, "exists already") ? 1 : 2);
    }
  }
  int won = 0, lost = 0;
  for (int p = 0; p < 4; p++) {
    int status = 0;
    assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
    assert_true(WIFEXITED(status));
    won += WEXITSTATUS(status) == 0;
    lost += WEXITSTATUS(status) == 1;
  }
  assert_int_equal(won, 1);
  assert_int_equal(lost, 3);
  assert_int_equal(cf_cmcc_hsm_load(path, &back, err, sizeof err), 0);
  assert_int_equal(cf_cmcc_hsm_count(back), 2);
  cf_cmcc_hsm_free(back);
  cf_cmcc_hsm_free(h);
}

static void cmcc_host_keysheet_parses_and_rejects(void **state) {
  (void)state;
  static const char good[] = "cardforge-cmcc-keysheet 1\n"
                             "seed 00112233445566778899AABBCCDDEEFF\n"
                             "key 08 01 01 00 00 31 AA 00000000  # management\n"
                             "key 09 01 01 00 00 32 AA 80000005\n";
  cf_cmcc_keysheet *s = calloc(1, sizeof *s);
  char err[256];
  assert_int_equal(cf_cmcc_keysheet_parse(good, strlen(good), "s", s, err, sizeof err), 0);
  assert_int_equal(s->count, 2);
  assert_int_equal(s->seed[15], 0xFF);
  const uint8_t a1[11] = {0x09, 0x01, 0x01, 0x00, 0x00, 0x32, 0xAA, 0x80, 0x00, 0x00, 0x05};
  assert_memory_equal(s->attrs[1], a1, 11);
  static const struct {
    const char *text, *expect;
  } bad[] = {
      {"seed 00112233445566778899AABBCCDDEEFF\n", "s:1: not a key code sheet"},
      {"cardforge-cmcc-keysheet 1\nkey 08 01 01 00 00 31 AA 00000000\n", "s: no seed line"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\n", "s: no key line"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEE\n", "s:2: seed must be 32 hex digits"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\nseed "
       "00112233445566778899AABBCCDDEEFF\n",
       "s:3: a second seed line"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\nkey 08 01 01 00 00 31 AA\n",
       "s:3: a key line needs"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\nkey 08 01 01 00 00 31 ZZ "
       "00000000\n",
       "s:3: status must be 2 hex digits"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\nkey 08 01 01 00 00 31 AA 00000000\n"
       "key 08 01 01 00 00 32 AA 00000000\n",
       "s:4: duplicate key type 08 version 01 index 01 algorithm 00"},
      {"cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\nvalue 08\n",
       "s:3: unknown directive"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    assert_int_equal(cf_cmcc_keysheet_parse(bad[i].text, strlen(bad[i].text), "s", s, err, sizeof err), -1);
    if (strncmp(err, bad[i].expect, strlen(bad[i].expect)) != 0)
      fail_msg("case %zu: got \"%s\", expected \"%s...\"", i, err, bad[i].expect);
  }
  /* 256 keys: one more than INIT_FOR_GENERATE can count */
  size_t cap = 64 + 256 * 40;
  char *many = malloc(cap);
  size_t n =
      (size_t)snprintf(many, cap, "cardforge-cmcc-keysheet 1\nseed 00112233445566778899AABBCCDDEEFF\n");
  for (int i = 0; i < 256; i++)
    n += (size_t)snprintf(many + n, cap - n, "key 09 01 %02X 00 00 32 AA 00000000\n", i);
  assert_int_equal(cf_cmcc_keysheet_parse(many, n, "s", s, err, sizeof err), -1);
  assert_non_null(strstr(err, "s:258: more than 255 keys"));
  free(many);
  /* the sheet holds a seed: 0644 is refused */
  char path[128];
  snprintf(path, sizeof path, "%s/sheet", tmpdir);
  write_file(path, good, 0640);
  assert_int_equal(cf_cmcc_keysheet_load(path, s, err, sizeof err), -1);
  assert_non_null(strstr(err, "too open"));
  chmod(path, 0600);
  assert_int_equal(cf_cmcc_keysheet_load(path, s, err, sizeof err), 0);
  free(s);
}

static void cmcc_host_cardlist_parses_and_rejects(void **state) {
  (void)state;
  static const char good[] =
      "# batch\n0102030405060708\n0102030405060709   Virtual PCD 00 01  \nAABBCCDDEEFF0011 2\n";
  cf_cmcc_cardlist l;
  char err[256];
  assert_int_equal(cf_cmcc_cardlist_parse(good, strlen(good), "l", &l, err, sizeof err), 0);
  assert_int_equal(l.count, 3);
  assert_string_equal(l.cards[0].reader, "");
  assert_string_equal(l.cards[1].reader, "Virtual PCD 00 01");
  assert_int_equal(l.cards[1].serial[7], 0x09);
  assert_string_equal(l.cards[2].reader, "2");
  cf_cmcc_cardlist_free(&l);
  static const struct {
    const char *text, *expect;
  } bad[] = {
      {"", "l: no card serial"},
      {"01020304050607\n", "l:1: card serial must be 16 hex digits"},
      {"0102030405060708\n01020304050607GG\n", "l:2: card serial must be 16 hex digits"},
      {"0102030405060708\n0102030405060708 reader\n", "l: card serial 0102030405060708 is listed twice"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(cf_cmcc_cardlist_parse(bad[i].text, strlen(bad[i].text), "l", &l, err, sizeof err), -1);
    if (strncmp(err, bad[i].expect, strlen(bad[i].expect)) != 0)
      fail_msg("case %zu: got \"%s\", expected \"%s...\"", i, err, bad[i].expect);
    assert_null(l.cards);
  }
}

/* Table 8-2-11, field by field: the SAM example of the spec (P1 41) with two keys, a prefix and a
 * suffix. */
static void cmcc_host_export_request_encoding(void **state) {
  (void)state;
  uint8_t f16[16], prefix[3] = {0xE1, 0xE2, 0xE3}, suffix[2] = {0x5A, 0x5B};
  for (int i = 0; i < 16; i++)
    f16[i] = (uint8_t)(0xF0 + i);
  cf_cmcc_target_key keys[2] = {
      {.id = 0x01, .version = 0x02, .kmc_vit = {0x01, 0x01, 0x0B}, .levels = 0},
      {.id = 0x03, .version = 0x04, .kmc_vit = {0x02, 0x01, 0x0B}, .levels = 2},
  };
  memcpy(keys[1].factors, "\x11\x11\x11\x11\x11\x11\x11\x11\x22\x22\x22\x22\x22\x22\x22\x22", 16);
  cf_cmcc_export_req req = {.p1 = 0x41,
                            .cipp = {0x84, 0xD4, 0x00, 0x00},
                            .random = {0xA1, 0xA2, 0xA3, 0xA4},
                            .export_levels = 1,
                            .export_factors = f16,
                            .export_vit = {0x01, 0x01, 0x0A},
                            .nkeys = 2,
                            .keys = keys,
                            .tattr_len = 2,
                            .prefix = prefix,
                            .prefix_len = 3,
                            .suffix = suffix,
                            .suffix_len = 2};
  uint8_t out[255], expect[255];
  long n = cf_hex_decode("84D40000 A1A2A3A4 01 F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF 01010A 02"
                         " 00 01010B 02 0102"
                         " 02 1111111111111111 2222222222222222 02010B 02 0304"
                         " 03 03 E1E2E3 02 5A5B",
                         expect, sizeof expect);
  assert_true(n > 0);
  assert_int_equal(cf_cmcc_export_encode(&req, out, sizeof out), (size_t)n);
  assert_memory_equal(out, expect, (size_t)n);
  /* no prefix or suffix: flag 00; and the limits */
  req.prefix = req.suffix = NULL;
  req.nkeys = 1;
  size_t m = cf_cmcc_export_encode(&req, out, sizeof out);
  assert_int_equal(m, 4 + 4 + 1 + 16 + 3 + 1 + (1 + 3 + 1 + 2) + 1);
  assert_int_equal(out[m - 1], 0x00);
  assert_int_equal(cf_cmcc_export_encode(&req, out, 20), 0); /* does not fit */
  req.tattr_len = 3;
  assert_int_equal(cf_cmcc_export_encode(&req, out, sizeof out), 0);
  req.tattr_len = 2;
  req.export_levels = 4;
  assert_int_equal(cf_cmcc_export_encode(&req, out, sizeof out), 0);
}

/* The HSM's operations against the worked values of docs/cmcc-profile.md 5.1 and 5.2 (each checked
 * with the independent implementation tests/unit/cmcc/cmcc_reference.py). */
static void cmcc_host_hsm_vectors(void **state) {
  (void)state;
  cf_cmcc_hsm *h = cf_cmcc_hsm_new();
  uint8_t attrs[11] = {0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0xAA, 0, 0, 0, 0}, value[16], out[64], expect[64];
  char err[200];
  assert_int_equal(cf_hex_decode("404142434445464748494A4B4C4D4E4F", value, 16), 16);
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, "auth"), 0);
  attrs[0] = 0x02;
  assert_int_equal(cf_hex_decode("11223344556677888877665544332211", value, 16), 16);
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, "wrap"), 0);
  attrs[0] = 0x04; /* the cards' default type-01 value 10 11 .. 1F, under another type here */
  for (int i = 0; i < 16; i++)
    value[i] = (uint8_t)(0x10 + i);
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, "info"), 0);

  const uint8_t r1[4] = {0x12, 0x34, 0x56, 0x78}, r2[4] = {0x01, 0x02, 0x03, 0x04};
  const cf_cmcc_key *k = cf_cmcc_hsm_find(h, 0x01, -1, -1, err, sizeof err);
  assert_int_equal(cf_cmcc_hsm_auth_data(h, k, r1, out), 0);
  assert_int_equal(cf_hex_decode("E228F0F406D5E2EF", expect, 8), 8);
  assert_memory_equal(out, expect, 8);

  k = cf_cmcc_hsm_find(h, 0x02, -1, -1, err, sizeof err);
  uint8_t rec_attrs[11], rec_value[16], cipp[4] = {0x80, 0xD8, 0x00, 0x01};
  assert_int_equal(cf_hex_decode("0102030405060708090A0B", rec_attrs, 11), 11);
  assert_int_equal(cf_hex_decode("00112233445566778899AABBCCDDEEFF", rec_value, 16), 16);
  assert_int_equal(cf_cmcc_hsm_wrap_record(h, k, cipp, r2, rec_attrs, rec_value, out), 0);
  assert_int_equal(cf_hex_decode("34D1B4D26AF4A344BE42DFDA5C144DD8531D461AFC788C434A474911D0EF7620 2E51E3C5",
                                 expect, sizeof expect),
                   36);
  assert_memory_equal(out, expect, 36);
  cipp[3] = 0x02;
  assert_int_equal(cf_cmcc_hsm_wrap_record(h, k, cipp, r2, rec_attrs, rec_value, out), 0);
  assert_int_equal(cf_hex_decode("44BBE0B8", expect, 4), 4);
  assert_memory_equal(out + 32, expect, 4);

  k = cf_cmcc_hsm_find(h, 0x04, -1, -1, err, sizeof err);
  const uint8_t info[8] = {0x01, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66},
                icipp[4] = {0x80, 0xD8, 0x00, 0x00};
  size_t len = 0;
  assert_int_equal(cf_cmcc_hsm_wrap_data(h, k, icipp, r2, info, sizeof info, out, sizeof out, &len), 0);
  assert_int_equal(cf_hex_decode("CBDE3C5ED6498308A21BCA5ADD8F1587 A3D0628A", expect, sizeof expect), 20);
  assert_int_equal(len, 20);
  assert_memory_equal(out, expect, 20);
  /* a key from another vault is not this HSM's to use */
  cf_cmcc_key stranger = *k;
  assert_int_equal(cf_cmcc_hsm_auth_data(h, &stranger, r1, out), -1);
  cf_cmcc_hsm_free(h);
}

/* The Export Keys&Data requests of docs/cmcc-profile.md 5.2 (user card CREATE, SAM WRITE_KEY). */
static void cmcc_host_export_request_vectors(void **state) {
  (void)state;
  uint8_t serial[8] = {1, 2, 3, 4, 5, 6, 7, 8}, eid[6] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, out[255],
          expect[255];
  cf_cmcc_target_key uk = {.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 1};
  memcpy(uk.factors, serial, 8);
  cf_cmcc_export_req user = {.p1 = 0x00,
                             .cipp = {0x84, 0xE0, 0x01, 0x00},
                             .random = {0x11, 0x22, 0x33, 0x44},
                             .export_levels = 1,
                             .export_factors = serial,
                             .export_vit = {0x01, 0x01, 0x08},
                             .nkeys = 1,
                             .keys = &uk,
                             .tattr_len = 2,
                             .prefix = eid,
                             .prefix_len = 6};
  long n = cf_hex_decode(
      "84E00100 11223344 01 0102030405060708 010108 01 01 0102030405060708 010109 02 0101 01 06 "
      "112233445566",
      expect, sizeof expect);
  assert_int_equal(n, 0x2C);
  assert_int_equal(cf_cmcc_export_encode(&user, out, sizeof out), (size_t)n);
  assert_memory_equal(out, expect, (size_t)n);

  uint8_t f16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8};
  cf_cmcc_target_key sk = {.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x0B}, .levels = 0};
  cf_cmcc_export_req sam = {.p1 = 0x41,
                            .cipp = {0x84, 0xD4, 0x00, 0x00},
                            .random = {0x55, 0x66, 0x77, 0x88},
                            .export_levels = 1,
                            .export_factors = f16,
                            .export_vit = {0x01, 0x01, 0x0A},
                            .nkeys = 1,
                            .keys = &sk,
                            .tattr_len = 2};
  n = cf_hex_decode("84D40000 55667788 01 0102030405060708F1F2F3F4F5F6F7F8 01010A 01 00 01010B 02 0101 00",
                    expect, sizeof expect);
  assert_int_equal(n, 0x25);
  assert_int_equal(cf_cmcc_export_encode(&sam, out, sizeof out), (size_t)n);
  assert_memory_equal(out, expect, (size_t)n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cmcc_host_hsm_parses_good_file),
      cmocka_unit_test(cmcc_host_hsm_rejects_malformed),
      cmocka_unit_test(cmcc_host_hsm_survives_mutations),
      cmocka_unit_test(cmcc_host_hsm_file_permissions),
      cmocka_unit_test(cmcc_host_hsm_save_round_trip),
      cmocka_unit_test(cmcc_host_keysheet_parses_and_rejects),
      cmocka_unit_test(cmcc_host_cardlist_parses_and_rejects),
      cmocka_unit_test(cmcc_host_export_request_encoding),
      cmocka_unit_test(cmcc_host_hsm_vectors),
      cmocka_unit_test(cmcc_host_export_request_vectors),
  };
  return cmocka_run_group_tests_name("cmcc_host_files", tests, make_tmpdir, remove_tmpdir);
}
