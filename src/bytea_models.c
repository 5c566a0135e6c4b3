/*
 * bytea_models.c - the bytea models one call site has read, kept for reuse.
 *
 * A query that joins its rows to a table of per-group models passes a
 * scoring function a different bytea on almost every row.  A call site keeps
 * each model it has read, in a memory context of its own with whatever the
 * caller builds for it (its row map), and finds it again by the value's
 * TOAST pointer (an out-of-line value, recognised unread: TOAST values are
 * never updated in place) or by its length and the CRC its header stores
 * (an inline value, or an out-of-line one under a pointer not seen yet).
 *
 * The models the call sites of a backend hold together are bounded by
 * anomaly.model_cache_size, the bound of the catalog's model cache, counted
 * apart from it: a call site that reads one more model drops its own least
 * recently used ones while the total is beyond it, never the one just read.
 */
#include "bytea_models.h"

#include "access/detoast.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "segmented.h"

/* where a model's header stores the CRC of its payload */
#define HEADER_CRC_OFFSET 24

/* An out-of-line value's TOAST pointer. */
typedef struct toast_key
{
	Oid			toastrelid;
	Oid			valueid;
	int32		rawsize;
	uint32		extinfo;
} toast_key;

/* A value's length and its header's CRC field. */
typedef struct bytes_key
{
	uint32		len;
	uint32		crc;
} bytes_key;

/* One model of a set. */
typedef struct known_model
{
	an_bytea_model pub;
	bytes_key	bytes;
	toast_key	toast;			/* the last pointer it was read under; valueid 0: none */
	uint64		last_used;		/* the set's clock when last handed out */
	Size		counted;		/* its memory as counted in held_total */
	MemoryContextCallback on_delete;
} known_model;

typedef struct toast_entry
{
	toast_key	key;			/* hash key */
	known_model *model;
} toast_entry;

typedef struct bytes_entry
{
	bytes_key	key;			/* hash key */
	known_model *model;
} bytes_entry;

struct an_bytea_models
{
	MemoryContext cxt;			/* the set's tables, and its models' parent */
	HTAB	   *by_toast;
	HTAB	   *by_bytes;		/* one entry per model */
	Size		state_size;
	uint64		clock;
};

/* the memory the models of all call sites of the backend hold */
static Size held_total = 0;

/* An empty set in parent, whose models carry state_size bytes of the caller's state. */
an_bytea_models *
an_bytea_models_create(MemoryContext parent, Size state_size)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "anomaly bytea models",
											  ALLOCSET_SMALL_SIZES);
	an_bytea_models *set = MemoryContextAllocZero(cxt, sizeof(an_bytea_models));
	HASHCTL		ctl;

	set->cxt = cxt;
	set->state_size = state_size;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(toast_key);
	ctl.entrysize = sizeof(toast_entry);
	ctl.hcxt = cxt;
	set->by_toast = hash_create("anomaly bytea models by pointer", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(bytes_key);
	ctl.entrysize = sizeof(bytes_entry);
	ctl.hcxt = cxt;
	set->by_bytes = hash_create("anomaly bytea models by length and CRC", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return set;
}

/* Fill key with d's TOAST pointer; false if d is not stored out of line. */
static bool
toast_key_of(Datum d, toast_key *key)
{
	struct varatt_external p;

	if (!VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
		return false;
	VARATT_EXTERNAL_GET_POINTER(p, DatumGetPointer(d));
	key->toastrelid = p.va_toastrelid;
	key->valueid = p.va_valueid;
	key->rawsize = p.va_rawsize;
	key->extinfo = p.va_extinfo;
	return true;
}

/* Memory-context callback: a model's memory leaves the backend's total. */
static void
model_deleted(void *arg)
{
	known_model *km = arg;

	held_total -= km->counted;
}

/* Read the model bytes data (key bk) into a new model of the set. */
static known_model *
read_model(an_bytea_models *set, const bytes_key *bk, const char *data)
{
	MemoryContext cxt = AllocSetContextCreate(set->cxt, "anomaly bytea model",
											  ALLOCSET_SMALL_SIZES);
	const char *volatile kept = data;
	known_model *km;
	an_model   *model;
	struct an_segmented *segmented;
	an_ctx		ctx;
	bytes_entry *be;

	an_glue_ctx(&ctx, cxt);
	/* a segmented model's sub-models point into its bytes: keep them */
	if (an_segmented_is(data, bk->len))
		kept = memcpy(MemoryContextAllocHuge(cxt, bk->len), data, bk->len);
	PG_TRY();
	{
		an_route_read(&ctx, kept, bk->len, &model, &segmented);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	km = MemoryContextAllocZero(cxt, sizeof(known_model));
	km->pub.cxt = cxt;
	km->pub.ref.model = model;
	km->pub.ref.segmented = segmented;
	km->pub.ref.model_cxt = cxt;
	km->pub.state = MemoryContextAllocZero(cxt, set->state_size);
	km->bytes = *bk;
	km->on_delete.func = model_deleted;
	km->on_delete.arg = km;
	MemoryContextRegisterResetCallback(cxt, &km->on_delete);
	be = hash_search(set->by_bytes, bk, HASH_ENTER, NULL);
	be->model = km;
	return km;
}

/* Drop a model from the set and free its memory. */
static void
forget_model(an_bytea_models *set, known_model *km)
{
	if (km->toast.valueid != InvalidOid)
		hash_search(set->by_toast, &km->toast, HASH_REMOVE, NULL);
	hash_search(set->by_bytes, &km->bytes, HASH_REMOVE, NULL);
	MemoryContextDelete(km->pub.cxt);
}

/*
 * Count what the set's models hold now (a model grows as its row map is
 * built and a segmented model's sub-models are read), then drop the least
 * recently used ones but keep while the backend's total is over the bound.
 */
static void
evict_over_bound(an_bytea_models *set, known_model *keep)
{
	Size		bound = an_cache_bound();
	HASH_SEQ_STATUS seq;
	bytes_entry *be;

	hash_seq_init(&seq, set->by_bytes);
	while ((be = hash_seq_search(&seq)) != NULL)
	{
		Size		now = MemoryContextMemAllocated(be->model->pub.cxt, true);

		held_total += now - be->model->counted;
		be->model->counted = now;
	}
	while (held_total > bound)
	{
		known_model *oldest = NULL;

		hash_seq_init(&seq, set->by_bytes);
		while ((be = hash_seq_search(&seq)) != NULL)
			if (be->model != keep && (oldest == NULL || be->model->last_used < oldest->last_used))
				oldest = be->model;
		if (oldest == NULL)
			return;
		forget_model(set, oldest);
	}
}

/* Make tk the pointer km is known by (a model keeps the last one only). */
static void
remember_toast(an_bytea_models *set, known_model *km, const toast_key *tk)
{
	toast_entry *te;

	if (km->toast.valueid != InvalidOid)
		hash_search(set->by_toast, &km->toast, HASH_REMOVE, NULL);
	km->toast = *tk;
	te = hash_search(set->by_toast, tk, HASH_ENTER, NULL);
	te->model = km;
}

/*
 * The model of the bytea value d: one the set holds, recognised without
 * reading d again, or d read now.
 */
an_bytea_model *
an_bytea_models_get(an_bytea_models *set, Datum d)
{
	known_model *km = NULL;
	toast_key	tk;
	bool		out_of_line = toast_key_of(d, &tk);

	if (out_of_line)
	{
		toast_entry *te = hash_search(set->by_toast, &tk, HASH_FIND, NULL);

		if (te != NULL)
			km = te->model;
	}
	if (km == NULL)
	{
		bytea	   *b = DatumGetByteaPP(d);
		const char *data = VARDATA_ANY(b);
		bytes_key	bk;
		bytes_entry *be;

		bk.len = VARSIZE_ANY_EXHDR(b);
		bk.crc = 0;
		if (bk.len >= AN_MODEL_HEADER)
			memcpy(&bk.crc, data + HEADER_CRC_OFFSET, sizeof(bk.crc));
		be = hash_search(set->by_bytes, &bk, HASH_FIND, NULL);
		if (be != NULL)
			km = be->model;
		else
		{
			km = read_model(set, &bk, data);
			evict_over_bound(set, km);
		}
		if (out_of_line)
			remember_toast(set, km, &tk);
	}
	km->last_used = ++set->clock;
	return &km->pub;
}
