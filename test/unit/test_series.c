/*
 * test_series.c - unit tests of the series detectors (src/core/series*.c):
 * season detection, what each method flags on a seasonal series with a
 * spike, a dip, a level shift or a variance change injected, the flag rate
 * on clean data, bad values and options, and the state's bytes.
 *
 * Usage:
 *   test_series              run every test
 *   test_series --seed DIR   write fuzz_series seeds (mode byte 1, then a
 *                            state in learning and one after) into DIR, exit
 */
#include "an_core.h"
#include "model.h"
#include "prng.h"
#include "series.h"
#include "series_sequence.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "series_check.h"

#define PERIOD 24
#define LENGTH 1500
#define AT 900					/* where an anomaly starts */

enum change
{
	CLEAN, SPIKE, DIP, LEVEL_SHIFT, VARIANCE
};

/* A daily-like wave of period 24 (of amplitude 20, or none for the mad
 * method, which has no season) with N(0, 1) noise and one change at AT. */
static void
make_series(double *x, int n, enum change change, uint64_t seed, double amplitude)
{
	an_prng		r;

	an_prng_seed(&r, seed);
	for (int i = 0; i < n; i++)
	{
		double		noise = an_prng_normal(&r);

		if (change == VARIANCE && i >= AT)
			noise *= 6;
		x[i] = 100 + amplitude * sin(2 * M_PI * i / PERIOD) + noise;
		if (change == SPIKE && i == AT)
			x[i] += 12;
		if (change == DIP && i == AT)
			x[i] -= 12;
		if (change == LEVEL_SHIFT && i >= AT)
			x[i] += 8;
	}
}

/* A detector with the method and 300 points of learning. */
static an_series *
new_detector(an_ctx *ctx, an_series_method method)
{
	an_series_options opt;
	an_series  *s = NULL;

	an_series_default_options(&opt);
	opt.method = method;
	opt.learning = 300;
	CHECK(an_series_create(ctx, &opt, &s) == AN_OK, "create: %s", ctx->message);
	return s;
}

/* auto given exactly the range its learning period learns scores every
 * point as with the learnt range; given a wider range, other scores. */
static void
test_given_range(void)
{
	double		x[LENGTH];
	double		lo,
				hi;
	int			differ_same = 0,
				differ_other = 0;
	an_ctx		ctx = new_ctx();
	an_series_options opt;
	an_series  *learnt = new_detector(&ctx, AN_SERIES_AUTO),
			   *same = NULL,
			   *other = NULL;

	make_series(x, LENGTH, SPIKE, 11, 20);
	x[0] += 60;					/* the top level once: its runs only the first value starts */
	lo = hi = x[0];
	for (int i = 1; i < 300; i++)
	{
		lo = fmin(lo, x[i]);
		hi = fmax(hi, x[i]);
	}
	an_series_default_options(&opt);
	opt.learning = 300;
	opt.has_range = 1;
	opt.range_lo = lo;
	opt.range_hi = hi;
	CHECK_STATUS(an_series_create(&ctx, &opt, &same), AN_OK);
	opt.range_hi = hi + 3 * (hi - lo);	/* coarser levels (a narrower range only widens) */
	CHECK_STATUS(an_series_create(&ctx, &opt, &other), AN_OK);
	for (int i = 0; i < LENGTH && same && other; i++)
	{
		an_series_point a,
					b,
					c;

		an_series_update(learnt, x[i], &a);
		an_series_update(same, x[i], &b);
		an_series_update(other, x[i], &c);
		differ_same += memcmp(&a, &b, sizeof(a)) != 0;
		differ_other += a.score != c.score;
	}
	CHECK(differ_same == 0, "%d points differ with the learnt range given", differ_same);
	CHECK(differ_other > 0, "another range changes no score");
	if (same)
	{
		/* an auto state ends with its sequence part (series_sequence.c):
		 * ready, lo, hi, n_last, the last levels, rest_until, the runs */
		size_t		tail = 4 + 8 + 8 + 4 + AN_SEQ_ORDER + 8 + AN_SEQ_RUNS + AN_SEQ_SEASONAL;
		unsigned char *a,
				   *b;
		size_t		na,
					nb;

		CHECK_STATUS(an_series_write(learnt, &ctx, &a, &na), AN_OK);
		CHECK_STATUS(an_series_write(same, &ctx, &b, &nb), AN_OK);
		CHECK(na > tail && nb > tail && memcmp(a + na - tail, b + nb - tail, tail) == 0,
			  "the sequence parts differ (a range given is quantized as the learnt one)");
	}
}

/* The first point at or after AT that is flagged, or -1. */
static int
first_flag(an_series_method method, enum change change, int *flags_before)
{
	an_ctx		ctx = new_ctx();
	double		x[LENGTH];
	an_series  *s = new_detector(&ctx, method);
	int			first = -1;

	make_series(x, LENGTH, change, 7, method == AN_SERIES_MAD ? 0 : 20);
	*flags_before = 0;
	for (int i = 0; i < LENGTH; i++)
	{
		an_series_point p;

		an_series_update(s, x[i], &p);
		CHECK(p.score >= 0 && p.score <= 1, "score %g at %d", p.score, i);
		if (p.is_anomaly && i < AT)
			(*flags_before)++;
		if (p.is_anomaly && i >= AT && first < 0)
			first = i;
	}
	return first;
}

/* The season of the wave is found at the end of learning; noise has none. */
static void
test_season_found(void)
{
	an_ctx		ctx = new_ctx();
	double		x[LENGTH];
	an_series  *s = new_detector(&ctx, AN_SERIES_AUTO);
	an_prng		r;
	an_series_point p;

	make_series(x, LENGTH, CLEAN, 1, 20);
	for (int i = 0; i < 300; i++)
		an_series_update(s, x[i], &p);
	CHECK(an_series_season(s) == PERIOD, "season %d, expected %d", an_series_season(s), PERIOD);
	CHECK(an_series_detect_season(x, 1000, 1000) == PERIOD, "season of 1000 points");
	an_prng_seed(&r, 3);
	for (int i = 0; i < LENGTH; i++)
		x[i] = an_prng_normal(&r) + 0.01 * i;
	CHECK(an_series_detect_season(x, LENGTH, 1000) == 0, "noise with a trend has no season");
}

/* Each method flags a spike and a dip at once, a level shift within 5 points
 * and a variance change within 50, with at most 1 % flags before. */
static void
test_changes_flagged(void)
{
	static const char *const names[] = {"clean", "spike", "dip", "level shift", "variance"};

	for (int m = AN_SERIES_AUTO; m <= AN_SERIES_MAD; m++)
	{
		for (int c = SPIKE; c <= VARIANCE; c++)
		{
			int			before,
						first = first_flag((an_series_method) m, (enum change) c, &before);
			int			within = c == VARIANCE ? 50 : (c == LEVEL_SHIFT ? 5 : 0);

			CHECK(first >= AT && first <= AT + within,
				  "method %d, %s: first flag at %d, expected %d..%d", m, names[c], first, AT, AT + within);
			CHECK(before <= (AT - 300) / 100, "method %d, %s: %d flags before the change", m, names[c], before);
		}
	}
}

/* On 20,000 clean points auto and band flag under 0.5 % of the points (a
 * normal's rate outside 3 sds is 0.27 %); mad, whose scale is the MAD of only
 * 60 points, flags under 1 %. */
static void
test_clean_rate(void)
{
	static double x[20000];

	for (int m = AN_SERIES_AUTO; m <= AN_SERIES_MAD; m++)
	{
		an_ctx		ctx = new_ctx();
		an_series  *s = new_detector(&ctx, (an_series_method) m);
		int			flags = 0;

		make_series(x, 20000, CLEAN, 11, m == AN_SERIES_MAD ? 0 : 20);
		for (int i = 0; i < 20000; i++)
		{
			an_series_point p;

			an_series_update(s, x[i], &p);
			flags += p.is_anomaly;
		}
		CHECK(flags < (m == AN_SERIES_MAD ? 200 : 100), "method %d flags %d of 20000 clean points", m, flags);
		free_all_blocks();
	}
}

/* NaN and infinities leave the state alone; a constant series scores 0; one
 * point is its own expectation. */
static void
test_bad_values(void)
{
	an_ctx		ctx = new_ctx();
	an_series  *s = new_detector(&ctx, AN_SERIES_AUTO);
	an_series_point p;

	an_series_update(s, NAN, &p);
	CHECK(an_series_count(s) == 0 && p.score == 0 && isnan(p.expected), "NaN first");
	an_series_update(s, 5, &p);
	CHECK(p.expected == 5 && p.lower == 5 && p.upper == 5 && p.score == 0, "one point");
	an_series_update(s, INFINITY, &p);
	an_series_update(s, -INFINITY, &p);
	CHECK(an_series_count(s) == 1 && p.expected == 5 && p.score == 0, "infinities skipped");
	for (int i = 0; i < 1000; i++)
	{
		an_series_update(s, 5, &p);
		CHECK(p.score == 0 && !p.is_anomaly && p.expected == 5, "constant at %d: %g", i, p.score);
	}
	an_series_update(s, 6, &p);
	CHECK(p.is_anomaly && p.score == 1 && p.direction == 1, "a change after a constant: %g", p.score);
}

/* After a gap of 10 points, filling it keeps the season's phase: the next
 * point is ordinary; taken as one step it is out of phase and flagged. */
static void
test_gap_fill(void)
{
	double		x[LENGTH];

	make_series(x, LENGTH, CLEAN, 9, 20);
	for (int fill = 0; fill <= 1; fill++)
	{
		an_ctx		ctx = new_ctx();
		an_series  *s = new_detector(&ctx, AN_SERIES_AUTO);
		an_series_point p;

		for (int i = 0; i < 800; i++)
			an_series_update(s, x[i], &p);
		if (fill)
			an_series_fill(s, 10);
		an_series_update(s, x[810], &p);
		CHECK(fill ? p.score < 0.5 && !p.is_anomaly : p.is_anomaly,
			  "after a gap %s: score %g", fill ? "filled" : "as one step", p.score);
		CHECK(an_series_count(s) == (uint64_t) (fill ? 811 : 801), "count %llu",
			  (unsigned long long) an_series_count(s));
		free_all_blocks();
	}
}

/* A copy taken mid-series continues exactly as the original, and moving
 * either one leaves the other as it was (a savepoint of a state). */
static void
test_copy(void)
{
	an_ctx		ctx = new_ctx();
	an_ctx		copy_ctx = new_ctx();
	double		x[LENGTH];
	an_series  *s = new_detector(&ctx, AN_SERIES_AUTO);
	an_series  *c;
	an_series_point p,
				q;

	make_series(x, LENGTH, SPIKE, 5, 20);
	for (int i = 0; i < 600; i++)
		an_series_update(s, x[i], &p);
	c = an_series_copy(s, &copy_ctx);
	CHECK(c != s, "a copy is a new state");
	for (int i = 600; i < 620; i++)
		an_series_update(s, x[i], &p);
	CHECK(an_series_count(c) == 600 && an_series_count(s) == 620, "counts %llu and %llu",
		  (unsigned long long) an_series_count(c), (unsigned long long) an_series_count(s));
	s = an_series_copy(c, &ctx);
	for (int i = 600; i < LENGTH; i++)
	{
		an_series_update(s, x[i], &p);
		an_series_update(c, x[i], &q);
		CHECK(p.score == q.score && p.expected == q.expected && p.lower == q.lower &&
			  p.upper == q.upper && p.is_anomaly == q.is_anomaly,
			  "the copy differs at %d: %g against %g", i, q.score, p.score);
	}
	free_all_blocks();
}

/* Options out of range fail with a message and a hint. */
static void
test_bad_options(void)
{
	an_ctx		ctx = new_ctx();
	an_series_options opt;
	an_series  *s;

	an_series_default_options(&opt);
	opt.season = 1;
	CHECK_STATUS(an_series_create(&ctx, &opt, &s), AN_ERR_PARAM);
	an_series_default_options(&opt);
	opt.sensitivity = 1;
	CHECK_STATUS(an_series_create(&ctx, &opt, &s), AN_ERR_PARAM);
	an_series_default_options(&opt);
	opt.suppress_k = 3;
	opt.suppress_n = 2;
	CHECK_STATUS(an_series_create(&ctx, &opt, &s), AN_ERR_PARAM);
	CHECK(ctx.hint[0] != 0, "a hint");
}

/* An auto detector with 300 points of learning. */
static an_series *
new_auto(an_ctx *ctx)
{
	return new_detector(ctx, AN_SERIES_AUTO);
}

/* A state written and read back continues bit for bit, in learning (the
 * season still to be found) and after; every cut and every flipped byte is
 * refused; after learning only three seasons of values are kept. */
static void
test_bytes(void)
{
	an_ctx		ctx = new_ctx();
	double		x[LENGTH];
	an_series  *s = new_detector(&ctx, AN_SERIES_AUTO),
			   *t = NULL;
	unsigned char *bytes;
	size_t		len;
	an_series_point p;

	make_series(x, LENGTH, LEVEL_SHIFT, 5, 20);
	check_round_trip(new_auto, x, LENGTH, 1);
	check_round_trip(new_auto, x, LENGTH, 100);
	check_round_trip(new_auto, x, LENGTH, 700);
	for (int i = 0; i < 700; i++)
		an_series_update(s, x[i], &p);
	CHECK_STATUS(an_series_write(s, &ctx, &bytes, &len), AN_OK);
	CHECK(len < 10000, "a state after learning takes %zu bytes", len);
	for (size_t cut = 0; cut < len; cut += 13)
		CHECK(an_series_read(&ctx, bytes, cut, &t) == AN_ERR_CORRUPT, "cut at %zu read", cut);
	for (size_t i = 0; i < len; i += 3)
	{
		bytes[i] ^= 0x41;
		CHECK(an_series_read(&ctx, bytes, len, &t) == AN_ERR_CORRUPT, "flip at %zu read", i);
		bytes[i] ^= 0x41;
	}
}

/* The status of reading s's state with its sequence part's range set to
 * [lo, hi] (the checksum made right again). */
static an_status
read_with_sequence_range(an_ctx *ctx, an_series *s, double lo, double hi)
{
	/* an auto state ends with its sequence part: ready, lo, hi, ... */
	size_t		part = 4 + 8 + 8 + 4 + AN_SEQ_ORDER + 8 + AN_SEQ_RUNS + AN_SEQ_SEASONAL;
	unsigned char *bytes;
	size_t		len;
	an_series  *t = NULL;

	if (an_series_write(s, ctx, &bytes, &len) != AN_OK)
		return AN_ERR_PARAM;	/* never: the test then fails */
	an_put_f64(bytes + len - part + 4, lo);
	an_put_f64(bytes + len - part + 12, hi);
	an_put_u32(bytes + 24, an_model_checksum(bytes, len));
	return an_series_read(ctx, bytes, len, &t);
}

/* The sequence part's range must agree with the options: none before the
 * end of learning unless one is given; a given one exactly until then, and
 * covered after (it only widens). */
static void
test_sequence_range_read(void)
{
	an_ctx		ctx = new_ctx();
	double		x[400];
	an_series_options opt;
	an_series  *learnt = new_detector(&ctx, AN_SERIES_AUTO),
			   *given = NULL;
	an_series_point p;

	make_series(x, 400, CLEAN, 3, 20);
	an_series_default_options(&opt);
	opt.learning = 300;
	opt.has_range = 1;
	opt.range_lo = 70;
	opt.range_hi = 130;
	CHECK_STATUS(an_series_create(&ctx, &opt, &given), AN_OK);
	for (int i = 0; i < 50; i++)
	{
		an_series_update(learnt, x[i], &p);
		an_series_update(given, x[i], &p);
	}
	CHECK(read_with_sequence_range(&ctx, learnt, 0, 0) == AN_OK, "no range in learning reads");
	CHECK(read_with_sequence_range(&ctx, learnt, 1, 2) == AN_ERR_CORRUPT,
		  "a range in learning without one given read");
	CHECK(read_with_sequence_range(&ctx, given, 70, 130) == AN_OK, "the given range reads");
	CHECK(read_with_sequence_range(&ctx, given, 60, 130) == AN_ERR_CORRUPT,
		  "a range in learning other than the given one read");
	for (int i = 50; i < 400; i++)
		an_series_update(given, x[i], &p);
	CHECK(read_with_sequence_range(&ctx, given, 60, 140) == AN_OK, "a widened given range reads");
	CHECK(read_with_sequence_range(&ctx, given, 75, 130) == AN_ERR_CORRUPT,
		  "a range that does not cover the given one read");
}

/* Write the states after 50 and 400 points of a seasonal series with a
 * spike as fuzz seeds into dir. */
static int
write_seeds(const char *dir)
{
	double		x[LENGTH];

	make_series(x, LENGTH, SPIKE, 3, 20);
	return write_series_seed(new_auto, x, 50, dir, "state") ||
		write_series_seed(new_auto, x, 400, dir, "state");
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seed") == 0)
		return write_seeds(argv[2]) || finish();
	run("season_found", test_season_found);
	run("changes_flagged", test_changes_flagged);
	run("clean_rate", test_clean_rate);
	run("bad_values", test_bad_values);
	run("gap_fill", test_gap_fill);
	run("given_range", test_given_range);
	run("copy", test_copy);
	run("bad_options", test_bad_options);
	run("bytes", test_bytes);
	run("sequence_range_read", test_sequence_range_read);
	return finish();
}
