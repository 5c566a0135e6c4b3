/*
 * series_glue.h - what the series glue files share: options from jsonb and
 * a point as columns.
 */
#ifndef ANOMALY_SERIES_GLUE_H
#define ANOMALY_SERIES_GLUE_H

#include "glue.h"
#include "series.h"

#include "utils/hsearch.h"
#include "utils/timestamp.h"

/* series_options.c: the options of a series detector from a jsonb object
 * (NULL gives the defaults); a bad key or value raises an error. */
void		an_series_options_parse(Jsonb *options, an_series_options *opt);

/* series_options.c: with timestamps (the window functions that take them),
 * the gap rule too: "gap" ("step" or "fill") and "interval" (a step of the
 * series; 0: learnt from the learning period). */
typedef struct an_ts_gap_options
{
	bool		fill;
	int64		interval_us;
} an_ts_gap_options;
void		an_series_options_parse_timed(Jsonb *options, an_series_options *opt,
										  an_ts_gap_options *gap);

/* series_clock.c: intervals in microseconds (a month is 30 days, a year
 * 365.25, as extract(epoch ...) counts), and the points a gap of dt missed
 * with a step of step_us: round(dt / step) - 1, at most AN_TS_FILL_MAX. */
#define AN_TS_FILL_MAX 2048
int64		an_ts_interval_us(const Interval *iv);
int			an_ts_missing_steps(int64 dt, int64 step_us);

/* Where a timed series stands: its last point's time and the fill rule's
 * step.  A time at or before the last is late; an_ts_clock_advance moves
 * the clock to a time that is not, first feeding the detector the points
 * the gap missed when the rule fills and the step is known. */
typedef struct an_ts_clock
{
	bool		has_last;		/* last_ts is set */
	TimestampTz last_ts;
	int64		step_us;		/* the series' interval for the fill rule; 0 none */
} an_ts_clock;
bool		an_ts_clock_late(const an_ts_clock *clock, TimestampTz ts);
void		an_ts_clock_advance(an_ts_clock *clock, TimestampTz ts, bool fill,
								an_series *detector);

/* series_point.c: a point as the columns of anomaly_ts_point. */
#define AN_TS_POINT_COLUMNS 9
void		an_series_point_columns(const an_series_point *p, const an_series *detector,
									bool scored, Datum *values, bool *nulls);

/*
 * series_pending.c: the series states this transaction has locked, kept
 * decoded in backend memory and written back to anomaly_ts_state once, at
 * commit (or PREPARE TRANSACTION); a rolled-back subtransaction's steps are
 * undone and the states it locked first are forgotten.
 */
typedef struct an_ts_pending_key
{
	int64		model_id;
	const char *series;
} an_ts_pending_key;

typedef struct an_ts_pending_saved an_ts_pending_saved;

/* The memory of one series' detector: a context of its own, so that the
 * detector can be kept past its transaction (series_cache.c). */
typedef struct an_ts_mem
{
	MemoryContext cxt;			/* holds the detector, its copies and this struct */
	an_ctx		ctx;			/* the core's allocator over cxt */
} an_ts_mem;

typedef struct an_ts_pending
{
	an_ts_pending_key key;		/* hash key: model id and series */
	Oid			user;			/* who locked the row: the state is written as them */
	an_series  *detector;		/* allocated through mem */
	an_ts_mem  *mem;
	TransactionId row_xmin;		/* the row version the detector was read from */
	int64		row_points;		/* (or written as) */
	an_ts_clock clock;			/* the last point's time and the fill step */
	int64		added;			/* points taken since the row was read or written */
	/* private to series_pending.c */
	int			locked_level;	/* subtransaction level that locked the row */
	bool		dirty;			/* moved since the row was read */
	an_ts_pending_saved *saved; /* states before a deeper level moved it */
} an_ts_pending;

HTAB	   *an_ts_key_table(const char *name, long size, Size entrysize, MemoryContext cxt);
void		an_ts_pending_reserve(void);
an_ts_pending *an_ts_pending_find(int64 model_id, const char *series);
an_ts_pending *an_ts_pending_lock(int64 model_id, const char *series, TransactionId xmin,
								  int64 points, bytea *state);
void		an_ts_pending_touch(an_ts_pending *e);

/*
 * series_cache.c: the decoded states this backend committed, kept across
 * transactions with the row version (xmin, points) each equals; a
 * transaction that locks that version takes the state instead of reading
 * its bytes.
 */
an_series  *an_ts_cache_take(int64 model_id, const char *series, TransactionId xmin,
							 int64 points, MemoryContext parent, an_ts_mem **mem);
void		an_ts_cache_put(int64 model_id, const char *series, TransactionId xmin,
							int64 points, an_series *detector, an_ts_mem *mem);

/*
 * series_update.c: a stored series model (its newest version) as one role
 * sees it, cached per backend until anomaly_models changes, and one point
 * fed to one of its series (anomaly_ts_update and the series monitor).
 */
typedef struct an_ts_model
{
	struct an_ts_model *next;
	Oid			user;
	char	   *name;			/* what it was looked up by */
	bool		exists;			/* false: no series model answers to name */
	bool		pinned;			/* name is the id of a version, not a name */
	char	   *model_name;
	int64		id;
	int32		version;
	bool		fill;			/* the gap rule is "fill" */
	bytea	   *fresh;			/* the state a new series starts from */
	char	   *ts_column;		/* the columns it was trained on */
	char	   *value_column;
	int			n_series_columns;
	char	  **series_columns;
} an_ts_model;

an_ts_model *an_ts_model_find(const char *name);
an_ts_model *an_ts_model_copy(const an_ts_model *m);
bool		an_ts_model_step(const an_ts_model *m, const char *series, TimestampTz ts,
							 double value, an_series_point *p, const an_series **detector);

#endif
