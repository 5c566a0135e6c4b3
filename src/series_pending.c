/*
 * series_pending.c - the series states a transaction has locked, kept in
 * backend memory until it commits.
 *
 * anomaly_ts_update locks a series' row of anomaly_ts_state the first time
 * a transaction touches it (SELECT ... FOR UPDATE, held to the end of the
 * transaction, so concurrent writers of one series take turns), decodes its
 * state once and adds it here; later points of the transaction step the
 * decoded detector in memory.  At XACT_EVENT_PRE_COMMIT (and PRE_PREPARE)
 * every state that moved is written back with one UPDATE, as the role that
 * locked it, so row-level security applies as it did when the row was read.
 * A row is thus written once per transaction instead of once per point.
 * Each detector has a memory context of its own; at commit the detectors
 * go to series_cache.c with the row version each equals, and the next
 * transaction that locks an unchanged row takes its detector from there
 * instead of decoding the row's bytes.
 *
 * Subtransactions: the first time an entry is moved at a level deeper than
 * the one that locked it, a copy of its state is saved under that level.
 * ABORT_SUB restores the copies saved at the aborted level and forgets the
 * entries that level locked (their row locks are released with it);
 * COMMIT_SUB hands the copies and entries to the parent level.
 *
 * Memory is bounded: outside subtransactions, a transaction that has locked
 * PENDING_MAX series writes them all back and forgets them before it locks
 * another (their rows stay locked; a series touched again is read again).
 * Inside a subtransaction nothing is written early: a write there would be
 * undone with it, taking the outer levels' steps along.
 */
#include "series_glue.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/* A state as it was before a deeper subtransaction level moved it. */
struct an_ts_pending_saved
{
	int			level;
	an_series  *detector;
	an_ts_clock clock;
	int64		added;
	bool		dirty;
	an_ts_pending_saved *next;	/* the one saved at a shallower level */
};

/* series kept in memory before they are written back early (~17 kB each) */
#define PENDING_MAX 1000

static MemoryContext pending_cxt = NULL;	/* child of TopTransactionContext */
static an_ctx pending_an_ctx;
static HTAB *pending = NULL;
static bool callbacks_registered = false;
/* the UPDATE that writes a state back, kept across transactions, and the
 * schema it names */
static SPIPlanPtr write_plan = NULL;
static Oid	write_plan_schema = InvalidOid;
/* anomaly_ts_state as last found */
static Oid	state_relid = InvalidOid;

/* Hash of a key: its model id and series text. */
static uint32
key_hash(const void *key, Size keysize)
{
	const an_ts_pending_key *k = key;

	return hash_combine(hash_bytes_uint32((uint32) (k->model_id ^ (k->model_id >> 32))),
						hash_bytes((const unsigned char *) k->series, (int) strlen(k->series)));
}

/* 0 when two keys are equal. */
static int
key_match(const void *a, const void *b, Size keysize)
{
	const an_ts_pending_key *ka = a;
	const an_ts_pending_key *kb = b;

	return ka->model_id == kb->model_id && strcmp(ka->series, kb->series) == 0 ? 0 : 1;
}

/* A hash table in cxt of entries of entrysize starting with an
 * an_ts_pending_key (this transaction's entries, the kept states). */
HTAB *
an_ts_key_table(const char *name, long size, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(an_ts_pending_key);
	ctl.entrysize = entrysize;
	ctl.hash = key_hash;
	ctl.match = key_match;
	ctl.hcxt = cxt;
	return hash_create(name, size, &ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* The UPDATE writing one state back into the extension in schema, prepared
 * once per backend (again if the extension was made anew elsewhere). */
static SPIPlanPtr
prepare_write(Oid schema)
{
	Oid			types[5] = {INT8OID, TEXTOID, BYTEAOID, TIMESTAMPTZOID, INT8OID};
	char	   *sql;

	if (write_plan != NULL && write_plan_schema == schema)
		return write_plan;
	if (write_plan != NULL)
		SPI_freeplan(write_plan);
	write_plan = NULL;
	sql = psprintf("UPDATE %s.anomaly_ts_state s SET state = $3, last_ts = $4, "
				   "points = s.points OPERATOR(pg_catalog.+) $5 "
				   "WHERE s.model_id OPERATOR(pg_catalog.=) $1 AND s.series OPERATOR(pg_catalog.=) $2",
				   an_glue_schema());
	write_plan = SPI_prepare(sql, 5, types);
	if (write_plan == NULL)
		elog(ERROR, "preparing the series state update failed: %s",
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(write_plan);
	write_plan_schema = schema;
	return write_plan;
}

/* Write one moved state back to its row, as the role that locked it. */
static void
write_back(an_ts_pending *e, SPIPlanPtr plan)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	unsigned char *bytes;
	size_t		len;
	bytea	   *state;
	Oid			save_user;
	int			save_sec;
	int			rc;

	an_glue_check(&pending_an_ctx, an_series_write(e->detector, &pending_an_ctx, &bytes, &len));
	state = palloc(VARHDRSZ + len);
	SET_VARSIZE(state, VARHDRSZ + len);
	memcpy(VARDATA(state), bytes, len);
	pfree(bytes);
	args[0] = Int64GetDatum(e->key.model_id);
	args[1] = CStringGetTextDatum(e->key.series);
	args[2] = PointerGetDatum(state);
	args[3] = TimestampTzGetDatum(e->clock.last_ts);
	args[4] = Int64GetDatum(e->added);
	if (!e->clock.has_last)
		nulls[3] = 'n';
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(e->user, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_plan(plan, args, nulls, false, 0);
	SetUserIdAndSecContext(save_user, save_sec);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "writing the series state back failed: %s", SPI_result_code_string(rc));
	/* no row: the model was dropped (its states with it) in this transaction */
	pfree(state);
	e->row_xmin = GetTopTransactionId();
	e->row_points += e->added;
	e->added = 0;
}

/*
 * The schema of the extension's anomaly_ts_state, InvalidOid when the
 * extension is gone (dropped in this transaction).  The table's oid is
 * remembered, and the extension looked up again (an index scan of
 * pg_extension) only when that oid no longer names anomaly_ts_state.
 */
static Oid
state_schema(void)
{
	Oid			schema;

	if (OidIsValid(state_relid))
	{
		char	   *name = get_rel_name(state_relid);

		if (name != NULL && strcmp(name, "anomaly_ts_state") == 0)
			return get_rel_namespace(state_relid);
	}
	schema = an_glue_schema_oid();
	state_relid = OidIsValid(schema) ? get_relname_relid("anomaly_ts_state", schema) : InvalidOid;
	return OidIsValid(state_relid) ? schema : InvalidOid;
}

/* Write every moved state back (before commit or prepare, or to make room);
 * nothing when the extension was dropped in this transaction. */
static void
pending_flush(void)
{
	HASH_SEQ_STATUS seq;
	an_ts_pending *e;
	bool		connected = false;
	Oid			schema;
	SPIPlanPtr	plan = NULL;

	if (pending == NULL)
		return;
	schema = state_schema();
	if (!OidIsValid(schema))
		return;
	hash_seq_init(&seq, pending);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (!e->dirty)
			continue;
		if (!connected)
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			SPI_connect();
			connected = true;
			plan = prepare_write(schema);
		}
		write_back(e, plan);
		e->dirty = false;
	}
	if (connected)
	{
		SPI_finish();
		PopActiveSnapshot();
	}
}

/*
 * The transaction is committing, its states written back: keep each entry's
 * detector, which equals the row version it was read from or written as,
 * for the next transaction.  Kept before the commit is certain, since an
 * error at COMMIT could not abort any more: should the transaction still
 * abort, the versions it wrote are never seen, so nothing kept matches them.
 */
static void
pending_keep(void)
{
	HASH_SEQ_STATUS seq;
	an_ts_pending *e;

	if (pending == NULL)
		return;
	hash_seq_init(&seq, pending);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (!e->dirty)
			an_ts_cache_put(e->key.model_id, e->key.series, e->row_xmin, e->row_points,
							e->detector, e->mem);
}

/* Forget every entry: the transaction has ended. */
static void
pending_forget(void)
{
	if (pending_cxt != NULL)
		MemoryContextDelete(pending_cxt);
	pending_cxt = NULL;
	pending = NULL;
}

/* Transaction callback: write back before commit and keep the states for
 * the next transaction; forget them at the end. */
static void
pending_xact(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			pending_flush();
			pending_keep();
			pending_forget();
			break;
		case XACT_EVENT_PRE_PREPARE:
			pending_flush();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_forget();
			break;
		default:
			break;
	}
}

/* Drop the newest saved copy of e. */
static void
saved_pop(an_ts_pending *e)
{
	an_ts_pending_saved *s = e->saved;

	e->saved = s->next;
	pfree(s);
}

/* Put e back as it was when level first moved it. */
static void
saved_restore(an_ts_pending *e)
{
	an_ts_pending_saved *s = e->saved;

	pfree(e->detector);
	e->detector = s->detector;
	e->clock = s->clock;
	e->added = s->added;
	e->dirty = s->dirty;
	saved_pop(e);
}

/* Forget entry e (its level was rolled back). */
static void
entry_remove(an_ts_pending *e)
{
	const char *series = e->key.series;

	while (e->saved != NULL)
		saved_pop(e);
	MemoryContextDelete(e->mem->cxt);
	hash_search(pending, &e->key, HASH_REMOVE, NULL);
	pfree((char *) series);
}

/* Subtransaction level ended: roll back or hand over to the parent. */
static void
pending_subxact(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg)
{
	HASH_SEQ_STATUS seq;
	an_ts_pending *e;
	int			level = GetCurrentTransactionNestLevel();

	if (pending == NULL || (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB))
		return;
	hash_seq_init(&seq, pending);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			if (e->locked_level >= level)
				entry_remove(e);
			else if (e->saved != NULL && e->saved->level >= level)
				saved_restore(e);
			continue;
		}
		if (e->locked_level >= level)
			e->locked_level = level - 1;
		if (e->saved == NULL || e->saved->level < level)
			continue;
		/* the parent keeps the older copy it has, or takes this one */
		if (e->locked_level >= level - 1 ||
			(e->saved->next != NULL && e->saved->next->level >= level - 1))
		{
			pfree(e->saved->detector);
			saved_pop(e);
		}
		else
			e->saved->level = level - 1;
	}
}

/* Make the table of this transaction's entries if there is none. */
static void
pending_prepare(void)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(pending_xact, NULL);
		RegisterSubXactCallback(pending_subxact, NULL);
		callbacks_registered = true;
	}
	if (pending != NULL)
		return;
	pending_cxt = AllocSetContextCreate(TopTransactionContext, "anomaly series states",
										ALLOCSET_DEFAULT_SIZES);
	an_glue_ctx(&pending_an_ctx, pending_cxt);
	pending = an_ts_key_table("anomaly series states", 16, sizeof(an_ts_pending), pending_cxt);
}

/* Make room for one more entry: outside subtransactions, write back and
 * forget every entry once there are PENDING_MAX (call before locking the
 * next row for an_ts_pending_lock). */
void
an_ts_pending_reserve(void)
{
	if (pending == NULL || hash_get_num_entries(pending) < PENDING_MAX ||
		GetCurrentTransactionNestLevel() > 1)
		return;
	pending_flush();
	pending_forget();
}

/* The entry of (model_id, series) if this transaction has locked it. */
an_ts_pending *
an_ts_pending_find(int64 model_id, const char *series)
{
	an_ts_pending_key key;

	if (pending == NULL)
		return NULL;
	key.model_id = model_id;
	key.series = series;
	return hash_search(pending, &key, HASH_FIND, NULL);
}

/* A detector's own memory, under this transaction's entries. */
static an_ts_mem *
mem_new(void)
{
	MemoryContext cxt = AllocSetContextCreate(pending_cxt, "anomaly series state",
											  ALLOCSET_START_SMALL_SIZES);
	an_ts_mem  *mem = MemoryContextAlloc(cxt, sizeof(an_ts_mem));

	mem->cxt = cxt;
	an_glue_ctx(&mem->ctx, cxt);
	return mem;
}

/*
 * A new entry for the row version (xmin, points) of (model_id, series) just
 * locked, whose state column is state: its detector is the one this backend
 * kept at its last commit if that wrote this version, else state decoded
 * (a damaged state is an error).  The caller fills in the row's last
 * timestamp and step.  Call an_ts_pending_reserve() first.
 */
an_ts_pending *
an_ts_pending_lock(int64 model_id, const char *series, TransactionId xmin, int64 points,
				   bytea *state)
{
	an_ts_pending_key key;
	an_ts_pending *e;
	an_series  *detector;
	an_ts_mem  *mem;
	bool		found;

	pending_prepare();
	detector = an_ts_cache_take(model_id, series, xmin, points, pending_cxt, &mem);
	if (detector == NULL)
	{
		bytea	   *bytes = DatumGetByteaPP(PointerGetDatum(state));

		mem = mem_new();
		an_glue_check(&mem->ctx, an_series_read(&mem->ctx, VARDATA_ANY(bytes),
												VARSIZE_ANY_EXHDR(bytes), &detector));
	}
	key.model_id = model_id;
	key.series = series;
	e = hash_search(pending, &key, HASH_ENTER, &found);
	if (found)
		elog(ERROR, "series \"%s\" of model %lld is locked twice", series, (long long) model_id);
	e->key.series = MemoryContextStrdup(pending_cxt, series);
	e->user = GetUserId();
	e->detector = detector;
	e->mem = mem;
	e->row_xmin = xmin;
	e->row_points = points;
	e->clock.has_last = false;
	e->clock.last_ts = 0;
	e->clock.step_us = 0;
	e->added = 0;
	e->locked_level = GetCurrentTransactionNestLevel();
	e->dirty = false;
	e->saved = NULL;
	return e;
}

/* e is about to move: save it for the current subtransaction level the
 * first time that level moves it, and mark it to be written back. */
void
an_ts_pending_touch(an_ts_pending *e)
{
	int			level = GetCurrentTransactionNestLevel();

	if (level > e->locked_level && (e->saved == NULL || e->saved->level < level))
	{
		an_ts_pending_saved *s = MemoryContextAlloc(pending_cxt, sizeof(an_ts_pending_saved));

		s->level = level;
		s->detector = an_series_copy(e->detector, &e->mem->ctx);
		s->clock = e->clock;
		s->added = e->added;
		s->dirty = e->dirty;
		s->next = e->saved;
		e->saved = s;
	}
	e->dirty = true;
}
