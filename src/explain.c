/*
 * explain.c - anomaly_explain, anomaly_reason and anomaly_out_of_range:
 * why one row scored as it did, feature by feature, as a table, as one
 * readable line, and as the list of values outside the training range.
 * The row and model take the same forms as anomaly_score.
 */
#include "glue.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "explain.h"

PG_FUNCTION_INFO_V1(anomaly_explain);
PG_FUNCTION_INFO_V1(anomaly_reason);
PG_FUNCTION_INFO_V1(anomaly_out_of_range);

/* anomaly_reason lists features until their shares reach this much... */
#define REASON_COVER 0.8
/* ...and at most this many, leaving out shares below REASON_MIN_SHARE */
#define REASON_MAX_FEATURES 3
#define REASON_MIN_SHARE 0.05
/* values longer than this are cut in a reason */
#define REASON_VALUE_CHARS 40

/* One explained row: the model, the attributions and the values as text. */
typedef struct explained_row
{
	const an_model *model;
	an_attribution *attr;		/* sorted, largest contribution first */
	char	  **values;			/* per feature index; NULL when missing */
	char	   *scored_by;		/* "model", "global" or "segment col=value" */
} explained_row;

/* Encode and explain argument 1 with the model of argument 0. */
static void
explain_row(FunctionCallInfo fcinfo, explained_row *e)
{
	double	   *site_x;
	double	   *x;
	an_ctx		ctx;
	uint32		d;

	e->model = an_row_encode(fcinfo, &site_x);
	d = e->model->n_features;
	x = palloc(sizeof(double) * d);
	memcpy(x, site_x, sizeof(double) * d);
	e->values = palloc(sizeof(char *) * d);
	for (uint32 j = 0; j < d; j++)
		e->values[j] = an_row_value_text(fcinfo, e->model, j);
	e->scored_by = an_row_model_text(fcinfo);
	e->attr = palloc(sizeof(an_attribution) * d);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_model_explain(&ctx, e->model, x, e->attr));
}

/*
 * anomaly_explain(model, row): one row per feature, largest contribution
 * first: feature, value, contribution, share, direction, training range
 * and whether the value lies outside it; since 0.3.0 also which model
 * scored the row (a segmented model's segment, or its global model).
 */
Datum
anomaly_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	explained_row e;

	explain_row(fcinfo, &e);
	InitMaterializedSRF(fcinfo, 0);
	for (uint32 k = 0; k < e.model->n_features; k++)
	{
		const an_attribution *a = &e.attr[k];
		const an_feature *f = &e.model->features[a->feature];
		bool		numeric = f->kind == AN_KIND_NUMERIC;
		Datum		values[9];
		bool		nulls[9] = {false};

		values[0] = CStringGetTextDatum(f->name);
		nulls[1] = e.values[a->feature] == NULL;
		values[1] = nulls[1] ? (Datum) 0 : CStringGetTextDatum(e.values[a->feature]);
		values[2] = Float8GetDatum(a->contribution);
		values[3] = Float8GetDatum(a->share);
		values[4] = CStringGetTextDatum(an_direction_name(a->direction));
		values[5] = Float8GetDatum(f->lo);
		values[6] = Float8GetDatum(f->hi);
		nulls[5] = nulls[6] = !numeric;
		values[7] = BoolGetDatum(a->out_of_range);
		/* the 0.1.0 declaration has 8 columns, and the tuple store reads those */
		values[8] = CStringGetTextDatum(e.scored_by);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Append a value to a reason, cut to REASON_VALUE_CHARS characters. */
static void
append_value(StringInfo buf, const char *value)
{
	int			len;

	if (value == NULL)
	{
		appendStringInfoString(buf, "NULL");
		return;
	}
	len = pg_mbcliplen(value, strlen(value), REASON_VALUE_CHARS);
	appendBinaryStringInfo(buf, value, len);
	if (value[len] != '\0')
		appendStringInfoString(buf, "...");
}

/*
 * The reason line for an explained row: the features that explain most of
 * the score, e.g. "amount=5412.00 high (78%), hour_of_day=3 low (15%)".
 * values holds each feature's value as text (NULL when missing).
 */
char *
an_reason_line(const an_model *m, const an_attribution *attr, char **values)
{
	StringInfoData buf;
	double		covered = 0;

	initStringInfo(&buf);
	for (uint32 k = 0; k < m->n_features && k < REASON_MAX_FEATURES; k++)
	{
		const an_attribution *a = &attr[k];

		if (k > 0 && (covered >= REASON_COVER || a->share < REASON_MIN_SHARE))
			break;
		if (k > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "%s=", m->features[a->feature].name);
		append_value(&buf, values[a->feature]);
		appendStringInfo(&buf, " %s%s (%.0f%%)", an_direction_name(a->direction),
						 a->out_of_range ? ", out of range" : "", 100.0 * a->share);
		covered += a->share;
	}
	return buf.data;
}

/* anomaly_reason(model, row): one line for dashboards; see an_reason_line. */
Datum
anomaly_reason(PG_FUNCTION_ARGS)
{
	explained_row e;

	explain_row(fcinfo, &e);
	PG_RETURN_TEXT_P(cstring_to_text(an_reason_line(e.model, e.attr, e.values)));
}

/*
 * anomaly_out_of_range(model, row): the features whose value lies outside
 * the training range, or is a category training never saw; without
 * running the detector.
 */
Datum
anomaly_out_of_range(PG_FUNCTION_ARGS)
{
	double	   *x;
	const an_model *m = an_row_encode(fcinfo, &x);
	Datum	   *names = palloc(sizeof(Datum) * Max(m->n_features, 1));
	int			n = 0;

	for (uint32 j = 0; j < m->n_features; j++)
		if (an_feature_out_of_range(&m->features[j], x[j]))
			names[n++] = CStringGetTextDatum(m->features[j].name);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}
