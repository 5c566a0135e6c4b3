/*
 * model_cache.c - deserialized models cached per backend, by id and by name.
 *
 * Models are read from anomaly_models once per backend and role and kept
 * in their own memory context.  The catalog has row-level security, so a
 * model read by one role is not served to another: entries are keyed by the
 * current user too (SET ROLE, SECURITY DEFINER callers).  A statement
 * trigger on anomaly_models fires a relcache invalidation for it (as
 * pg_cron does for cron.job), and role membership changes fire syscache
 * invalidations; our callbacks then mark the cache stale and bump its
 * generation, so every call site notices on its next row and looks the
 * model up again.  That lookup uses the running statement's snapshot, so a
 * statement sees one version throughout; what it caches is dropped again
 * when its transaction ends.
 */
#include "glue.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"
#include "funcapi.h"
#include <limits.h>

#include "segmented.h"

PG_FUNCTION_INFO_V1(anomaly_models_changed);
PG_FUNCTION_INFO_V1(anomaly_model_cache);

typedef struct id_key
{
	Oid			user;			/* the role the model was read as */
	int64		id;
} id_key;

typedef struct cache_entry
{
	id_key		key;			/* hash key */
	int32		version;
	an_model   *model;			/* the global model when segmented */
	struct an_segmented *segmented;
	MemoryContext model_cxt;
	uint64		last_used;		/* the LRU clock when last handed out */
} cache_entry;

typedef struct name_key
{
	Oid			user;
	char		name[NAMEDATALEN];
} name_key;

typedef struct name_entry
{
	name_key	key;			/* hash key */
	int64		id;
} name_entry;

static MemoryContext cache_cxt = NULL;
static HTAB *by_id = NULL;
static HTAB *by_name = NULL;
static uint64 generation = 1;
static bool stale = false;
static bool callback_registered = false;
/* an invalidation arrived inside the current transaction */
static bool invalidated_in_xact = false;

static Oid	models_relid = InvalidOid;
/* anomaly_deployments (0.3.0 on), or InvalidOid: names mean their latest version */
static Oid	deployments_relid = InvalidOid;

/* anomaly.model_cache_size: the bound of the cache, in MB */
static int	cache_size_mb = 256;
static uint64 lru_clock = 0;
/* models evicted in the current transaction, freed when it ends */
static MemoryContext evicted_cxt = NULL;

static void cache_evict_over_bound(int64 keep);

/*
 * Relcache callback: drop the cache when anomaly_models or
 * anomaly_deployments (or everything) changes.
 */
static void
cache_invalidate(Datum arg, Oid relid)
{
	if (OidIsValid(relid) && relid != models_relid && relid != deployments_relid)
		return;
	stale = true;
	generation++;
	if (IsTransactionState())
		invalidated_in_xact = true;
}

/* Syscache callback: role memberships or roles changed, so may visibility. */
static void
roles_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	stale = true;
	generation++;
	if (IsTransactionState())
		invalidated_in_xact = true;
}

/*
 * Inside a Citus task the cache lasts one statement (one task): the
 * replica's shard is written by the coordinator's connections, which
 * raises no invalidation here, so every task reads its models (deploys,
 * grants, revokes) afresh, as a statement on one node would see them.
 * A statement is known by its start time; checking costs a comparison.
 */
static void
cache_check_statement(void)
{
	static TimestampTz statement_seen = 0;
	TimestampTz started = GetCurrentStatementStartTimestamp();

	if (started == statement_seen)
		return;
	statement_seen = started;
	if (an_citus_task())
	{
		stale = true;
		generation++;
	}
}

/*
 * Transaction callback: a lookup made after an invalidation inside a
 * transaction read the catalog with that transaction's older snapshot, so
 * whatever it cached is dropped when the transaction ends.
 */
static void
cache_xact_end(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	if (evicted_cxt != NULL)
		MemoryContextReset(evicted_cxt);
	if (invalidated_in_xact)
	{
		stale = true;
		generation++;
	}
	invalidated_in_xact = false;
}

/* Make sure the cache exists and is not stale. */
static void
cache_prepare(void)
{
	HASHCTL		ctl;
	Oid			nsp;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(cache_invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, roles_changed, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHOID, roles_changed, (Datum) 0);
		RegisterXactCallback(cache_xact_end, NULL);
		callback_registered = true;
	}
	cache_check_statement();
	if (cache_cxt != NULL && !stale)
		return;
	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(CacheMemoryContext, "anomaly model cache",
										  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache_cxt);
	stale = false;
	nsp = an_glue_schema_oid();
	models_relid = OidIsValid(nsp) ? get_relname_relid("anomaly_models", nsp) : InvalidOid;
	deployments_relid = OidIsValid(nsp) ? get_relname_relid("anomaly_deployments", nsp) : InvalidOid;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(id_key);
	ctl.entrysize = sizeof(cache_entry);
	ctl.hcxt = cache_cxt;
	by_id = hash_create("anomaly models by id", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(name_key);
	ctl.entrysize = sizeof(name_entry);
	ctl.hcxt = cache_cxt;
	by_name = hash_create("anomaly models by name", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* The current cache generation: call sites compare it before reuse (the
 * first call registers the invalidation callbacks that move it). */
uint64
an_cache_generation(void)
{
	cache_check_statement();
	if (stale || !callback_registered)
		cache_prepare();
	return generation;
}

/*
 * The query that reads a model inside a Citus task (the caller is
 * connected to SPI): from the replica's shard on this node, by id or the
 * deployed version of name.  Refuses the lookup when there is no replica.
 */
static char *
replica_query(int64 want_id, const char *name)
{
	char	   *shard = an_citus_replica_shard();

	if (shard == NULL)
		an_citus_refuse_lookup(want_id, name);
	if (name != NULL)
		return psprintf("SELECT id, version, model FROM %s WHERE name OPERATOR(pg_catalog.=) $1 AND deployed",
						shard);
	return psprintf("SELECT id, version, model FROM %s WHERE id OPERATOR(pg_catalog.=) $1", shard);
}

/*
 * Fetch one model row with SPI: by id when name is NULL, else the deployed
 * version of name (its latest one in a catalog before 0.3.0).  Inside a
 * Citus task the row comes from the coordinator's replica.  Returns false
 * if there is none; fills id, version and a copy of the model bytes in the
 * caller's context.
 */
static bool
fetch_model(int64 want_id, const char *name, int64 *id, int32 *version, bytea **bytes)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *sql;
	Oid			argtypes[1];
	Datum		args[1];
	bool		found = false;
	int			rc;

	SPI_connect();
	argtypes[0] = name != NULL ? TEXTOID : INT8OID;
	args[0] = name != NULL ? CStringGetTextDatum(name) : Int64GetDatum(want_id);
	if (an_citus_task())
		sql = replica_query(want_id, name);
	else if (name != NULL && OidIsValid(deployments_relid))
		sql = psprintf("SELECT m.id, m.version, m.model FROM %s.anomaly_deployments d "
					   "JOIN %s.anomaly_models m ON m.id OPERATOR(pg_catalog.=) d.model_id "
					   "WHERE d.name OPERATOR(pg_catalog.=) $1", an_glue_schema(), an_glue_schema());
	else if (name != NULL)
		sql = psprintf("SELECT id, version, model FROM %s.anomaly_models "
					   "WHERE name OPERATOR(pg_catalog.=) $1 ORDER BY version DESC LIMIT 1", an_glue_schema());
	else
		sql = psprintf("SELECT id, version, model FROM %s.anomaly_models WHERE id OPERATOR(pg_catalog.=) $1",
					   an_glue_schema());
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading anomaly_models failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d;
		MemoryContext spi = MemoryContextSwitchTo(caller);

		*id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
		*bytes = isnull ? NULL : DatumGetByteaPCopy(d);
		MemoryContextSwitchTo(spi);
		found = true;
	}
	SPI_finish();
	return found;
}

/*
 * Fill key with the cache key of model id for the current user.  The keys
 * are hashed as bytes, padding included, so they are filled in place: a
 * struct returned by value may carry garbage in its padding.
 */
static void
key_of_id(int64 id, id_key *key)
{
	memset(key, 0, sizeof(*key));
	key->user = GetUserId();
	key->id = id;
}

/* Fill key with the cache key of model name for the current user. */
static void
key_of_name(const char *name, name_key *key)
{
	memset(key, 0, sizeof(*key));
	key->user = GetUserId();
	strlcpy(key->name, name, NAMEDATALEN);
}

/* Deserialize bytes into an entry of the cache. */
static cache_entry *
cache_insert(int64 id, int32 version, bytea *bytes)
{
	MemoryContext model_cxt;
	an_ctx		ctx;
	an_model   *model;
	struct an_segmented *segmented;
	const char *data;
	size_t		len;
	cache_entry *e;
	id_key		key;
	bool		found;

	if (bytes == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model %lld has no model bytes", (long long) id)));
	cache_evict_over_bound(id);
	model_cxt = AllocSetContextCreate(cache_cxt, "anomaly model", ALLOCSET_SMALL_SIZES);
	an_glue_ctx(&ctx, model_cxt);
	data = VARDATA_ANY(bytes);
	len = VARSIZE_ANY_EXHDR(bytes);
	/* a segmented model's sub-models point into its bytes: keep them */
	if (an_segmented_is(data, len))
		data = memcpy(MemoryContextAllocHuge(model_cxt, len), data, len);
	PG_TRY();
	{
		an_route_read(&ctx, data, len, &model, &segmented);
	}
	PG_CATCH();
	{
		MemoryContextDelete(model_cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	key_of_id(id, &key);
	e = hash_search(by_id, &key, HASH_ENTER, &found);
	e->model = model;
	e->segmented = segmented;
	e->model_cxt = model_cxt;
	e->version = version;
	return e;
}

/*
 * Make room for model keep: while the cached models hold more than
 * anomaly.model_cache_size, drop the least recently used one (never keep).
 * Call sites hold pointers into the cache, so an eviction bumps the
 * generation and they look their model up again on their next row; the
 * evicted model's memory is freed when the transaction ends, so a pointer
 * taken earlier in it stays valid until then.
 */
static void
cache_evict_over_bound(int64 keep)
{
	Size		bound = an_cache_bound();

	for (;;)
	{
		HASH_SEQ_STATUS seq;
		cache_entry *e,
				   *oldest = NULL;
		Size		total = 0;

		hash_seq_init(&seq, by_id);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			total += MemoryContextMemAllocated(e->model_cxt, true);
			if (e->key.id != keep && (oldest == NULL || e->last_used < oldest->last_used))
				oldest = e;
		}
		if (total <= bound || oldest == NULL)
			return;
		if (evicted_cxt == NULL)
			evicted_cxt = AllocSetContextCreate(CacheMemoryContext, "anomaly evicted models",
												ALLOCSET_SMALL_SIZES);
		MemoryContextSetParent(oldest->model_cxt, evicted_cxt);
		hash_search(by_id, &oldest->key, HASH_REMOVE, NULL);
		generation++;
	}
}

/* anomaly.model_cache_size in bytes. */
Size
an_cache_bound(void)
{
	return (Size) cache_size_mb * 1024 * 1024;
}

/* Define anomaly.model_cache_size (called once, from _PG_init). */
void
an_cache_define_guc(void)
{
	DefineCustomIntVariable("anomaly.model_cache_size",
							"Memory the per-backend model cache may hold, in MB.",
							"The least recently used models are dropped beyond it; "
							"a model larger than the bound is still cached alone.",
							&cache_size_mb, 256, 1, INT_MAX / 1024, PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
}

/*
 * anomaly_model_cache(): what this backend's cache holds, for the current
 * role: model id, version, bytes held, whether segmented and how many
 * sub-models it has read, and the LRU clock of its last use.
 */
Datum
anomaly_model_cache(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	cache_entry *e;

	InitMaterializedSRF(fcinfo, 0);
	if (cache_cxt == NULL || stale)
		return (Datum) 0;
	hash_seq_init(&seq, by_id);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[6];
		bool		nulls[6] = {false};
		int64		loaded = 0;

		if (e->key.user != GetUserId())
			continue;
		if (e->segmented)
			for (uint32 i = 0; i < e->segmented->n_segments; i++)
				loaded += e->segmented->segments[i].model != NULL;
		values[0] = Int64GetDatum(e->key.id);
		values[1] = Int32GetDatum(e->version);
		values[2] = Int64GetDatum((int64) MemoryContextMemAllocated(e->model_cxt, true));
		values[3] = BoolGetDatum(e->segmented != NULL);
		values[4] = Int64GetDatum(loaded);
		values[5] = Int64GetDatum((int64) e->last_used);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Fill ref with the model of id, reading it if it is not cached. */
void
an_cache_by_id(int64 id, an_model_ref *ref)
{
	cache_entry *e;
	id_key		key;

	key_of_id(id, &key);
	cache_prepare();
	e = hash_search(by_id, &key, HASH_FIND, NULL);
	if (e == NULL)
	{
		int64		got;
		int32		version;
		bytea	   *bytes;

		if (!fetch_model(id, NULL, &got, &version, &bytes))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("anomaly model with id %lld does not exist", (long long) id),
					 errhint("SELECT * FROM anomaly_model_list shows the models.")));
		cache_prepare();		/* SPI may have processed invalidations */
		e = cache_insert(id, version, bytes);
	}
	e->last_used = ++lru_clock;
	ref->id = id;
	ref->version = e->version;
	ref->model = e->model;
	ref->segmented = e->segmented;
	ref->model_cxt = e->model_cxt;
	ref->generation = generation;
}

/*
 * Stop when name has versions the caller sees but none of them is
 * deployed (it was trained with deploy => 'never' only).
 */
static void
check_undeployed(const char *name)
{
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	bool		isnull = true;
	int32		latest = 0;

	SPI_connect();
	/* inside a Citus task the replica's shard, which fetch_model found */
	sql = psprintf("SELECT pg_catalog.max(version) FROM %s WHERE name OPERATOR(pg_catalog.=) $1",
				   an_citus_task() ? an_citus_replica_shard()
				   : psprintf("%s.anomaly_models", an_glue_schema()));
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading anomaly_models failed");
	if (SPI_processed == 1)
		latest = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("anomaly model \"%s\" has no deployed version", name),
				 errdetail("Its versions were trained with deploy => 'never'; the latest is %d.", latest),
				 errhint("Deploy one with anomaly_deploy('%s', version), or score by id.", name)));
}

/* Fill ref with the deployed version of name; false if there is none. */
bool
an_cache_try_name(const char *name, an_model_ref *ref)
{
	name_entry *ne;
	name_key	key;
	id_key		idkey;
	bool		found;

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("anomaly model name \"%s\" is too long", name),
				 errhint("Model names have at most %d bytes.", NAMEDATALEN - 1)));
	cache_prepare();
	key_of_name(name, &key);
	ne = hash_search(by_name, &key, HASH_FIND, NULL);
	if (ne == NULL)
	{
		int64		id;
		int32		version;
		bytea	   *bytes;

		if (!fetch_model(0, name, &id, &version, &bytes))
		{
			if (OidIsValid(deployments_relid) || an_citus_task())
				check_undeployed(name);
			return false;
		}
		cache_prepare();
		key_of_id(id, &idkey);
		if (hash_search(by_id, &idkey, HASH_FIND, NULL) == NULL)
			cache_insert(id, version, bytes);
		ne = hash_search(by_name, &key, HASH_ENTER, &found);
		ne->id = id;
	}
	an_cache_by_id(ne->id, ref);
	return true;
}

/* Fill ref with the deployed version of the model called name. */
void
an_cache_by_name(const char *name, an_model_ref *ref)
{
	if (!an_cache_try_name(name, ref))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("anomaly model \"%s\" does not exist", name),
				 errhint("Train it with anomaly_train('%s', ...); SELECT * FROM anomaly_model_list shows the models.", name)));
}

/* Trigger on anomaly_models: tell every backend its cached models are stale. */
Datum
anomaly_models_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "anomaly_models_changed must be called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	PG_RETURN_POINTER(NULL);
}

/*
 * Resolve argument argno, a text name (its deployed version) or a bigint id,
 * to a model and its id.  The pointer is valid until the next cache lookup
 * that follows an invalidation: callers that run queries look it up again
 * by id afterwards.
 */
const an_model *
an_cache_by_arg(FunctionCallInfo fcinfo, int argno, int64 *id)
{
	an_model_ref ref;

	if (get_fn_expr_argtype(fcinfo->flinfo, argno) == INT8OID)
		an_cache_by_id(PG_GETARG_INT64(argno), &ref);
	else
		an_cache_by_name(text_to_cstring(PG_GETARG_TEXT_PP(argno)), &ref);
	*id = ref.id;
	return ref.model;
}
