/*
 * sample.c - the e-commerce sample of the Pynomaly tutorial.
 *
 * Normal rows: amount lognormal(3, 1), customers 1-199, hours 6-22, days
 * 1-7, five merchant categories, payment credit/debit/cash at 60/30/10 %.
 * Anomalies, in the tutorial's proportions: 40 % very high amounts
 * (lognormal(7, 0.5)) at night (hours 0-5); 30 % very low amounts
 * (0.01-1); 30 % normal amounts from new customer ids (9000-9999); their
 * payment is credit/debit/cash at 80/15/5 %.  Anomalies are spread over
 * the table by selection sampling (Knuth's Algorithm S), so the exact count
 * is kept without memory.  Amounts are rounded to cents, which also makes
 * the output independent of the last bit of the C library's exp and log.
 */
#include "sample.h"

#include <math.h>

static const char *const categories[] = {"grocery", "gas", "restaurant", "retail", "online"};

/* Start a generator of rows rows, round(rows * rate) of them anomalies. */
void
an_ecommerce_init(an_ecommerce_gen *g, int64_t rows, double rate, uint64_t seed)
{
	int64_t		n = (int64_t) floor((double) rows * rate + 0.5);

	an_prng_seed(&g->rng, seed);
	g->rows = rows;
	g->next = 0;
	g->anomalies_left = n;
	g->kind_left[0] = (int64_t) floor(0.4 * (double) n + 0.5);
	g->kind_left[1] = (int64_t) floor(0.3 * (double) n + 0.5);
	g->kind_left[2] = n - g->kind_left[0] - g->kind_left[1];
}

/* An integer uniform in [lo, hi]. */
static int32_t
uniform_int(an_prng *r, int32_t lo, int32_t hi)
{
	return lo + (int32_t) an_prng_below(r, (uint64_t) (hi - lo + 1));
}

/* A payment method drawn with probabilities credit, debit, cash = p0, p1, rest. */
static const char *
payment(an_prng *r, double p0, double p1)
{
	double		u = an_prng_uniform(r);

	return u < p0 ? "credit" : u < p0 + p1 ? "debit" : "cash";
}

/* Round to cents, never below one cent. */
static double
cents(double amount)
{
	double		c = floor(amount * 100.0 + 0.5) / 100.0;

	return c < 0.01 ? 0.01 : c;
}

/* Produce the next row; returns 0 when all rows are done. */
int
an_ecommerce_next(an_ecommerce_gen *g, an_ecommerce_row *row)
{
	an_prng    *r = &g->rng;
	int64_t		rows_left = g->rows - g->next;
	int			kind = -1;

	if (rows_left <= 0)
		return 0;
	row->index = g->next++;
	if ((int64_t) an_prng_below(r, (uint64_t) rows_left) < g->anomalies_left)
	{
		int64_t		pick = (int64_t) an_prng_below(r, (uint64_t) g->anomalies_left);

		kind = pick < g->kind_left[0] ? 0 : pick < g->kind_left[0] + g->kind_left[1] ? 1 : 2;
		g->kind_left[kind]--;
		g->anomalies_left--;
	}
	row->is_anomaly = kind >= 0;
	row->merchant_category = categories[an_prng_below(r, 5)];
	row->day_of_week = uniform_int(r, 1, 7);
	row->customer_id = kind == 2 ? uniform_int(r, 9000, 9999) : uniform_int(r, 1, 199);
	row->hour_of_day = kind == 0 ? uniform_int(r, 0, 5) : uniform_int(r, 6, 22);
	if (kind == 0)
		row->amount = cents(exp(7.0 + 0.5 * an_prng_normal(r)));
	else if (kind == 1)
		row->amount = cents(0.01 + 0.99 * an_prng_uniform(r));
	else
		row->amount = cents(exp(3.0 + an_prng_normal(r)));
	row->payment_method = kind >= 0 ? payment(r, 0.8, 0.15) : payment(r, 0.6, 0.3);
	return 1;
}
