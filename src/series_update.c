/*
 * series_update.c - anomaly_ts_update(model, series, ts, value): score one
 * new point of a series of a stored series model (its newest version) and
 * move the series' state forward.
 *
 * The model's id, fresh state and gap rule are cached per backend, role and
 * name, and looked up again whenever anomaly_models changes (the model
 * cache's generation).  The first point of a series in a transaction locks
 * the series' row of anomaly_ts_state (SELECT ... FOR UPDATE; a series the
 * model has not seen gets a fresh row first) and decodes its state into
 * series_pending.c's table, which writes it back at commit; the later points
 * of the transaction step it in memory.  The results are those of stepping
 * the stored state point by point with anomaly_ts_step.  The series monitor
 * (series_monitor.c) looks the model up and steps its points through the
 * same two functions, an_ts_model_find and an_ts_model_step.
 */
#include "series_glue.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include <math.h>

PG_FUNCTION_INFO_V1(anomaly_ts_update);

/* Models looked up since the catalog last changed, and the plans used. */
static MemoryContext models_cxt = NULL;
static an_ts_model *models = NULL;
static uint64 models_generation = 0;
static SPIPlanPtr model_plan = NULL;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr insert_plan = NULL;

/* Prepare sql (with the extension's schema for %s) and keep the plan. */
static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(psprintf(sql, an_glue_schema()), nargs, types);

	if (plan == NULL)
		elog(ERROR, "preparing \"%s\" failed: %s", sql, SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

/* Drop the cached models and plans when anomaly_models has changed. */
static void
models_refresh(void)
{
	uint64		generation = an_cache_generation();

	if (models_cxt != NULL && generation == models_generation)
		return;
	if (models_cxt == NULL)
		models_cxt = AllocSetContextCreate(CacheMemoryContext, "anomaly series models",
										   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(models_cxt);
	models = NULL;
	models_generation = generation;
	if (model_plan != NULL)
		SPI_freeplan(model_plan);
	if (lock_plan != NULL)
		SPI_freeplan(lock_plan);
	if (insert_plan != NULL)
		SPI_freeplan(insert_plan);
	model_plan = lock_plan = insert_plan = NULL;
}

/* Make the plan that reads a model (inside an SPI connection). */
static void
prepare_model_plan(void)
{
	Oid			name_type[1] = {TEXTOID};

	if (model_plan != NULL)
		return;
	/* by name, else (a monitor's pinned id) by id, to be refused */
	model_plan = keep_plan("SELECT m.id, m.model, m.params OPERATOR(pg_catalog.->>) 'gap' "
						   "OPERATOR(pg_catalog.=) 'fill', m.version, m.name, "
						   "m.params OPERATOR(pg_catalog.->>) 'ts', "
						   "m.params OPERATOR(pg_catalog.->>) 'value', "
						   "CASE WHEN pg_catalog.jsonb_typeof(m.params OPERATOR(pg_catalog.->) 'series') "
						   "OPERATOR(pg_catalog.=) 'array' THEN ARRAY(SELECT "
						   "pg_catalog.jsonb_array_elements_text(m.params OPERATOR(pg_catalog.->) 'series')) END "
						   "FROM %s.anomaly_models m "
						   "WHERE (m.name OPERATOR(pg_catalog.=) $1 "
						   "OR m.id::pg_catalog.text OPERATOR(pg_catalog.=) $1) "
						   "AND m.algorithm OPERATOR(pg_catalog.=) 'series' "
						   "ORDER BY m.name OPERATOR(pg_catalog.=) $1 DESC, m.version DESC LIMIT 1",
						   1, name_type);
}

/*
 * Make the plans that lock and add a series' state (inside an SPI
 * connection); apart from the model's, which every monitor runs, so that
 * ordinary monitors work on a catalog without anomaly_ts_state.
 */
static void
prepare_state_plans(void)
{
	Oid			types[3] = {INT8OID, TEXTOID, BYTEAOID};

	if (lock_plan != NULL)
		return;
	lock_plan = keep_plan("SELECT s.last_ts, s.step, s.state, s.xmin, s.points "
						  "FROM %s.anomaly_ts_state s "
						  "WHERE s.model_id OPERATOR(pg_catalog.=) $1 "
						  "AND s.series OPERATOR(pg_catalog.=) $2 FOR UPDATE", 2, types);
	insert_plan = keep_plan("INSERT INTO %s.anomaly_ts_state (model_id, series, state) "
							"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", 3, types);
}

/* Column col of the SPI result's first row as a string in cxt (NULL if null). */
static char *
result_text(int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/* Read the model row of the SPI result into m (allocated in models_cxt). */
static void
model_read(an_ts_model *m)
{
	HeapTuple	row = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	bool		isnull;
	Datum		d;

	m->exists = true;
	m->id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	d = SPI_getbinval(row, desc, 2, &isnull);
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(models_cxt);

		m->fresh = DatumGetByteaPCopy(d);
		MemoryContextSwitchTo(old);
	}
	d = SPI_getbinval(row, desc, 3, &isnull);
	m->fill = !isnull && DatumGetBool(d);
	m->version = DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull));
	m->model_name = result_text(5, models_cxt);
	m->pinned = strcmp(m->model_name, m->name) != 0;
	m->ts_column = result_text(6, models_cxt);
	m->value_column = result_text(7, models_cxt);
	d = SPI_getbinval(row, desc, 8, &isnull);
	if (!isnull)
	{
		Datum	   *cols;
		bool	   *nulls;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
						  &cols, &nulls, &m->n_series_columns);
		m->series_columns = MemoryContextAlloc(models_cxt, sizeof(char *) * Max(1, m->n_series_columns));
		for (int i = 0; i < m->n_series_columns; i++)
			m->series_columns[i] = MemoryContextStrdup(models_cxt, TextDatumGetCString(cols[i]));
	}
}

/*
 * The newest version of the series model called name for the current role,
 * or, for a name of digits that no series model has, the series model with
 * that id (pinned).  Remembered until anomaly_models changes, also when no
 * series model matches (exists is false then), so that a monitor on an
 * ordinary model asks once.
 */
an_ts_model *
an_ts_model_find(const char *name)
{
	an_ts_model *m;
	MemoryContext old;
	Datum		arg;
	int			rc;

	models_refresh();
	for (m = models; m != NULL; m = m->next)
		if (m->user == GetUserId() && strcmp(m->name, name) == 0)
			return m;
	SPI_connect();
	prepare_model_plan();
	arg = CStringGetTextDatum(name);
	rc = SPI_execute_plan(model_plan, &arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading anomaly_models failed: %s", SPI_result_code_string(rc));
	old = MemoryContextSwitchTo(models_cxt);
	m = palloc0(sizeof(an_ts_model));
	m->user = GetUserId();
	m->name = pstrdup(name);
	MemoryContextSwitchTo(old);
	if (SPI_processed == 1)
		model_read(m);
	SPI_finish();
	m->next = models;
	models = m;
	return m;
}

/*
 * A copy of m in the current memory context, for a caller that holds it
 * across calls that may look models up again (which resets the cache).
 */
an_ts_model *
an_ts_model_copy(const an_ts_model *m)
{
	an_ts_model *c = palloc(sizeof(an_ts_model));

	*c = *m;
	c->next = NULL;
	c->name = pstrdup(m->name);
	c->model_name = m->model_name ? pstrdup(m->model_name) : NULL;
	if (m->fresh != NULL)
	{
		c->fresh = palloc(VARSIZE(m->fresh));
		memcpy(c->fresh, m->fresh, VARSIZE(m->fresh));
	}
	c->ts_column = m->ts_column ? pstrdup(m->ts_column) : NULL;
	c->value_column = m->value_column ? pstrdup(m->value_column) : NULL;
	if (m->n_series_columns > 0)
	{
		c->series_columns = palloc(sizeof(char *) * m->n_series_columns);
		for (int i = 0; i < m->n_series_columns; i++)
			c->series_columns[i] = pstrdup(m->series_columns[i]);
	}
	return c;
}

/* The newest version of series model name, for the current role; ERROR if none. */
static an_ts_model *
model_lookup(const char *name)
{
	an_ts_model *m = an_ts_model_find(name);

	if (!m->exists || m->pinned)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("series model \"%s\" does not exist", name),
				 errhint("Train it with anomaly_ts_train.")));
	if (m->fresh == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("series model \"%s\" has no model bytes", name),
				 errhint("Train it again with anomaly_ts_train.")));
	return m;
}

/* Run the lock query for (model, series); true if the row was found. */
static bool
lock_row(Datum *args)
{
	int			rc = SPI_execute_plan(lock_plan, args, NULL, false, 1);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "locking the series state failed: %s", SPI_result_code_string(rc));
	return SPI_processed == 1;
}

/*
 * Lock the row of series of model m (making it from the model's fresh state
 * if the series is new) and add its state to this transaction's (the one
 * kept since this backend wrote the row, else its bytes decoded).
 */
static an_ts_pending *
series_lock(const an_ts_model *m, const char *series)
{
	Datum		args[3];
	HeapTuple	row;
	TupleDesc	desc;
	Datum		d;
	bool		isnull;
	an_ts_pending *e;

	an_ts_pending_reserve();
	SPI_connect();
	prepare_state_plans();
	args[0] = Int64GetDatum(m->id);
	args[1] = CStringGetTextDatum(series);
	args[2] = PointerGetDatum(m->fresh);
	if (!lock_row(args))
	{
		int			rc = SPI_execute_plan(insert_plan, args, NULL, false, 0);

		if (rc != SPI_OK_INSERT)
			elog(ERROR, "adding the series state failed: %s", SPI_result_code_string(rc));
		if (!lock_row(args))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the state of series \"%s\" of model %lld cannot be read",
							series, (long long) m->id),
					 errhint("Row-level security on anomaly_ts_state hides it from role \"%s\".",
							 GetUserNameFromId(GetUserId(), false))));
	}
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	e = an_ts_pending_lock(m->id, series,
						   DatumGetTransactionId(SPI_getbinval(row, desc, 4, &isnull)),
						   DatumGetInt64(SPI_getbinval(row, desc, 5, &isnull)),
						   (bytea *) DatumGetPointer(SPI_getbinval(row, desc, 3, &isnull)));
	d = SPI_getbinval(row, desc, 1, &isnull);
	e->clock.has_last = !isnull;
	e->clock.last_ts = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(row, desc, 2, &isnull);
	if (!isnull && an_ts_interval_us(DatumGetIntervalP(d)) > 0)
		e->clock.step_us = an_ts_interval_us(DatumGetIntervalP(d));
	SPI_finish();
	return e;
}

/*
 * Feed the point (ts, value) to series of model m: lock and read its state
 * at its first point in the transaction, fill a gap if the model's rule says
 * so, and step it (a NaN value moves the clock only).  False for a late
 * point (at or before the series' last), which changes nothing; else *p is
 * the point and *detector the series' state after it.
 */
bool
an_ts_model_step(const an_ts_model *m, const char *series, TimestampTz ts, double value,
				 an_series_point *p, const an_series **detector)
{
	an_ts_pending *e = an_ts_pending_find(m->id, series);

	if (e == NULL)
		e = series_lock(m, series);
	if (an_ts_clock_late(&e->clock, ts))
		return false;
	an_ts_pending_touch(e);
	an_ts_clock_advance(&e->clock, ts, m->fill, e->detector);
	an_series_update(e->detector, value, p);
	e->added++;
	*detector = e->detector;
	return true;
}

/* anomaly_ts_update(model, series, ts, value): the point's expectation,
 * band and score, or NULL for a point at or before the series' last one. */
Datum
anomaly_ts_update(PG_FUNCTION_ARGS)
{
	const char *series = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	double		value = PG_ARGISNULL(3) ? NAN : PG_GETARG_FLOAT8(3);
	TimestampTz ts;
	an_ts_model *m;
	const an_series *detector;
	an_series_point p;
	TupleDesc	desc;
	Datum		values[AN_TS_POINT_COLUMNS];
	bool		nulls[AN_TS_POINT_COLUMNS];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("anomaly_ts_update needs a model name")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("anomaly_ts_update needs a timestamp")));
	ts = PG_GETARG_TIMESTAMPTZ(2);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "anomaly_ts_update must return a composite type");
	m = model_lookup(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (!an_ts_model_step(m, series, ts, value, &p, &detector))
		PG_RETURN_NULL();
	an_series_point_columns(&p, detector, isfinite(value), values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
