/*
 * decimal.c - base-10000 decimal digits to the nearest double.
 *
 * The exact fast path of decimal-to-binary conversion (W. D. Clinger, "How
 * to Read Floating Point Numbers Accurately", PLDI 1990): when the decimal
 * is m * 10^e with an integer m <= 2^53 and |e| <= 22, both m and 10^|e|
 * are exact doubles, so one IEEE multiplication or division, correctly
 * rounded to nearest, gives the double nearest to the decimal: the same
 * bits as any correctly rounded strtod of its text.  Anything else is left
 * to the caller.
 */
#include "decimal.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

#define MANTISSA_LIMIT (UINT64_C(1) << 53)
#define MAX_EXACT_POW10 22

/* 10^0 .. 10^22, each an exact double */
static const double pow10_exact[MAX_EXACT_POW10 + 1] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static const uint32_t pow10_small[5] = {1, 10, 100, 1000, 10000};

/* Digit i of a native-endian, maybe unaligned, array of 16-bit digits. */
static unsigned
digit_at(const void *digits, int i)
{
	uint16_t	d;

	memcpy(&d, (const unsigned char *) digits + 2 * (size_t) i, sizeof d);
	return d;
}

/* The decimal as an integer mantissa and a power of ten; false when the
 * mantissa would pass 10^19 or a digit is not a base-10000 digit. */
static bool
decimal_mantissa(const void *digits, int ndigits, int weight, int dscale,
				 uint64_t *mantissa, int *exponent)
{
	uint64_t	m = 0;
	int			e = 0;
	int			i;

	for (i = 0; i < ndigits; i++)
	{
		int			w = weight - i;
		int			keep = w >= 0 ? 4 : dscale - 4 * (-w - 1);
		unsigned	d = digit_at(digits, i);

		if (d > 9999)
			return false;
		if (keep <= 0)
			break;
		if (keep > 4)
			keep = 4;
		if (m >= UINT64_C(1000000000000000))
			return false;
		m = m * pow10_small[keep] + d / pow10_small[4 - keep];
		e = 4 * w + (4 - keep);
	}
	while (m != 0 && m % 10 == 0)
	{
		m /= 10;
		e++;
	}
	*mantissa = m;
	*exponent = e;
	return true;
}

/* The exact fast path, when the mantissa and the power of ten allow it. */
bool
an_decimal_to_double(const void *digits, int ndigits, int weight, int dscale,
					 bool negative, double *out)
{
	uint64_t	m;
	int			e;
	double		v;

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
	/* wider intermediate precision would round twice */
	return false;
#endif
	if (!decimal_mantissa(digits, ndigits, weight, dscale, &m, &e))
		return false;
	if (m == 0)
	{
		*out = negative ? -0.0 : 0.0;
		return true;
	}
	/* a larger power of ten whose excess the mantissa absorbs exactly */
	while (e > MAX_EXACT_POW10 && m <= MANTISSA_LIMIT / 10)
	{
		m *= 10;
		e--;
	}
	if (m > MANTISSA_LIMIT || e > MAX_EXACT_POW10 || e < -MAX_EXACT_POW10)
		return false;
	v = e >= 0 ? (double) m * pow10_exact[e] : (double) m / pow10_exact[-e];
	*out = negative ? -v : v;
	return true;
}
