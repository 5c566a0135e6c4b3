/*
 * path_length.h - the expected path length of isolation trees, shared by
 * iforest and fcforest.
 */
#ifndef AN_PATH_LENGTH_H
#define AN_PATH_LENGTH_H

#include <math.h>
#include <stdint.h>

/*
 * Average path length of an unsuccessful BST search among n items, c(n)
 * (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008, equation 1).
 */
static inline double
an_average_path_length(double n)
{
	if (n <= 1)
		return 0.0;
	if (n <= 2)
		return 1.0;
	return 2.0 * (log(n - 1.0) + 0.5772156649015329) - 2.0 * (n - 1.0) / n;
}

/*
 * The isolation score 2^(-E[h(x)] / c(psi)) of paths summing to total over
 * n_trees trees (the same paper, equation 2); 0.5 when c(psi) is 0 (a
 * subsample of one row says nothing).
 */
static inline double
an_isolation_score(double total, uint32_t n_trees, double c_psi)
{
	if (c_psi <= 0)
		return 0.5;
	return exp2(-(total / n_trees) / c_psi);
}

#endif
