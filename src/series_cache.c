/*
 * series_cache.c - the decoded series states this backend committed, kept
 * across transactions.
 *
 * With one point per transaction (a trigger in autocommit) every point used
 * to lock its series' row, detoast its ~9 kB state, check its CRC32C and
 * decode it, although the bytes were the ones this backend had written at
 * its last commit.  At commit, series_pending.c hands each state it holds
 * here with the row version it equals: the row's xmin (the transaction that
 * wrote it) and its points column.  The next transaction that locks the row
 * still locks and reads it, and takes the decoded state from here when the
 * locked version is that one; any other version (another session wrote the
 * row, a restore, an abort after our write) is read from its bytes.  A row
 * version written at commit by this backend holds exactly the bytes of the
 * state it keeps here, and reading those bytes gives a state that continues
 * bit for bit as the kept one (sql/series_update.sql compares scores and
 * stored bytes against anomaly_ts_step), so both ways score the same.
 *
 * At most CACHE_MAX states and CACHE_BYTES of their memory are kept (an
 * auto state is about 17 kB, a context state up to tens of MB); the oldest
 * go first, and a state larger than the whole budget is not kept.  The
 * table is emptied when anomaly_models changes (a model dropped or
 * retrained).
 */
#include "series_glue.h"

#include "utils/memutils.h"

/* states kept across transactions per backend, and the memory they may hold */
#define CACHE_MAX 128
#define CACHE_BYTES ((Size) 64 * 1024 * 1024)

/* A state kept for its series: the row version it equals and its memory. */
typedef struct cache_entry
{
	an_ts_pending_key key;		/* hash key: model id and series (in cache_cxt) */
	TransactionId xmin;			/* the row version the state equals */
	int64		points;
	an_series  *detector;
	an_ts_mem  *mem;			/* holds detector; a child of cache_cxt */
	Size		bytes;			/* mem's memory */
} cache_entry;

static MemoryContext cache_cxt = NULL;
static HTAB *cache = NULL;
static uint64 cache_generation = 0;
static Size cache_bytes = 0;	/* memory of the states kept */

/* Make the table, or empty it when anomaly_models has changed. */
static void
cache_prepare(void)
{
	uint64		generation = an_cache_generation();

	if (cache != NULL && generation == cache_generation)
		return;
	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "anomaly series state cache",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(cache_cxt);
	cache = an_ts_key_table("anomaly series state cache", CACHE_MAX, sizeof(cache_entry), cache_cxt);
	cache_generation = generation;
	cache_bytes = 0;
}

/* Forget entry c and free what it holds. */
static void
entry_drop(cache_entry *c)
{
	char	   *series = (char *) c->key.series;

	MemoryContextDelete(c->mem->cxt);
	cache_bytes -= c->bytes;
	hash_search(cache, &c->key, HASH_REMOVE, NULL);
	pfree(series);
}

/* Make room for one more entry of need bytes by dropping others. */
static void
cache_make_room(Size need)
{
	HASH_SEQ_STATUS seq;
	cache_entry *c;

	while (hash_get_num_entries(cache) > 0 &&
		   (hash_get_num_entries(cache) >= CACHE_MAX || cache_bytes + need > CACHE_BYTES))
	{
		hash_seq_init(&seq, cache);
		c = hash_seq_search(&seq);
		hash_seq_term(&seq);
		entry_drop(c);
	}
}

/*
 * The kept state of (model_id, series) if it equals the row version (xmin,
 * points) just locked, handed over with its memory, now a child of parent;
 * else NULL.  Either way the series is no longer kept here.
 */
an_series *
an_ts_cache_take(int64 model_id, const char *series, TransactionId xmin, int64 points,
				 MemoryContext parent, an_ts_mem **mem)
{
	an_ts_pending_key key;
	cache_entry *c;
	an_series  *detector;
	char	   *kept_series;

	cache_prepare();
	key.model_id = model_id;
	key.series = series;
	c = hash_search(cache, &key, HASH_FIND, NULL);
	if (c == NULL)
		return NULL;
	if (c->xmin != xmin || c->points != points)
	{
		entry_drop(c);
		return NULL;
	}
	detector = c->detector;
	*mem = c->mem;
	MemoryContextSetParent(c->mem->cxt, parent);
	c->mem = NULL;
	cache_bytes -= c->bytes;
	kept_series = (char *) c->key.series;
	/* the entry's key is compared while it is removed: free it after */
	hash_search(cache, &key, HASH_REMOVE, NULL);
	pfree(kept_series);
	return detector;
}

/*
 * Keep detector (held in mem) for (model_id, series): it equals the row
 * version (xmin, points) committed.  mem becomes the cache's.
 */
void
an_ts_cache_put(int64 model_id, const char *series, TransactionId xmin, int64 points,
				an_series *detector, an_ts_mem *mem)
{
	an_ts_pending_key key;
	cache_entry *c;
	bool		found;
	Size		bytes = MemoryContextMemAllocated(mem->cxt, true);

	cache_prepare();
	key.model_id = model_id;
	key.series = series;
	c = hash_search(cache, &key, HASH_FIND, NULL);
	if (c != NULL)
		entry_drop(c);
	if (bytes > CACHE_BYTES)
	{
		MemoryContextDelete(mem->cxt);
		return;
	}
	cache_make_room(bytes);
	MemoryContextSetParent(mem->cxt, cache_cxt);
	c = hash_search(cache, &key, HASH_ENTER, &found);
	c->key.series = MemoryContextStrdup(cache_cxt, series);
	c->xmin = xmin;
	c->points = points;
	c->detector = detector;
	c->mem = mem;
	c->bytes = bytes;
	cache_bytes += bytes;
}
