/*
 * prng.h - a small, portable pseudo-random generator (SplitMix64).
 *
 * The same seed gives the same sequence on every platform; we never use the
 * C library's rand() or PostgreSQL's random().  SplitMix64 is from Steele,
 * Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014.
 */
#ifndef AN_PRNG_H
#define AN_PRNG_H

#include <stdint.h>

typedef struct an_prng
{
	uint64_t	state;
} an_prng;

/* Seed the generator. */
static inline void
an_prng_seed(an_prng *r, uint64_t seed)
{
	r->state = seed;
}

/* Next 64 random bits. */
static inline uint64_t
an_prng_next(an_prng *r)
{
	uint64_t	z = (r->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform double in [0, 1). */
static inline double
an_prng_uniform(an_prng *r)
{
	return (double) (an_prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n); n must be positive. */
static inline uint64_t
an_prng_below(an_prng *r, uint64_t n)
{
	return an_prng_next(r) % n;
}

/* Standard normal deviate (Box-Muller). */
double		an_prng_normal(an_prng *r);

#endif
