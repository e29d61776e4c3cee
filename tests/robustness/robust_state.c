/* Persistent-state snapshots over the public store API (see robust_state.h). */
#include "robust_state.h"

#include <stdlib.h>
#include <string.h>

void rb_state_free(rb_state *st) {
  for (size_t i = 0; i < st->count; i++) {
    free(st->rec[i].data);
    st->rec[i].data = NULL;
  }
  st->count = 0;
}

int rb_state_take(cf_store *s, rb_state *st) {
  static uint32_t keys[RB_STATE_MAX_RECORDS + 1];
  st->count = 0;
  if (cf_store_is_cut(s)) return -1;
  size_t n = cf_store_keys(s, keys, RB_STATE_MAX_RECORDS + 1);
  if (n > RB_STATE_MAX_RECORDS) return -1;
  for (size_t i = 0; i < n; i++) {
    size_t len = 0;
    const uint8_t *p = cf_store_peek(s, keys[i], &len);
    if (p == NULL) {
      rb_state_free(st);
      return -1;
    }
    rb_record *r = &st->rec[st->count];
    r->key = keys[i];
    r->len = len;
    r->data = malloc(len ? len : 1);
    if (r->data == NULL) {
      rb_state_free(st);
      return -1;
    }
    memcpy(r->data, p, len);
    st->count++;
  }
  return 0;
}

int rb_state_copy(const rb_state *src, rb_state *dst) {
  dst->count = 0;
  for (size_t i = 0; i < src->count; i++) {
    rb_record *r = &dst->rec[i];
    r->key = src->rec[i].key;
    r->len = src->rec[i].len;
    r->data = malloc(r->len ? r->len : 1);
    if (r->data == NULL) {
      rb_state_free(dst);
      return -1;
    }
    memcpy(r->data, src->rec[i].data, r->len);
    dst->count++;
  }
  return 0;
}

static bool record_equal(const rb_record *a, const rb_record *b) {
  return a->key == b->key && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

bool rb_state_equal(const rb_state *a, const rb_state *b) {
  if (a->count != b->count) return false;
  for (size_t i = 0; i < a->count; i++)
    if (!record_equal(&a->rec[i], &b->rec[i])) return false;
  return true;
}

bool rb_state_matches(cf_store *s, const rb_state *st) {
  static uint32_t keys[RB_STATE_MAX_RECORDS + 1];
  if (cf_store_is_cut(s)) return false;
  size_t n = cf_store_keys(s, keys, RB_STATE_MAX_RECORDS + 1);
  if (n != st->count) return false;
  for (size_t i = 0; i < n; i++) {
    size_t len = 0;
    const uint8_t *p = cf_store_peek(s, keys[i], &len);
    const rb_record *r = &st->rec[i];
    if (p == NULL || keys[i] != r->key || len != r->len || memcmp(p, r->data, len) != 0) return false;
  }
  return true;
}

int rb_state_to_memory(const rb_state *st, cf_store **out) {
  cf_store *s = NULL;
  int rc = cf_store_open_memory(&s);
  if (rc != CF_STORE_OK) return rc;
  rc = cf_store_begin(s);
  for (size_t i = 0; rc == CF_STORE_OK && i < st->count; i++)
    rc = cf_store_put(s, st->rec[i].key, st->rec[i].data, st->rec[i].len);
  if (rc == CF_STORE_OK) rc = cf_store_commit(s);
  if (rc != CF_STORE_OK) {
    cf_store_close(s);
    return rc;
  }
  *out = s;
  return CF_STORE_OK;
}

const rb_record *rb_state_find(const rb_state *st, uint32_t key) {
  for (size_t i = 0; i < st->count; i++)
    if (st->rec[i].key == key) return &st->rec[i];
  return NULL;
}

size_t rb_state_diff(const rb_state *a, const rb_state *b, uint32_t *keys, size_t cap) {
  size_t i = 0, j = 0, n = 0;
  while (i < a->count || j < b->count) {
    uint32_t key;
    bool differs;
    if (j >= b->count || (i < a->count && a->rec[i].key < b->rec[j].key)) {
      key = a->rec[i++].key;
      differs = true;
    } else if (i >= a->count || b->rec[j].key < a->rec[i].key) {
      key = b->rec[j++].key;
      differs = true;
    } else {
      key = a->rec[i].key;
      differs = !record_equal(&a->rec[i], &b->rec[j]);
      i++, j++;
    }
    if (differs) {
      if (n < cap) keys[n] = key;
      n++;
    }
  }
  return n;
}
