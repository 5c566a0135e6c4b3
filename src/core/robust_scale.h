/*
 * robust_scale.h - a column's median and a robust estimate of its standard
 * deviation that is never zero.
 *
 * The spread is 1.4826 * MAD, the median absolute deviation from the median
 * scaled to estimate a normal standard deviation (Iglewicz and Hoaglin,
 * "How to Detect and Handle Outliers", ASQC 1993: their modified z-score
 * 0.6745 (x - median) / MAD is (x - median) / (1.4826 MAD)).  When more than
 * half of the values are equal the MAD is zero; the spread is then 1.2533
 * times the mean absolute deviation from the median (1.2533 = sqrt(pi / 2)
 * makes it estimate a normal standard deviation; IBM SPSS uses the same
 * fallback for its modified z-score).  When that is zero too (a constant
 * column) the spread is AN_TINY_SPREAD times max(|median|, 1), so any other
 * value is far out but its z-score stays finite.
 */
#ifndef AN_ROBUST_SCALE_H
#define AN_ROBUST_SCALE_H

#include "order_stats.h"

#include <stddef.h>

#define AN_MAD_TO_SD 1.4826
#define AN_MEAN_AD_TO_SD 1.2533
#define AN_TINY_SPREAD 1e-9
#define AN_SPREAD_MIN 1e-300	/* below this a spread counts as zero */
#define AN_SPREAD_MAX 1e300		/* a larger (or infinite) spread is cut here */

/*
 * The median and robust spread (see above) of column j of the row-major
 * n x d matrix X; scratch holds n doubles.  The spread lies in
 * [AN_SPREAD_MIN, AN_SPREAD_MAX], so its reciprocal is finite and positive.
 */
void		an_robust_scale(const double *X, size_t n, size_t d, size_t j,
							double *scratch, double *median, double *spread);

#endif
