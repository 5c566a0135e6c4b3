/*
 * series_sequence.h - the sequence part of the series method auto
 * (series_sequence.c): values quantized to eight levels over the range seen
 * so far, and which level followed which short run of levels.  Its
 * score says how far the current level was not foreseen by the runs before
 * it.  A plain struct of fixed size, so it lives inside the series state;
 * only series.c and series_bytes.c include it.
 */
#ifndef AN_SERIES_SEQUENCE_H
#define AN_SERIES_SEQUENCE_H

#include "an_core.h"
#include "bytes.h"

#define AN_SEQ_LEVELS 8			/* levels 0..7 span the range */
#define AN_SEQ_ORDER 3			/* longest run of levels that foresees one */
#define AN_SEQ_RUNS (AN_SEQ_LEVELS + AN_SEQ_LEVELS * AN_SEQ_LEVELS + \
					 AN_SEQ_LEVELS * AN_SEQ_LEVELS * AN_SEQ_LEVELS)
#define AN_SEQ_SEASONAL (AN_SEQ_LEVELS * AN_SEQ_LEVELS)

typedef struct an_sequence
{
	int			ready;			/* the runs of the learning values are in */
	double		lo;				/* the range's minimum (0 until set) */
	double		hi;				/* the range's maximum, >= lo */
	double		step;			/* one level, > 0 once set: derived from lo and hi */
	int			n_last;			/* levels in last (at most AN_SEQ_ORDER) */
	uint8_t		last[AN_SEQ_ORDER];	/* the latest levels, newest last */
	uint64_t	rest_until;		/* first point scored after a high score */
	uint8_t		seen[AN_SEQ_RUNS];	/* per run of 1..3 levels: bit j, level j followed it */
	uint8_t		seasonal[AN_SEQ_SEASONAL];	/* per (level a season back, previous level) */
} an_sequence;

/* Fix the range to a given [lo, hi] (whose level width is > 0) instead of
 * learning it from the learning values. */
void		an_sequence_fix_range(an_sequence *q, double lo, double hi);

/* Whether q's range agrees with the options: without a range given (given
 * 0), none before the end of learning; with [lo, hi] given, exactly it
 * before the end of learning and a range covering it after (it only
 * widens). */
int			an_sequence_range_agrees(const an_sequence *q, int given, double lo, double hi);

/* At the end of learning: set the range from the learning values x[0..m)
 * (m >= 1) unless it is given, and learn the runs they hold, with a season
 * of season points (0 for none). */
void		an_sequence_learn(an_sequence *q, const double *x, int m, int season);

/* Points of rest after a high score for a learning period: a fifth of it,
 * at least 1 (CAD OSE's). */
int			an_sequence_rest(int learning);

/* Take one finite value after learning, back the value one season before it
 * (NaN when there is none), t the point's position (points before it);
 * returns its score in [0, 1]: 0 within rest points after a raw score of
 * 0.75 or more.  A value beyond the range widens it first. */
double		an_sequence_update(an_sequence *q, double value, double back, uint64_t t,
							   int rest);

/* Take the value filled in for a missing point, unscored; it too widens the
 * range. */
void		an_sequence_fill(an_sequence *q, double value, double back);

/* Append the state to w. */
void		an_sequence_write(const an_sequence *q, an_writer *w);

/* Read a state written by an_sequence_write from untrusted bytes; 0 when
 * they are not one (n points taken in so far and the rest bound its
 * counters). */
int			an_sequence_read(an_sequence *q, an_reader *r, uint64_t n, int rest);

#endif
