#include "store_view.h"

#include <stdlib.h>
#include <string.h>

#include "cardforge/store.h"

/* Index of the first item whose key is >= key. */
static size_t table_lower_bound(const cf_store_table *t, uint32_t key) {
  size_t lo = 0, hi = t->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->items[mid].key < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static cf_store_record *table_find(const cf_store_table *t, uint32_t key) {
  size_t i = table_lower_bound(t, key);
  return i < t->count && t->items[i].key == key ? &t->items[i] : NULL;
}

static int table_reserve(cf_store_table *t, size_t need) {
  if (need <= t->cap) return CF_STORE_OK;
  size_t cap = t->cap ? t->cap * 2 : 16;
  while (cap < need)
    cap *= 2;
  cf_store_record *items = realloc(t->items, cap * sizeof(*items));
  if (!items) return CF_STORE_EIO;
  t->items = items;
  t->cap = cap;
  return CF_STORE_OK;
}

static int table_insert_at(cf_store_table *t, size_t i, cf_store_record rec) {
  if (table_reserve(t, t->count + 1) != CF_STORE_OK) return CF_STORE_EIO;
  memmove(&t->items[i + 1], &t->items[i], (t->count - i) * sizeof(*t->items));
  t->items[i] = rec;
  t->count++;
  return CF_STORE_OK;
}

static void table_remove_at(cf_store_table *t, size_t i) {
  memmove(&t->items[i], &t->items[i + 1], (t->count - i - 1) * sizeof(*t->items));
  t->count--;
}

static void blob_free(uint8_t *data, uint32_t len) {
  if (!data) return;
  explicit_bzero(data, len);
  free(data);
}

static uint8_t *blob_copy(const void *data, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  if (copy && len) memcpy(copy, data, len);
  return copy;
}

const cf_store_record *cf_store_view_lookup(const cf_store_view *v, uint32_t key) {
  if (v->pending.count) {
    const cf_store_record *p = table_find(&v->pending, key);
    if (p) return p->data ? p : NULL;
  }
  return table_find(&v->committed, key);
}

int cf_store_view_put(cf_store_view *v, uint32_t key, const void *data, size_t len) {
  /* Copy first: data may point into the record being replaced (a peek of the same key). */
  uint8_t *copy = blob_copy(data, len);
  if (!copy) return CF_STORE_EIO;
  size_t i = table_lower_bound(&v->pending, key);
  if (i < v->pending.count && v->pending.items[i].key == key) {
    cf_store_record *p = &v->pending.items[i];
    blob_free(p->data, p->len);
    p->data = copy;
    p->len = (uint32_t)len;
    return CF_STORE_OK;
  }
  if (table_insert_at(&v->pending, i, (cf_store_record){key, (uint32_t)len, copy}) != CF_STORE_OK) {
    free(copy);
    return CF_STORE_EIO;
  }
  return CF_STORE_OK;
}

int cf_store_view_delete(cf_store_view *v, uint32_t key) {
  bool committed = table_find(&v->committed, key) != NULL;
  size_t i = table_lower_bound(&v->pending, key);
  if (i < v->pending.count && v->pending.items[i].key == key) {
    cf_store_record *p = &v->pending.items[i];
    if (!p->data) return CF_STORE_NOT_FOUND;
    blob_free(p->data, p->len);
    if (committed) {
      p->data = NULL;
      p->len = 0;
    } else {
      table_remove_at(&v->pending, i); /* created and deleted in the same transaction */
    }
    return CF_STORE_OK;
  }
  if (!committed) return CF_STORE_NOT_FOUND;
  return table_insert_at(&v->pending, i, (cf_store_record){key, 0, NULL});
}

void cf_store_view_discard(cf_store_view *v) {
  for (size_t i = 0; i < v->pending.count; i++)
    blob_free(v->pending.items[i].data, v->pending.items[i].len);
  v->pending.count = 0;
}

int cf_store_view_prepare(const cf_store_view *v, cf_store_record **merged) {
  size_t n = v->committed.count + v->pending.count;
  *merged = malloc((n ? n : 1) * sizeof(**merged));
  return *merged ? CF_STORE_OK : CF_STORE_EIO;
}

int cf_store_view_apply(cf_store_view *v, cf_store_record *merged, bool (*write)(void *ctx), void *ctx) {
  cf_store_table *c = &v->committed, *p = &v->pending;
  size_t i = 0, j = 0, n = 0;
  /* Build the new table beside the old one; nothing is freed until every write went through. */
  while (i < c->count || j < p->count) {
    if (j == p->count || (i < c->count && c->items[i].key < p->items[j].key)) {
      merged[n++] = c->items[i++];
      continue;
    }
    if (write && !write(ctx)) {
      free(merged);
      return CF_STORE_POWER_CUT;
    }
    if (i < c->count && c->items[i].key == p->items[j].key) i++;
    if (p->items[j].data) merged[n++] = p->items[j];
    j++;
  }
  for (j = 0; j < p->count; j++) {
    cf_store_record *old = table_find(c, p->items[j].key);
    if (old) blob_free(old->data, old->len);
  }
  free(c->items);
  c->items = merged;
  c->cap = c->count + p->count;
  c->count = n;
  p->count = 0; /* the blobs now belong to the committed table */
  return CF_STORE_OK;
}

size_t cf_store_view_merged_count(const cf_store_view *v) {
  size_t count = v->committed.count;
  for (size_t i = 0; i < v->pending.count; i++) {
    bool exists = table_find(&v->committed, v->pending.items[i].key) != NULL;
    if (v->pending.items[i].data && !exists) count++;
    if (!v->pending.items[i].data && exists) count--;
  }
  return count;
}

int cf_store_view_load(cf_store_view *v, uint32_t key, const void *data, size_t len) {
  cf_store_table *c = &v->committed;
  if (c->count && c->items[c->count - 1].key >= key) return CF_STORE_EIO;
  if (table_reserve(c, c->count + 1) != CF_STORE_OK) return CF_STORE_EIO;
  uint8_t *copy = blob_copy(data, len);
  if (!copy) return CF_STORE_EIO;
  c->items[c->count++] = (cf_store_record){key, (uint32_t)len, copy};
  return CF_STORE_OK;
}

size_t cf_store_view_keys(const cf_store_view *v, uint32_t *keys, size_t cap) {
  const cf_store_table *c = &v->committed, *p = &v->pending;
  size_t i = 0, j = 0, n = 0;
  while (i < c->count || j < p->count) {
    const cf_store_record *r;
    if (j == p->count || (i < c->count && c->items[i].key < p->items[j].key)) {
      r = &c->items[i++];
    } else {
      if (i < c->count && c->items[i].key == p->items[j].key) i++;
      r = &p->items[j++];
      if (!r->data) continue;
    }
    if (n < cap) keys[n] = r->key;
    n++;
  }
  return n;
}

void cf_store_view_free(cf_store_view *v) {
  cf_store_view_discard(v);
  for (size_t i = 0; i < v->committed.count; i++)
    blob_free(v->committed.items[i].data, v->committed.items[i].len);
  free(v->committed.items);
  free(v->pending.items);
  memset(v, 0, sizeof(*v));
}
