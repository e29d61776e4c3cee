/* In-memory view of a store (internal to cf_store): the committed records and the write set of
 * the open transaction, both sorted by key so a read is two binary searches and no I/O. */
#ifndef CF_STORE_VIEW_H
#define CF_STORE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cf_store_record {
  uint32_t key;
  uint32_t len;
  uint8_t *data; /* never NULL for a record (1 byte allocated for an empty one); NULL = deletion */
} cf_store_record;

typedef struct cf_store_table {
  cf_store_record *items; /* ascending keys, no duplicates */
  size_t count, cap;
} cf_store_table;

typedef struct cf_store_view {
  cf_store_table committed;
  cf_store_table pending; /* puts (data != NULL) and deletions (data == NULL) */
} cf_store_view;

/* What reads see: the pending write if any, else the committed record. NULL if absent. */
const cf_store_record *cf_store_view_lookup(const cf_store_view *v, uint32_t key);

/* Both return CF_STORE_OK, CF_STORE_NOT_FOUND (delete of an absent record) or CF_STORE_EIO (no
 * memory). */
int cf_store_view_put(cf_store_view *v, uint32_t key, const void *data, size_t len);
int cf_store_view_delete(cf_store_view *v, uint32_t key);

/* Drops the write set. */
void cf_store_view_discard(cf_store_view *v);

/* Commit in two steps so that nothing can fail after the back end has made the writes durable:
 * prepare allocates the merged table, apply builds it and swaps it in. apply calls write(ctx)
 * once per pending entry before using it (the memory back end's physical writes); if that
 * returns false the merged table is dropped, the view is left exactly as it was, and apply
 * returns CF_STORE_POWER_CUT. write may be NULL. */
int cf_store_view_prepare(const cf_store_view *v, cf_store_record **merged);
int cf_store_view_apply(cf_store_view *v, cf_store_record *merged, bool (*write)(void *ctx), void *ctx);

/* How many records the view will hold once the write set is applied. */
size_t cf_store_view_merged_count(const cf_store_view *v);

/* Appends a committed record while loading; keys must come in ascending order. */
int cf_store_view_load(cf_store_view *v, uint32_t key, const void *data, size_t len);

size_t cf_store_view_keys(const cf_store_view *v, uint32_t *keys, size_t cap);

/* Frees everything, wiping record contents (records hold card secrets). */
void cf_store_view_free(cf_store_view *v);

#endif
