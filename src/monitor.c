/*
 * monitor.c - anomaly_monitor, the trigger that watches a table: every
 * inserted or updated row is scored against a model; anomalies (or every
 * row) go to anomaly_events, each statement's batch statistics to
 * anomaly_batches; an anomalous row can be rejected, or tagged with its
 * score and flag in a BEFORE ROW trigger.
 *
 * As a FOR EACH STATEMENT trigger with REFERENCING NEW TABLE it scores the
 * whole batch at once and writes one anomaly_batches row; as a FOR EACH ROW
 * trigger it scores each row as it comes.
 *
 * A segmented model routes each row to its segment's model (or the global
 * one); events carry the row's segment, and a statement writes one batch
 * row per model that scored some of its rows, since scores of different
 * models do not mix: segment names the segment whose own model it is, NULL
 * the global model.
 */
#include "glue.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "nodes/bitmapset.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "explain.h"
#include "monitor_glue.h"
#include "segmented.h"
#include "series_glue.h"

PG_FUNCTION_INFO_V1(anomaly_monitor);

/* The statistics of the rows one model scored in a statement. */
typedef struct batch_stats
{
	int64		at;				/* hash key: the segment's model, or -1 the global one */
	const an_model *model;
	int64		rows;
	int64		anomalies;
	double		min_score;
	double		max_score;
	double		sum_score;
	int64	   *out_of_range;	/* per feature of model */
} batch_stats;

/* What one trigger call accumulates. */
typedef struct monitor_state
{
	TriggerData *trig;
	const char *relation;		/* schema-qualified, quoted */
	int64		model_id;
	int32		model_version;
	const an_model *model;		/* the global model when segmented */
	an_model_ref ref;
	an_row_map	map;
	double	   *x;
	double	   *sub_x;			/* the row encoded for its segment's model */
	double	   *raw;			/* the scored x before imputation, for explanations */
	an_attribution *attr;
	an_route   *route;			/* a segmented model's routing, or NULL */
	MemoryContext row_cxt;		/* reset after every row */
	Bitmapset  *key_atts;		/* primary key attributes, offset as by relcache */
	/* batch statistics: the global (or plain) model's, and per segment model */
	int64		rows;
	batch_stats global;
	HTAB	   *segment_stats;
	an_monitor_events events;	/* events to insert */
} monitor_state;

/* The hint every option error shares. */
#define OPTIONS_HINT "Options are log (the default: log=anomalies), log=all, log=none, reject, " \
	"score_column=name and flag_column=name; the first argument is the model name."

/* The position of column name in the trigger's table; ERROR if absent. */
static int
tag_column(TriggerData *trig, const char *name, const char *option, Oid want1, Oid want2)
{
	TupleDesc	desc = RelationGetDescr(trig->tg_relation);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (att->atttypid != want1 && att->atttypid != want2)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("anomaly_monitor option %s names column \"%s\" of type %s",
							option, name, format_type_be(att->atttypid)),
					 errhint("The %s must be %s.", option,
							 want1 == BOOLOID ? "boolean" : "float8 or float4")));
		return i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("anomaly_monitor option %s names column \"%s\", which table \"%s\" does not have",
					option, name, RelationGetRelationName(trig->tg_relation))));
}

/* Parse the trigger's arguments. */
void
an_monitor_parse_options(TriggerData *trig, an_monitor_options *o)
{
	Trigger    *t = trig->tg_trigger;

	memset(o, 0, sizeof(*o));
	o->log = AN_LOG_ANOMALIES;
	o->score_att = o->flag_att = -1;
	if (t->tgnargs < 1 || t->tgargs[0][0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" gives anomaly_monitor no model", t->tgname),
				 errhint("CREATE TRIGGER ... EXECUTE FUNCTION anomaly_monitor('model_name' [, options]). "
						 OPTIONS_HINT)));
	o->model = t->tgargs[0];
	for (int i = 1; i < t->tgnargs; i++)
	{
		const char *a = t->tgargs[i];

		if (strcmp(a, "log") == 0 || strcmp(a, "log=anomalies") == 0)
			o->log = AN_LOG_ANOMALIES;
		else if (strcmp(a, "log=all") == 0)
			o->log = AN_LOG_ALL;
		else if (strcmp(a, "log=none") == 0)
			o->log = AN_LOG_NONE;
		else if (strcmp(a, "reject") == 0)
			o->reject = true;
		else if (strncmp(a, "score_column=", 13) == 0)
			o->score_att = tag_column(trig, a + 13, "score_column", FLOAT8OID, FLOAT4OID);
		else if (strncmp(a, "flag_column=", 12) == 0)
			o->flag_att = tag_column(trig, a + 12, "flag_column", BOOLOID, BOOLOID);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("trigger \"%s\" gives anomaly_monitor an unknown option \"%s\"",
							t->tgname, a),
					 errhint(OPTIONS_HINT)));
	}
	if ((o->score_att >= 0 || o->flag_att >= 0) &&
		!(TRIGGER_FIRED_BEFORE(trig->tg_event) && TRIGGER_FIRED_FOR_ROW(trig->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\": anomaly_monitor can set score_column or flag_column only in a BEFORE ... FOR EACH ROW trigger",
						t->tgname)));
}

/* Resolve the model named by the trigger; ERROR naming trigger and model. */
static void
resolve_model(monitor_state *ms, const an_monitor_options *o)
{
	/* digits pin one version by its id; a name follows its deployments */
	if (strspn(o->model, "0123456789") == strlen(o->model) && strlen(o->model) <= 18)
		an_cache_by_id(pg_strtoint64(o->model), &ms->ref);
	else if (!an_cache_try_name(o->model, &ms->ref))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("trigger \"%s\" on table %s uses anomaly model \"%s\", which does not exist",
						ms->trig->tg_trigger->tgname, ms->relation, o->model),
				 errhint("Train the model with anomaly_train('%s', ...), or drop the trigger with DROP TRIGGER %s ON %s.",
						 o->model, quote_identifier(ms->trig->tg_trigger->tgname), ms->relation)));
	ms->model_id = ms->ref.id;
	ms->model_version = ms->ref.version;
	ms->model = ms->ref.model;
}

/* Empty statistics of the rows model (segment at, or -1) scores. */
static void
stats_init(batch_stats *b, int64 at, const an_model *model)
{
	b->at = at;
	b->model = model;
	b->rows = b->anomalies = 0;
	b->sum_score = 0;
	b->min_score = INFINITY;
	b->max_score = -INFINITY;
	b->out_of_range = palloc0(sizeof(int64) * model->n_features);
}

/* The statistics of the model that scores segment at (-1: the global model). */
static batch_stats *
stats_for(monitor_state *ms, int64 at, const an_model *model)
{
	batch_stats *b;
	bool		found;

	if (at < 0)
		return &ms->global;
	b = hash_search(ms->segment_stats, &at, HASH_ENTER, &found);
	if (!found)
		stats_init(b, at, model);
	return b;
}

/* Set up the state of one trigger call. */
static void
monitor_begin(monitor_state *ms, TriggerData *trig, const an_monitor_options *o)
{
	Relation	rel = trig->tg_relation;
	uint32		d;

	memset(ms, 0, sizeof(*ms));
	ms->trig = trig;
	ms->relation = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											  RelationGetRelationName(rel));
	resolve_model(ms, o);
	d = ms->model->n_features;
	an_row_map_build(&ms->map, RelationGetDescr(rel), ms->model, CurrentMemoryContext);
	ms->x = palloc(sizeof(double) * d);
	ms->sub_x = palloc(sizeof(double) * d);
	ms->raw = palloc(sizeof(double) * d);
	ms->attr = palloc(sizeof(an_attribution) * d);
	ms->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "anomaly_monitor row",
										ALLOCSET_DEFAULT_SIZES);
	ms->key_atts = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	stats_init(&ms->global, -1, ms->model);
	if (ms->ref.segmented)
	{
		HASHCTL		ctl = {0};

		ms->route = an_route_build(RelationGetDescr(rel), ms->ref.segmented, CurrentMemoryContext);
		ms->map.n_atts = Max(ms->map.n_atts, an_route_natts(ms->route));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(batch_stats);
		ctl.hcxt = CurrentMemoryContext;
		ms->segment_stats = hash_create("anomaly_monitor segment batches", 64, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
}

/*
 * The row's key as JSON: its primary key columns; without a primary key its
 * ctid (AFTER ROW triggers) or its position row_no in the statement
 * (statement triggers); NULL for a BEFORE ROW trigger's row without a
 * primary key, which has no ctid yet.
 */
char *
an_monitor_key(TriggerData *trig, Bitmapset *key_atts, TupleTableSlot *slot, ItemPointer ctid,
			   int64 row_no)
{
	TupleDesc	desc = RelationGetDescr(trig->tg_relation);
	StringInfoData buf;
	int			attno = -1;

	initStringInfo(&buf);
	if (key_atts == NULL)
	{
		if (ctid && ItemPointerIsValid(ctid))
			appendStringInfo(&buf, "{\"ctid\": \"(%u,%u)\"}",
							 ItemPointerGetBlockNumber(ctid), ItemPointerGetOffsetNumber(ctid));
		else if (TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
			appendStringInfo(&buf, "{\"row\": %lld}", (long long) row_no);
		else
			return NULL;
		return buf.data;
	}
	slot_getallattrs(slot);
	appendStringInfoChar(&buf, '{');
	while ((attno = bms_next_member(key_atts, attno)) >= 0)
	{
		int			i = attno + FirstLowInvalidHeapAttributeNumber - 1;
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			out;
		bool		varlena;
		char	   *v;

		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, NameStr(att->attname));
		appendStringInfoString(&buf, ": ");
		if (slot->tts_isnull[i])
		{
			appendStringInfoString(&buf, "null");
			continue;
		}
		getTypeOutputInfo(att->atttypid, &out, &varlena);
		v = OidOutputFunctionCall(out, slot->tts_values[i]);
		if (att->atttypid == INT2OID || att->atttypid == INT4OID || att->atttypid == INT8OID)
			appendStringInfoString(&buf, v);
		else
			escape_json(&buf, v);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The row's key (an_monitor_key), or in a BEFORE ROW trigger on a table
 * without a primary key its feature values. */
static char *
row_key(monitor_state *ms, TupleTableSlot *slot, ItemPointer ctid)
{
	char	   *key = an_monitor_key(ms->trig, ms->key_atts, slot, ctid, ms->rows + 1);
	StringInfoData buf;

	if (key != NULL)
		return key;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (uint32 j = 0; j < ms->model->n_features; j++)
	{
		char	   *v = an_row_map_value_text(&ms->map, j, slot->tts_values, slot->tts_isnull);

		if (j > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, ms->model->features[j].name);
		appendStringInfoString(&buf, ": ");
		if (v)
			escape_json(&buf, v);
		else
			appendStringInfoString(&buf, "null");
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Append one event, growing the arrays as needed. */
void
an_monitor_event_add(an_monitor_events *ev, const char *key, double score, double severity,
					 bool flag, const char *reason, const char *segment)
{
	if (ev->n == ev->cap)
	{
		int			cap = Max(64, ev->cap * 2);

		ev->keys = ev->n ? repalloc(ev->keys, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		ev->scores = ev->n ? repalloc(ev->scores, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		ev->severities = ev->n ? repalloc(ev->severities, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		ev->flags = ev->n ? repalloc(ev->flags, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		ev->reasons = ev->n ? repalloc(ev->reasons, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		ev->reason_nulls = ev->n ? repalloc(ev->reason_nulls, sizeof(bool) * cap) : palloc(sizeof(bool) * cap);
		ev->segments = ev->n ? repalloc(ev->segments, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		ev->cap = cap;
	}
	ev->keys[ev->n] = CStringGetTextDatum(key);
	ev->scores[ev->n] = Float8GetDatum(score);
	ev->severities[ev->n] = Float8GetDatum(severity);
	ev->flags[ev->n] = BoolGetDatum(flag);
	ev->reason_nulls[ev->n] = reason == NULL;
	ev->reasons[ev->n] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	ev->segments[ev->n] = segment ? CStringGetTextDatum(segment) : (Datum) 0;
	ev->n++;
}

/*
 * The reason line of the row in slot under model m (of segment at, or -1),
 * whose encoded values are in ms->raw.
 */
static char *
row_reason(monitor_state *ms, const an_model *m, int64 at, TupleTableSlot *slot)
{
	char	  **values = palloc(sizeof(char *) * m->n_features);
	an_ctx		ctx;

	for (uint32 j = 0; j < m->n_features; j++)
		values[j] = an_row_map_value_text(&ms->map,
										  at < 0 ? j : ms->ref.segmented->segments[at].feature_of[j],
										  slot->tts_values, slot->tts_isnull);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_model_explain(&ctx, m, ms->raw, ms->attr));
	return an_reason_line(m, ms->attr, values);
}

/*
 * Encode the row in slot for the model that scores it: the segment's own
 * (sets *at) or the global one (*at = -1).  Returns the model; the row is
 * in *x.
 */
static const an_model *
encode_row(monitor_state *ms, TupleTableSlot *slot, int64 *at, double **x)
{
	slot_getsomeattrs(slot, ms->map.n_atts);
	an_row_map_encode(&ms->map, ms->model, slot->tts_values, slot->tts_isnull, ms->x);
	*at = -1;
	*x = ms->x;
	if (ms->route == NULL)
		return ms->model;
	*at = an_route_segment(ms->route, ms->ref.segmented, slot->tts_values, slot->tts_isnull,
						   ms->ref.model_cxt);
	if (*at < 0)
		return ms->model;
	an_route_encode(ms->ref.segmented, *at, &ms->map, slot->tts_values, slot->tts_isnull,
					ms->x, ms->sub_x);
	*x = ms->sub_x;
	return ms->ref.segmented->segments[*at].model;
}

/* Score one row; log, reject or count it.  Returns its score and sets *flag. */
static double
monitor_row(monitor_state *ms, const an_monitor_options *o, TupleTableSlot *slot, ItemPointer ctid,
			bool *flag_out)
{
	MemoryContext outer = MemoryContextSwitchTo(ms->row_cxt);
	const an_model *m;
	batch_stats *b;
	double	   *x;
	int64		at;
	double		score;
	bool		flag;

	m = encode_row(ms, slot, &at, &x);
	MemoryContextSwitchTo(outer);
	b = stats_for(ms, at, m);
	MemoryContextSwitchTo(ms->row_cxt);
	for (uint32 j = 0; j < m->n_features; j++)
		b->out_of_range[j] += an_feature_out_of_range(&m->features[j], x[j]);
	memcpy(ms->raw, x, sizeof(double) * m->n_features);
	score = an_model_score(m, x);
	flag = score >= m->threshold;
	if ((flag && (o->reject || o->log != AN_LOG_NONE)) || o->log == AN_LOG_ALL)
	{
		char	   *reason = flag ? row_reason(ms, m, at, slot) : NULL;
		char	   *key = row_key(ms, slot, ctid);
		char	   *segment = ms->route ? an_route_key_text(ms->route, ms->ref.segmented) : NULL;

		if (flag && o->reject)
			an_monitor_reject(ms->trig, ms->relation, o->model, key,
							  psprintf("Score %.4f reaches the threshold %.4f: %s.",
									   score, m->threshold, reason));
		MemoryContextSwitchTo(outer);
		an_monitor_event_add(&ms->events, key, score, an_model_severity(m, score), flag, reason,
							 segment);
	}
	MemoryContextSwitchTo(outer);
	MemoryContextReset(ms->row_cxt);
	ms->rows++;
	b->rows++;
	b->anomalies += flag;
	b->sum_score += score;
	b->min_score = Min(b->min_score, score);
	b->max_score = Max(b->max_score, score);
	*flag_out = flag;
	return score;
}

/* A statement the monitor runs for every row or batch, planned once per backend. */
typedef struct saved_statement
{
	const char *sql;			/* with one %s: the extension's schema */
	int			nargs;
	Oid			types[11];
	SPIPlanPtr	plan;
} saved_statement;

/*
 * A plain model's statements name no segment column, so that its monitors
 * keep working with this library on a catalog not yet updated to 0.3.0.
 */
#define EVENTS_SQL(cols, args, unnest) \
	"INSERT INTO %s.anomaly_events (model_id, model_name, model_version, " \
	"relation, row_key, score, severity, is_anomaly, reason" cols ") " \
	"SELECT $1, $2, $3, $4, k::pg_catalog.jsonb, s, v, a, r" args " " \
	"FROM ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6), " \
	"pg_catalog.unnest($7), pg_catalog.unnest($8), " \
	"pg_catalog.unnest($9)" unnest ")"
#define EVENTS_TYPES INT8OID, TEXTOID, INT4OID, TEXTOID, TEXTARRAYOID, FLOAT8ARRAYOID, \
	FLOAT8ARRAYOID, BOOLARRAYOID, TEXTARRAYOID
static saved_statement events_statement = {
	EVENTS_SQL("", "", ") AS u(k, s, v, a, r"), 9, {EVENTS_TYPES}
};
static saved_statement segment_events_statement = {
	EVENTS_SQL(", segment", ", g", ", pg_catalog.unnest($10)) AS u(k, s, v, a, r, g"),
	10, {EVENTS_TYPES, TEXTARRAYOID}
};
#define BATCH_SQL(cols, args) \
	"INSERT INTO %s.anomaly_batches (model_id, model_name, model_version, " \
	"relation, rows, anomalies, share, min_score, mean_score, max_score, " \
	"out_of_range" cols ") SELECT $1, $2, $3, $4, $5, $6, " \
	"CASE WHEN $5 OPERATOR(pg_catalog.>) 0 THEN $6::pg_catalog.float8 " \
	"OPERATOR(pg_catalog./) $5 END, $7, $8, $9, $10::pg_catalog.jsonb" args
#define BATCH_TYPES INT8OID, TEXTOID, INT4OID, TEXTOID, INT8OID, INT8OID, FLOAT8OID, FLOAT8OID, \
	FLOAT8OID, TEXTOID
static saved_statement batch_statement = {BATCH_SQL("", ""), 10, {BATCH_TYPES}};
static saved_statement segment_batch_statement = {
	BATCH_SQL(", segment", ", $11"), 11, {BATCH_TYPES, TEXTOID}
};

/*
 * Run st with args (inside SPI), planning it the first time.  The plan
 * cache replans it when its tables, their policies or the current role
 * change; once the tables are gone (the extension dropped, perhaps created
 * again elsewhere) it is planned afresh.  Returns the SPI result code.
 */
static int
run_saved(saved_statement *st, Datum *args, const char *nulls)
{
	if (st->plan == NULL || !SPI_plan_is_valid(st->plan))
	{
		SPIPlanPtr	plan = SPI_prepare(psprintf(st->sql, an_glue_schema()), st->nargs, st->types);

		if (plan == NULL)
			elog(ERROR, "planning the monitor's statement failed: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		if (st->plan != NULL)
			SPI_freeplan(st->plan);
		st->plan = plan;
	}
	return SPI_execute_plan(st->plan, args, nulls, false, 0);
}

/*
 * Insert the batch row b of the rows model_id scored (inside SPI); with_segment
 * for a model whose monitors write the segment column.
 */
void
an_monitor_batch_insert(const an_monitor_batch *b, int64 model_id, const char *model_name,
						int32 model_version, const char *relation, bool with_segment)
{
	Datum		args[11];
	char		nulls[11];

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int64GetDatum(model_id);
	args[1] = CStringGetTextDatum(model_name);
	args[2] = Int32GetDatum(model_version);
	args[3] = CStringGetTextDatum(relation);
	args[4] = Int64GetDatum(b->rows);
	args[5] = Int64GetDatum(b->anomalies);
	args[6] = Float8GetDatum(b->min_score);
	args[7] = Float8GetDatum(b->rows ? b->sum_score / b->rows : 0);
	args[8] = Float8GetDatum(b->max_score);
	nulls[6] = nulls[7] = nulls[8] = b->rows ? ' ' : 'n';
	args[9] = CStringGetTextDatum(b->out_of_range);
	nulls[10] = b->segment == NULL ? 'n' : ' ';
	if (b->segment != NULL)
		args[10] = CStringGetTextDatum(b->segment);
	if (run_saved(with_segment ? &segment_batch_statement : &batch_statement, args, nulls) !=
		SPI_OK_INSERT)
		elog(ERROR, "inserting the anomaly batch failed");
}

/* Insert the batch row of the rows b's model scored. */
static void
insert_batch(monitor_state *ms, const an_monitor_options *o, const batch_stats *b)
{
	const an_model *m = b->model;
	an_monitor_batch row;
	StringInfoData oor;
	char		segment[1024];

	initStringInfo(&oor);
	appendStringInfoChar(&oor, '{');
	for (uint32 j = 0; j < m->n_features; j++)
	{
		if (j > 0)
			appendStringInfoString(&oor, ", ");
		escape_json(&oor, m->features[j].name);
		appendStringInfo(&oor, ": %lld", (long long) b->out_of_range[j]);
	}
	appendStringInfoChar(&oor, '}');
	row.rows = b->rows;
	row.anomalies = b->anomalies;
	row.min_score = b->min_score;
	row.sum_score = b->sum_score;
	row.max_score = b->max_score;
	row.out_of_range = oor.data;
	row.segment = NULL;
	if (b->at >= 0)
	{
		an_segment_key_text(ms->ref.segmented, (uint32) b->at, segment, sizeof(segment));
		row.segment = segment;
	}
	an_monitor_batch_insert(&row, ms->model_id, o->model, ms->model_version, ms->relation,
							ms->route != NULL);
}

/*
 * Insert the events ev (inside SPI) of model_id; with_segment for a model
 * whose events carry a segment.
 */
void
an_monitor_events_insert(const an_monitor_events *ev, int64 model_id, const char *model_name,
						 int32 model_version, const char *relation, bool with_segment)
{
	Datum		args[10];
	int			dims[1] = {ev->n};
	int			lbs[1] = {1};

	args[0] = Int64GetDatum(model_id);
	args[1] = CStringGetTextDatum(model_name);
	args[2] = Int32GetDatum(model_version);
	args[3] = CStringGetTextDatum(relation);
	args[4] = PointerGetDatum(construct_array(ev->keys, ev->n, TEXTOID, -1, false, TYPALIGN_INT));
	args[5] = PointerGetDatum(construct_array(ev->scores, ev->n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[6] = PointerGetDatum(construct_array(ev->severities, ev->n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[7] = PointerGetDatum(construct_array(ev->flags, ev->n, BOOLOID, 1, true, TYPALIGN_CHAR));
	args[8] = PointerGetDatum(construct_md_array(ev->reasons, ev->reason_nulls, 1, dims, lbs,
												 TEXTOID, -1, false, TYPALIGN_INT));
	if (with_segment)
		args[9] = PointerGetDatum(construct_array(ev->segments, ev->n, TEXTOID, -1, false, TYPALIGN_INT));
	if (run_saved(with_segment ? &segment_events_statement : &events_statement, args, NULL) !=
		SPI_OK_INSERT)
		elog(ERROR, "inserting anomaly events failed");
}

/*
 * Insert the accumulated events, and for a statement the batch rows: the
 * global (or plain) model's when it scored rows or nothing was scored, and
 * one per segment model that scored rows.
 */
static void
monitor_flush(monitor_state *ms, const an_monitor_options *o, bool batch)
{
	if (ms->events.n == 0 && !batch)
		return;
	SPI_connect();
	if (ms->events.n > 0)
		an_monitor_events_insert(&ms->events, ms->model_id, o->model, ms->model_version,
								 ms->relation, ms->route != NULL);
	if (batch)
	{
		if (ms->global.rows > 0 || ms->rows == 0)
			insert_batch(ms, o, &ms->global);
		if (ms->segment_stats)
		{
			HASH_SEQ_STATUS it;
			batch_stats *b;

			hash_seq_init(&it, ms->segment_stats);
			while ((b = hash_seq_search(&it)) != NULL)
				insert_batch(ms, o, b);
		}
	}
	SPI_finish();
}

/* Raise the error that rejects the anomalous row key; detail says why. */
void
an_monitor_reject(TriggerData *trig, const char *relation, const char *model, const char *key,
				  const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("row %s of %s is anomalous under model \"%s\"", key, relation, model),
			 errdetail("%s", detail),
			 errhint("Trigger \"%s\" rejects anomalous rows; fix the row or drop the reject option.",
					 trig->tg_trigger->tgname)));
}

/* Set the tag columns of a BEFORE ROW trigger's new tuple (NULL when not scored). */
HeapTuple
an_monitor_tag(TriggerData *trig, const an_monitor_options *o, HeapTuple tuple, bool scored,
			   double score, bool flag)
{
	TupleDesc	desc = RelationGetDescr(trig->tg_relation);
	int			cols[2];
	Datum		values[2];
	bool		nulls[2] = {!scored, !scored};
	int			n = 0;

	if (o->score_att >= 0)
	{
		cols[n] = o->score_att + 1;
		values[n++] = TupleDescAttr(desc, o->score_att)->atttypid == FLOAT4OID
			? Float4GetDatum((float4) score) : Float8GetDatum(score);
	}
	if (o->flag_att >= 0)
	{
		cols[n] = o->flag_att + 1;
		values[n++] = BoolGetDatum(flag);
	}
	return heap_modify_tuple_by_cols(tuple, desc, n, cols, values, nulls);
}

/* A statement trigger's new rows, to be read from the first; ERROR if the
 * trigger has no transition table. */
Tuplestorestate *
an_monitor_new_rows(TriggerData *trig, const char *relation)
{
	Tuplestorestate *rows = trig->tg_newtable;

	if (rows == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger \"%s\" on %s gives anomaly_monitor no transition table",
						trig->tg_trigger->tgname, relation),
				 errhint("Create it with REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT, or FOR EACH ROW.")));
	tuplestore_select_read_pointer(rows, tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND));
	tuplestore_rescan(rows);
	return rows;
}

/* Score every row of a statement's transition table. */
static void
monitor_statement(monitor_state *ms, const an_monitor_options *o)
{
	Tuplestorestate *rows = an_monitor_new_rows(ms->trig, ms->relation);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(ms->trig->tg_relation),
													&TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		flag;

		CHECK_FOR_INTERRUPTS();
		monitor_row(ms, o, slot, NULL, &flag);
	}
	ExecDropSingleTupleTableSlot(slot);
	monitor_flush(ms, o, true);
}

/* Score the one row of a row trigger; returns the trigger's result. */
static HeapTuple
monitor_one_row(monitor_state *ms, const an_monitor_options *o)
{
	TriggerData *trig = ms->trig;
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple;
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(trig->tg_relation),
													&TTSOpsHeapTuple);
	double		score;
	bool		flag;

	ExecStoreHeapTuple(tuple, slot, false);
	/* a BEFORE trigger's row has no ctid yet */
	score = monitor_row(ms, o, slot,
						TRIGGER_FIRED_BEFORE(trig->tg_event) ? NULL : &tuple->t_self, &flag);
	ExecDropSingleTupleTableSlot(slot);
	monitor_flush(ms, o, false);
	if (!TRIGGER_FIRED_BEFORE(trig->tg_event))
		return NULL;
	if (o->score_att >= 0 || o->flag_att >= 0)
		return an_monitor_tag(trig, o, tuple, true, score, flag);
	return tuple;
}

/*
 * anomaly_monitor(model [, option ...]): the trigger function.  Options:
 * log / log=anomalies (the default), log=all, log=none, reject,
 * score_column=name, flag_column=name.  On a series model the series
 * monitor (series_monitor.c) takes over.
 */
Datum
anomaly_monitor(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	an_monitor_options o;
	monitor_state ms;
	const an_ts_model *series;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("anomaly_monitor can only be called as a trigger"),
				 errhint("CREATE TRIGGER ... EXECUTE FUNCTION anomaly_monitor('model_name').")));
	if (!TRIGGER_FIRED_BY_INSERT(trig->tg_event) && !TRIGGER_FIRED_BY_UPDATE(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\": anomaly_monitor watches INSERT and UPDATE only",
						trig->tg_trigger->tgname)));
	an_monitor_parse_options(trig, &o);
	/* a statement trigger always writes a batch row */
	an_citus_check_monitor(trig->tg_trigger->tgname, RelationGetRelationName(trig->tg_relation),
						   TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event) || o.log != AN_LOG_NONE);
	series = an_ts_model_find(o.model);
	if (series->exists)
		return PointerGetDatum(an_series_monitor(trig, &o, series));
	monitor_begin(&ms, trig, &o);
	if (TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
	{
		monitor_statement(&ms, &o);
		return PointerGetDatum(NULL);
	}
	return PointerGetDatum(monitor_one_row(&ms, &o));
}
