/*
 * series_impl.h - the series detector's state, shared by its update
 * (series.c) and its bytes (series_bytes.c); nothing else includes it.
 */
#ifndef AN_SERIES_IMPL_H
#define AN_SERIES_IMPL_H

#include "series.h"
#include "series_context.h"
#include "series_sequence.h"

#define AN_SERIES_HISTORY 2048	/* values kept: 3 seasons of the longest */
#define AN_SERIES_ERRORS 1024	/* span of the likelihood's weighted moments */
#define AN_SERIES_SHORT 10		/* raw errors averaged for the likelihood */

struct an_series
{
	an_ctx	   *ctx;
	an_series_options opt;
	int			season;			/* in use; 0 none */
	uint64_t	n;				/* finite values taken in */
	double		level;			/* EWMA of the values */
	double		scale;			/* EWMA of the absolute error */
	double		min_seen;
	double		max_seen;
	uint64_t	breaches;		/* bit i: the point i steps back breached */
	double		peak;			/* highest score of the quiet period */
	uint64_t	quiet_until;	/* end of the quiet period */
	double		error_mean;		/* weighted mean of the averaged raw errors */
	double		error_meansq;	/* and of their squares */
	double		history[AN_SERIES_HISTORY]; /* ring: value n-1 at (n-1) % H */
	uint64_t	n_errors;		/* averaged raw errors taken in */
	double		recent[AN_SERIES_SHORT];	/* ring of the last raw errors */
	uint64_t	n_recent;
	an_context *context;		/* the context method's detector, else NULL */
	an_sequence seq;			/* auto's sequence part (series_sequence.c) */
};

#endif
