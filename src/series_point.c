/*
 * series_point.c - one point of a series detector as the columns of the
 * anomaly_ts_point type, shared by the window functions and stored models.
 */
#include "series_glue.h"

#include "utils/builtins.h"

#include <math.h>

/* Fill the AN_TS_POINT_COLUMNS columns of anomaly_ts_point from p: expected,
 * lower, upper, score, severity, is_anomaly, direction, learning, season.
 * Without a value seen yet the band is NULL; without a score (the value was
 * NULL, NaN or infinite) score, severity, is_anomaly and direction are. */
void
an_series_point_columns(const an_series_point *p, const an_series *detector, bool scored,
						Datum *values, bool *nulls)
{
	memset(nulls, 0, AN_TS_POINT_COLUMNS * sizeof(bool));
	values[0] = Float8GetDatum(p->expected);
	values[1] = Float8GetDatum(p->lower);
	values[2] = Float8GetDatum(p->upper);
	values[3] = Float8GetDatum(p->score);
	values[4] = Int32GetDatum((int32) lround(100 * p->score));
	values[5] = BoolGetDatum(p->is_anomaly != 0);
	values[6] = CStringGetTextDatum(p->direction > 0 ? "up" : (p->direction < 0 ? "down" : "none"));
	values[7] = BoolGetDatum(p->learning != 0);
	values[8] = Int32GetDatum(an_series_season(detector));
	if (an_series_count(detector) == 0)
		nulls[0] = nulls[1] = nulls[2] = true;
	if (!scored)
		nulls[3] = nulls[4] = nulls[5] = nulls[6] = true;
}
