/*
 * buckets.c - an inverted index: ids listed under integer keys (buckets.h).
 */
#include "buckets.h"

#include <string.h>

/* A copy of n int32s of old in a new zeroed block of cap. */
static int32_t *
grown(an_ctx *ctx, const int32_t *old, int32_t n, int32_t cap)
{
	int32_t    *p = an_alloc(ctx, (size_t) cap * sizeof(int32_t));

	if (n > 0)
		memcpy(p, old, (size_t) n * sizeof(int32_t));
	return p;
}

/* The smallest power of two from 64 above at. */
static int32_t
room_for(int32_t cap, int32_t at)
{
	int32_t		n = cap ? cap : 64;

	while (n <= at)
		n *= 2;
	return n;
}

/* List id under key. */
void
an_buckets_add(an_ctx *ctx, an_buckets *b, int32_t key, int32_t id)
{
	if (key >= b->cap_keys)
	{
		int32_t		cap = room_for(b->cap_keys, key);

		b->head = grown(ctx, b->head, b->cap_keys, cap);
		b->size = grown(ctx, b->size, b->cap_keys, cap);
		b->cap_keys = cap;
	}
	if (id >= b->cap_ids)
	{
		int32_t		cap = room_for(b->cap_ids, id);

		b->next = grown(ctx, b->next, b->cap_ids, cap);
		b->cap_ids = cap;
	}
	b->next[id] = b->head[key];
	b->head[key] = id + 1;
	b->size[key]++;
}
