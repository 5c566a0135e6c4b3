/*
 * monitor_glue.h - what the monitoring trigger shares with the series
 * monitor (series_monitor.c): its options, row keys, events and batch rows,
 * rejecting and tagging a row.
 */
#ifndef ANOMALY_MONITOR_GLUE_H
#define ANOMALY_MONITOR_GLUE_H

#include "postgres.h"

#include "access/htup.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "nodes/bitmapset.h"
#include "utils/tuplestore.h"

typedef enum an_monitor_log
{
	AN_LOG_NONE,
	AN_LOG_ANOMALIES,
	AN_LOG_ALL
} an_monitor_log;

/* The trigger's arguments: the model name (or id), then options. */
typedef struct an_monitor_options
{
	const char *model;
	an_monitor_log log;
	bool		reject;
	int			score_att;		/* attribute index to tag with the score, or -1 */
	int			flag_att;		/* attribute index to tag with the flag, or -1 */
} an_monitor_options;

/* Events to insert into anomaly_events, gathered row by row. */
typedef struct an_monitor_events
{
	int			n;
	int			cap;
	Datum	   *keys;
	Datum	   *scores;
	Datum	   *severities;
	Datum	   *flags;
	Datum	   *reasons;
	bool	   *reason_nulls;
	Datum	   *segments;
} an_monitor_events;

/* One anomaly_batches row. */
typedef struct an_monitor_batch
{
	int64		rows;
	int64		anomalies;
	double		min_score;
	double		sum_score;
	double		max_score;
	const char *out_of_range;	/* a JSON object */
	const char *segment;		/* or NULL */
} an_monitor_batch;

void		an_monitor_parse_options(TriggerData *trig, an_monitor_options *o);
char	   *an_monitor_key(TriggerData *trig, Bitmapset *key_atts, TupleTableSlot *slot,
						   ItemPointer ctid, int64 row_no);
void		an_monitor_event_add(an_monitor_events *ev, const char *key, double score,
								 double severity, bool flag, const char *reason,
								 const char *segment);
void		an_monitor_events_insert(const an_monitor_events *ev, int64 model_id,
									 const char *model_name, int32 model_version,
									 const char *relation, bool with_segment);
void		an_monitor_batch_insert(const an_monitor_batch *b, int64 model_id,
									const char *model_name, int32 model_version,
									const char *relation, bool with_segment);
void		an_monitor_reject(TriggerData *trig, const char *relation, const char *model,
							  const char *key, const char *detail);
Tuplestorestate *an_monitor_new_rows(TriggerData *trig, const char *relation);
HeapTuple	an_monitor_tag(TriggerData *trig, const an_monitor_options *o, HeapTuple tuple,
						   bool scored, double score, bool flag);

/* series_monitor.c: anomaly_monitor on a series model; the trigger's result. */
struct an_ts_model;
HeapTuple	an_series_monitor(TriggerData *trig, const an_monitor_options *o,
							  const struct an_ts_model *m);

#endif
