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
 * levels).  A later value beyond the range widens it (the range seen so
 * far, where NAB's harness gives CAD OSE the whole file's): what was
 * learnt moves with it, each old level to the new level its centre falls
 * in, so levels only merge and no transition is forgotten.  The runs of the last 1, 2
 * and 3 levels each remember which levels have followed them: one bit a
 * level, 584 bytes in all, so the state stays small and a step costs a
 * few lookups.  With a season of p points, one more run: the pair (level p
 * points back, previous level), 64 bytes, so that a level normal at one
 * phase of the season and strange at another is told apart (the value p
 * back comes from the series' own history).  At each point, over the runs
 * it has (orders o = 1..3 with o levels before it, and the seasonal one):
 *   - selected: runs seen before; foreseen: those that have been followed
 *     by the current level;
 *   - new: runs not yet followed by the current level (an unseen run counts
 *     too), counted only when the longest order's transition is new (CAD
 *     OSE counts new contexts only when its zero-level context is new);
 *   - raw score = (1 - foreseen / selected + new / runs) / 2.
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

/* The level of value over the range, clamped to 0..AN_SEQ_LEVELS - 1 (each
 * end divided first when the difference overflows). */
static int
level_of(const an_sequence *q, double value)
{
	double		d = isfinite(value - q->lo) ? (value - q->lo) / q->step
		: value / q->step - q->lo / q->step;

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

/* Count one run's bits for level (bit) and mark it as followed by it. */
static void
cross_run(uint8_t *seen, uint8_t bit, int *selected, int *foreseen, int *fresh)
{
	if (*seen != 0)
		(*selected)++;
	if (*seen & bit)
		(*foreseen)++;
	else
		(*fresh)++;
	*seen |= bit;
}

/* Learn one level, back the level a season before it (-1 for none): score
 * how far the runs before it foresaw it, then remember it after them; the
 * raw score. */
static double
take_level(an_sequence *q, int level, int back)
{
	int			orders = q->n_last,
				runs = orders,
				selected = 0,
				foreseen = 0,
				fresh = 0,
				longest_new = 0;
	uint8_t		bit = (uint8_t) (1u << level);

	for (int o = 1; o <= orders; o++)
	{
		int			before = fresh;

		cross_run(&q->seen[run_index(q, o)], bit, &selected, &foreseen, &fresh);
		if (o == orders && fresh > before)
			longest_new = 1;
	}
	if (back >= 0 && orders > 0)
	{
		cross_run(&q->seasonal[back * AN_SEQ_LEVELS + q->last[q->n_last - 1]], bit,
				  &selected, &foreseen, &fresh);
		runs++;
	}
	if (q->n_last == AN_SEQ_ORDER)
		memmove(q->last, q->last + 1, AN_SEQ_ORDER - 1);
	else
		q->n_last++;
	q->last[q->n_last - 1] = (uint8_t) level;
	return ((1 - (selected > 0 ? (double) foreseen / selected : 0)) +
			(longest_new ? (double) fresh / runs : 0)) / 2;
}

/* The level width over [lo, hi]: CAD OSE's, or a unit when there is no
 * spread (as CAD's); 0 when a spread is too small to divide. */
static double
width_of(double lo, double hi)
{
	return hi > lo ? an_context_level_step(lo, hi) : 1.0;
}

/* Set the range to [lo, hi]. */
static void
set_range(an_sequence *q, double lo, double hi)
{
	q->lo = lo;
	q->hi = hi;
	q->step = width_of(lo, hi);
}

/* The bits of followers moved through the level map to. */
static uint8_t
move_bits(uint8_t bits, const uint8_t *to)
{
	uint8_t		moved = 0;

	for (int j = 0; j < AN_SEQ_LEVELS; j++)
		if (bits & (1u << j))
			moved |= (uint8_t) (1u << to[j]);
	return moved;
}

/* The centre of level l's band, lo + (l + 1/2) step (from hi, which lies
 * 7 steps above lo, when that overflows: only near the top of the widest
 * ranges), or the one value of a range without spread. */
static double
band_centre(const an_sequence *q, int l)
{
	double		c = q->lo + (l + 0.5) * q->step;

	if (!(q->hi > q->lo))
		return q->lo;
	return isfinite(c) ? c : q->hi + (l + 0.5 - (AN_SEQ_LEVELS - 1)) * q->step;
}

/* Widen the range to take value, moving what was learnt: each old level, a
 * band of one width from lo (the top one from the maximum up), goes to the
 * new level its centre falls in; a range without spread has one value, which
 * stands for all its levels. */
static void
widen(an_sequence *q, double value)
{
	double		lo = fmin(q->lo, value),
				hi = fmax(q->hi, value);
	uint8_t		to[AN_SEQ_LEVELS],
				seen[AN_SEQ_RUNS],
				seasonal[AN_SEQ_SEASONAL];
	an_sequence old = *q;
	int			base = 0,
				count = 1;

	if (!(width_of(lo, hi) > 0))
		return;					/* a spread below what a double divides */
	set_range(q, lo, hi);
	for (int l = 0; l < AN_SEQ_LEVELS; l++)
		to[l] = (uint8_t) level_of(q, band_centre(&old, l));
	memset(seen, 0, sizeof(seen));
	for (int o = 1; o <= AN_SEQ_ORDER; o++)
	{
		count *= AN_SEQ_LEVELS;
		for (int i = 0; i < count; i++)
		{
			int			moved = 0,
						digits = i;

			if (old.seen[base + i] == 0)
				continue;
			for (int d = 1, place = 1; d <= o; d++, place *= AN_SEQ_LEVELS)
			{
				moved += to[digits % AN_SEQ_LEVELS] * place;
				digits /= AN_SEQ_LEVELS;
			}
			seen[base + moved] |= move_bits(old.seen[base + i], to);
		}
		base += count;
	}
	memcpy(q->seen, seen, sizeof(seen));
	memset(seasonal, 0, sizeof(seasonal));
	for (int i = 0; i < AN_SEQ_SEASONAL; i++)
		if (old.seasonal[i] != 0)
			seasonal[to[i / AN_SEQ_LEVELS] * AN_SEQ_LEVELS + to[i % AN_SEQ_LEVELS]] |=
				move_bits(old.seasonal[i], to);
	memcpy(q->seasonal, seasonal, sizeof(seasonal));
	for (int i = 0; i < q->n_last; i++)
		q->last[i] = to[q->last[i]];
}

/* The level of value, the range widened first to take it. */
static int
level_taking(an_sequence *q, double value)
{
	if (value < q->lo || value > q->hi)
		widen(q, value);
	return level_of(q, value);
}

/* Fix the range to the one given. */
void
an_sequence_fix_range(an_sequence *q, double lo, double hi)
{
	set_range(q, lo, hi);
}

/* Whether q's range agrees with the options. */
int
an_sequence_range_agrees(const an_sequence *q, int given, double lo, double hi)
{
	if (!given)
		return q->ready || q->step == 0;
	if (!q->ready)
		return q->step > 0 && q->lo == lo && q->hi == hi;
	return q->step > 0 && q->lo <= lo && q->hi >= hi;
}

/* The level of the value a season before x[i] of the learning values, or
 * -1 when there is none. */
static int
back_level(const an_sequence *q, const double *x, int i, int season)
{
	return season > 0 && i >= season ? level_of(q, x[i - season]) : -1;
}

/* At the end of learning: the range unless given, then the runs. */
void
an_sequence_learn(an_sequence *q, const double *x, int m, int season)
{
	if (!(q->step > 0))
	{
		double		lo = x[0],
					hi = x[0];

		for (int i = 1; i < m; i++)
		{
			lo = fmin(lo, x[i]);
			hi = fmax(hi, x[i]);
		}
		set_range(q, lo, hi);
		if (!(q->step > 0))
			set_range(q, lo, lo);	/* a spread too small to divide: none */
	}
	for (int i = 0; i < m; i++)
	{
		int			level = level_taking(q, x[i]);

		(void) take_level(q, level, back_level(q, x, i, season));
	}
	q->ready = 1;
}

/* Points of rest after a high score: a fifth of the learning period. */
int
an_sequence_rest(int learning)
{
	return learning / 5 > 1 ? learning / 5 : 1;
}

/* The level of back, the value a season before, or -1 when it is NaN. */
static int
level_back(const an_sequence *q, double back)
{
	return isnan(back) ? -1 : level_of(q, back);
}

/* Take one finite value after learning; its score. */
double
an_sequence_update(an_sequence *q, double value, double back, uint64_t t, int rest)
{
	int			level = level_taking(q, value);
	double		raw = take_level(q, level, level_back(q, back));

	if (t < q->rest_until)
		return 0;
	if (raw >= HIGH_SCORE)
		q->rest_until = t + (uint64_t) rest + 1;
	return raw;
}

/* Take a value unscored. */
void
an_sequence_fill(an_sequence *q, double value, double back)
{
	int			level = level_taking(q, value);

	(void) take_level(q, level, level_back(q, back));
}

/* Append the state to w. */
void
an_sequence_write(const an_sequence *q, an_writer *w)
{
	an_write_u32(w, (uint32_t) q->ready);
	an_write_f64(w, q->lo);
	an_write_f64(w, q->hi);
	an_write_u32(w, (uint32_t) q->n_last);
	an_write_bytes(w, q->last, AN_SEQ_ORDER);
	an_write_u64(w, q->rest_until);
	an_write_bytes(w, q->seen, AN_SEQ_RUNS);
	an_write_bytes(w, q->seasonal, AN_SEQ_SEASONAL);
}

/* Whether n bytes are all 0. */
static int
all_zero(const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Read a state written by an_sequence_write; 0 when it is not one. */
int
an_sequence_read(an_sequence *q, an_reader *r, uint64_t n, int rest)
{
	uint32_t	ready = an_read_u32(r);
	uint32_t	n_last;
	const uint8_t *last,
			   *seen,
			   *seasonal;

	q->lo = an_read_f64(r);
	q->hi = an_read_f64(r);
	n_last = an_read_u32(r);
	last = an_read_bytes(r, AN_SEQ_ORDER);
	q->rest_until = an_read_u64(r);
	seen = an_read_bytes(r, AN_SEQ_RUNS);
	seasonal = an_read_bytes(r, AN_SEQ_SEASONAL);
	if (r->failed || ready > 1 || n_last > AN_SEQ_ORDER || n_last > n ||
		q->rest_until > n + (uint64_t) rest)
		return 0;
	q->ready = (int) ready;
	q->n_last = (int) n_last;
	memcpy(q->last, last, AN_SEQ_ORDER);
	memcpy(q->seen, seen, AN_SEQ_RUNS);
	memcpy(q->seasonal, seasonal, AN_SEQ_SEASONAL);
	for (int i = 0; i < AN_SEQ_ORDER; i++)
		if (q->last[i] >= (i < q->n_last ? AN_SEQ_LEVELS : 1))
			return 0;
	q->step = 0;
	if (!ready)
	{
		/* nothing is learnt before the end of learning; a range given is set */
		if (!all_zero(q->seen, AN_SEQ_RUNS) || !all_zero(q->seasonal, AN_SEQ_SEASONAL) ||
			q->n_last != 0 || q->rest_until != 0)
			return 0;
		if (q->lo == 0 && q->hi == 0)
			return 1;
	}
	if (!(isfinite(q->lo) && isfinite(q->hi) && q->hi >= q->lo))
		return 0;
	q->step = width_of(q->lo, q->hi);
	return q->step > 0;
}
