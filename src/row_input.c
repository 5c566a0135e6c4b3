/*
 * row_input.c - turning SQL values into cells: numbers (int, float, numeric,
 * bool, date, timestamp) are numeric features; text, varchar, char, name
 * and enum values are categorical and become a 64-bit hash of their text.
 */
#include "glue.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include <math.h>

#include "checksum.h"

/* How values of typid become cells, and the feature kind they give. */
an_conv
an_conv_for_type(Oid typid, an_kind *kind)
{
	*kind = AN_KIND_NUMERIC;
	switch (typid)
	{
		case FLOAT8OID:
			return AN_CONV_FLOAT8;
		case FLOAT4OID:
			return AN_CONV_FLOAT4;
		case INT2OID:
			return AN_CONV_INT2;
		case INT4OID:
			return AN_CONV_INT4;
		case INT8OID:
			return AN_CONV_INT8;
		case BOOLOID:
			return AN_CONV_BOOL;
		case NUMERICOID:
			return AN_CONV_NUMERIC;
		case DATEOID:
			return AN_CONV_DATE;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return AN_CONV_TIMESTAMP;
	}
	*kind = AN_KIND_CATEGORICAL;
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
			return AN_CONV_TEXT;
		case BPCHAROID:
			return AN_CONV_BPCHAR;
		case NAMEOID:
			return AN_CONV_NAME;
	}
	if (type_is_enum(typid))
		return AN_CONV_ENUM;
	*kind = 0;
	return AN_CONV_UNSUPPORTED;
}

/* Hash of a category's text. */
uint64
an_hash_text(const char *s, int len)
{
	return an_hash_bytes(s, (size_t) len);
}

/* Hash of an enum value's label, read from the syscache without copying. */
static uint64
hash_enum(Oid value)
{
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(value));
	uint64		h;
	Form_pg_enum en;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for enum %u", value);
	en = (Form_pg_enum) GETSTRUCT(tup);
	h = an_hash_text(NameStr(en->enumlabel), strlen(NameStr(en->enumlabel)));
	ReleaseSysCache(tup);
	return h;
}

/* Hash of a text-like varlena; no copy unless it is compressed or toasted. */
static uint64
hash_varlena(Datum value, bool trim_blanks)
{
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));
	const char *s = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);

	if (trim_blanks)
		while (len > 0 && s[len - 1] == ' ')
			len--;
	return an_hash_text(s, len);
}

/* Convert one SQL value to a cell; NULL becomes NaN or the 0 hash. */
an_cell
an_cell_from_datum(Datum value, bool isnull, an_conv conv)
{
	an_cell		cell;

	cell.cat = 0;
	if (isnull)
	{
		if (conv < AN_CONV_TEXT)
			cell.num = NAN;
		return cell;
	}
	switch (conv)
	{
		case AN_CONV_FLOAT8:
			cell.num = DatumGetFloat8(value);
			break;
		case AN_CONV_FLOAT4:
			cell.num = DatumGetFloat4(value);
			break;
		case AN_CONV_INT2:
			cell.num = DatumGetInt16(value);
			break;
		case AN_CONV_INT4:
			cell.num = DatumGetInt32(value);
			break;
		case AN_CONV_INT8:
			cell.num = (double) DatumGetInt64(value);
			break;
		case AN_CONV_BOOL:
			cell.num = DatumGetBool(value) ? 1.0 : 0.0;
			break;
		case AN_CONV_NUMERIC:
			cell.num = an_numeric_to_double(value);
			break;
		case AN_CONV_DATE:
			{
				DateADT		d = DatumGetDateADT(value);

				cell.num = DATE_NOT_FINITE(d) ? (DATE_IS_NOBEGIN(d) ? -INFINITY : INFINITY)
					: (double) d;
				break;
			}
		case AN_CONV_TIMESTAMP:
			{
				Timestamp	t = DatumGetTimestamp(value);

				/* seconds since 2000-01-01 */
				cell.num = TIMESTAMP_NOT_FINITE(t) ? (TIMESTAMP_IS_NOBEGIN(t) ? -INFINITY : INFINITY)
					: (double) t / USECS_PER_SEC;
				break;
			}
		case AN_CONV_TEXT:
			cell.cat = hash_varlena(value, false);
			break;
		case AN_CONV_BPCHAR:
			cell.cat = hash_varlena(value, true);
			break;
		case AN_CONV_NAME:
			cell.cat = an_hash_text(NameStr(*DatumGetName(value)),
									strlen(NameStr(*DatumGetName(value))));
			break;
		case AN_CONV_ENUM:
			cell.cat = hash_enum(DatumGetObjectId(value));
			break;
		case AN_CONV_UNSUPPORTED:
			elog(ERROR, "unsupported column conversion");
	}
	return cell;
}
