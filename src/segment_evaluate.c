/*
 * segment_evaluate.c - how a segmented model does on a source, segment by
 * segment and overall: per segment of the source its rows, flagged rows
 * (each against the threshold of the model that scores it), that threshold
 * and, with a label, the metrics of that model's scores; overall the sums
 * of the flags and, with a label, ranking metrics over the severities,
 * which unlike raw scores compare across segments (each model's calibration
 * maps its scores to the percentile among its own training scores).
 */
#include "glue.h"

#include <math.h>

#include "metrics.h"
#include "segmented.h"

/* What the visitor accumulates. */
typedef struct eval_state
{
	an_segment_evaluation *out;
	int			cap;
	bool		labelled;
	an_ctx		ctx;
	/* the current group's scores and labels */
	double	   *scores;
	uint8	   *labels;
	int64		n;
	int64		group_cap;
	/* every row's score and flag */
	int64		n_all;
	int64		scores_cap;
	/* every row's severity and label, for the overall ranking metrics */
	double	   *severities;
	uint8	   *all_labels;
	int64		all_cap;
} eval_state;

/* Grow a pair of score/label arrays to hold one more row. */
static void
grow(double **scores, uint8 **labels, int64 n, int64 *cap)
{
	if (n < *cap)
		return;
	*cap = Max(1024, *cap * 2);
	*scores = *scores ? repalloc_huge(*scores, sizeof(double) * *cap)
		: palloc_extended(sizeof(double) * *cap, MCXT_ALLOC_HUGE);
	*labels = *labels ? repalloc_huge(*labels, *cap) : palloc_extended(*cap, MCXT_ALLOC_HUGE);
}

/* A new segment: its entry, counts at zero. */
static void
eval_group_begin(void *arg, const an_segment_group *g)
{
	eval_state *st = arg;
	an_segment_evaluation *out = st->out;
	an_segment_metrics *sm;

	if (out->n_segments == st->cap)
	{
		st->cap = Max(64, st->cap * 2);
		out->segments = out->segments ? repalloc_huge(out->segments, sizeof(an_segment_metrics) * st->cap)
			: palloc(sizeof(an_segment_metrics) * st->cap);
	}
	sm = &out->segments[out->n_segments++];
	memset(sm, 0, sizeof(*sm));
	sm->segment = pstrdup(g->segment);
	sm->own_model = g->at >= 0;
	sm->threshold = g->model->threshold;
	st->n = 0;
}

/* Score one row with its segment's model. */
static void
eval_row(void *arg, const an_segment_group *g, const an_segment_row *row)
{
	eval_state *st = arg;
	an_segment_metrics *sm = &st->out->segments[st->out->n_segments - 1];
	double		score = an_model_score(g->model, row->x);

	sm->rows++;
	sm->flagged += score >= g->model->threshold;
	grow(&st->out->scores, &st->out->flags, st->n_all, &st->scores_cap);
	st->out->scores[st->n_all] = score;
	st->out->flags[st->n_all++] = score >= g->model->threshold;
	if (!st->labelled)
		return;
	grow(&st->scores, &st->labels, st->n, &st->group_cap);
	st->scores[st->n] = score;
	st->labels[st->n++] = (uint8) row->label;
	grow(&st->severities, &st->all_labels, st->out->rows, &st->all_cap);
	st->severities[st->out->rows] = an_model_severity(g->model, score);
	st->all_labels[st->out->rows] = (uint8) row->label;
	st->out->rows++;
}

/* The segment's metrics, against its model's threshold. */
static void
eval_group_end(void *arg, const an_segment_group *g)
{
	eval_state *st = arg;
	an_segment_metrics *sm = &st->out->segments[st->out->n_segments - 1];

	if (st->labelled)
		an_metrics_compute(&st->ctx, st->scores, st->labels, st->n, g->model->threshold,
						   &sm->metrics);
	else
		st->out->rows += sm->rows;
	st->out->flagged += sm->flagged;
}

/* Overall confusion counts: every row flagged against its own model's threshold. */
static void
overall_counts(an_segment_evaluation *out)
{
	an_metrics *mt = &out->overall;

	mt->tp = mt->fp = mt->tn = mt->fn = 0;
	for (int i = 0; i < out->n_segments; i++)
	{
		mt->tp += out->segments[i].metrics.tp;
		mt->fp += out->segments[i].metrics.fp;
		mt->tn += out->segments[i].metrics.tn;
		mt->fn += out->segments[i].metrics.fn;
	}
	mt->precision = mt->tp + mt->fp > 0 ? (double) mt->tp / (double) (mt->tp + mt->fp) : 0;
	mt->recall = mt->tp + mt->fn > 0 ? (double) mt->tp / (double) (mt->tp + mt->fn) : 0;
	mt->f1 = mt->precision + mt->recall > 0
		? 2 * mt->precision * mt->recall / (mt->precision + mt->recall) : 0;
}

/*
 * Evaluate the segmented model of ref on the source (SPI connected; label
 * may be NULL): one entry per segment of the source, in the order of their
 * text, and the overall figures.
 */
void
an_segment_evaluate(const char *from, TupleDesc desc, const an_model_ref *ref,
					const char *label, an_segment_evaluation *out)
{
	eval_state	st = {0};
	an_segment_visitor v = {eval_group_begin, eval_row, eval_group_end, &st, false};

	memset(out, 0, sizeof(*out));
	st.out = out;
	st.labelled = label != NULL;
	an_glue_ctx(&st.ctx, CurrentMemoryContext);
	an_segment_scan(from, desc, ref, label, &v);
	out->severities = st.severities;
	out->labels = st.all_labels;
	if (!st.labelled || out->rows == 0)
		return;
	an_metrics_compute(&st.ctx, st.severities, st.all_labels, out->rows, INFINITY, &out->overall);
	overall_counts(out);
}
