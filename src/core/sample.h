/*
 * sample.h - the built-in e-commerce transactions of the Pynomaly tutorial,
 * with ground truth, generated identically for a seed on every platform.
 */
#ifndef AN_SAMPLE_H
#define AN_SAMPLE_H

#include "prng.h"

typedef struct an_ecommerce_row
{
	int64_t		index;			/* 0-based: transaction id TXN_<index> */
	double		amount;
	int32_t		customer_id;
	const char *merchant_category;
	int32_t		hour_of_day;
	int32_t		day_of_week;
	const char *payment_method;
	int			is_anomaly;
} an_ecommerce_row;

typedef struct an_ecommerce_gen
{
	an_prng		rng;
	int64_t		rows;
	int64_t		next;
	int64_t		anomalies_left;
	int64_t		kind_left[3];	/* high amount, low amount, new customer */
} an_ecommerce_gen;

/* Start a generator of rows rows, round(rows * rate) of them anomalies. */
void		an_ecommerce_init(an_ecommerce_gen *g, int64_t rows, double rate,
							  uint64_t seed);

/* Produce the next row; returns 0 when all rows are done. */
int			an_ecommerce_next(an_ecommerce_gen *g, an_ecommerce_row *row);

#endif
