/*
 * sample_srf.c - anomaly_sample(): the built-in e-commerce dataset.
 */
#include "glue.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "sample.h"

PG_FUNCTION_INFO_V1(anomaly_sample);

/* anomaly_sample(kind, rows, anomaly_rate, seed): the rows of a sample dataset. */
Datum
anomaly_sample(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		rows = PG_GETARG_INT32(1);
	double		rate = PG_GETARG_FLOAT8(2);
	int64		seed = PG_GETARG_INT64(3);
	an_ecommerce_gen gen;
	an_ecommerce_row row;

	if (strcmp(kind, "ecommerce") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown sample dataset \"%s\"", kind),
				 errhint("The available sample is 'ecommerce'.")));
	if (rows < 0 || rows > 100000000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rows is %d, out of range", rows),
				 errhint("rows must be from 0 to 100000000.")));
	if (!(rate >= 0 && rate <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("anomaly_rate is %g, out of range", rate),
				 errhint("anomaly_rate must be from 0 to 1.")));
	InitMaterializedSRF(fcinfo, 0);
	an_ecommerce_init(&gen, rows, rate, (uint64) seed);
	while (an_ecommerce_next(&gen, &row))
	{
		Datum		values[8];
		bool		nulls[8] = {0};
		char		id[32];

		snprintf(id, sizeof(id), "TXN_%05lld", (long long) row.index);
		values[0] = CStringGetTextDatum(id);
		values[1] = Float8GetDatum(row.amount);
		values[2] = Int32GetDatum(row.customer_id);
		values[3] = CStringGetTextDatum(row.merchant_category);
		values[4] = Int32GetDatum(row.hour_of_day);
		values[5] = Int32GetDatum(row.day_of_week);
		values[6] = CStringGetTextDatum(row.payment_method);
		values[7] = BoolGetDatum(row.is_anomaly);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}
