/*
 * series_glue.h - what the series glue files share: options from jsonb and
 * a point as columns.
 */
#ifndef ANOMALY_SERIES_GLUE_H
#define ANOMALY_SERIES_GLUE_H

#include "glue.h"
#include "series.h"

/* series_options.c: the options of a series detector from a jsonb object
 * (NULL gives the defaults); a bad key or value raises an error. */
void		an_series_options_parse(Jsonb *options, an_series_options *opt);

/* series_point.c: a point as the columns of anomaly_ts_point. */
#define AN_TS_POINT_COLUMNS 9
void		an_series_point_columns(const an_series_point *p, const an_series *detector,
									bool scored, Datum *values, bool *nulls);

#endif
