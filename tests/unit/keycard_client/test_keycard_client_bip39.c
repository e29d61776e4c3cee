/* BIP39 word lists and checksums on the host: the checksum on word indexes (published vector
 * "abandon x11 about" = indexes 0 x11, 3), word-list files (a generated stand-in list, malformed
 * files), mnemonic checks, and the published English vectors when Debian's python3-mnemonic word
 * list is installed (skipped otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard_client.h"

/* Writes count lines "w0000", "w0001", ... (extra: one more line holding it) to a temp file. */
static void write_list(char *path, size_t cap, int count, const char *extra) {
  snprintf(path, cap, "/tmp/kcc_bip39_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  for (int i = 0; i < count; i++)
    fprintf(f, "w%04d\n", i);
  if (extra) fprintf(f, "%s\n", extra);
  fclose(f);
}

static void keycard_client_bip39_checksum(void **state) {
  (void)state;
  uint16_t idx[24] = {0};
  idx[11] = 3; /* "abandon" x11 "about": entropy 0^128, checksum 0011 */
  assert_true(keycard_client_bip39_checksum_ok(idx, 12));
  for (uint16_t last = 0; last < 16; last++) {
    idx[11] = last;
    assert_int_equal(keycard_client_bip39_checksum_ok(idx, 12), last == 3);
  }
  idx[11] = 3;
  assert_false(keycard_client_bip39_checksum_ok(idx, 11));
  assert_false(keycard_client_bip39_checksum_ok(idx, 13));
  idx[0] = 2048; /* not an 11-bit index */
  assert_false(keycard_client_bip39_checksum_ok(idx, 12));
  assert_true(keycard_client_bip39_count_ok(12) && keycard_client_bip39_count_ok(24));
  assert_false(keycard_client_bip39_count_ok(9) || keycard_client_bip39_count_ok(27) ||
               keycard_client_bip39_count_ok(14));
}

static void keycard_client_bip39_wordlist_files(void **state) {
  (void)state;
  char path[64], err[256];
  keycard_client_wordlist wl;
  write_list(path, sizeof path, 2048, NULL);
  assert_int_equal(keycard_client_wordlist_load(&wl, path, err, sizeof err), KEYCARD_CLIENT_OK);
  assert_string_equal(wl.words[0], "w0000");
  assert_string_equal(wl.words[2047], "w2047");
  keycard_client_wordlist_free(&wl);
  unlink(path);

  write_list(path, sizeof path, 2047, NULL);
  assert_int_equal(keycard_client_wordlist_load(&wl, path, err, sizeof err), KEYCARD_CLIENT_EARG);
  assert_non_null(strstr(err, "2047 words"));
  assert_null(wl.text);
  unlink(path);
  write_list(path, sizeof path, 2048, "w2048");
  assert_int_equal(keycard_client_wordlist_load(&wl, path, err, sizeof err), KEYCARD_CLIENT_EARG);
  assert_non_null(strstr(err, "more than 2048"));
  unlink(path);
  write_list(path, sizeof path, 2047, "two words");
  assert_int_equal(keycard_client_wordlist_load(&wl, path, err, sizeof err), KEYCARD_CLIENT_EARG);
  assert_non_null(strstr(err, "line 2048"));
  unlink(path);
  assert_int_equal(keycard_client_wordlist_load(&wl, "/nonexistent/english.txt", err, sizeof err),
                   KEYCARD_CLIENT_EARG);
  assert_non_null(strstr(err, "cannot read"));

  /* the environment names the list; a named list that cannot be read is an error, not "no list" */
  write_list(path, sizeof path, 2048, NULL);
  const char *given = getenv("CARDFORGE_BIP39_WORDLIST");
  char saved[512];
  snprintf(saved, sizeof saved, "%s", given ? given : "");
  setenv("CARDFORGE_BIP39_WORDLIST", path, 1);
  assert_int_equal(keycard_client_wordlist_find(&wl, err, sizeof err), 1);
  assert_string_equal(wl.words[5], "w0005");
  keycard_client_wordlist_free(&wl);
  setenv("CARDFORGE_BIP39_WORDLIST", "/nonexistent/english.txt", 1);
  assert_int_equal(keycard_client_wordlist_find(&wl, err, sizeof err), -1);
  if (given)
    setenv("CARDFORGE_BIP39_WORDLIST", saved, 1);
  else
    unsetenv("CARDFORGE_BIP39_WORDLIST");
  unlink(path);
}

static void keycard_client_bip39_check_words(void **state) {
  (void)state;
  char path[64], err[256];
  keycard_client_wordlist wl;
  write_list(path, sizeof path, 2048, NULL);
  assert_int_equal(keycard_client_wordlist_load(&wl, path, err, sizeof err), KEYCARD_CLIENT_OK);
  unlink(path);
  const char *zero = "w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0003";
  assert_int_equal(keycard_client_bip39_check(&wl, zero, err, sizeof err), KEYCARD_CLIENT_OK);
  assert_int_equal(keycard_client_bip39_check(&wl,
                                              "  w0000 w0000\tw0000 w0000 w0000 w0000 w0000 w0000 w0000 "
                                              "w0000 w0000\n w0003 ",
                                              err, sizeof err),
                   KEYCARD_CLIENT_OK);
  assert_int_equal(keycard_client_bip39_check(&wl,
                                              "w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 "
                                              "w0000 w0000 w0002",
                                              err, sizeof err),
                   KEYCARD_CLIENT_EARG);
  assert_non_null(strstr(err, "checksum"));
  assert_int_equal(keycard_client_bip39_check(&wl,
                                              "w0000 w0000 w0000 wxyz w0000 w0000 w0000 w0000 w0000 "
                                              "w0000 w0000 w0003",
                                              err, sizeof err),
                   KEYCARD_CLIENT_EARG);
  assert_string_equal(err, "word 4 of the mnemonic is not in the BIP39 word list");
  assert_int_equal(keycard_client_bip39_check(&wl, "w0000 w0000 w0000", err, sizeof err),
                   KEYCARD_CLIENT_EARG);
  assert_non_null(strstr(err, "not 3"));
  assert_int_equal(keycard_client_bip39_check(&wl, "", err, sizeof err), KEYCARD_CLIENT_EARG);
  /* a prefix of a word is not the word */
  assert_int_equal(keycard_client_bip39_check(&wl,
                                              "w000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 w0000 "
                                              "w0000 w0000 w0003",
                                              err, sizeof err),
                   KEYCARD_CLIENT_EARG);
  keycard_client_wordlist_free(&wl);
}

/* Published BIP39 vectors (trezor/python-mnemonic vectors.json) with the real English list: the
 * one $CARDFORGE_BIP39_WORDLIST names, else Debian python3-mnemonic's (skipped when neither). */
static void keycard_client_bip39_english_vectors(void **state) {
  (void)state;
  const char *path = getenv("CARDFORGE_BIP39_WORDLIST");
  if (!path || !*path) path = KEYCARD_CLIENT_BIP39_DEFAULT_WORDLIST;
  if (access(path, R_OK) != 0) {
    print_message("no %s (python3-mnemonic): skipped\n", path);
    skip();
  }
  /* the file is the BIP39 list: its SHA-256 as published with the BIP */
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static uint8_t text[65536];
  size_t len = fread(text, 1, sizeof text, f);
  fclose(f);
  uint8_t digest[32], want[32];
  assert_int_equal(cf_sha256(text, len, digest), 0);
  assert_int_equal(
      cf_hex_decode("2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda", want, sizeof want),
      32);
  assert_memory_equal(digest, want, 32);
  char err[256];
  keycard_client_wordlist wl;
  assert_int_equal(keycard_client_wordlist_load(&wl, path, err, sizeof err), KEYCARD_CLIENT_OK);
  assert_string_equal(wl.words[0], "abandon");
  assert_string_equal(wl.words[2047], "zoo");
  static const char *good[] = {
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
      "legal winner thank year wave sausage worth useful legal winner thank yellow",
      "letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
      "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
      "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "
      "legal will",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(keycard_client_bip39_check(&wl, good[i], err, sizeof err), KEYCARD_CLIENT_OK);
  assert_int_equal(
      keycard_client_bip39_check(&wl,
                                 "abandon abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon abandon abandon",
                                 err, sizeof err),
      KEYCARD_CLIENT_EARG);
  assert_int_equal(
      keycard_client_bip39_check(&wl, "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrongg", err, sizeof err),
      KEYCARD_CLIENT_EARG);
  keycard_client_wordlist_free(&wl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_client_bip39_checksum),
      cmocka_unit_test(keycard_client_bip39_wordlist_files),
      cmocka_unit_test(keycard_client_bip39_check_words),
      cmocka_unit_test(keycard_client_bip39_english_vectors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
