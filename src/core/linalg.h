/*
 * linalg.h - the dense linear algebra the covariance-based detectors need:
 * a Cholesky factorisation and the inverse of its factor, on symmetric and
 * lower triangular d x d matrices stored packed by rows (element (i, j),
 * j <= i, at index i * (i + 1) / 2 + j).
 */
#ifndef AN_LINALG_H
#define AN_LINALG_H

#include <stddef.h>

/* Index of element (i, j), j <= i, of a packed lower triangle. */
static inline size_t
an_packed_index(size_t i, size_t j)
{
	return i * (i + 1) / 2 + j;
}

/*
 * Factor the packed symmetric matrix a = L L' in place into its lower factor
 * L and store 1 / L[i][i] in inv_diag.  Returns 0, or -1 (a left partly
 * overwritten) when a pivot is not above min_pivot times the mean diagonal,
 * i.e. the matrix is not numerically positive definite.
 */
int			an_cholesky(double *a, size_t d, double min_pivot, double *inv_diag);

/*
 * The same for a positive semidefinite matrix: a pivot not above min_pivot
 * times the mean diagonal is a direction of zero variance, whose column of L
 * and inv_diag entry are set to 0.  The forward solve then gives 0 there, so
 * its squared norm is z' G z for a generalised inverse G of a, blind to those
 * directions.  Returns the rank (the pivots kept).
 */
size_t		an_cholesky_semidefinite(double *a, size_t d, double min_pivot,
									 double *inv_diag);

/* log det(L L') of a factor given by its reciprocal diagonal. */
double		an_cholesky_logdet(const double *inv_diag, size_t d);

/*
 * The inverse W of a packed lower factor L with reciprocal diagonal
 * inv_diag, into out (packed, lower).  A zero inv_diag entry (a null
 * direction of an_cholesky_semidefinite) gives a zero row of W.
 */
void		an_triangular_inverse(const double *L, const double *inv_diag,
								  size_t d, double *out);

/*
 * |W z|^2 for a packed lower triangular W; with W = L^-1 this is
 * z' (L L')^-1 z.  Each component of W z is an independent dot product,
 * which is why the detectors keep W rather than solving with L.
 */
double		an_packed_apply_sq(const double *W, const double *z, size_t d);

/*
 * With P = W' W for a packed lower triangular W: P z into pz and the
 * diagonal of P into diag (both d doubles, overwritten).  With W = L^-1,
 * P is the inverse of L L'.
 */
void		an_packed_gram_apply(const double *W, const double *z, size_t d,
								 double *pz, double *diag);

#endif
