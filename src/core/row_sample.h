/*
 * row_sample.h - a uniform sample of the rows of a matrix, drawn without
 * replacement: the smaller reference sample of auto's kNN member.
 */
#ifndef AN_ROW_SAMPLE_H
#define AN_ROW_SAMPLE_H

#include "an_core.h"

/*
 * A copy of m rows of X (n rows by d columns, row-major) drawn without
 * replacement, in the order drawn, with the generator seeded by seed; X
 * itself when m >= n.  *rows gets the number of rows.
 */
const double *an_sample_rows(an_ctx *ctx, const double *X, size_t n, size_t d,
						   size_t m, uint64_t seed, size_t *rows);

#endif
