/*
 * series_context.h - the contextual anomaly detector behind the series
 * method "context" (series_context.c): values become sets of facts, and the
 * score says how far the current facts were not foreseen by the contexts
 * learnt so far.  Only series.c, series_bytes.c and series_sequence.c
 * (for the level width) include it.
 */
#ifndef AN_SERIES_CONTEXT_H
#define AN_SERIES_CONTEXT_H

#include "an_core.h"
#include "bytes.h"

#define AN_CONTEXT_MAX 65536	/* contexts kept; none is made beyond */
#define AN_CONTEXT_RANGE_MAX 4096	/* learning values the range is taken from */

typedef struct an_context an_context;

/* A new detector that takes the value range from the first `learning`
 * values (at most AN_CONTEXT_RANGE_MAX) and rests learning / 5 points after
 * a high score. */
an_context *an_context_create(an_ctx *ctx, int learning);

/* The width of one level over a given range [lo, hi] (CAD OSE's): 0 when
 * the range has no room for the levels (lo >= hi, or too narrow for a
 * double). */
double		an_context_level_step(double lo, double hi);

/* Fix the value range to [lo, hi] (an_context_level_step(lo, hi) > 0)
 * instead of learning it; only before the first value. */
void		an_context_fix_range(an_context *c, double lo, double hi);

/* Whether c quantizes over the range [lo, hi]. */
int			an_context_range_is(const an_context *c, double lo, double hi);

/* Take one finite value; returns its score in [0, 1] (0 while the range is
 * still being learnt and during a rest). */
double		an_context_update(an_context *c, double value);

/* Append the detector's state to w. */
void		an_context_write(const an_context *c, an_writer *w);

/* Read a state written by an_context_write from untrusted bytes; NULL with
 * an AN_ERR_CORRUPT message in ctx when they are not one. */
an_context *an_context_read(an_ctx *ctx, an_reader *r, int learning);

/* A deep copy of c allocated through ctx (learning as c was made with). */
an_context *an_context_copy(const an_context *c, an_ctx *ctx, int learning);

#endif
