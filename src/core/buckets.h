/*
 * buckets.h - an inverted index: ids listed under integer keys, each id
 * under one key.  Adding is O(1); a key's ids are walked newest first.  The
 * arrays grow by doubling through the core's allocator (the old blocks are
 * freed with their memory context).  series_context.c lists its left
 * semi-contexts under one of their neuron facts with it.
 */
#ifndef AN_BUCKETS_H
#define AN_BUCKETS_H

#include "an_core.h"

typedef struct an_buckets
{
	int32_t    *head;			/* by key: its newest id + 1, 0 for none */
	int32_t    *size;			/* by key: how many ids it lists */
	int32_t		cap_keys;
	int32_t    *next;			/* by id: the next id of its key + 1, 0 for none */
	int32_t		cap_ids;
} an_buckets;

/* List id (>= 0, not listed yet) under key (>= 0). */
void		an_buckets_add(an_ctx *ctx, an_buckets *b, int32_t key, int32_t id);

/* The newest id listed under key, or -1. */
static inline int32_t
an_buckets_first(const an_buckets *b, int32_t key)
{
	return key < b->cap_keys ? b->head[key] - 1 : -1;
}

/* The id listed under the same key before id, or -1. */
static inline int32_t
an_buckets_next(const an_buckets *b, int32_t id)
{
	return b->next[id] - 1;
}

/* How many ids are listed under key. */
static inline int32_t
an_buckets_size(const an_buckets *b, int32_t key)
{
	return key < b->cap_keys ? b->size[key] : 0;
}

#endif
