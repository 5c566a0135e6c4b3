/*
 * decimal.h - a decimal number held as base-10000 digits (the form of
 * PostgreSQL's numeric) to the nearest double, without text, when that can
 * be done exactly; the caller falls back to a correctly rounded strtod
 * otherwise, so both ways give the same bits.
 */
#ifndef AN_DECIMAL_H
#define AN_DECIMAL_H

#include <stdbool.h>

/*
 * The double nearest to (negative ? -1 : 1) * sum(digit[i] * 10000^(weight - i)),
 * cut (not rounded) after dscale decimal places, into *out; digits holds
 * ndigits native-endian 16-bit digits (0..9999), maybe unaligned.  Returns
 * false, leaving *out alone, when the exact fast path does not apply.
 */
bool		an_decimal_to_double(const void *digits, int ndigits, int weight, int dscale,
								 bool negative, double *out);

#endif
