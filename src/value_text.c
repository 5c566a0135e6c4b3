/*
 * value_text.c - a feature's value as a person reads it: floating-point
 * numbers and numeric without a declared scale to six significant digits,
 * numeric(p, s) to its own scale, dates and timestamps in ISO 8601 form
 * whatever DateStyle says (timestamptz in the session's time zone), and
 * integers, booleans and categories as their type prints them.
 */
#include "glue.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"

#include "readable.h"

/* A value in a reason or an explanation has this many significant digits at most. */
#define VALUE_DIGITS 6

/* A finite date, timestamp or timestamptz in ISO 8601 form; NULL for others. */
static char *
iso_time_text(Datum value, Oid typid)
{
	char		buf[MAXDATELEN + 1];
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	const char *tzn;

	if (typid == DATEOID)
	{
		DateADT		d = DatumGetDateADT(value);

		if (DATE_NOT_FINITE(d))
			return NULL;
		j2date(d + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		EncodeDateOnly(&tm, USE_ISO_DATES, buf);
		return pstrdup(buf);
	}
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestamp(value)))
		return NULL;
	if (typid == TIMESTAMPTZOID &&
		timestamp2tm(DatumGetTimestampTz(value), &tz, &tm, &fsec, &tzn, NULL) == 0)
		EncodeDateTime(&tm, fsec, true, tz, tzn, USE_ISO_DATES, buf);
	else if (typid == TIMESTAMPOID &&
			 timestamp2tm(DatumGetTimestamp(value), NULL, &tm, &fsec, NULL, NULL) == 0)
		EncodeDateTime(&tm, fsec, false, 0, NULL, USE_ISO_DATES, buf);
	else
		return NULL;
	return pstrdup(buf);
}

/* value (of type typid and typmod) as readable text, in the current context. */
char *
an_value_text(Datum value, Oid typid, int32 typmod)
{
	char		buf[AN_READABLE_MAX];
	Oid			out;
	bool		varlena;

	switch (typid)
	{
		case FLOAT8OID:
			return pstrdup(an_readable_number(DatumGetFloat8(value), VALUE_DIGITS, buf, sizeof(buf)));
		case FLOAT4OID:
			return pstrdup(an_readable_number(DatumGetFloat4(value), VALUE_DIGITS, buf, sizeof(buf)));
		case NUMERICOID:
			/* numeric(p, s) prints to its scale; a free numeric to full precision */
			if (typmod < 0)
				return pstrdup(an_readable_number(DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value)),
												  VALUE_DIGITS, buf, sizeof(buf)));
			break;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				char	   *iso = iso_time_text(value, typid);

				if (iso)
					return iso;
			}
			break;
	}
	getTypeOutputInfo(typid, &out, &varlena);
	return OidOutputFunctionCall(out, value);
}
