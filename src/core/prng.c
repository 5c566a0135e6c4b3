/*
 * prng.c - deviates built on the SplitMix64 generator.
 */
#include "prng.h"

#include <math.h>

/* Standard normal deviate by the Box-Muller transform (Box and Muller 1958). */
double
an_prng_normal(an_prng *r)
{
	double		u1 = 1.0 - an_prng_uniform(r);	/* (0, 1] */
	double		u2 = an_prng_uniform(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
