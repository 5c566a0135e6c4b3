/*
 * readable.c - numbers as a person reads them (see readable.h).
 */
#include "readable.h"

#include <math.h>
#include <stdio.h>

#define PLAIN_LIMIT 1e15		/* integers below this print in full */

/* Write v to at most digits significant digits into buf; see readable.h. */
char *
an_readable_number(double v, int digits, char *buf, size_t size)
{
	double		magnitude = fabs(v);

	if (digits < 1)
		digits = 1;
	if (digits > 17)
		digits = 17;
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "Infinity" : "-Infinity");
	else if (magnitude == 0)
		snprintf(buf, size, "0");
	else if (magnitude < PLAIN_LIMIT && magnitude >= pow(10, digits - 1))
		snprintf(buf, size, "%.0f", v);	/* the integer part holds digits already */
	else
		snprintf(buf, size, "%.*g", digits, v); /* %g is plain from 1e-4 up to here */
	return buf;
}
