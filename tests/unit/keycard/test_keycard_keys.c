/* Keycard applet: LOAD KEY, GENERATE KEY, REMOVE KEY, DERIVE KEY, SET PINLESS PATH, SIGN, EXPORT
 * KEY, GENERATE MNEMONIC, checked against the published BIP32 and BIP39 vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

/* ---- base58check, to read the vectors' extended keys ---- */
static size_t b58decode(const char *s, uint8_t *out, size_t cap) {
  static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  uint8_t num[128] = {0}; /* big endian */
  for (; *s; s++) {
    const char *p = strchr(alphabet, *s);
    assert_non_null(p);
    unsigned carry = (unsigned)(p - alphabet);
    for (size_t i = sizeof num; i-- > 0;) {
      carry += 58u * num[i];
      num[i] = (uint8_t)carry;
      carry >>= 8;
    }
    assert_int_equal(carry, 0);
  }
  size_t start = 0;
  while (start < sizeof num && num[start] == 0)
    start++;
  size_t n = sizeof num - start;
  assert_true(n <= cap);
  memcpy(out, num + start, n);
  return n;
}

/* Extended key: version (4) depth (1) fingerprint (4) child (4) chain (32) key (33) || checksum. */
static void xkey(const char *s, uint8_t chain[32], uint8_t key[33]) {
  uint8_t raw[82], h1[32], h2[32];
  assert_int_equal(b58decode(s, raw, sizeof raw), 82);
  assert_int_equal(cf_sha256(raw, 78, h1), 0);
  assert_int_equal(cf_sha256(h1, 32, h2), 0);
  assert_memory_equal(h2, raw + 78, 4);
  memcpy(chain, raw + 13, 32);
  memcpy(key, raw + 45, 33);
}

static size_t path_bytes(const uint32_t *levels, size_t n, uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    out[4 * i] = (uint8_t)(levels[i] >> 24);
    out[4 * i + 1] = (uint8_t)(levels[i] >> 16);
    out[4 * i + 2] = (uint8_t)(levels[i] >> 8);
    out[4 * i + 3] = (uint8_t)levels[i];
  }
  return 4 * n;
}

#define H 0x80000000u

typedef struct chain_vec {
  uint32_t path[6];
  size_t depth;
  const char *xpub;
} chain_vec;

/* BIP32 test vector 1 (bitcoin/bips bip-0032.mediawiki) */
static const char tv1_xprv_m[] = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUt"
                                 "g6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
static const chain_vec tv1[] = {
    {{0},
     0,
     "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W"
     "1EGMcet8"},
    {{0 | H},
     1,
     "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2d"
     "ZXvgGDnw"},
    {{0 | H, 1},
     2,
     "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmA"
     "LppuCkwQ"},
    {{0 | H, 1, 2 | H},
     3,
     "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5"
     "Uv6fcLW5"},
    {{0 | H, 1, 2 | H, 2},
     4,
     "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8z"
     "L4fiyLHV"},
    {{0 | H, 1, 2 | H, 2, 1000000000},
     5,
     "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6c"
     "FJodrTHy"},
};

/* BIP32 test vector 2 */
static const char tv2_seed[] =
    "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b"
    "7875726f6c696663605d5a5754514e4b484542";
static const chain_vec tv2[] = {
    {{0},
     0,
     "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB"
     "7WEGuduB"},
    {{0},
     1,
     "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxH"
     "mwMkQTPH"},
    {{0, 2147483647 | H},
     2,
     "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZ"
     "NnBC5y4a"},
    {{0, 2147483647 | H, 1},
     3,
     "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47E"
     "L2dhHKon"},
    {{0, 2147483647 | H, 1, 2147483646 | H},
     4,
     "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJ"
     "uZZvRcEL"},
    {{0, 2147483647 | H, 1, 2147483646 | H, 2},
     5,
     "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW"
     "6EEgAtqt"},
};

/* EXPORT KEY P1 01 (derive from master) P2 02: A1 63 80 41 <key> 82 20 <chain>, compared with the
 * vector's extended public key. */
static void check_chain(kch *h, const chain_vec *v) {
  uint8_t path[40], chain[32], key33[33], got33[33];
  size_t n = path_bytes(v->path, v->depth, path);
  xkey(v->xpub, chain, key33);
  assert_int_equal(kch_cmd(h, 0xC2, 0x01, 0x02, path, n), 0x9000);
  assert_int_equal(h->len, 2 + 67 + 34);
  assert_int_equal(h->data[0], 0xA1);
  assert_int_equal(h->data[1], 101);
  assert_int_equal(h->data[2], 0x80);
  assert_int_equal(h->data[3], 65);
  assert_int_equal(h->data[69], 0x82);
  assert_int_equal(h->data[70], 32);
  assert_int_equal(cf_ec_pub_normalize(h->data + 4, 65, NULL, got33), 0);
  assert_memory_equal(got33, key33, 33);
  assert_memory_equal(h->data + 71, chain, 32);
}

static void keycard_bip32_vector1(void **state) {
  kch h;
  kch_ready_pin(&h, "version=3.1"); /* 3.2 takes the seed itself: test_keycard_v32.c */
  /* applet 3.1 takes 64-byte seeds only: vector 1's 16-byte seed is refused ... */
  uint8_t seed[16];
  kch_hex("000102030405060708090a0b0c0d0e0f", seed, 16);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 16), 0x6A80);
  /* ... so its master extended private key goes in as a key template */
  uint8_t chain[32], key33[33];
  xkey(tv1_xprv_m, chain, key33);
  assert_int_equal(key33[0], 0x00);
  uint8_t tpl[2 + 34 + 34] = {0xA1, 68, 0x81, 32};
  memcpy(tpl + 4, key33 + 1, 32);
  tpl[36] = 0x82, tpl[37] = 32;
  memcpy(tpl + 38, chain, 32);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, sizeof tpl), 0x9000);
  for (size_t i = 0; i < sizeof tv1 / sizeof tv1[0]; i++)
    check_chain(&h, &tv1[i]);
  kch_free(&h);
}

static void keycard_bip32_vector2(void **state) {
  kch h;
  kch_ready_pin(&h, NULL);
  uint8_t seed[64];
  assert_int_equal(kch_hex(tv2_seed, seed, 64), 64);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
  for (size_t i = 0; i < sizeof tv2 / sizeof tv2[0]; i++)
    check_chain(&h, &tv2[i]);
  /* the same through DERIVE KEY, then the current key (P1 00), and the path in GET STATUS */
  const chain_vec *v = &tv2[5];
  uint8_t path[40], chain[32], key33[33], got33[33];
  size_t n = path_bytes(v->path, v->depth, path);
  xkey(v->xpub, chain, key33);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, path, 8), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x80, 0, path + 8, n - 8), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, n);
  assert_memory_equal(h.data, path, n);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x02, NULL, 0), 0x9000);
  assert_int_equal(cf_ec_pub_normalize(h.data + 4, 65, NULL, got33), 0);
  assert_memory_equal(got33, key33, 33);
  assert_memory_equal(h.data + 71, chain, 32);
  /* source parent with the last level again lands on the same key */
  uint8_t two[4] = {0, 0, 0, 2};
  assert_int_equal(kch_cmd(&h, 0xD1, 0x40, 0, two, 4), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x02, NULL, 0), 0x9000);
  assert_memory_equal(h.data + 71, chain, 32);
  /* the current path is persistent */
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_memory_equal(h.data, path, n);
  kch_free(&h);
}

/* The BIP39 mnemonic of the applet's own test (18 words, empty passphrase) and the public keys
 * the test expects for the master key and for m/43'/60'/1581'/0'/0. */
static void keycard_bip39_vector(void **state) {
  const char *mnemonic = "legal winner thank year wave sausage worth useful legal winner thank year wave "
                         "sausage worth useful legal will";
  uint8_t seed[64], expect_master[65], expect_child[65];
  assert_int_equal(cf_pbkdf2_sha512(mnemonic, strlen(mnemonic), "mnemonic", 8, 2048, seed, 64), 0);
  kch_hex("04cc620f846055ed43995391ca5e490c52251ea40453f64a0515bef84c24a653a7c4e02b9de56f66d9ee58dc6b591b534f"
          "5a20c05"
          "50b2c33a086b90b866cf70799",
          expect_master, 65);
  kch_hex("04e7370d118461e1ab01f3e86e88c4b0c7b92cecb79c5e320cef73dda912f173beae74df15090b6405a274963c054cdfe6"
          "ac7843a3"
          "02c260390d1fe776008f310e",
          expect_child, 65);
  kch h;
  kch_ready_pin(&h, NULL);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
  uint8_t uid[32];
  assert_int_equal(cf_sha256(expect_master, 65, uid), 0);
  assert_memory_equal(h.data, uid, 32);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  assert_int_equal(h.len, 69);
  assert_memory_equal(h.data, "\xA1\x43\x80\x41", 4);
  assert_memory_equal(h.data + 4, expect_master, 65);
  const uint32_t lv[5] = {43 | H, 60 | H, 1581 | H, 0 | H, 0};
  uint8_t path[20];
  path_bytes(lv, 5, path);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, path, 20), 0x9000);
  assert_memory_equal(h.data + 4, expect_child, 65);
  /* under EIP-1581 the private key comes out: A1 22 81 20 <key>, and only it */
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x00, path, 20), 0x9000);
  assert_int_equal(h.len, 36);
  assert_memory_equal(h.data, "\xA1\x22\x81\x20", 4);
  uint8_t pub[65];
  assert_int_equal(cf_ec_pub_from_priv(h.data + 4, pub), 0);
  assert_memory_equal(pub, expect_child, 65);
  /* SELECT shows the key UID (template length in the 81 form) */
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(h.data[1], 0x81);
  assert_int_equal(h.data[2], 129);
  assert_memory_equal(h.data + 3 + 18 + 67 + 4 + 3, "\x8E\x20", 2);
  assert_memory_equal(h.data + 3 + 18 + 67 + 4 + 3 + 2, uid, 32);
  kch_free(&h);
}

static void keycard_load_key_checks(void **state) {
  kch h;
  kch_ready(&h, NULL);
  uint8_t priv[32], pub[65], chain[32], uid[32];
  assert_int_equal(cf_ec_keygen(priv, pub), 0);
  memset(chain, 0x33, 32);
  uint8_t tpl[3 + 67 + 34 + 34] = {0xA1, 0x81, 135, 0x80, 65};
  memcpy(tpl + 5, pub, 65);
  tpl[70] = 0x81, tpl[71] = 32;
  memcpy(tpl + 72, priv, 32);
  tpl[104] = 0x82, tpl[105] = 32;
  memcpy(tpl + 106, chain, 32);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xD0, 0x02, 0, tpl, 138), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, 138), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  uint8_t before[32], after[32];
  kch_snapshot(&h, before);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x00, 0, "\xAA\x02\x80\x00", 4), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x04, 0, tpl, 138), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, "\xAA\x02\x80\x00", 4), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, "\xA1\x02\x80\x00", 4), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, "\xA1\x06\x80\x01\x01\x81\x01\x02", 8), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, tpl, 137), 0x6A80); /* truncated */
  uint8_t bad[138];
  memcpy(bad, tpl, 138);
  bad[105] = 31; /* chain code of 31 bytes */
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, bad, 138), 0x6A80);
  memcpy(bad, tpl, 138);
  bad[10] ^= 1; /* public key that is not the private key's */
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, bad, 138), 0x6A80);
  uint8_t over_n[36] = {0xA1, 34, 0x81, 32};
  memset(over_n + 4, 0xFF, 32); /* private key >= n */
  assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, over_n, 36), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, (uint8_t[65]){0}, 65), 0x6A80); /* 64 at most, every version */
  kch_snapshot(&h, after);
  assert_memory_equal(before, after, 32);
  /* full template: UID = SHA-256(public key) */
  assert_int_equal(cf_sha256(pub, 65, uid), 0);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, 138), 0x9000);
  assert_int_equal(h.len, 32);
  assert_memory_equal(h.data, uid, 32);
  /* private key only: not extended, so no derivation */
  uint8_t only[36] = {0xA1, 34, 0x81, 32};
  memcpy(only + 4, priv, 32);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, only, 36), 0x9000);
  assert_memory_equal(h.data, uid, 32);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\1", 4), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, NULL, 0), 0x9000);
  /* private key and chain code, public key omitted */
  uint8_t pc[70] = {0xA1, 68, 0x81, 32};
  memcpy(pc + 4, priv, 32);
  pc[36] = 0x82, pc[37] = 32;
  memcpy(pc + 38, chain, 32);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, pc, 70), 0x9000);
  assert_memory_equal(h.data, uid, 32);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\1", 4), 0x9000);
  /* loading a key starts the paths over */
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, "\0\0\0\1", 4), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, pc, 70), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 0);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x03, 0, (uint8_t[32]){0}, 32), 0x6A88);
  kch_free(&h);
}

static void keycard_derive_key_checks(void **state) {
  kch h;
  kch_ready(&h, NULL);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\0", 4), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  /* no key at all: only the empty path */
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\0", 4), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0", 3), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\0\0", 5), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x40, 0, "\0\0\0\3", 4), 0x6B00);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x01, 0, "\0\0\0\3", 4), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xD1, 0xC0, 0, "\0\0\0\3", 4), 0x6A80);
  uint8_t deep[44] = {0};
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, deep, 44), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, deep, 40), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x80, 0, deep, 4), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x40, 0, deep, 4), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 40);
  /* source PIN-less: the PIN-less path (none here: the master) */
  assert_int_equal(kch_cmd(&h, 0xD1, 0xC0, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 0);
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, "\0\0\0\7\0\0\0\1", 8), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0xC0, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_memory_equal(h.data, "\0\0\0\7\0\0\0\1", 8);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x02, 0, NULL, 0), 0x6A86);
  kch_free(&h);
}

/* SIGN answer: A0 81 L 80 41 <key> 30 ... ; returns the public key and r || s. */
static void parse_signature(const kch *h, uint8_t pub[65], uint8_t sig[64]) {
  assert_true(h->len > 5 + 65 + 8);
  assert_int_equal(h->data[0], 0xA0);
  assert_int_equal(h->data[1], 0x81);
  assert_int_equal(h->data[2], h->len - 3);
  assert_int_equal(h->data[3], 0x80);
  assert_int_equal(h->data[4], 65);
  memcpy(pub, h->data + 5, 65);
  const uint8_t *der = h->data + 70;
  assert_int_equal(der[0], 0x30);
  assert_int_equal(der[1], h->len - 72);
  assert_int_equal(cf_ec_sig_from_der(der, h->len - 70, sig), 0);
  /* the DER is the canonical encoding of r || s */
  uint8_t again[72];
  size_t n = cf_ec_sig_to_der(sig, again, sizeof again);
  assert_int_equal(n, h->len - 70);
  assert_memory_equal(again, der, n);
}

static void check_signature(const kch *h, const uint8_t hash[32], const uint8_t expect_pub[65]) {
  static const uint8_t half_n[32] = {0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4,
                                     0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};
  uint8_t pub[65], sig[64], rec[65];
  parse_signature(h, pub, sig);
  if (expect_pub) assert_memory_equal(pub, expect_pub, 65);
  assert_true(cf_ec_verify(pub, 65, hash, sig));
  assert_true(memcmp(sig + 32, half_n, 32) <= 0); /* low S */
  int found = 0;
  for (int recid = 0; recid < 4; recid++)
    if (cf_ec_recover(hash, sig, recid, rec) == 0 && memcmp(rec, pub, 65) == 0) found++;
  assert_int_equal(found, 1);
}

static void keycard_sign(void **state) {
  kch h;
  kch_ready(&h, NULL);
  uint8_t hash[32], sig_data[36] = {0};
  assert_int_equal(cf_sha256("some data to be hashed", 22, hash), 0);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x00, 0, hash, 32), 0x6985);
  /* P1 is checked before anything else */
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x04, 0, hash, 32), 0x6B00);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x3F, 0, hash, 32), 0x6B00);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x6985);
  assert_int_equal(kch_cmd_not_unwrapped(&h, 0xC0, 0x05, 0, hash, 32), 0x6B00);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  /* no key */
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x6985);
  uint8_t seed[64];
  memset(seed, 0x5C, 64);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 31), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, sig_data, 35), 0x6A80);
  /* master key: the signature verifies and recovers to the master public key */
  uint8_t master[65];
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  memcpy(master, h.data + 4, 65);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x9000);
  check_signature(&h, hash, master);
  /* many signatures: always low S, always recoverable */
  for (int i = 0; i < 16; i++) {
    hash[0] = (uint8_t)i;
    assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x9000);
    check_signature(&h, hash, master);
  }
  /* derive without changing the current path, then derive and make current */
  uint8_t child[65];
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, "\0\0\0\2", 4), 0x9000);
  memcpy(child, h.data + 4, 65);
  memcpy(sig_data, hash, 32);
  memcpy(sig_data + 32, "\0\0\0\2", 4);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, sig_data, 36), 0x9000);
  check_signature(&h, hash, child);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 0);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x02, 0, sig_data, 36), 0x9000);
  check_signature(&h, hash, child);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_memory_equal(h.data, "\0\0\0\2", 4);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x9000);
  check_signature(&h, hash, child);
  /* P1 00 with a path appends it to the current one */
  uint8_t grandchild[65];
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, "\0\0\0\2\0\0\0\3", 8), 0x9000);
  memcpy(grandchild, h.data + 4, 65);
  memcpy(sig_data + 32, "\0\0\0\3", 4);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, sig_data, 36), 0x9000);
  check_signature(&h, hash, grandchild);
  /* source parent (41): m/2 -> m/3 */
  assert_int_equal(kch_cmd(&h, 0xC0, 0x41, 0, sig_data, 36), 0x9000);
  uint8_t pub[65], sig[64];
  parse_signature(&h, pub, sig);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, "\0\0\0\3", 4), 0x9000);
  assert_memory_equal(pub, h.data + 4, 65);
  kch_free(&h);
}

static void keycard_sign_pinless(void **state) {
  kch h;
  kch_ready_pin(&h, NULL);
  uint8_t hash[32];
  assert_int_equal(cf_sha256("pinless", 7, hash), 0);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  /* no PIN-less path yet */
  assert_int_equal(kch_cmd(&h, 0xC0, 0x03, 0, hash, 32), 0x6A88);
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, "\0\0\0\2\0\0\0\1\0\0\0", 11), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, (uint8_t[44]){0}, 44), 0x6A80);
  const uint8_t path[12] = {0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, path, 12), 0x9000);
  uint8_t pinless_pub[65];
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, path, 12), 0x9000);
  memcpy(pinless_pub, h.data + 4, 65);
  /* no channel, no PIN: a plain answer */
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x03, 0, hash, 32), 0x9000);
  check_signature(&h, hash, pinless_pub);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x03, 0, hash, 31), 0x6A80);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x03, 0, (uint8_t[36]){0}, 36), 0x6A80);
  /* other keys still need the PIN */
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x6985);
  /* with the channel open: wrapped */
  assert_int_equal(kch_cmd(&h, 0xC0, 0x03, 0, hash, 32), 0x9000);
  check_signature(&h, hash, pinless_pub);
  /* the current path equal to the PIN-less path needs no PIN either */
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, path, 8), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x80, 0, path + 8, 4), 0x9000);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x9000);
  check_signature(&h, hash, pinless_pub);
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, path, 8), 0x6985);
  /* removing the PIN-less path */
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, NULL, 0), 0x9000);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x03, 0, hash, 32), 0x6A88);
  kch_free(&h);
}

static void keycard_export_key_checks(void **state) {
  kch h;
  kch_ready(&h, NULL);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x6985); /* no key */
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x03, NULL, 0), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x03, 0x01, NULL, 0), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x00, NULL, 0), 0x6985);
  const uint8_t eip4[16] = {0x80, 0, 0, 0x2B, 0x80, 0, 0, 0x3C, 0x80, 0, 0x06, 0x2D, 0, 0, 0, 0};
  const uint8_t eip5[20] = {0x80, 0, 0, 0x2B, 0x80, 0, 0, 0x3C, 0x80, 0, 0x06, 0x2D, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t near[20] = {0x80, 0, 0, 0x2B, 0x80, 0, 0, 0x3C, 0x80, 0, 0x06, 0x2C, 0, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x00, eip4, 16), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x00, near, 20), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x02, eip5, 20), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, eip5, 20), 0x9000);
  uint8_t pub[65], derived[65];
  memcpy(pub, h.data + 4, 65);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x00, eip5, 20), 0x9000);
  assert_int_equal(cf_ec_pub_from_priv(h.data + 4, derived), 0);
  assert_memory_equal(derived, pub, 65);
  /* derive and make current (P1 02), then current (P1 00), from parent (P1 41) */
  assert_int_equal(kch_cmd(&h, 0xC2, 0x02, 0x01, eip5, 20), 0x9000);
  assert_memory_equal(h.data + 4, pub, 65);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x00, NULL, 0), 0x9000);
  assert_int_equal(cf_ec_pub_from_priv(h.data + 4, derived), 0);
  assert_memory_equal(derived, pub, 65);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x41, 0x00, "\0\0\0\1", 4), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_memory_equal(h.data, eip5, 20);
  kch_free(&h);
}

static void keycard_generate_and_remove_key(void **state) {
  kch h;
  kch_ready(&h, NULL);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_cmd(&h, 0xD3, 0, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  bool key = true;
  kch_status(&h, NULL, NULL, &key);
  assert_false(key);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 32);
  uint8_t uid[32], uid2[32], hash[32];
  memcpy(uid, h.data, 32);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  assert_int_equal(cf_sha256(h.data + 4, 65, hash), 0);
  assert_memory_equal(hash, uid, 32);
  kch_status(&h, NULL, NULL, &key);
  assert_true(key);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  memcpy(uid2, h.data, 32);
  assert_memory_not_equal(uid, uid2, 32);
  /* generated keys are extended */
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\1", 4), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, "\0\0\0\1", 4), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD3, 0, 0, NULL, 0), 0x9000);
  kch_status(&h, NULL, NULL, &key);
  assert_false(key);
  assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 0);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x6985);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(h.data[1], 97);
  assert_memory_equal(h.data + 2 + 18 + 67 + 4 + 3, "\x8E\x00", 2);
  kch_free(&h);
}

/* The word indexes must be the BIP39 encoding of some entropy: the checksum bits must match. */
static void check_mnemonic(const kch *h, unsigned cs) {
  size_t words = h->len / 2;
  assert_int_equal(words, 3 * cs);
  uint8_t bits[33] = {0};
  for (size_t w = 0; w < words; w++) {
    unsigned v = (unsigned)(h->data[2 * w] << 8 | h->data[2 * w + 1]);
    assert_true(v < 2048);
    for (size_t b = 0; b < 11; b++)
      if (v & (1u << (10 - b))) bits[(w * 11 + b) / 8] |= (uint8_t)(0x80 >> ((w * 11 + b) % 8));
  }
  uint8_t hash[32];
  assert_int_equal(cf_sha256(bits, cs * 4, hash), 0);
  assert_int_equal(bits[cs * 4] >> (8 - cs), hash[0] >> (8 - cs));
}

static void keycard_generate_mnemonic(void **state) {
  kch h;
  kch_ready(&h, NULL);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xD2, 0x04, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD2, 0x03, 0, NULL, 0), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xD2, 0x09, 0, NULL, 0), 0x6A86);
  for (unsigned cs = 4; cs <= 8; cs++) {
    for (int i = 0; i < 8; i++) {
      assert_int_equal(kch_cmd(&h, 0xD2, (uint8_t)cs, 0, NULL, 0), 0x9000);
      check_mnemonic(&h, cs);
    }
  }
  kch_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_bip32_vector1),
      cmocka_unit_test(keycard_bip32_vector2),
      cmocka_unit_test(keycard_bip39_vector),
      cmocka_unit_test(keycard_load_key_checks),
      cmocka_unit_test(keycard_derive_key_checks),
      cmocka_unit_test(keycard_sign),
      cmocka_unit_test(keycard_sign_pinless),
      cmocka_unit_test(keycard_export_key_checks),
      cmocka_unit_test(keycard_generate_and_remove_key),
      cmocka_unit_test(keycard_generate_mnemonic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
