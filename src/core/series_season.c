/*
 * series_season.c - the season of a series, found from its autocorrelation.
 */
#include "series.h"

#include <math.h>

/*
 * The lag of the highest local peak of the sample autocorrelation function
 * (Box, Jenkins and Reinsel, "Time Series Analysis", ch. 2) among lags 2 ..
 * min(max_season, n / 2), taken when it is at least 0.3; otherwise 0.  The
 * series is first detrended by its least-squares line so that a trend's
 * slowly decaying autocorrelation is no peak; a peak must stand above both
 * neighbouring lags, and a multiple of the season whose peak is barely higher
 * (within 10 %) loses to the season itself.
 */
int
an_series_detect_season(const double *x, int n, int max_season)
{
	double		mt = (n - 1) / 2.0,
				mx = 0,
				sxt = 0,
				stt = 0,
				slope,
				denom = 0,
				prev2 = 1,
				prev = 1,
				best_acf = 0.3;
	int			max_lag = n / 2,
				best = 0;

	if (n < 8)
		return 0;
	if (max_lag > max_season + 1)
		max_lag = max_season + 1;
	for (int i = 0; i < n; i++)
		mx += x[i];
	mx /= n;
	for (int i = 0; i < n; i++)
	{
		sxt += (i - mt) * (x[i] - mx);
		stt += (i - mt) * (i - mt);
	}
	slope = sxt / stt;
	for (int i = 0; i < n; i++)
	{
		double		d = x[i] - mx - slope * (i - mt);

		denom += d * d;
	}
	if (!(denom > 0))
		return 0;
	for (int lag = 1; lag <= max_lag; lag++)
	{
		double		num = 0,
					acf;

		for (int i = 0; i + lag < n; i++)
			num += (x[i] - mx - slope * (i - mt)) *
				(x[i + lag] - mx - slope * (i + lag - mt));
		acf = num / denom;
		/* prev is the acf at lag - 1: a peak when it beats both neighbours */
		if (lag >= 3 && prev > prev2 && prev >= acf &&
			(best == 0 ? prev >= best_acf : prev > best_acf * 1.1))
		{
			best = lag - 1;
			best_acf = prev;
		}
		prev2 = prev;
		prev = acf;
	}
	return best;
}
