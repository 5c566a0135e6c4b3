/*
 * test_series_context.c - unit tests of the series method "context" (the
 * contextual anomaly detector of src/core/series_context.c behind the
 * series interface): a spike, a dip and a level shift in a seasonal series
 * score high at once, the clean series flags little, the score is 0 while
 * learning and during the rest after a high score (but a value beyond every
 * earlier one scores, rest or not), the state's bytes
 * continue bit for bit and refuse damage, and a copy shares nothing.  With
 * the value range given ("range"): the learnt range given gives the same
 * scores, another range other scores, the changes are still flagged, the
 * range survives the bytes (format 2; a state without it is written as
 * before), and every bad range is refused.
 *
 * Usage:
 *   test_series_context              run every test
 *   test_series_context --seed DIR   write fuzz_series seeds (mode byte 1,
 *                                    then a context state in learning,
 *                                    one after, one with a given range)
 *                                    into DIR, exit
 */
#include "an_core.h"
#include "model.h"
#include "prng.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "series_check.h"

#define PERIOD 24
#define LENGTH 3000
#define LEARNING 450
#define AT 2000					/* where a change starts */

enum change
{
	CLEAN, SPIKE, DIP, LEVEL_SHIFT
};

/* A wave of period 24 and amplitude 20 around 100 with N(0, 1) noise and
 * one change at AT. */
static void
make_series(double *x, int n, enum change change, uint64_t seed)
{
	an_prng		r;

	an_prng_seed(&r, seed);
	for (int i = 0; i < n; i++)
	{
		x[i] = 100 + 20 * sin(2 * M_PI * i / PERIOD) + an_prng_normal(&r);
		if (change == SPIKE && i == AT)
			x[i] += 40;
		if (change == DIP && i == AT)
			x[i] -= 40;
		if (change == LEVEL_SHIFT && i >= AT)
			x[i] += 30;
	}
}

/* The range new_ranged_detector gives. */
static double given_lo,
			given_hi;

/* A context detector with LEARNING points of learning, over the range
 * [given_lo, given_hi] when ranged. */
static an_series *
make_detector(an_ctx *ctx, int ranged)
{
	an_series_options opt;
	an_series  *s = NULL;

	an_series_default_options(&opt);
	opt.method = AN_SERIES_CONTEXT;
	opt.learning = LEARNING;
	opt.has_range = ranged;
	opt.range_lo = ranged ? given_lo : 0;
	opt.range_hi = ranged ? given_hi : 0;
	CHECK(an_series_create(ctx, &opt, &s) == AN_OK, "create: %s", ctx->message);
	return s;
}

/* A context detector that learns its range. */
static an_series *
new_detector(an_ctx *ctx)
{
	return make_detector(ctx, 0);
}

/* A context detector given the range [given_lo, given_hi]. */
static an_series *
new_ranged_detector(an_ctx *ctx)
{
	return make_detector(ctx, 1);
}


/* Scores of x[0..n) from a detector of make into score[]; flags counted
 * before AT into *before. */
static void
run_made(series_maker make, const double *x, int n, double *score, int *before)
{
	an_ctx		ctx = new_ctx();
	an_series  *s = make(&ctx);

	*before = 0;
	for (int i = 0; i < n; i++)
	{
		an_series_point p;

		an_series_update(s, x[i], &p);
		score[i] = p.score;
		CHECK(p.score >= 0 && p.score <= 1, "score %g at %d", p.score, i);
		CHECK(!p.learning || p.score == 0, "score %g while learning at %d", p.score, i);
		if (p.is_anomaly && i < AT)
			(*before)++;
	}
	free_all_blocks();
}

/* Scores of x[0..n) into score[]; flags counted before AT into *before. */
static void
run_series(const double *x, int n, double *score, int *before)
{
	run_made(new_detector, x, n, score, before);
}

/* Set the given range to the minimum and maximum of x[0..n). */
static void
give_range_of(const double *x, int n)
{
	given_lo = given_hi = x[0];
	for (int i = 1; i < n; i++)
	{
		given_lo = fmin(given_lo, x[i]);
		given_hi = fmax(given_hi, x[i]);
	}
}

/* A spike, a dip and a level shift score at least 0.75 and are flagged at
 * once; the rest after them outputs 0; before them under 1 % of the points
 * after learning are flagged. */
static void
test_changes_flagged(void)
{
	static const char *const names[] = {"clean", "spike", "dip", "level shift"};
	static double x[LENGTH],
				score[LENGTH];

	for (int c = SPIKE; c <= LEVEL_SHIFT; c++)
	{
		int			before;

		make_series(x, LENGTH, (enum change) c, 7);
		run_series(x, LENGTH, score, &before);
		CHECK(score[AT] >= 0.75, "%s scores %g", names[c], score[AT]);
		for (int i = AT + 1; i <= AT + LEARNING / 5; i++)
			CHECK(score[i] == 0, "%s: %g at %d, in the rest", names[c], score[i], i);
		CHECK(before <= (AT - LEARNING) / 100, "%s: %d flags before", names[c], before);
	}
}

/* A value beyond every value before it by more than 5 % of their range
 * scores at least 0.995 and is flagged, even within the rest after a high
 * score; the points of the rest around it still output 0. */
static void
test_novel_in_rest(void)
{
	static double x[LENGTH],
				score[LENGTH];
	int			before;

	make_series(x, LENGTH, SPIKE, 7);
	x[AT + 5] = 200;			/* the wave and the spike stay below 165 */
	run_series(x, LENGTH, score, &before);
	CHECK(score[AT] >= 0.75, "the spike scores %g", score[AT]);
	CHECK(score[AT + 5] >= 0.995, "a new extreme in the rest scores %g", score[AT + 5]);
	for (int i = AT + 1; i <= AT + LEARNING / 5; i++)
		CHECK(i == AT + 5 || score[i] == 0, "%g at %d, in the rest", score[i], i);
}

/* On the clean series under 1 % of the points after learning are flagged,
 * and the mean score is low. */
static void
test_clean_rate(void)
{
	static double x[LENGTH],
				score[LENGTH];
	int			flags;
	double		sum = 0;

	make_series(x, LENGTH, CLEAN, 11);
	run_series(x, LENGTH, score, &flags);
	for (int i = LEARNING; i < LENGTH; i++)
		sum += score[i];
	CHECK(flags <= (AT - LEARNING) / 100, "%d flags of %d clean points", flags, AT - LEARNING);
	CHECK(sum / (LENGTH - LEARNING) < 0.2, "mean clean score %g", sum / (LENGTH - LEARNING));
}

/* A constant series scores 0 once learnt; a change after it scores 1. */
static void
test_constant(void)
{
	an_ctx		ctx = new_ctx();
	an_series  *s = new_detector(&ctx);
	an_series_point p;

	for (int i = 0; i < 1000; i++)
	{
		an_series_update(s, 5, &p);
		CHECK(i < LEARNING || p.score == 0, "constant at %d: %g", i, p.score);
	}
	an_series_update(s, 6, &p);
	CHECK(p.score == 1 && p.is_anomaly, "a change after a constant: %g", p.score);
	free_all_blocks();
}

/* Values far beyond the learning range and near the largest double take
 * levels of their own and score in [0, 1]. */
static void
test_extremes(void)
{
	an_ctx		ctx = new_ctx();
	an_series  *s = new_detector(&ctx);
	an_series_point p;
	static const double far[] = {1e300, -1e300, 1.7e308, -1.7e308, 1e6, -1e6, 1e-300};

	for (int i = 0; i < LEARNING; i++)
		an_series_update(s, i % 10, &p);
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < (int) (sizeof(far) / sizeof(far[0])); i++)
		{
			an_series_update(s, far[i], &p);
			CHECK(p.score >= 0 && p.score <= 1, "%g scores %g", far[i], p.score);
		}
	free_all_blocks();
}

/* A state written and read back continues bit for bit, while the range is
 * learnt, when it is set and after; cuts and flipped bytes are refused. */
static void
test_bytes(void)
{
	an_ctx		ctx = new_ctx();
	static double x[LENGTH];
	an_series  *s = new_detector(&ctx),
			   *t = NULL;
	unsigned char *bytes;
	size_t		len;
	an_series_point p;

	make_series(x, LENGTH, LEVEL_SHIFT, 5);
	for (int i = 0; i < 700; i++)
		an_series_update(s, x[i], &p);
	check_round_trip(new_detector, x, LENGTH, 1);
	check_round_trip(new_detector, x, LENGTH, 100);
	check_round_trip(new_detector, x, LENGTH, LEARNING);
	check_round_trip(new_detector, x, LENGTH, 1500);
	CHECK_STATUS(an_series_write(s, &ctx, &bytes, &len), AN_OK);
	for (size_t cut = 0; cut < len; cut += len / 97 + 1)
		CHECK(an_series_read(&ctx, bytes, cut, &t) == AN_ERR_CORRUPT, "cut at %zu read", cut);
	for (size_t i = 0; i < len; i += len / 211 + 1)
	{
		bytes[i] ^= 0x41;
		CHECK(an_series_read(&ctx, bytes, len, &t) == AN_ERR_CORRUPT, "flip at %zu read", i);
		bytes[i] ^= 0x41;
	}
	CHECK_STATUS(an_series_read(&ctx, bytes, len, &t), AN_OK);
	free_all_blocks();
}

/* Write the states after 50 and 500 points of a seasonal series with a
 * spike, and after 500 with its range given, as fuzz seeds into dir. */
static int
write_seeds(const char *dir)
{
	static double x[LENGTH];

	make_series(x, LENGTH, SPIKE, 3);
	give_range_of(x, LENGTH);
	return write_series_seed(new_detector, x, 50, dir, "context") ||
		write_series_seed(new_detector, x, 500, dir, "context") ||
		write_series_seed(new_ranged_detector, x, 500, dir, "context_range");
}

/* A copy taken mid-series (a savepoint of a state) shares nothing with the
 * original: after the original moves on, the copy continues exactly as the
 * original did from the same point. */
static void
test_copy(void)
{
	an_ctx		ctx = new_ctx();
	an_ctx		copy_ctx = new_ctx();
	double		x[LENGTH];
	an_series  *s = new_detector(&ctx);
	an_series  *c;
	an_series_point p,
				q;
	double		first[LENGTH];

	make_series(x, LENGTH, SPIKE, 11);
	for (int i = 0; i < 1500; i++)
		an_series_update(s, x[i], &p);
	c = an_series_copy(s, &copy_ctx);
	for (int i = 1500; i < LENGTH; i++)
	{
		an_series_update(s, x[i], &p);
		first[i] = p.score;
	}
	for (int i = 1500; i < LENGTH; i++)
	{
		an_series_update(c, x[i], &q);
		CHECK(q.score == first[i], "the copy differs at %d: %g against %g", i, q.score, first[i]);
	}
	free_all_blocks();
}

/*
 * Given the range the learning period would learn, the detector scores every
 * point as the one that learns it (the given range quantizes from the first
 * point; the learnt one replays the learning values through the same steps).
 * The series is moved so that its learning minimum is 0, where the given
 * range's step, (hi - lo) / 7 as CAD's, and the learnt one's, hi / 7 - lo / 7,
 * are the same number.  Given the whole series' range instead (NAB's
 * protocol), the scores differ and the spike, the dip and the level shift
 * still score high at once.
 */
static void
test_given_range(void)
{
	static const char *const names[] = {"clean", "spike", "dip", "level shift"};
	static double x[LENGTH],
				learnt[LENGTH],
				given[LENGTH];
	int			before,
				differ = 0;

	make_series(x, LENGTH, LEVEL_SHIFT, 5);
	give_range_of(x, LEARNING);
	for (int i = 0; i < LENGTH; i++)
		x[i] -= given_lo;
	run_series(x, LENGTH, learnt, &before);
	give_range_of(x, LEARNING);
	CHECK(given_lo == 0, "the learning minimum is %g", given_lo);
	run_made(new_ranged_detector, x, LENGTH, given, &before);
	for (int i = 0; i < LENGTH; i++)
		CHECK(given[i] == learnt[i], "the learnt range given: %g against %g at %d", given[i], learnt[i], i);
	give_range_of(x, LENGTH);
	run_made(new_ranged_detector, x, LENGTH, given, &before);
	for (int i = 0; i < LENGTH; i++)
		differ += given[i] != learnt[i];
	CHECK(differ > 100, "the whole range changes only %d scores", differ);
	for (int c = SPIKE; c <= LEVEL_SHIFT; c++)
	{
		make_series(x, LENGTH, (enum change) c, 7);
		give_range_of(x, LENGTH);
		run_made(new_ranged_detector, x, LENGTH, given, &before);
		CHECK(given[AT] >= 0.75, "%s scores %g with the range given", names[c], given[AT]);
		CHECK(before <= (AT - LEARNING) / 100, "%s: %d flags before, range given", names[c], before);
	}
}

/* Bytes 8-9: the format a state was written in. */
static int
format_of(const unsigned char *bytes)
{
	return bytes[8] | (bytes[9] << 8);
}

/*
 * A state with a given range is written in format 2 and continues bit for
 * bit after a round trip; one without it is format 1, as before the option.
 * A format 2 state whose range disagrees with its detector's is refused,
 * even with a checksum that matches.
 */
static void
test_given_range_bytes(void)
{
	an_ctx		ctx = new_ctx();
	static double x[LENGTH];
	an_series  *s,
			   *t = NULL;
	unsigned char *bytes;
	size_t		len;
	an_series_point p;

	make_series(x, LENGTH, SPIKE, 5);
	give_range_of(x, LENGTH);
	check_round_trip(new_ranged_detector, x, LENGTH, 0);
	check_round_trip(new_ranged_detector, x, LENGTH, 100);
	check_round_trip(new_ranged_detector, x, LENGTH, 1500);
	s = new_detector(&ctx);
	CHECK_STATUS(an_series_write(s, &ctx, &bytes, &len), AN_OK);
	CHECK(format_of(bytes) == 1, "a state without a range is format %d", format_of(bytes));
	s = new_ranged_detector(&ctx);
	for (int i = 0; i < 700; i++)
		an_series_update(s, x[i], &p);
	CHECK_STATUS(an_series_write(s, &ctx, &bytes, &len), AN_OK);
	CHECK(format_of(bytes) == 2, "a state with a range is format %d", format_of(bytes));
	CHECK_STATUS(an_series_read(&ctx, bytes, len, &t), AN_OK);
	/* the range's low bound follows the 28 bytes of header and 44 of options */
	an_put_f64(bytes + 72, given_lo - 1);
	an_put_u32(bytes + 24, an_model_checksum(bytes, len));
	CHECK(an_series_read(&ctx, bytes, len, &t) == AN_ERR_CORRUPT, "a moved range read");
	free_all_blocks();
}

/* Every bad range is refused by the options' check with a message. */
static void
test_bad_ranges(void)
{
	an_ctx		ctx = new_ctx();
	an_series_options opt;
	static const double bad[][2] = {{1, 1}, {2, 1}, {NAN, 1}, {0, INFINITY}, {-INFINITY, 0}, {0, 5e-324}};

	for (int i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++)
	{
		an_series_default_options(&opt);
		opt.method = AN_SERIES_CONTEXT;
		opt.has_range = 1;
		opt.range_lo = bad[i][0];
		opt.range_hi = bad[i][1];
		CHECK(an_series_check_options(&ctx, &opt) == AN_ERR_PARAM, "range [%g, %g] accepted",
			  bad[i][0], bad[i][1]);
		CHECK(strstr(ctx.message, "range") != NULL, "message: %s", ctx.message);
	}
	for (int m = AN_SERIES_AUTO; m <= AN_SERIES_CONTEXT; m++)
	{
		an_series_default_options(&opt);
		opt.method = (an_series_method) m;
		opt.has_range = 1;
		opt.range_lo = 0;
		opt.range_hi = 100;
		/* auto's sequence part and context quantize over it; band and mad refuse it */
		CHECK(an_series_check_options(&ctx, &opt) ==
			  (m == AN_SERIES_AUTO || m == AN_SERIES_CONTEXT ? AN_OK : AN_ERR_PARAM),
			  "range with method %d", m);
	}
	opt.method = AN_SERIES_CONTEXT;
	opt.range_lo = -1.7e308;
	opt.range_hi = 1.7e308;
	CHECK_STATUS(an_series_check_options(&ctx, &opt), AN_OK);
	free_all_blocks();
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seed") == 0)
		return write_seeds(argv[2]) || finish();
	run("changes_flagged", test_changes_flagged);
	run("novel_in_rest", test_novel_in_rest);
	run("clean_rate", test_clean_rate);
	run("constant", test_constant);
	run("extremes", test_extremes);
	run("bytes", test_bytes);
	run("copy", test_copy);
	run("given_range", test_given_range);
	run("given_range_bytes", test_given_range_bytes);
	run("bad_ranges", test_bad_ranges);
	return finish();
}
