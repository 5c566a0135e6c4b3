/*
 * series_monitor.c - anomaly_monitor on a stored series model: each
 * inserted or updated row is a point (its timestamp and value columns) of
 * its series (the series columns), fed to that series' state as
 * anomaly_ts_update feeds it (series_update.c: the model's newest version,
 * the state locked at the series' first point in the transaction and written
 * back at commit).
 *
 * A late point (at or before the series' last) and a row with a NULL value
 * get no score (a NULL value still moves the series' clock); a row with a
 * NULL timestamp or series key is not a point.  A statement trigger feeds
 * its transition table's rows in timestamp order within each series and
 * writes one anomaly_batches row.  Events carry the series key as segment.
 */
#include "series_glue.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "monitor_glue.h"

/* A column of the trigger's table the model reads. */
typedef struct series_column
{
	int			att;			/* attribute index */
	Oid			type;			/* its type (a domain's base type) */
	FmgrInfo	to_text;		/* series columns: the ::text cast */
	bool		via_output;		/* the cast is the type's output function */
} series_column;

/* One row as a point of a series. */
typedef struct series_row
{
	char	   *series;			/* the series key */
	TimestampTz ts;
	double		value;			/* NaN for NULL */
	int64		pos;			/* its position in the statement, from 1 */
	HeapTuple	tuple;			/* statement triggers: a copy of the row */
} series_row;

/* What one trigger call accumulates. */
typedef struct series_monitor
{
	TriggerData *trig;
	const an_monitor_options *o;
	const an_ts_model *m;
	const char *relation;		/* schema-qualified, quoted */
	Bitmapset  *key_atts;		/* primary key attributes */
	series_column ts;
	series_column value;
	series_column *keys;		/* m->n_series_columns of them */
	FmgrInfo	array_text;		/* text[]'s output, for several series columns */
	an_monitor_events events;
	an_monitor_batch batch;
} series_monitor;

/* The column of the trigger's table the model calls name; ERROR if absent
 * or of a type the model cannot read. */
static void
column_of(series_monitor *sm, const char *name, const char *role, series_column *c)
{
	TupleDesc	desc = RelationGetDescr(sm->trig->tg_relation);
	int			i = an_source_column(desc, name);
	Oid			type;

	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("trigger \"%s\": series model \"%s\" reads %s column \"%s\", which table %s does not have",
						sm->trig->tg_trigger->tgname, sm->m->model_name, role, name, sm->relation),
				 errhint("Monitor a table with the columns the model was trained on, or train a series model on this table with anomaly_ts_train.")));
	type = getBaseType(TupleDescAttr(desc, i)->atttypid);
	c->att = i;
	c->type = type;
	if (strcmp(role, "timestamp") == 0 &&
		type != TIMESTAMPTZOID && type != TIMESTAMPOID && type != DATEOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("trigger \"%s\": timestamp column \"%s\" of %s is of type %s",
						sm->trig->tg_trigger->tgname, name, sm->relation, format_type_be(type)),
				 errhint("Use a column of type timestamptz, timestamp or date.")));
	if (strcmp(role, "value") == 0 &&
		type != FLOAT8OID && type != FLOAT4OID && type != NUMERICOID &&
		type != INT2OID && type != INT4OID && type != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("trigger \"%s\": value column \"%s\" of %s is of type %s",
						sm->trig->tg_trigger->tgname, name, sm->relation, format_type_be(type)),
				 errhint("Use a numeric column.")));
	if (strcmp(role, "series") == 0)
	{
		Oid			func = InvalidOid;
		CoercionPathType path = find_coercion_pathway(TEXTOID, type, COERCION_EXPLICIT, &func);

		/* as anomaly_ts_train keys a series: the column's ::text */
		c->via_output = path != COERCION_PATH_FUNC;
		if (c->via_output)
		{
			bool		varlena;

			getTypeOutputInfo(type, &func, &varlena);
		}
		fmgr_info(func, &c->to_text);
	}
}

/* The text a series column's value casts to. */
static Datum
column_text(const series_column *c, Datum d)
{
	if (c->via_output)
		return CStringGetTextDatum(OutputFunctionCall((FmgrInfo *) &c->to_text, d));
	return FunctionCall1((FmgrInfo *) &c->to_text, d);
}

/*
 * The point of the row in slot as anomaly_ts_train reads it: the key is ''
 * without series columns, one column's ::text, or ARRAY[c1::text, ...]::text.
 * False when the row has no point (a NULL timestamp or key).
 */
static bool
row_point(series_monitor *sm, TupleTableSlot *slot, series_row *r)
{
	Datum	   *v = slot->tts_values;
	bool	   *isnull = slot->tts_isnull;
	int			n = sm->m->n_series_columns;
	Datum		d;

	slot_getallattrs(slot);
	if (isnull[sm->ts.att])
		return false;
	d = v[sm->ts.att];
	if (sm->ts.type == TIMESTAMPTZOID)
		r->ts = DatumGetTimestampTz(d);
	else if (sm->ts.type == TIMESTAMPOID)
		r->ts = DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz, d));
	else
		r->ts = DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz, d));
	d = v[sm->value.att];
	r->value = NAN;
	if (!isnull[sm->value.att])
		switch (sm->value.type)
		{
			case FLOAT8OID:
				r->value = DatumGetFloat8(d);
				break;
			case FLOAT4OID:
				r->value = DatumGetFloat4(d);
				break;
			case INT2OID:
				r->value = DatumGetInt16(d);
				break;
			case INT4OID:
				r->value = DatumGetInt32(d);
				break;
			case INT8OID:
				r->value = (double) DatumGetInt64(d);
				break;
			default:
				r->value = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
		}
	if (n == 0)
		r->series = "";
	else if (n == 1)
	{
		if (isnull[sm->keys[0].att])
			return false;
		r->series = TextDatumGetCString(column_text(&sm->keys[0], v[sm->keys[0].att]));
	}
	else
	{
		Datum	   *texts = palloc(sizeof(Datum) * n);
		bool	   *nulls = palloc(sizeof(bool) * n);
		int			dims[1] = {n};
		int			lbs[1] = {1};

		for (int i = 0; i < n; i++)
		{
			nulls[i] = isnull[sm->keys[i].att];
			texts[i] = nulls[i] ? (Datum) 0 : column_text(&sm->keys[i], v[sm->keys[i].att]);
		}
		r->series = OutputFunctionCall(&sm->array_text, PointerGetDatum(
			construct_md_array(texts, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT)));
	}
	return true;
}

/* The row's key for events: an_monitor_key's, or in a BEFORE ROW trigger on
 * a table without a primary key its timestamp, value and series columns. */
static char *
event_key(series_monitor *sm, TupleTableSlot *slot, ItemPointer ctid, int64 pos)
{
	TupleDesc	desc = RelationGetDescr(sm->trig->tg_relation);
	char	   *key = an_monitor_key(sm->trig, sm->key_atts, slot, ctid, pos);
	StringInfoData buf;

	if (key != NULL)
		return key;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = -2; i < sm->m->n_series_columns; i++)
	{
		int			att = i == -2 ? sm->ts.att : (i == -1 ? sm->value.att : sm->keys[i].att);
		Form_pg_attribute a = TupleDescAttr(desc, att);

		if (i > -2)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, NameStr(a->attname));
		appendStringInfoString(&buf, ": ");
		if (slot->tts_isnull[att])
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, an_value_text(slot->tts_values[att], a->atttypid, a->atttypmod));
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The reason line of an anomalous point. */
static char *
point_reason(double value, const an_series_point *p)
{
	return psprintf("value %g %s expected %g (band %g..%g)", value,
					p->direction > 0 ? "above" : (p->direction < 0 ? "below" : "at"),
					p->expected, p->lower, p->upper);
}

/*
 * Feed the row's point r to its series; log, reject or count it.  True if
 * it was scored (*p then holds it): not late, and with a finite value.
 */
static bool
monitor_point(series_monitor *sm, const series_row *r, TupleTableSlot *slot, ItemPointer ctid,
			  an_series_point *p)
{
	const an_monitor_options *o = sm->o;
	const an_series *detector;
	bool		flag;

	if (!an_ts_model_step(sm->m, r->series, r->ts, r->value, p, &detector) || !isfinite(r->value))
		return false;
	flag = p->is_anomaly != 0;
	if ((flag && (o->reject || o->log != AN_LOG_NONE)) || o->log == AN_LOG_ALL)
	{
		char	   *reason = flag ? point_reason(r->value, p) : NULL;
		char	   *key = event_key(sm, slot, ctid, r->pos);

		if (flag && o->reject)
			an_monitor_reject(sm->trig, sm->relation, o->model, key,
							  psprintf("Score %.4f in series \"%s\": %s.", p->score, r->series,
									   reason));
		an_monitor_event_add(&sm->events, key, p->score, 100 * p->score, flag, reason, r->series);
	}
	sm->batch.rows++;
	sm->batch.anomalies += flag;
	sm->batch.sum_score += p->score;
	sm->batch.min_score = Min(sm->batch.min_score, p->score);
	sm->batch.max_score = Max(sm->batch.max_score, p->score);
	return true;
}

/* Insert the events gathered, and for a statement its batch row. */
static void
monitor_flush(series_monitor *sm, bool batch)
{
	if (sm->events.n == 0 && !batch)
		return;
	SPI_connect();
	if (sm->events.n > 0)
		an_monitor_events_insert(&sm->events, sm->m->id, sm->o->model, sm->m->version,
								 sm->relation, true);
	if (batch)
		an_monitor_batch_insert(&sm->batch, sm->m->id, sm->o->model, sm->m->version,
								sm->relation, true);
	SPI_finish();
}

/* Order of points in a statement: by series, then timestamp, then position. */
static int
row_order(const void *a, const void *b)
{
	const series_row *x = a;
	const series_row *y = b;
	int			c = strcmp(x->series, y->series);

	if (c != 0)
		return c;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Feed every row of a statement's transition table, each series in
 * timestamp order. */
static void
monitor_statement(series_monitor *sm)
{
	Tuplestorestate *store = an_monitor_new_rows(sm->trig, sm->relation);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(sm->trig->tg_relation),
													&TTSOpsMinimalTuple);
	series_row *rows = NULL;
	int64		n = 0,
				cap = 0,
				pos = 0;

	while (tuplestore_gettupleslot(store, true, false, slot))
	{
		CHECK_FOR_INTERRUPTS();
		pos++;
		if (n == cap)
		{
			cap = Max(64, cap * 2);
			rows = rows ? repalloc_huge(rows, sizeof(series_row) * cap)
				: palloc_extended(sizeof(series_row) * cap, MCXT_ALLOC_HUGE);
		}
		if (!row_point(sm, slot, &rows[n]))
			continue;
		rows[n].pos = pos;
		rows[n].tuple = ExecCopySlotHeapTuple(slot);
		n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	if (n > 1)
		qsort(rows, n, sizeof(series_row), row_order);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(sm->trig->tg_relation), &TTSOpsHeapTuple);
	for (int64 i = 0; i < n; i++)
	{
		an_series_point p;

		CHECK_FOR_INTERRUPTS();
		ExecStoreHeapTuple(rows[i].tuple, slot, false);
		monitor_point(sm, &rows[i], slot, NULL, &p);
	}
	ExecDropSingleTupleTableSlot(slot);
	monitor_flush(sm, true);
}

/* Feed the one row of a row trigger; returns the trigger's result. */
static HeapTuple
monitor_one_row(series_monitor *sm)
{
	TriggerData *trig = sm->trig;
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple;
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(trig->tg_relation),
													&TTSOpsHeapTuple);
	series_row	r;
	an_series_point p;
	bool		scored = false;

	ExecStoreHeapTuple(tuple, slot, false);
	r.pos = 1;
	r.tuple = tuple;
	if (row_point(sm, slot, &r))
		/* a BEFORE trigger's row has no ctid yet */
		scored = monitor_point(sm, &r, slot,
							   TRIGGER_FIRED_BEFORE(trig->tg_event) ? NULL : &tuple->t_self, &p);
	ExecDropSingleTupleTableSlot(slot);
	monitor_flush(sm, false);
	if (!TRIGGER_FIRED_BEFORE(trig->tg_event))
		return NULL;
	if (sm->o->score_att >= 0 || sm->o->flag_att >= 0)
		return an_monitor_tag(trig, sm->o, tuple, scored, scored ? p.score : 0,
							  scored && p.is_anomaly);
	return tuple;
}

/*
 * anomaly_monitor on series model m (found by the trigger's first argument):
 * feed the row, or the statement's rows, to their series.  A pinned id is
 * refused: a series' stored state follows the model's newest version.
 */
HeapTuple
an_series_monitor(TriggerData *trig, const an_monitor_options *o, const an_ts_model *m)
{
	Relation	rel = trig->tg_relation;
	series_monitor sm;

	memset(&sm, 0, sizeof(sm));
	sm.trig = trig;
	sm.o = o;
	/* a copy: a lookup while rows are fed (a trigger on what the monitor
	 * writes) may reset the cache m lives in */
	sm.m = an_ts_model_copy(m);
	sm.relation = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											 RelationGetRelationName(rel));
	if (m->pinned)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("trigger \"%s\" on table %s pins version %d of series model \"%s\" by its id",
						trig->tg_trigger->tgname, sm.relation, m->version, m->model_name),
				 errdetail("A series monitor moves the series' stored states, which belong to the model's newest version."),
				 errhint("Name the model: EXECUTE FUNCTION anomaly_monitor('%s').", m->model_name)));
	if (m->fresh == NULL || m->ts_column == NULL || m->value_column == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("series model \"%s\" has no model bytes or no timestamp and value columns",
						m->model_name),
				 errhint("Train it again with anomaly_ts_train.")));
	column_of(&sm, m->ts_column, "timestamp", &sm.ts);
	column_of(&sm, m->value_column, "value", &sm.value);
	sm.keys = palloc(sizeof(series_column) * Max(1, m->n_series_columns));
	for (int i = 0; i < m->n_series_columns; i++)
		column_of(&sm, m->series_columns[i], "series", &sm.keys[i]);
	fmgr_info(F_ARRAY_OUT, &sm.array_text);
	sm.key_atts = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	sm.batch.min_score = INFINITY;
	sm.batch.max_score = -INFINITY;
	sm.batch.out_of_range = "{}";
	if (TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
	{
		monitor_statement(&sm);
		return NULL;
	}
	return monitor_one_row(&sm);
}
