/*
 * readable.h - numbers as a person reads them: integers in full, other
 * numbers to a few significant digits, no exponent where a plain form is
 * short, and the words PostgreSQL uses for NaN and the infinities.
 */
#ifndef AN_READABLE_H
#define AN_READABLE_H

#include <stddef.h>

/* Room for any number an_readable_number writes, with its NUL. */
#define AN_READABLE_MAX 32

/*
 * Write v into buf (size bytes, at least AN_READABLE_MAX) to at most digits
 * significant digits (1-17), except that an integer part is never cut: a
 * magnitude from 10^(digits-1) up to 10^15 prints as a rounded integer, and
 * exponents appear only below 10^-4 and from 10^15 on.  Returns buf.
 */
char	   *an_readable_number(double v, int digits, char *buf, size_t size);

#endif
