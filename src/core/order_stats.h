/*
 * order_stats.h - sorting order, quantiles, selection and medians of
 * arrays of doubles, shared by the model's calibration and the detectors.
 */
#ifndef AN_ORDER_STATS_H
#define AN_ORDER_STATS_H

#include <stddef.h>
#include <stdint.h>

/* qsort comparator for doubles, ascending. */
int			an_cmp_double(const void *a, const void *b);

/*
 * Whether v[0..n) holds a NaN or a negative zero, values that
 * an_cmp_double does not order by their bits alone (NaN compares equal to
 * everything, -0 equal to +0).
 */
int			an_has_unordered(const double *v, size_t n);

/*
 * Sort v[0..n) ascending into exactly the order qsort with an_cmp_double
 * gives; scratch holds 2n uint64_t.  Without NaN and negative zero the
 * sorted array is unique and a radix sort finds it; otherwise qsort does.
 */
void		an_sort_doubles(double *v, size_t n, uint64_t *scratch);

/*
 * The q-quantile of sorted v[0..n) (n positive), linearly interpolated
 * (numpy's default); finite even where the gap between neighbours is not.
 */
double		an_sorted_quantile(const double *v, size_t n, double q);

/* The k-th smallest (0-based) of v[0..n); reorders v.  n must be positive. */
double		an_select_kth(double *v, size_t n, size_t k);

/* The median of v[0..n) (the mean of the two middle values for even n);
 * reorders v.  n must be positive. */
double		an_median(double *v, size_t n);

#endif
