/*
 * series_glue.h - what the series glue files share: options from jsonb.
 */
#ifndef ANOMALY_SERIES_GLUE_H
#define ANOMALY_SERIES_GLUE_H

#include "glue.h"
#include "series.h"

/* series_options.c: the options of a series detector from a jsonb object
 * (NULL gives the defaults); a bad key or value raises an error. */
void		an_series_options_parse(Jsonb *options, an_series_options *opt);

#endif
