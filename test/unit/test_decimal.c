/*
 * test_decimal.c - unit tests of decimal.h: base-10000 digits to a double
 * must give the same bits as PostgreSQL's numeric_float8_no_overflow, which
 * prints the numeric as text (integer part, then dscale decimals, cut) and
 * reads it back with strtod.
 */
#include "an_core.h"
#include "decimal.h"
#include "prng.h"

#include "harness.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_DIGITS 12

/* The text numeric's output function prints for these digits (get_str_from_var's form). */
static void
decimal_text(const uint16_t *digits, int ndigits, int weight, int dscale, bool negative,
			 char *buf)
{
	char	   *cp = buf;
	int			d;

	if (negative)
		*cp++ = '-';
	if (weight < 0)
		*cp++ = '0';
	else
	{
		bool		leading = true;

		for (d = 0; d <= weight; d++)
		{
			int			v = d < ndigits ? digits[d] : 0;
			char		four[8];

			snprintf(four, sizeof four, "%04d", v);
			for (int k = 0; k < 4; k++)
			{
				if (leading && four[k] == '0' && !(d == weight && k == 3))
					continue;
				leading = false;
				*cp++ = four[k];
			}
		}
	}
	if (dscale > 0)
	{
		char	   *end;

		*cp++ = '.';
		end = cp + dscale;
		for (d = weight + 1; cp < end; d++)
		{
			int			v = (d >= 0 && d < ndigits) ? digits[d] : 0;
			char		four[8];

			snprintf(four, sizeof four, "%04d", v);
			for (int k = 0; k < 4 && cp < end; k++)
				*cp++ = four[k];
		}
	}
	*cp = '\0';
}

/* The bits of a double. */
static uint64_t
bits_of(double v)
{
	uint64_t	b;

	memcpy(&b, &v, sizeof b);
	return b;
}

/* Check one decimal: when the fast path answers, it matches strtod bit for bit. */
static bool
check_one(const uint16_t *digits, int ndigits, int weight, int dscale, bool negative)
{
	char		text[2048];
	double		fast = 12345.0;
	double		slow;
	bool		answered;

	decimal_text(digits, ndigits, weight, dscale, negative, text);
	errno = 0;
	slow = strtod(text, NULL);
	answered = an_decimal_to_double(digits, ndigits, weight, dscale, negative, &fast);
	if (answered)
		CHECK(bits_of(fast) == bits_of(slow), "%s: fast %.17g (%016llx), strtod %.17g (%016llx)",
			  text, fast, (unsigned long long) bits_of(fast), slow,
			  (unsigned long long) bits_of(slow));
	else
		CHECK(fast == 12345.0, "%s: *out written without an answer", text);
	return answered;
}

/* Random digits, weights, scales and signs, as numeric(p, s) values hold them. */
static void
test_random(void)
{
	an_prng		r;
	long		answered = 0;
	const long	n = 2000000;

	an_prng_seed(&r, 20261206);
	for (long i = 0; i < n; i++)
	{
		uint16_t	digits[MAX_DIGITS];
		int			ndigits = (int) an_prng_below(&r, 7);
		int			weight = (int) an_prng_below(&r, 17) - 8;
		int			dscale = (int) an_prng_below(&r, 34);

		for (int d = 0; d < ndigits; d++)
			digits[d] = (uint16_t) an_prng_below(&r, 10000);
		/* numerics hold no leading or trailing zero digit, but take any */
		if (ndigits > 0 && an_prng_below(&r, 4) != 0 && digits[0] == 0)
			digits[0] = 1;
		answered += check_one(digits, ndigits, weight, dscale, an_prng_below(&r, 2) == 1);
	}
	/* the fast path must be the common case, not a rare one */
	CHECK(answered > n / 3, "fast path answered %ld of %ld", answered, n);
}

/* numeric(12,6)-like values: the fast path answers every one. */
static void
test_money_like(void)
{
	an_prng		r;

	an_prng_seed(&r, 7);
	for (int i = 0; i < 200000; i++)
	{
		uint64_t	v = an_prng_below(&r, UINT64_C(1000000000000));	/* 12 digits */
		uint16_t	digits[4];
		int			dscale = (int) an_prng_below(&r, 7);

		/* v / 10^8 . v % 10^8 as weight-1 digits with a 6-decimal scale */
		digits[0] = (uint16_t) (v / UINT64_C(10000000000) % 10000);
		digits[1] = (uint16_t) (v / 1000000 % 10000);
		digits[2] = (uint16_t) (v / 100 % 10000);
		digits[3] = (uint16_t) (v % 100 * 100);
		CHECK(check_one(digits, 4, 1, dscale, (i & 1) != 0), "money-like value %d left out", i);
	}
}

/* Zeros, signs, cut scales, the 2^53 and 10^22 edges, huge and tiny values. */
static void
test_edges(void)
{
	uint16_t	d[6] = {0};
	double		v = 0;

	/* zero: no digits, "0", "-0.000" (a negative zero prints its sign) */
	CHECK(check_one(d, 0, 0, 0, false), "0 left out");
	CHECK(an_decimal_to_double(d, 0, 0, 3, true, &v) && bits_of(v) == bits_of(-0.0), "-0.000");
	/* 0.00001 cut to 2 decimals is 0 */
	d[0] = 1000;
	CHECK(check_one(d, 1, -2, 2, false), "cut to zero left out");
	/* 1.5 cut to 0 decimals is 1 */
	d[0] = 1;
	d[1] = 5000;
	CHECK(check_one(d, 2, 0, 0, false) && an_decimal_to_double(d, 2, 0, 0, false, &v) && v == 1.0,
		  "1.5 at scale 0");
	/* 9007199254740992 = 2^53 and 2^53 + 1 (not exact: left out) */
	d[0] = 9007;
	d[1] = 1992;
	d[2] = 5474;
	d[3] = 992;
	CHECK(check_one(d, 4, 3, 0, false), "2^53 left out");
	d[3] = 993;
	CHECK(!check_one(d, 4, 3, 0, false), "2^53 + 1 answered");
	/* 10^22 and 10^-22 answered, 10^23 as 1 * 10^23 absorbed into the mantissa */
	d[0] = 100;
	CHECK(check_one(d, 1, 5, 0, false), "10^22 left out");
	d[0] = 1000;
	CHECK(check_one(d, 1, 5, 0, false), "10^23 left out");
	d[0] = 1;
	CHECK(!check_one(d, 1, -6, 24, false), "10^-24 answered");
	d[0] = 100;
	CHECK(check_one(d, 1, -6, 22, false), "10^-22 left out");
	/* huge and tiny: left to strtod, and consistent when answered */
	d[0] = 1234;
	check_one(d, 1, 100, 0, true);
	check_one(d, 1, -100, 400, false);
	check_one(d, 1, 77, 0, false);
	/* a digit that is not base 10000 is left out */
	d[0] = 10000;
	CHECK(!check_one(d, 1, 0, 0, false), "digit 10000 answered");
	/* many digits: left out rather than rounded twice */
	for (int i = 0; i < 6; i++)
		d[i] = 9999;
	CHECK(!check_one(d, 6, 0, 20, false), "24 digits answered");
}

int
main(void)
{
	run("random decimals", test_random);
	run("money-like decimals", test_money_like);
	run("edges", test_edges);
	return finish();
}
