/*
 * series.h - sequential detectors for time-ordered data.
 *
 * A series detector is state that moves forward: it is made from options,
 * then fed one value at a time in time order; each update returns what was
 * expected for that value, a band around it, and a score in [0, 1] that uses
 * only the value and the values before it (causal, so a backfill and a live
 * feed give the same scores).  The state is written to and read from bytes
 * with a magic, a format version, its length and a CRC32C, so a stored series
 * model is checked like every model.
 */
#ifndef AN_SERIES_H
#define AN_SERIES_H

#include "an_core.h"
#include "bytes.h"

#define AN_SERIES_MAX_SEASON 1000	/* longest season, in points */
#define AN_SERIES_MAX_LEARNING 100000000

typedef enum an_series_method
{
	AN_SERIES_AUTO = 0,			/* seasonal baseline + likelihood + novelty */
	AN_SERIES_BAND,				/* seasonal baseline's deviation bands only */
	AN_SERIES_MAD,				/* rolling median and MAD of a window */
	AN_SERIES_CONTEXT			/* contextual anomaly detector (CAD OSE) */
} an_series_method;

typedef struct an_series_options
{
	an_series_method method;
	int			season;			/* points; 0 = detect at the end of learning, -1 = none */
	int			learning;		/* points before scores count (score 0 until then) */
	double		sensitivity;	/* (0, 1): higher flags more */
	double		band;			/* half width of lower..upper, in robust sds */
	int			suppress_k;		/* flag when k of the last n points breach */
	int			suppress_n;
	double		margin;			/* never flag within this distance of expected */
	int			window;			/* points of the mad method's window */
	int			has_range;		/* auto, context: the value range is given, not learnt */
	double		range_lo;		/* the given range, range_lo < range_hi */
	double		range_hi;
} an_series_options;

/* One point's result. */
typedef struct an_series_point
{
	double		expected;
	double		lower;
	double		upper;
	double		score;			/* [0, 1] */
	int			is_anomaly;
	int			direction;		/* +1 above expected, -1 below, 0 on it */
	int			learning;		/* still in the learning period */
} an_series_point;

typedef struct an_series an_series;

/* The defaults: auto, season detected, 100 points of learning. */
void		an_series_default_options(an_series_options *opt);

/* Check options; a bad one fails with AN_ERR_PARAM and a hint. */
an_status	an_series_check_options(an_ctx *ctx, const an_series_options *opt);

/* A new detector in its initial state. */
an_status	an_series_create(an_ctx *ctx, const an_series_options *opt, an_series **out);

/*
 * Advance by one finite value and describe it.  A value that is not finite
 * (NaN, +-Infinity) does not move the state: out gets the current expectation
 * and band, score 0 and is_anomaly 0.
 */
void		an_series_update(an_series *s, double value, an_series_point *out);

/*
 * Advance over missing points (a gap in time): each is taken as the value
 * the baseline expected for it, unscored, so that the season's phase holds.
 * At most AN_SERIES_HISTORY are filled; nothing happens before a first value.
 */
void		an_series_fill(an_series *s, int missing);

/* A copy of s allocated through ctx, which the copy then uses; it continues
 * bit for bit as s would (a savepoint of a state kept in memory). */
an_series  *an_series_copy(const an_series *s, an_ctx *ctx);

/* Points the state has taken in. */
uint64_t	an_series_count(const an_series *s);

/* Season in use (0 when none). */
int			an_series_season(const an_series *s);

/* The state as bytes (header with magic, format, length and CRC32C). */
an_status	an_series_write(const an_series *s, an_ctx *ctx, unsigned char **bytes, size_t *len);

/* Whether len bytes start like a series state (the magic only). */
int			an_series_is(const void *bytes, size_t len);

/* Read and validate len untrusted bytes written by an_series_write. */
an_status	an_series_read(an_ctx *ctx, const void *bytes, size_t len, an_series **out);

/* Season of x[0..n): the lag of the highest autocorrelation peak above 0.3 with
 * at least two full periods in x, or 0 (series_season.c). */
int			an_series_detect_season(const double *x, int n, int max_season);

#endif
