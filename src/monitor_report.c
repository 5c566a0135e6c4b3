/*
 * monitor_report.c - anomaly_monitor_report: reads what anomaly_monitor
 * recorded for a model since a time (anomaly_batches, anomaly_events) and,
 * with a source, the drift of its features, and renders the monitoring page
 * (src/core/monitor_page.c).
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "monitor_page.h"

PG_FUNCTION_INFO_V1(anomaly_monitor_report);

#define MAX_BATCHES 2000		/* the latest batches drawn */
#define MAX_EVENTS 5000			/* the latest logged rows drawn */

/* A float8 column of the current SPI result; NaN when NULL. */
static double
spi_float8(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

/* An int8 column of the current SPI result; 0 when NULL. */
static int64
spi_int8(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* The model's title, threshold, expected rate and the page's times. */
static void
gather_model(int64 id, TimestampTz since, an_monitor_page *p)
{
	char	   *sql = psprintf("SELECT pg_catalog.format('%%s v%%s (%%s)', name, version, algorithm), "
							   "threshold, contamination, pg_catalog.now()::pg_catalog.timestamptz(0)::pg_catalog.text, "
							   "$2::pg_catalog.timestamptz(0)::pg_catalog.text "
							   "FROM %s.anomaly_model_list WHERE id OPERATOR(pg_catalog.=) $1",
							   an_glue_schema());
	Oid			types[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		args[2] = {Int64GetDatum(id), TimestampTzGetDatum(since)};

	if (SPI_execute_with_args(sql, 2, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("anomaly model with id %lld does not exist", (long long) id)));
	p->title = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	p->threshold = spi_float8(0, 2);
	p->expected_rate = spi_float8(0, 3);
	p->expected_from = isnan(p->expected_rate) ? NULL : "the model's contamination";
	p->generated_at = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	p->since = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
}

/* qsort comparator for doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The model's batches since then, by time, with the range check per feature. */
static void
gather_batches(const char *name, TimestampTz since, const an_model *m, an_monitor_page *p)
{
	char	   *sql = psprintf("SELECT * FROM (SELECT pg_catalog.date_part('epoch', b.at), b.rows, b.anomalies, "
							   "b.min_score, b.mean_score, b.max_score, "
							   "ARRAY(SELECT COALESCE((b.out_of_range OPERATOR(pg_catalog.->>) u.f)::pg_catalog.int8, 0) "
							   "FROM pg_catalog.unnest($3) WITH ORDINALITY u(f, o) ORDER BY u.o), b.at, b.id "
							   "FROM %s.anomaly_batches b WHERE b.model_name OPERATOR(pg_catalog.=) $1 "
							   "AND b.at OPERATOR(pg_catalog.>=) $2 ORDER BY b.at DESC, b.id DESC LIMIT %d) l "
							   "ORDER BY l.at, l.id", an_glue_schema(), MAX_BATCHES);
	Oid			types[3] = {TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID};
	Datum	   *names = palloc(sizeof(Datum) * Max(m->n_features, 1));
	const char **features = palloc(sizeof(char *) * Max(m->n_features, 1));
	Datum		args[3];
	an_monitor_batch *batches;
	double	   *shares;
	int			n_shares = 0;

	for (uint32 j = 0; j < m->n_features; j++)
	{
		features[j] = pstrdup(m->features[j].name);
		names[j] = CStringGetTextDatum(features[j]);
	}
	args[0] = CStringGetTextDatum(name);
	args[1] = TimestampTzGetDatum(since);
	args[2] = PointerGetDatum(construct_array(names, m->n_features, TEXTOID, -1, false, TYPALIGN_INT));
	p->features = features;
	p->n_features = m->n_features;
	if (SPI_execute_with_args(sql, 3, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the batches query failed");
	batches = palloc0(sizeof(an_monitor_batch) * Max(SPI_processed, 1));
	shares = palloc(sizeof(double) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		an_monitor_batch *b = &batches[i];
		bool		isnull;
		Datum	   *counts;
		int			n_counts;
		int64	   *out = palloc0(sizeof(int64) * Max(m->n_features, 1));

		b->at = spi_float8(i, 1);
		b->rows = spi_int8(i, 2);
		b->anomalies = spi_int8(i, 3);
		b->min_score = spi_float8(i, 4);
		b->mean_score = spi_float8(i, 5);
		b->max_score = spi_float8(i, 6);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 7, &isnull)),
						  INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &counts, NULL, &n_counts);
		for (int j = 0; j < n_counts && j < (int) m->n_features; j++)
			out[j] = DatumGetInt64(counts[j]);
		b->out_of_range = out;
		if (b->rows > 0)
			shares[n_shares++] = (double) b->anomalies / (double) b->rows;
	}
	p->batches = batches;
	p->n_batches = SPI_processed;
	if (isnan(p->expected_rate) && n_shares > 0)
	{
		/* an automatic threshold has no stated rate: take the batches' median */
		qsort(shares, n_shares, sizeof(double), cmp_double);
		p->expected_rate = n_shares % 2 ? shares[n_shares / 2]
			: (shares[n_shares / 2 - 1] + shares[n_shares / 2]) / 2;
		p->expected_from = "the median share of the batches (the model has an automatic threshold)";
	}
}

/* The latest logged rows' scores since then, by time, and how many were logged. */
static void
gather_events(const char *name, TimestampTz since, an_monitor_page *p)
{
	char	   *sql = psprintf("SELECT pg_catalog.date_part('epoch', e.at), e.score, "
							   "pg_catalog.count(*) OVER () FROM (SELECT at, score, id FROM %s.anomaly_events "
							   "WHERE model_name OPERATOR(pg_catalog.=) $1 AND at OPERATOR(pg_catalog.>=) $2) e "
							   "ORDER BY e.at DESC, e.id DESC LIMIT %d",
							   an_glue_schema(), MAX_EVENTS);
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2] = {CStringGetTextDatum(name), TimestampTzGetDatum(since)};
	an_report_point *events;
	uint64		n;

	if (SPI_execute_with_args(sql, 2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the events query failed");
	n = SPI_processed;
	events = palloc(sizeof(an_report_point) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		/* newest first in the result; the page wants them by time */
		events[n - 1 - i].t = spi_float8(i, 1);
		events[n - 1 - i].score = spi_float8(i, 2);
	}
	p->events = events;
	p->n_events = n;
	p->events_logged = n > 0 ? spi_int8(0, 3) : 0;
}

/* Drift per feature between training and the source. */
static void
gather_drift(int64 id, const char *source, an_monitor_page *p)
{
	char	   *sql = psprintf("SELECT feature, psi, ks, ks_critical, drifted FROM %s.anomaly_drift($1, $2)",
							   an_glue_schema());
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		args[2] = {Int64GetDatum(id), CStringGetTextDatum(source)};
	an_monitor_drift *drift;

	if (SPI_execute_with_args(sql, 2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the drift query failed");
	drift = palloc0(sizeof(an_monitor_drift) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 5, &isnull);

		drift[i].feature = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		drift[i].psi = spi_float8(i, 2);
		drift[i].ks = spi_float8(i, 3);
		drift[i].ks_critical = spi_float8(i, 4);
		drift[i].drifted = !isnull && DatumGetBool(d);
	}
	p->drift = drift;
	p->n_drift = SPI_processed;
	p->drift_source = source;
}

/*
 * anomaly_monitor_report(model, since, source): the monitoring page of what
 * anomaly_monitor recorded for the model since then, with drift against
 * source when one is given.
 */
Datum
anomaly_monitor_report(PG_FUNCTION_ARGS)
{
	char	   *name,
			   *source,
			   *html;
	TimestampTz since;
	text	   *result;
	an_monitor_page p = {0};
	const an_model *m;
	an_ctx		ctx;
	int64		id;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and since must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	since = PG_GETARG_TIMESTAMPTZ(1);
	source = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	m = an_cache_by_arg(fcinfo, 0, &id);
	SPI_connect();
	gather_model(id, since, &p);
	gather_batches(name, since, m, &p);
	gather_events(name, since, &p);
	if (source)
		gather_drift(id, source, &p);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	html = an_monitor_page_html(&ctx, &p);
	result = (text *) SPI_palloc(strlen(html) + VARHDRSZ);
	SET_VARSIZE(result, strlen(html) + VARHDRSZ);
	memcpy(VARDATA(result), html, strlen(html));
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
