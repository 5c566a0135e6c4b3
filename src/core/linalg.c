/*
 * linalg.c - packed Cholesky factorisation and triangular inverse
 * (see linalg.h).  The Cholesky-Banachiewicz order (row by row) is the one
 * in Golub and Van Loan, "Matrix Computations", section 4.2.
 */
#include "linalg.h"

#include <math.h>

/* Factor packed a = L L' in place; a pivot not above the floor fails (-1)
 * or, when skip is set, becomes a zero column.  Returns the rank otherwise. */
static long
cholesky(double *a, size_t d, double min_pivot, int skip, double *inv_diag)
{
	double		mean_diag = 0;
	double		floor_pivot;
	long		rank = 0;

	for (size_t i = 0; i < d; i++)
		mean_diag += a[an_packed_index(i, i)] / (double) d;
	floor_pivot = min_pivot * mean_diag;
	if (!(mean_diag >= 0) || !isfinite(mean_diag))
		return -1;
	for (size_t i = 0; i < d; i++)
	{
		double	   *row_i = a + an_packed_index(i, 0);

		for (size_t j = 0; j <= i; j++)
		{
			const double *row_j = a + an_packed_index(j, 0);
			double		s = row_i[j];

			for (size_t k = 0; k < j; k++)
				s -= row_i[k] * row_j[k];
			if (j < i)
				row_i[j] = s * inv_diag[j];
			else if (s > floor_pivot && s > 0 && isfinite(s))
			{
				row_i[i] = sqrt(s);
				inv_diag[i] = 1.0 / row_i[i];
				rank++;
			}
			else if (skip)
				row_i[i] = inv_diag[i] = 0;
			else
				return -1;
		}
	}
	return rank;
}

/* Factor packed symmetric a = L L' in place; -1 if not positive definite. */
int
an_cholesky(double *a, size_t d, double min_pivot, double *inv_diag)
{
	return cholesky(a, d, min_pivot, 0, inv_diag) < 0 ? -1 : 0;
}

/* Factor packed positive semidefinite a, zeroing null directions; the rank. */
size_t
an_cholesky_semidefinite(double *a, size_t d, double min_pivot,
						 double *inv_diag)
{
	long		rank = cholesky(a, d, min_pivot, 1, inv_diag);

	return rank < 0 ? 0 : (size_t) rank;
}

/* log det(L L') = -2 sum log(1 / L[i][i]). */
double
an_cholesky_logdet(const double *inv_diag, size_t d)
{
	double		s = 0;

	for (size_t i = 0; i < d; i++)
		s -= 2.0 * log(inv_diag[i]);
	return s;
}

/* W = L^-1 by forward substitution on the columns of the identity. */
void
an_triangular_inverse(const double *L, const double *inv_diag, size_t d,
					  double *out)
{
	for (size_t i = 0; i < d; i++)
	{
		const double *row_l = L + an_packed_index(i, 0);
		double	   *row_w = out + an_packed_index(i, 0);

		/* row i of L W = e_i: sum_k L[i][k] W[k][j] = delta_ij */
		for (size_t j = 0; j < i; j++)
		{
			double		s = 0;

			for (size_t k = j; k < i; k++)
				s += row_l[k] * out[an_packed_index(k, j)];
			row_w[j] = -s * inv_diag[i];
		}
		row_w[i] = inv_diag[i];
	}
}

/* |W z|^2 for packed lower triangular W. */
double
an_packed_apply_sq(const double *W, const double *z, size_t d)
{
	double		sq = 0;

	for (size_t i = 0; i < d; i++)
	{
		const double *row = W + an_packed_index(i, 0);
		double		s = 0;

		for (size_t k = 0; k <= i; k++)
			s += row[k] * z[k];
		sq += s * s;
	}
	return sq;
}

/* W' W z and the diagonal of W' W, row by row of W: (W z)_i spreads over row i. */
void
an_packed_gram_apply(const double *W, const double *z, size_t d, double *pz,
					 double *diag)
{
	for (size_t j = 0; j < d; j++)
		pz[j] = diag[j] = 0;
	for (size_t i = 0; i < d; i++)
	{
		const double *row = W + an_packed_index(i, 0);
		double		s = 0;

		for (size_t k = 0; k <= i; k++)
			s += row[k] * z[k];
		for (size_t k = 0; k <= i; k++)
		{
			pz[k] += row[k] * s;
			diag[k] += row[k] * row[k];
		}
	}
}
