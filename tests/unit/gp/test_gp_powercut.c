/* Power cut during a chained PUT KEY, on a FILE store: a cut at every physical write of the last
 * command's commit, then the card is reopened from its file. It must hold the old key set or the
 * new one, whole, and work with exactly that one; and once the commit reported success the new set
 * must be there. */
#include <stdio.h>
#include <unistd.h>

#include "gp_card_fixture.h"

#define SWEEP_LIMIT 300

static const uint8_t new_keys[3][16] = {
    {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF},
    {0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF},
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF}};

typedef struct sweep {
  char dir[256], path[300];
  uint8_t old_rec[2048], new_rec[2048];
  size_t old_len, new_len;
} sweep;

static size_t read_keys(cf_store *st, uint8_t *buf, size_t cap) {
  size_t len = 0;
  assert_int_equal(cf_store_get(st, CF_STORE_KEY(1, 2), buf, cap, &len), CF_STORE_OK);
  return len;
}

static fixture *open_file_card(const char *path, const char *params) {
  fixture *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  snprintf(fx->params, sizeof fx->params, "%s", params);
  assert_int_equal(cf_store_open_file(path, &fx->store), CF_STORE_OK);
  fx_attach(fx);
  return fx;
}

/* The first two commands of the chain (replace the initial set, keys 1 and 2). */
static void chain_head(fixture *fx, uint8_t kvn, uint8_t type) {
  for (int i = 0; i < 2; i++) {
    cf_gp_new_key k = {.type = type, .len = 16};
    memcpy(k.value, new_keys[i], 16);
    uint8_t data[64], kcv[3], out[16];
    size_t len = 0, out_len = 0;
    assert_int_equal(cf_gp_put_key_data(&fx->c.scp, kvn, &k, 1, data, sizeof data, &len, kcv), 0);
    assert_int_equal(fx_send(fx, 0x80, 0xD8, (uint8_t)(0x80 | kvn), (uint8_t)(i + 1), data, len, out,
                             sizeof out, &out_len),
                     SW_OK);
  }
}

static uint16_t chain_tail(fixture *fx, uint8_t kvn, uint8_t type) {
  cf_gp_new_key k = {.type = type, .len = 16};
  memcpy(k.value, new_keys[2], 16);
  uint8_t data[64], kcv[3], out[16];
  size_t len = 0, out_len = 0;
  assert_int_equal(cf_gp_put_key_data(&fx->c.scp, kvn, &k, 1, data, sizeof data, &len, kcv), 0);
  return fx_send(fx, 0x80, 0xD8, kvn, 0x03, data, len, out, sizeof out, &out_len);
}

static void run_sweep(const char *params, uint8_t kvn, uint8_t type) {
  sweep sw;
  snprintf(sw.dir, sizeof sw.dir, "/tmp/cf-gp-powercut-XXXXXX");
  assert_non_null(mkdtemp(sw.dir));
  snprintf(sw.path, sizeof sw.path, "%s/card.db", sw.dir);
  cf_scp_keys old_k = fx_keys(kvn, default_key, default_key, default_key, 16);
  cf_scp_keys new_k = fx_keys(kvn, new_keys[0], new_keys[1], new_keys[2], 16);

  size_t olds = 0, news = 0;
  long cut_at;
  for (cut_at = 1; cut_at <= SWEEP_LIMIT; cut_at++) {
    unlink(sw.path);
    fixture *fx = open_file_card(sw.path, params);
    assert_int_equal(fx_open(fx, kvn, &old_k, 0x03), CF_GP_OK);
    sw.old_len = read_keys(fx->store, sw.old_rec, sizeof sw.old_rec);
    chain_head(fx, kvn, type);
    cf_store_fault_at(fx->store, cut_at);
    uint16_t res = chain_tail(fx, kvn, type);
    bool cut = cf_store_is_cut(fx->store);
    cf_store_fault_at(fx->store, 0);
    fx_detach(fx);
    cf_store_close(fx->store);
    free(fx);
    if (!cut)
      assert_int_equal(res, SW_OK);
    else
      assert_int_equal(res, SW_MEMORY_FAILURE);

    /* reopen from the file, as after a real cut */
    fx = open_file_card(sw.path, params);
    uint8_t rec[2048];
    size_t len = read_keys(fx->store, rec, sizeof rec);
    if (!cut) {
      sw.new_len = len;
      memcpy(sw.new_rec, rec, len);
    }
    bool is_old = len == sw.old_len && memcmp(rec, sw.old_rec, len) == 0;
    bool is_new = !is_old && (cut ? len > 0 : true);
    if (is_old) {
      olds++;
      assert_int_equal(fx_open(fx, kvn, &old_k, 0x01), CF_GP_OK);
      assert_int_equal(fx_open(fx, kvn, &new_k, 0x01), CF_GP_ERR_VERIFY);
    } else {
      assert_true(is_new);
      news++;
      assert_int_equal(fx_open(fx, kvn, &new_k, 0x01), CF_GP_OK);
      assert_int_equal(fx_open(fx, kvn, &old_k, 0x01), CF_GP_ERR_VERIFY);
    }
    fx_free(fx);
    if (!cut) break;
  }
  assert_true(cut_at <= SWEEP_LIMIT);
  /* every new state seen under a cut equals the committed one */
  print_message("%s: %ld cut points, %zu old, %zu new\n", params[0] ? params : "scp=02", cut_at - 1, olds,
                news);
  assert_true(olds >= 1);
  assert_true(news >= 1);
  assert_true(cut_at > 2);
  unlink(sw.path);
  rmdir(sw.dir);
}

/* A second pass, byte for byte, where the cut may also land in the store's close after the
 * command (its checkpoint): a command answered 9000 must leave the new set, one answered 6581 the
 * old or the new set, and nothing else is ever found. */
static void run_exact(const char *params, uint8_t kvn, uint8_t type) {
  char dir[] = "/tmp/cf-gp-powercut-XXXXXX", path[300];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/card.db", dir);
  cf_scp_keys old_k = fx_keys(kvn, default_key, default_key, default_key, 16);
  uint8_t committed[2048], old_rec[2048], rec[2048];
  size_t committed_len = 0, old_len = 0;
  /* reference: no cut; counts the commit's physical writes */
  fixture *fx = open_file_card(path, params);
  assert_int_equal(fx_open(fx, kvn, &old_k, 0x03), CF_GP_OK);
  old_len = read_keys(fx->store, old_rec, sizeof old_rec);
  chain_head(fx, kvn, type);
  long before = cf_store_write_count(fx->store);
  assert_int_equal(chain_tail(fx, kvn, type), SW_OK);
  long commit_writes = cf_store_write_count(fx->store) - before;
  committed_len = read_keys(fx->store, committed, sizeof committed);
  fx_free(fx);
  assert_true(commit_writes >= 1);
  size_t cut_in_commit = 0;
  for (long cut_at = 1; cut_at <= commit_writes + 40; cut_at++) {
    unlink(path);
    fx = open_file_card(path, params);
    assert_int_equal(fx_open(fx, kvn, &old_k, 0x03), CF_GP_OK);
    chain_head(fx, kvn, type);
    cf_store_fault_at(fx->store, cut_at); /* stays armed through the close */
    uint16_t res = chain_tail(fx, kvn, type);
    if (cf_store_is_cut(fx->store)) cut_in_commit++;
    fx_detach(fx);
    cf_store_close(fx->store);
    free(fx);
    fx = open_file_card(path, params);
    size_t len = read_keys(fx->store, rec, sizeof rec);
    bool same_old = len == old_len && memcmp(rec, old_rec, len) == 0;
    bool same_new = len == committed_len && memcmp(rec, committed, len) == 0;
    if (res == SW_OK)
      assert_true(same_new);
    else
      assert_true(res == SW_MEMORY_FAILURE && (same_old || same_new));
    fx_free(fx);
  }
  print_message("%s: the commit makes %ld physical writes, %zu cut there\n", params, commit_writes,
                cut_in_commit);
  assert_int_equal((long)cut_in_commit, commit_writes);
  unlink(path);
  rmdir(dir);
}

static void test_sweep_scp02(void **state) {
  (void)state;
  run_sweep("serial=00000001,kvn=01", 0x01, 0x80);
  run_exact("serial=00000001,kvn=01", 0x01, 0x80);
}

static void test_sweep_scp03(void **state) {
  (void)state;
  run_sweep("serial=00000001,scp=03,kvn=30", 0x30, 0x88);
  run_exact("serial=00000001,scp=03,kvn=30", 0x30, 0x88);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sweep_scp02),
      cmocka_unit_test(test_sweep_scp03),
  };
  return cmocka_run_group_tests_name("gp_powercut", tests, NULL, NULL);
}
