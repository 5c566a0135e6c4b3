/*
 * numeric_cell.c - a numeric value to a double without text.
 *
 * PostgreSQL's numeric_float8_no_overflow prints the numeric as text and
 * reads it back with strtod, a correctly rounded conversion.  This reads
 * the numeric's digits where they are stored and, when Clinger's exact fast
 * path applies (decimal.h), computes the same correctly rounded double
 * directly; NaN, the infinities, values stored compressed or out of line,
 * and values with too many digits or too large a power of ten take the
 * text path, so every value gives the bits it always gave.
 *
 * The stored form read here is the one numeric.c describes and pg_upgrade
 * keeps unchanged across majors: after the varlena header, a 16-bit word
 * holding the flags and, in the short form (bit 15 set, bit 14 clear), the
 * sign (bit 13), the display scale (bits 7-12) and the weight (a 7-bit
 * two's complement field, bits 0-6); in the long form (bits 15 and 14
 * clear or bit 14 alone, the sign) the display scale is bits 0-13 and a
 * 16-bit weight follows; then the base-10000 digits, 16 bits each, most
 * significant first.  Both set is a special value (NaN, +-Infinity).
 */
#include "glue.h"

#include "utils/builtins.h"

#include "decimal.h"

#define NUMERIC_WORD_SHORT 0x8000
#define NUMERIC_WORD_NEGATIVE 0x4000
#define NUMERIC_WORD_FLAGS 0xC000
#define NUMERIC_SHORT_NEGATIVE 0x2000
#define NUMERIC_SHORT_DSCALE_SHIFT 7
#define NUMERIC_SHORT_DSCALE 0x3F
#define NUMERIC_SHORT_WEIGHT 0x7F
#define NUMERIC_SHORT_WEIGHT_SIGN 0x40
#define NUMERIC_LONG_DSCALE 0x3FFF

/* The digits of a plain numeric in place; false for a special value or a
 * damaged one. */
static bool
numeric_digits(const char *data, int len, const char **digits, int *ndigits, int *weight,
			   int *dscale, bool *negative)
{
	uint16		word;
	int			header;

	if (len < (int) sizeof(uint16))
		return false;
	memcpy(&word, data, sizeof word);
	if ((word & NUMERIC_WORD_FLAGS) == NUMERIC_WORD_FLAGS)
		return false;
	if (word & NUMERIC_WORD_SHORT)
	{
		int			w = word & NUMERIC_SHORT_WEIGHT;

		header = sizeof(uint16);
		*negative = (word & NUMERIC_SHORT_NEGATIVE) != 0;
		*dscale = (word >> NUMERIC_SHORT_DSCALE_SHIFT) & NUMERIC_SHORT_DSCALE;
		*weight = (w & NUMERIC_SHORT_WEIGHT_SIGN) ? w - (NUMERIC_SHORT_WEIGHT + 1) : w;
	}
	else
	{
		int16		w;

		header = sizeof(uint16) + sizeof(int16);
		if (len < header)
			return false;
		memcpy(&w, data + sizeof(uint16), sizeof w);
		*negative = (word & NUMERIC_WORD_NEGATIVE) != 0;
		*dscale = word & NUMERIC_LONG_DSCALE;
		*weight = w;
	}
	if ((len - header) % (int) sizeof(int16) != 0)
		return false;
	*digits = data + header;
	*ndigits = (len - header) / (int) sizeof(int16);
	return true;
}

/* The double numeric_float8_no_overflow gives for a numeric, bit for bit. */
double
an_numeric_to_double(Datum value)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	const char *digits;
	int			ndigits,
				weight,
				dscale;
	bool		negative;
	double		result;

	if (!VARATT_IS_EXTERNAL(v) && !VARATT_IS_COMPRESSED(v))
	{
		if (numeric_digits(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &digits, &ndigits, &weight,
						   &dscale, &negative) &&
			an_decimal_to_double(digits, ndigits, weight, dscale, negative, &result))
			return result;
	}
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value));
}
