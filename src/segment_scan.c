/*
 * segment_scan.c - a source's rows as a segmented model sees them: ordered
 * by the text of the segment columns (the same text training grouped by and
 * scoring routes with), so that each segment's rows come together, and each
 * row encoded for the model that scores it (the segment's own, or the global
 * one for an unseen or small segment).  anomaly_evaluate, anomaly_report and
 * anomaly_drift visit the groups through this one interface.
 */
#include "glue.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "segmented.h"

/* rows fetched from the source at a time */
#define FETCH_ROWS 10000

/* What the scan keeps while it walks the rows. */
typedef struct scan_state
{
	const an_model_ref *ref;
	const an_segment_visitor *v;
	an_row_map	map;
	an_route   *route;
	double	   *gx;
	double	   *sub_x;
	uint64	   *gcat;
	uint64	   *sub_cat;
	const char *label;			/* the label column, or NULL */
	int			label_att;		/* its attribute in the scan's rows, or -1 */
	/* the current group */
	bool		in_group;
	an_segment_group group;
	unsigned char *key;			/* its key bytes */
	size_t		key_len;
	size_t		key_cap;
	MemoryContext group_cxt;	/* reset after each group */
	MemoryContext row_cxt;		/* what routing and encoding a row allocate; reset per row */
} scan_state;

/* The query: every column of the source (and the label as int4), by segment. */
static char *
scan_query(const char *from, const an_segmented *s, const char *label)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT s.*");
	if (label)
		appendStringInfo(&sql, ", (s.%s)::pg_catalog.int4", quote_identifier(label));
	appendStringInfo(&sql, " FROM %s s", from);
	if (label)
		appendStringInfo(&sql, " WHERE s.%s IS NOT NULL", quote_identifier(label));
	for (uint32 c = 0; c < s->n_columns; c++)
		appendStringInfo(&sql, "%s (s.%s)::pg_catalog.text COLLATE \"C\"",
						 c ? "," : " ORDER BY", quote_identifier(s->columns[c]));
	return sql.data;
}

/* Close the current group, if any. */
static void
end_group(scan_state *st)
{
	if (!st->in_group)
		return;
	if (st->v->group_end)
		st->v->group_end(st->v->arg, &st->group);
	st->in_group = false;
	MemoryContextReset(st->group_cxt);
}

/* Open the group of the row just routed to segment at. */
static void
begin_group(scan_state *st, int64 at)
{
	const an_segmented *s = st->ref->segmented;
	const unsigned char *key;
	size_t		len;
	MemoryContext old = MemoryContextSwitchTo(st->group_cxt);

	key = an_route_key(st->route, &len);
	st->group.segment = an_route_key_text(st->route, s);
	MemoryContextSwitchTo(old);
	if (len > st->key_cap)
	{
		st->key_cap = Max(len, 2 * st->key_cap);
		st->key = MemoryContextAlloc(CurrentMemoryContext, st->key_cap);
	}
	memcpy(st->key, key, len);
	st->key_len = len;
	st->group.at = at;
	st->group.model = at >= 0 ? s->segments[at].model : st->ref->model;
	st->in_group = true;
	if (st->v->group_begin)
		st->v->group_begin(st->v->arg, &st->group);
}

/* Whether the row just routed belongs to the current group. */
static bool
same_group(const scan_state *st)
{
	size_t		len;
	const unsigned char *key = an_route_key(st->route, &len);

	return st->in_group && len == st->key_len && memcmp(key, st->key, len) == 0;
}

/* Route, encode and visit one deformed row. */
static void
visit_row(scan_state *st, const Datum *values, const bool *nulls)
{
	an_segmented *s = st->ref->segmented;
	const an_model *global = st->ref->model;
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);
	int64		at = an_route_segment(st->route, s, values, nulls, st->ref->model_cxt);
	an_segment_row row;

	an_row_map_encode(&st->map, global, values, nulls, st->gx);
	if (st->v->want_categories)
		for (uint32 j = 0; j < global->n_features; j++)
			if (global->features[j].kind == AN_KIND_CATEGORICAL)
				st->gcat[j] = an_cell_from_datum(values[st->map.attidx[j]],
												 nulls[st->map.attidx[j]], st->map.conv[j]).cat;
	row.gx = st->gx;
	row.gcat = st->gcat;
	row.label = st->label_att < 0 ? -1 : 0;
	if (at >= 0)
	{
		const an_segment *g = &s->segments[at];

		an_route_encode(s, at, &st->map, values, nulls, st->gx, st->sub_x);
		for (uint32 j = 0; j < g->model->n_features; j++)
			st->sub_cat[j] = st->gcat[g->feature_of[j]];
		row.x = st->sub_x;
		row.cat = st->sub_cat;
	}
	else
	{
		memcpy(st->sub_x, st->gx, sizeof(double) * global->n_features);
		row.x = st->sub_x;
		row.cat = st->gcat;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->row_cxt);
	if (!same_group(st))
	{
		end_group(st);
		begin_group(st, at);
	}
	if (st->label_att >= 0)
		row.label = an_source_label_value(DatumGetInt32(values[st->label_att]), st->label);
	st->v->row(st->v->arg, &st->group, &row);
}

/*
 * Visit every row of the source (rows with a NULL label left out when a
 * label is named), segment by segment, for the segmented model of ref.
 * SPI must be connected; desc is the source's row type.
 */
void
an_segment_scan(const char *from, TupleDesc desc, const an_model_ref *ref, const char *label,
				const an_segment_visitor *v)
{
	scan_state	st = {0};
	MemoryContext caller = CurrentMemoryContext;
	uint32		d = ref->model->n_features;
	SPIPlanPtr	plan;
	Portal		portal;
	Datum	   *values = NULL;
	bool	   *nulls = NULL;
	bool		mapped = false;

	Assert(ref->segmented != NULL);
	if (label)
		an_source_check_label(desc, label);
	st.ref = ref;
	st.v = v;
	st.label = label;
	st.label_att = -1;
	st.gx = palloc(sizeof(double) * d);
	st.sub_x = palloc(sizeof(double) * d);
	st.gcat = palloc0(sizeof(uint64) * d);
	st.sub_cat = palloc0(sizeof(uint64) * d);
	st.group_cxt = AllocSetContextCreate(CurrentMemoryContext, "anomaly segment group",
										 ALLOCSET_SMALL_SIZES);
	st.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "anomaly segment row",
									   ALLOCSET_SMALL_SIZES);
	/* the source's columns come first in the scan's rows: ERROR here if one is missing */
	st.route = an_route_build(desc, ref->segmented, CurrentMemoryContext);
	plan = SPI_prepare(scan_query(from, ref->segmented, label), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "preparing the segment scan failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		TupleDesc	rows;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		/* SPI leaves its own context current: the visitor allocates in the caller's */
		MemoryContextSwitchTo(caller);
		if (SPI_processed == 0)
			break;
		rows = SPI_tuptable->tupdesc;
		if (!mapped)
		{
			an_row_map_build(&st.map, rows, ref->model, CurrentMemoryContext);
			st.label_att = label ? rows->natts - 1 : -1;
			values = palloc(sizeof(Datum) * rows->natts);
			nulls = palloc(sizeof(bool) * rows->natts);
			mapped = true;
		}
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			heap_deform_tuple(SPI_tuptable->vals[i], rows, values, nulls);
			visit_row(&st, values, nulls);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	end_group(&st);
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(st.group_cxt);
	MemoryContextDelete(st.row_cxt);
}
