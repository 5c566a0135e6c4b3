/*
 * series_sequence.c - the sequence part of the series method auto: a
 * variable-order Markov view of the series after Begleiter, El-Yaniv and
 * Yona, "On prediction using variable order Markov models" (JAIR 22, 2004),
 * reduced to what an anomaly score needs, whether a transition was ever
 * seen, and scored the way Smirnov's contextual anomaly detector (CAD OSE,
 * 2016; series_context.c) scores its contexts.
 *
 * A value is quantized to one of AN_SEQ_LEVELS levels, (value - min) /
 * ((max - min) / 7), over the range of the learning values (CAD OSE's
 * levels; a value beyond the range takes the nearest end level, the
 * novelty rule of series.c scoring it instead).  The runs of the last 1, 2
 * and 3 levels each remember which levels have followed them: one bit a
 * level, 584 bytes in all, so the state stays small and a step costs three
 * lookups.  At each point, over the orders o = 1..3 that have a run of o
 * levels before it:
 *   - selected: runs seen before; foreseen: those that have been followed
 *     by the current level;
 *   - new: orders whose run was not yet followed by the current level (an
 *     unseen run counts too), counted only when the longest run's
 *     transition is new (CAD OSE counts new contexts only when its
 *     zero-level context is new);
 *   - raw score = (1 - foreseen / selected + new / orders) / 2.
 * After a raw score of 0.75 or more the score is 0 for a rest of a fifth of
 * the learning period (CAD OSE's rest), so one incident is reported once.
 * On NAB its mean with auto's likelihood score beat either alone; see the
 * README's Time series section for the runs and the variants not kept.
 */
#include "series_sequence.h"
#include "series_context.h"

#include <math.h>
#include <string.h>

#define HIGH_SCORE 0.75			/* a raw score that starts a rest */

/* The level of value over the range, clamped to 0..AN_SEQ_LEVELS - 1. */
static int
level_of(const an_sequence *q, double value)
{
	double		d = (value - q->lo) / q->step;

	if (!(d >= 0))
		return 0;
	if (d >= AN_SEQ_LEVELS - 1)
		return AN_SEQ_LEVELS - 1;
	return (int) floor(d);
}

/* Index in seen of the run of the latest o levels (1 <= o <= n_last). */
static int
run_index(const an_sequence *q, int o)
{
	int			base = 0,
				width = 1,
				index = 0;

	for (int i = 1; i < o; i++)
	{
		width *= AN_SEQ_LEVELS;
		base += width;
	}
	for (int i = q->n_last - o; i < q->n_last; i++)
		index = index * AN_SEQ_LEVELS + q->last[i];
	return base + index;
}

/* Learn one level: score how far the runs before it foresaw it, then
 * remember it after them; the raw score. */
static double
take_level(an_sequence *q, int level)
{
	int			orders = q->n_last,
				selected = 0,
				foreseen = 0,
				fresh = 0,
				longest_new = 0;
	uint8_t		bit = (uint8_t) (1u << level);

	for (int o = 1; o <= orders; o++)
	{
		uint8_t    *seen = &q->seen[run_index(q, o)];

		if (*seen != 0)
			selected++;
		if (*seen & bit)
			foreseen++;
		else
		{
			fresh++;
			if (o == orders)
				longest_new = 1;
		}
		*seen |= bit;
	}
	if (q->n_last == AN_SEQ_ORDER)
		memmove(q->last, q->last + 1, AN_SEQ_ORDER - 1);
	else
		q->n_last++;
	q->last[q->n_last - 1] = (uint8_t) level;
	return ((1 - (selected > 0 ? (double) foreseen / selected : 0)) +
			(longest_new ? (double) fresh / orders : 0)) / 2;
}

/* Fix the range to the one given. */
void
an_sequence_fix_range(an_sequence *q, double lo, double hi)
{
	q->lo = lo;
	q->step = an_context_level_step(lo, hi);
	q->ready = 1;
}

/* Whether q quantizes over the range [lo, hi]. */
int
an_sequence_range_is(const an_sequence *q, double lo, double hi)
{
	return q->ready && q->lo == lo && q->step == an_context_level_step(lo, hi);
}

/* Set the range from the learning values and learn their runs. */
void
an_sequence_learn(an_sequence *q, const double *x, int m)
{
	double		lo = x[0],
				hi = x[0];

	for (int i = 1; i < m; i++)
	{
		lo = fmin(lo, x[i]);
		hi = fmax(hi, x[i]);
	}
	q->lo = lo;
	q->step = an_context_level_step(lo, hi);
	if (!(q->step > 0))
		q->step = 1.0;			/* no spread: a level is a unit, as CAD's */
	q->ready = 1;
	for (int i = 0; i < m; i++)
		(void) take_level(q, level_of(q, x[i]));
}

/* Points of rest after a high score: a fifth of the learning period. */
int
an_sequence_rest(int learning)
{
	return learning / 5 > 1 ? learning / 5 : 1;
}

/* Take one finite value after learning; its score. */
double
an_sequence_update(an_sequence *q, double value, uint64_t t, int rest)
{
	double		raw = take_level(q, level_of(q, value));

	if (t < q->rest_until)
		return 0;
	if (raw >= HIGH_SCORE)
		q->rest_until = t + (uint64_t) rest + 1;
	return raw;
}

/* Take the value filled in for a missing point: learnt, not scored. */
void
an_sequence_fill(an_sequence *q, double value)
{
	(void) take_level(q, level_of(q, value));
}

/* Append the state to w. */
void
an_sequence_write(const an_sequence *q, an_writer *w)
{
	an_write_u32(w, (uint32_t) q->ready);
	an_write_f64(w, q->lo);
	an_write_f64(w, q->step);
	an_write_u32(w, (uint32_t) q->n_last);
	an_write_bytes(w, q->last, AN_SEQ_ORDER);
	an_write_u64(w, q->rest_until);
	an_write_bytes(w, q->seen, AN_SEQ_RUNS);
}

/* Read a state written by an_sequence_write; 0 when it is not one. */
int
an_sequence_read(an_sequence *q, an_reader *r, uint64_t n, int rest)
{
	uint32_t	ready = an_read_u32(r);
	uint32_t	n_last;
	const uint8_t *last,
			   *seen;

	q->lo = an_read_f64(r);
	q->step = an_read_f64(r);
	n_last = an_read_u32(r);
	last = an_read_bytes(r, AN_SEQ_ORDER);
	q->rest_until = an_read_u64(r);
	seen = an_read_bytes(r, AN_SEQ_RUNS);
	if (r->failed || ready > 1 || n_last > AN_SEQ_ORDER || n_last > n ||
		q->rest_until > n + (uint64_t) rest)
		return 0;
	q->ready = (int) ready;
	q->n_last = (int) n_last;
	memcpy(q->last, last, AN_SEQ_ORDER);
	memcpy(q->seen, seen, AN_SEQ_RUNS);
	for (int i = 0; i < AN_SEQ_ORDER; i++)
		if (q->last[i] >= (i < q->n_last ? AN_SEQ_LEVELS : 1))
			return 0;
	if (!ready)
	{
		/* nothing is learnt before the range is set */
		for (int i = 0; i < AN_SEQ_RUNS; i++)
			if (q->seen[i] != 0)
				return 0;
		return q->lo == 0 && q->step == 0 && q->n_last == 0 && q->rest_until == 0;
	}
	return isfinite(q->lo) && isfinite(q->step) && q->step > 0;
}
