/* PUT KEY in every form of GP Card Specification 2.1.1 9.8 (docs/gp.md section 3), each error
 * word, DELETE KEY, and key rotation that survives a restart: on the SCP02 card (key values under
 * the session DEK) and on the SCP03 card (under the static DEK). */
#include "gp_card_fixture.h"
#include "cardforge/crypto.h"

static const uint8_t aes_a[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                  0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
static const uint8_t aes_b[16] = {0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7,
                                  0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF};
static const uint8_t aes_c[16] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7,
                                  0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF};

static cf_gp_new_key nk(uint8_t type, const uint8_t *v, size_t len) {
  cf_gp_new_key k = {.type = type, .len = len};
  memcpy(k.value, v, len);
  return k;
}

/* Opens the card's initial channel (SCP02 DES FF, or SCP03 AES 30) at C-MAC + C-DEC. */
static void open_initial(fixture *fx) {
  bool aes = strstr(fx->params, "scp=03") != NULL;
  cf_scp_keys k = fx_keys(aes ? 0x30 : 0xFF, default_key, default_key, default_key, 16);
  assert_int_equal(fx_open(fx, aes ? 0x30 : 0xFF, &k, 0x03), CF_GP_OK);
}

static const char *params_for(int scp) {
  return scp == 3 ? "scp=03,kvn=30" : "";
}
static uint8_t initial_kvn(int scp) {
  return scp == 3 ? 0x30 : 0xFF;
}

/* A raw PUT KEY through the channel: data = new KVN, then the given key fields. */
static uint16_t put_raw(fixture *fx, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, uint8_t *out,
                        size_t *out_len) {
  return fx_send(fx, 0x80, 0xD8, p1, p2, data, len, out, 64, out_len);
}

/* One key data field, encrypted under the channel's DEK. length_byte: the 11-70 form. */
static size_t key_field(fixture *fx, uint8_t type, const uint8_t *key, size_t klen, bool length_byte,
                        bool with_kcv, uint8_t *out) {
  uint8_t clear[48] = {0}, enc[48];
  size_t bs = cf_scp_dek_block(&fx->c.scp), padded = (klen + bs - 1) / bs * bs, pos = 0;
  memcpy(clear, key, klen);
  assert_int_equal(cf_scp_dek_encrypt(&fx->c.scp, clear, padded, enc), 0);
  out[pos++] = type;
  out[pos++] = (uint8_t)(padded + (length_byte ? 1 : 0));
  if (length_byte) out[pos++] = (uint8_t)klen;
  memcpy(out + pos, enc, padded);
  pos += padded;
  if (with_kcv) {
    out[pos++] = 3;
    assert_int_equal(cf_scp_kcv(type, key, klen, out + pos), 0);
    pos += 3;
  } else {
    out[pos++] = 0;
  }
  return pos;
}

static void expect_open(fixture *fx, uint8_t kvn, const uint8_t *enc, const uint8_t *mac, const uint8_t *dek,
                        size_t len, int want) {
  cf_scp_keys k = fx_keys(kvn, enc, mac, dek, len);
  assert_int_equal(fx_open(fx, kvn, &k, 0x01), want);
}

static void test_add_replace_same_and_new_kvn(void **state) {
  (void)state;
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(params_for(scp));
    uint8_t kvn0 = initial_kvn(scp);
    char info[256];
    open_initial(fx);
    /* add: P1 = 00, P2 = 81, a full AES set KVN 01 */
    cf_gp_new_key set1[3] = {nk(0x88, aes_a, 16), nk(0x88, aes_b, 16), nk(0x88, aes_c, 16)};
    assert_int_equal(cf_gp_put_key(&fx->c, 0x00, 0x01, 1, set1, 3, false), CF_GP_OK);
    fx_key_info(fx, info, sizeof info);
    if (scp == 2)
      assert_string_equal(info, "01018810 02018810 03018810 01FF8010 02FF8010 03FF8010");
    else
      assert_string_equal(info, "01018810 02018810 03018810 01308810 02308810 03308810");
    expect_open(fx, 0x01, aes_a, aes_b, aes_c, 16, CF_GP_OK);
    expect_open(fx, kvn0, default_key, default_key, default_key, 16, CF_GP_OK); /* the old set stays */

    /* replace, same KVN: P1 = 01, new KVN 01 */
    expect_open(fx, 0x01, aes_a, aes_b, aes_c, 16, CF_GP_OK);
    cf_gp_new_key set2[3] = {nk(0x88, aes_c, 16), nk(0x88, aes_a, 16), nk(0x88, aes_b, 16)};
    assert_int_equal(cf_gp_put_key(&fx->c, 0x01, 0x01, 1, set2, 3, false), CF_GP_OK);
    expect_open(fx, 0x01, aes_a, aes_b, aes_c, 16, CF_GP_ERR_VERIFY);
    expect_open(fx, 0x01, aes_c, aes_a, aes_b, 16, CF_GP_OK);

    /* replace with a new KVN: P1 = 01, new KVN 02 */
    assert_int_equal(cf_gp_put_key(&fx->c, 0x01, 0x02, 1, set1, 3, false), CF_GP_OK);
    fx_key_info(fx, info, sizeof info);
    assert_non_null(strstr(info, "01028810 02028810 03028810"));
    assert_null(strstr(info, "0101"));
    assert_int_equal(fx_open(fx, 0x01, &(cf_scp_keys){.klen = 16}, 0x01), CF_GP_ERR_CARD);
    assert_int_equal(fx->c.last_sw, SW_REFERENCED_DATA_NOT_FOUND);
    expect_open(fx, 0x02, aes_a, aes_b, aes_c, 16, CF_GP_OK);

    /* single key (P2 b8 clear): replace only key 1 of set 02, new KVN 03 */
    cf_gp_new_key one = nk(0x88, aes_b, 16);
    assert_int_equal(cf_gp_put_key(&fx->c, 0x02, 0x03, 1, &one, 1, false), CF_GP_OK);
    fx_key_info(fx, info, sizeof info);
    assert_non_null(strstr(info, "02028810 03028810 01038810"));
    fx_free(fx);
  }
}

/* DES and AES sets of each size, each opening its own protocol; both AES block forms. */
static void test_des_and_aes_forms(void **state) {
  (void)state;
  uint8_t k24[24], k32[32];
  memcpy(k24, aes_a, 16);
  memcpy(k24 + 16, aes_b, 8);
  memcpy(k32, aes_a, 16);
  memcpy(k32 + 16, aes_b, 16);
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(params_for(scp));
    uint8_t data[200], out[64];
    size_t len, out_len;
    open_initial(fx);
    /* DES set, KVN 20 */
    len = 0;
    data[len++] = 0x20;
    len += key_field(fx, 0x80, aes_a, 16, false, true, data + len);
    len += key_field(fx, 0x80, aes_b, 16, false, true, data + len);
    len += key_field(fx, 0x80, aes_c, 16, false, true, data + len);
    assert_int_equal(put_raw(fx, 0x00, 0x81, data, len, out, &out_len), SW_OK);
    assert_int_equal(out_len, 10);
    assert_int_equal(out[0], 0x20);
    uint8_t kcv[3];
    cf_scp_kcv(0x80, aes_b, 16, kcv);
    assert_memory_equal(out + 4, kcv, 3);
    /* AES-128 without the length byte (88 10 ...), KVN 21; KCVs left out: the answer is KVN only */
    len = 0;
    data[len++] = 0x21;
    for (int i = 0; i < 3; i++)
      len += key_field(fx, 0x88, i == 0 ? aes_a : i == 1 ? aes_b : aes_c, 16, false, false, data + len);
    assert_int_equal(put_raw(fx, 0x00, 0x81, data, len, out, &out_len), SW_OK);
    assert_int_equal(out_len, 1);
    /* AES-192 (88 21 18 ...) and AES-256 in both forms */
    len = 0;
    data[len++] = 0x22;
    for (int i = 0; i < 3; i++)
      len += key_field(fx, 0x88, k24, 24, true, true, data + len);
    assert_int_equal(put_raw(fx, 0x00, 0x81, data, len, out, &out_len), SW_OK);
    len = 0;
    data[len++] = 0x23;
    len += key_field(fx, 0x88, k32, 32, true, true, data + len);
    len += key_field(fx, 0x88, k32, 32, false, true, data + len);
    len += key_field(fx, 0x88, k32, 32, true, true, data + len);
    assert_int_equal(put_raw(fx, 0x00, 0x81, data, len, out, &out_len), SW_OK);
    char info[512];
    fx_key_info(fx, info, sizeof info);
    assert_non_null(strstr(info,
                           "01208010 02208010 03208010 01218810 02218810 03218810 01228818 02228818 03228818 "
                           "01238820 02238820 03238820"));
    expect_open(fx, 0x20, aes_a, aes_b, aes_c, 16, CF_GP_OK);
    assert_int_equal(fx->c.scp.scp, 0x02);
    expect_open(fx, 0x21, aes_a, aes_b, aes_c, 16, CF_GP_OK);
    assert_int_equal(fx->c.scp.scp, 0x03);
    expect_open(fx, 0x22, k24, k24, k24, 24, CF_GP_OK);
    expect_open(fx, 0x23, k32, k32, k32, 32, CF_GP_OK);
    /* the client's own PUT KEY of an AES-192 set (always with the length byte) */
    cf_gp_new_key set[3] = {nk(0x88, k24, 24), nk(0x88, k24, 24), nk(0x88, k24, 24)};
    assert_int_equal(cf_gp_put_key(&fx->c, 0x00, 0x24, 1, set, 3, false), CF_GP_OK);
    expect_open(fx, 0x24, k24, k24, k24, 24, CF_GP_OK);
    fx_free(fx);
  }
}

static size_t key_record(fixture *fx, uint8_t *buf, size_t cap) {
  size_t len = 0;
  assert_int_equal(cf_store_get(fx->store, CF_STORE_KEY(1, 2), buf, cap, &len), CF_STORE_OK);
  return len;
}

/* Chained PUT KEY (P1 b8): nothing is written until the last command, then all of it at once. */
static void test_chained(void **state) {
  (void)state;
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(params_for(scp));
    uint8_t kvn0 = initial_kvn(scp);
    uint8_t before[2048], during[2048], data[64], out[64];
    size_t out_len;
    open_initial(fx);
    size_t before_len = key_record(fx, before, sizeof before);
    const uint8_t *keys[3] = {aes_a, aes_b, aes_c};
    uint8_t type = scp == 2 ? 0x80 : 0x88;
    for (int i = 0; i < 3; i++) {
      size_t len = 0;
      data[len++] = kvn0 == 0xFF ? 0x10 : kvn0; /* SCP02: FF cannot be named in P1, so add 10 */
      len += key_field(fx, type, keys[i], 16, false, true, data + len);
      uint8_t p1 = (uint8_t)((kvn0 == 0xFF ? 0x00 : kvn0) | (i < 2 ? 0x80 : 0x00));
      assert_int_equal(put_raw(fx, p1, (uint8_t)(i + 1), data, len, out, &out_len), SW_OK);
      assert_int_equal(out_len, 4);
      if (i < 2) {
        size_t during_len = key_record(fx, during, sizeof during);
        assert_int_equal(during_len, before_len);
        assert_memory_equal(during, before, before_len);
      }
    }
    uint8_t kvn = kvn0 == 0xFF ? 0x10 : kvn0;
    expect_open(fx, kvn, aes_a, aes_b, aes_c, 16, CF_GP_OK);
    if (kvn0 != 0xFF) expect_open(fx, kvn0, default_key, default_key, default_key, 16, CF_GP_ERR_VERIFY);
    expect_open(fx, kvn, aes_a, aes_b, aes_c, 16, CF_GP_OK);

    /* the client's chained form */
    cf_gp_new_key set[3] = {nk(type, aes_c, 16), nk(type, aes_b, 16), nk(type, aes_a, 16)};
    assert_int_equal(cf_gp_put_key(&fx->c, kvn, 0x11, 1, set, 3, true), CF_GP_OK);
    expect_open(fx, 0x11, aes_c, aes_b, aes_a, 16, CF_GP_OK);

    /* a chain broken by another command leaves nothing behind */
    before_len = key_record(fx, before, sizeof before);
    for (int i = 0; i < 2; i++) {
      size_t len = 0;
      data[len++] = 0x12;
      len += key_field(fx, type, keys[i], 16, false, true, data + len);
      assert_int_equal(put_raw(fx, 0x80, (uint8_t)(i + 1), data, len, out, &out_len), SW_OK);
    }
    assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x00, 0x66, NULL, 0, out, sizeof out, &out_len), SW_OK);
    size_t len = 0;
    data[len++] = 0x12;
    len += key_field(fx, type, keys[2], 16, false, true, data + len);
    assert_int_equal(put_raw(fx, 0x00, 0x03, data, len, out, &out_len), SW_OK); /* a lone single key */
    char info[256];
    fx_key_info(fx, info, sizeof info);
    assert_non_null(strstr(info, "0312"));
    assert_null(strstr(info, "0112"));
    assert_null(strstr(info, "0212"));

    /* a chain whose commands disagree on the KVN: refused, nothing written */
    before_len = key_record(fx, before, sizeof before);
    len = 0;
    data[len++] = 0x13;
    len += key_field(fx, type, aes_a, 16, false, true, data + len);
    assert_int_equal(put_raw(fx, 0x80, 0x01, data, len, out, &out_len), SW_OK);
    data[0] = 0x14;
    assert_int_equal(put_raw(fx, 0x00, 0x02, data, len, out, &out_len), SW_WRONG_DATA);
    size_t after_len = key_record(fx, during, sizeof during);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(during, before, before_len);
    /* a chain whose last command fails writes nothing either */
    data[0] = 0x13;
    assert_int_equal(put_raw(fx, 0x80, 0x01, data, len, out, &out_len), SW_OK);
    data[len - 1] ^= 0xFF; /* KCV */
    assert_int_equal(put_raw(fx, 0x00, 0x02, data, len, out, &out_len), SW_GP_INVALID_KCV);
    after_len = key_record(fx, during, sizeof during);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(during, before, before_len);
    fx_free(fx);
  }
}

/* Every error word, each leaving the key table as it was. */
static void test_put_key_errors(void **state) {
  (void)state;
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(params_for(scp));
    uint8_t kvn0 = initial_kvn(scp), type = scp == 2 ? 0x80 : 0x88;
    uint8_t before[2048], after[2048], data[200], out[64];
    size_t out_len, len;
    /* no secure channel */
    assert_int_equal(fx_raw(fx, "80D80081020120", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
    open_initial(fx);
    size_t before_len = key_record(fx, before, sizeof before);
#define FIELD(t, k, kl, lb, kcv) (len += key_field(fx, t, k, kl, lb, kcv, data + len))
#define EXPECT(p1, p2, sw)                                                                                   \
  do {                                                                                                       \
    assert_int_equal(put_raw(fx, p1, p2, data, len, out, &out_len), sw);                                     \
    if (!fx->c.open) open_initial(fx);                                                                       \
  } while (0)
    /* 9485: wrong KCV */
    len = 0, data[len++] = 0x40;
    FIELD(type, aes_a, 16, false, true);
    data[len - 2] ^= 0x01;
    EXPECT(0x00, 0x01, SW_GP_INVALID_KCV);
    /* 9484: algorithm not supported */
    len = 0, data[len++] = 0x40;
    FIELD(0x85, aes_a, 16, false, false);
    EXPECT(0x00, 0x01, SW_GP_ALGORITHM_NOT_SUPPORTED);
    len = 0, data[len++] = 0x40;
    FIELD(0xA1, aes_a, 16, false, false);
    EXPECT(0x00, 0x01, SW_GP_ALGORITHM_NOT_SUPPORTED);
    /* 6A88: replacing a set or a key that does not exist */
    len = 0, data[len++] = 0x40;
    FIELD(type, aes_a, 16, false, true);
    EXPECT(0x55, 0x01, SW_REFERENCED_DATA_NOT_FOUND);
    if (kvn0 != 0xFF) EXPECT(kvn0, 0x05, SW_REFERENCED_DATA_NOT_FOUND);
    /* 6A80: adding a KVN that exists, KVN 00 / 80, another type or length than the slot's */
    if (kvn0 != 0xFF) {
      len = 0, data[len++] = kvn0;
      FIELD(type, aes_a, 16, false, true);
      EXPECT(0x00, 0x01, SW_WRONG_DATA);
      len = 0, data[len++] = kvn0;
      FIELD(0x80, aes_a, 16, false, true);
      EXPECT(kvn0, 0x01, SW_WRONG_DATA); /* AES slot, DES key */
      uint8_t k32[32] = {0};
      len = 0, data[len++] = kvn0;
      FIELD(0x88, k32, 32, false, true);
      EXPECT(kvn0, 0x01, SW_WRONG_DATA); /* AES-128 slot, AES-256 key */
    }
    data[0] = 0x00;
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    data[0] = 0x80;
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    /* 6A80: malformed fields, two keys without P2 b8, a bad key length, a bad length byte */
    len = 0, data[len++] = 0x40;
    FIELD(type, aes_a, 16, false, true);
    len -= 2;
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    len = 0, data[len++] = 0x40;
    FIELD(type, aes_a, 16, false, true);
    FIELD(type, aes_b, 16, false, true);
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    len = 0, data[len++] = 0x40;
    FIELD(0x88, aes_a, 8, true, false);
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    len = 0, data[len++] = 0x40;
    FIELD(0x88, aes_a, 16, true, true);
    data[3] = 0x30; /* clear length longer than the block */
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    len = 0, data[len++] = 0x40, data[len++] = 0x88, data[len++] = 0x10;
    EXPECT(0x00, 0x01, SW_WRONG_DATA);
    /* 6700: no data */
    len = 0;
    EXPECT(0x00, 0x01, SW_WRONG_LENGTH);
    size_t after_len = key_record(fx, after, sizeof after);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);

    /* 6A84: the key table is full (24 keys: the initial set and seven more) */
    for (uint8_t kvn = 0x41; kvn <= 0x47; kvn++) {
      cf_gp_new_key set[3] = {nk(type, aes_a, 16), nk(type, aes_b, 16), nk(type, aes_c, 16)};
      assert_int_equal(cf_gp_put_key(&fx->c, 0x00, kvn, 1, set, 3, false), CF_GP_OK);
    }
    len = 0, data[len++] = 0x48;
    FIELD(type, aes_a, 16, false, true);
    EXPECT(0x00, 0x01, SW_NOT_ENOUGH_MEMORY);

    /* 6581: the store fails while writing */
    before_len = key_record(fx, before, sizeof before);
    assert_int_equal(cf_gp_delete_key(&fx->c, 0x47, -1), CF_GP_OK);
    before_len = key_record(fx, before, sizeof before);
    cf_store_fault_at(fx->store, 1);
    assert_int_equal(put_raw(fx, 0x00, 0x01, data, len, out, &out_len), SW_MEMORY_FAILURE);
    fx_restart(fx);
    after_len = key_record(fx, after, sizeof after);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
#undef FIELD
#undef EXPECT
    fx_free(fx);
  }
}

static void test_delete_key(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  char info[256];
  uint8_t out[64];
  size_t out_len;
  assert_int_equal(fx_raw(fx, "80E4000003D20130", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  open_initial(fx);
  cf_gp_new_key set[3] = {nk(0x88, aes_a, 16), nk(0x88, aes_b, 16), nk(0x88, aes_c, 16)};
  assert_int_equal(cf_gp_put_key(&fx->c, 0x00, 0x30, 1, set, 3, false), CF_GP_OK);
  assert_int_equal(cf_gp_put_key(&fx->c, 0x00, 0x31, 1, set, 3, false), CF_GP_OK);
  /* D0 + D2: one key; P2 = 80 accepted */
  static const uint8_t one[] = {0xD0, 0x01, 0x02, 0xD2, 0x01, 0x31};
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x80, one, sizeof one, out, sizeof out, &out_len), SW_OK);
  assert_hex(out, out_len, "00");
  fx_key_info(fx, info, sizeof info);
  assert_string_equal(info, "01308810 02308810 03308810 01318810 03318810 01FF8010 02FF8010 03FF8010");
  /* D2 alone: the whole set */
  assert_int_equal(cf_gp_delete_key(&fx->c, 0x31, -1), CF_GP_OK);
  /* D0 alone: that id in every set */
  cf_gp_new_key extra = nk(0x88, aes_a, 16);
  assert_int_equal(cf_gp_put_key(&fx->c, 0x00, 0x33, 5, &extra, 1, false), CF_GP_OK);
  assert_int_equal(cf_gp_put_key(&fx->c, 0x00, 0x34, 5, &extra, 1, false), CF_GP_OK);
  fx_key_info(fx, info, sizeof info);
  assert_string_equal(info, "01308810 02308810 03308810 05338810 05348810 01FF8010 02FF8010 03FF8010");
  assert_int_equal(cf_gp_delete_key(&fx->c, -1, 0x05), CF_GP_OK);
  fx_key_info(fx, info, sizeof info);
  assert_string_equal(info, "01308810 02308810 03308810 01FF8010 02FF8010 03FF8010");
  /* errors */
  assert_int_equal(cf_gp_delete_key(&fx->c, 0x31, -1), CF_GP_ERR_CARD);
  assert_int_equal(fx->c.last_sw, SW_REFERENCED_DATA_NOT_FOUND);
  static const uint8_t bad_tag[] = {0xD3, 0x01, 0x01}, bad_len[] = {0xD2, 0x02, 0x30, 0x00},
                       trunc[] = {0xD2, 0x01}, twice[] = {0xD2, 0x01, 0x30, 0xD2, 0x01, 0x30},
                       app[] = {0x4F, 0x05, 0xA0, 0, 0, 0, 1};
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x00, bad_tag, sizeof bad_tag, NULL, 0, NULL),
                   SW_WRONG_DATA);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x00, bad_len, sizeof bad_len, NULL, 0, NULL),
                   SW_WRONG_DATA);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x00, trunc, sizeof trunc, NULL, 0, NULL), SW_WRONG_DATA);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x00, twice, sizeof twice, NULL, 0, NULL), SW_WRONG_DATA);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x00, app, sizeof app, NULL, 0, NULL),
                   SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x80, 0x00, one, sizeof one, NULL, 0, NULL), SW_INCORRECT_P1P2);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x01, one, sizeof one, NULL, 0, NULL), SW_INCORRECT_P1P2);
  assert_int_equal(fx_send(fx, 0x80, 0xE4, 0x00, 0x00, NULL, 0, NULL, 0, NULL), SW_WRONG_LENGTH);
  /* the last set that opens a channel cannot go */
  assert_int_equal(cf_gp_delete_key(&fx->c, 0x30, -1), CF_GP_OK);
  assert_int_equal(cf_gp_delete_key(&fx->c, 0xFF, -1), CF_GP_ERR_CARD);
  assert_int_equal(fx->c.last_sw, SW_CONDITIONS_NOT_SATISFIED);
  fx_free(fx);
}

/* Key rotation: after PUT KEY the new keys open a channel and the old ones do not, also after
 * the card restarts; and the sequence counter of a rewritten set starts again. */
static void test_rotation_survives_restart(void **state) {
  (void)state;
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(params_for(scp));
    uint8_t kvn0 = initial_kvn(scp), type = scp == 2 ? 0x80 : 0x88;
    open_initial(fx);
    cf_gp_new_key set[3] = {nk(type, aes_a, 16), nk(type, aes_b, 16), nk(type, aes_c, 16)};
    uint8_t new_kvn = 0x01;
    if (kvn0 == 0xFF) {
      assert_int_equal(cf_gp_put_key(&fx->c, 0x00, new_kvn, 1, set, 3, false), CF_GP_OK);
      expect_open(fx, new_kvn, aes_a, aes_b, aes_c, 16, CF_GP_OK);
      assert_int_equal(cf_gp_delete_key(&fx->c, 0xFF, -1), CF_GP_OK);
    } else {
      assert_int_equal(cf_gp_put_key(&fx->c, kvn0, new_kvn, 1, set, 3, false), CF_GP_OK);
    }
    for (int round = 0; round < 2; round++) {
      expect_open(fx, new_kvn, aes_a, aes_b, aes_c, 16, CF_GP_OK);
      expect_open(fx, new_kvn, default_key, default_key, default_key, 16, CF_GP_ERR_VERIFY);
      assert_int_equal(fx_open(fx, kvn0, &(cf_scp_keys){.klen = 16}, 0x01), CF_GP_ERR_CARD);
      assert_int_equal(fx->c.last_sw, SW_REFERENCED_DATA_NOT_FOUND);
      fx_restart(fx);
    }
    /* the counter of the rewritten set restarts */
    expect_open(fx, new_kvn, aes_a, aes_b, aes_c, 16, CF_GP_OK);
    cf_gp_new_key again[3] = {nk(type, aes_c, 16), nk(type, aes_b, 16), nk(type, aes_a, 16)};
    assert_int_equal(cf_gp_put_key(&fx->c, new_kvn, new_kvn, 1, again, 3, false), CF_GP_OK);
    uint8_t buf[64];
    size_t len;
    cf_gp_close(&fx->c);
    assert_int_equal(fx_raw(fx, "00A4040008A000000151000000", NULL, 0, NULL), SW_OK);
    assert_int_equal(fx_raw(fx, "80CA00C100", buf, sizeof buf, &len), SW_OK);
    assert_hex(buf, len, scp == 2 ? "C1020000" : "C103000000");
    fx_free(fx);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_replace_same_and_new_kvn),
      cmocka_unit_test(test_des_and_aes_forms),
      cmocka_unit_test(test_chained),
      cmocka_unit_test(test_put_key_errors),
      cmocka_unit_test(test_delete_key),
      cmocka_unit_test(test_rotation_survives_restart),
  };
  return cmocka_run_group_tests_name("gp_put_key", tests, NULL, NULL);
}
