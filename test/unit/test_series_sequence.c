/*
 * test_series_sequence.c - unit tests of auto's sequence part
 * (src/core/series_sequence.c): the levels over the learning range, a
 * pattern it learnt scores 0, a level that followed none of the runs before
 * it scores 1 and starts a rest, the raw score's parts by hand, a filled
 * value is learnt unscored, extreme ranges give a usable level width, a
 * given range learns the runs a learnt one replays, the
 * bytes continue bit for bit, and damaged bytes are refused.
 */
#include "an_core.h"
#include "bytes.h"
#include "prng.h"
#include "series_sequence.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define REST 4

/* The values 0..7 as levels over a learnt range of [0, 7]: lo 0, step 1. */
static void
learn_pattern(an_sequence *q, const int *pattern, int n, int repeats)
{
	double		x[256];
	int			m = 0;

	memset(q, 0, sizeof(*q));
	for (int r = 0; r < repeats; r++)
		for (int i = 0; i < n; i++)
			x[m++] = pattern[i];
	x[0] = 0;					/* the range spans 0..7 */
	x[1] = 7;
	an_sequence_learn(q, x, m, 0);
}

/* Feed count values of the cycle pattern[0..n) from its start, at points
 * *t on; check each scores 0 (foreseen). */
static void
check_foreseen(an_sequence *q, const int *pattern, int n, int count, uint64_t *t, int rest)
{
	for (int i = 0; i < count; i++)
	{
		double		score = an_sequence_update(q, pattern[i % n], NAN, (*t)++, rest);

		CHECK(score == 0, "value %d (%d of the cycle) scores %g", pattern[i % n], i, score);
	}
}

/* A learnt cycle scores 0; a level after runs that never led to it scores
 * 1, then the rest silences the next REST points. */
static void
test_pattern_and_rest(void)
{
	static const int cycle[] = {0, 7, 2, 5, 3, 6, 1, 4};
	an_sequence q;
	uint64_t	t = 100;
	double		score;

	learn_pattern(&q, cycle, 8, 8);
	CHECK(q.ready && q.lo == 0 && q.step == 1, "range: lo %g step %g", q.lo, q.step);
	/* the cycle continues where the learning values left it: 4 -> 0 */
	check_foreseen(&q, cycle, 8, 16, &t, REST);
	/* after ... 6, 1, 4 came 0 only; 4 -> 3 is new at every order */
	score = an_sequence_update(&q, 3, NAN, t++, REST);
	CHECK(score == 1, "an unforeseen level scores %g", score);
	for (int i = 0; i < REST; i++)
	{
		score = an_sequence_update(&q, (i % 2) ? 7 : 2, NAN, t++, REST);
		CHECK(score == 0, "rest point %d scores %g", i, score);
	}
	score = an_sequence_update(&q, 6, NAN, t++, REST);
	CHECK(score > 0, "after the rest an unforeseen level scores again: %g", score);
}

/* The raw score's parts: some orders foresee, the longest does not. */
static void
test_partial(void)
{
	/* 1 -> 2 and 0 -> 1 -> 2 are learnt, but never 3 -> 1 -> 2 */
	static const int learnt[] = {0, 1, 2, 7, 3, 1, 5, 0, 1, 2, 6};
	an_sequence q;
	double		score;

	learn_pattern(&q, learnt, 11, 1);
	/* last levels 2, 6; feed 3, 1 (3 -> 1 seen; 6 -> 3 and 2,6 -> 3 not) */
	(void) an_sequence_update(&q, 3, NAN, 50, REST);
	(void) an_sequence_update(&q, 5, NAN, 51, 0);
	(void) an_sequence_update(&q, 0, NAN, 52, 0);
	/* now 5, 0 then 1: runs [0] -> 1 seen, [5,0] -> 1 seen, [3,5,0] -> 1 not */
	score = an_sequence_update(&q, 1, NAN, 60, 0);
	/* selected 2 of 3 runs seen, both foresaw: (1 - 2/2 + 1/3) / 2 */
	CHECK(fabs(score - (1.0 / 3) / 2) < 1e-15, "one new order of three scores %g", score);
	/* [1] -> 2, [0,1] -> 2 and [5,0,1] -> 2 were all learnt */
	score = an_sequence_update(&q, 2, NAN, 61, 0);
	CHECK(score == 0, "runs seen before score %g", score);
}

/* A filled value is learnt without a score and without a rest. */
static void
test_fill(void)
{
	static const int cycle[] = {0, 7, 2, 5};
	an_sequence q;
	double		score;

	learn_pattern(&q, cycle, 4, 4);
	/* 5 -> 6 is new: learnt silently, no rest starts; then the cycle */
	an_sequence_fill(&q, 6, NAN);
	for (int i = 0; i < 4; i++)
		an_sequence_fill(&q, cycle[i], NAN);
	CHECK(q.rest_until == 0, "fills start no rest");
	/* 5 -> 6, 2,5 -> 6 and 7,2,5 -> 6 were filled in: foreseen */
	score = an_sequence_update(&q, 6, NAN, 80, REST);
	CHECK(score == 0, "a transition learnt from fills scores %g", score);
}

/* Constant learning values get a unit level; a value above them widens the
 * range with the constant at its bottom level, a new level that starts a
 * rest; the widest range has a finite width, and a value a whole range
 * away gets its true level. */
static void
test_ranges(void)
{
	double		flat[5] = {3, 3, 3, 3, 3};
	double		wide[3] = {-DBL_MAX, 0, DBL_MAX};
	double		half[2] = {-DBL_MAX, 0};
	an_sequence q;
	double		score;

	memset(&q, 0, sizeof(q));
	an_sequence_learn(&q, flat, 5, 0);
	CHECK(q.step == 1 && q.lo == 3, "a constant range: lo %g step %g", q.lo, q.step);
	score = an_sequence_update(&q, 3.1, NAN, 10, REST);
	CHECK(score == 1 && q.lo == 3 && q.hi == 3.1 && q.last[q.n_last - 2] == 0 &&
		  q.last[q.n_last - 1] == 7, "a value above a constant: a new level, %g", score);
	score = an_sequence_update(&q, 3, NAN, 11, REST);
	CHECK(score == 0 && q.last[q.n_last - 1] == 0, "the return to the constant rests: %g", score);
	score = an_sequence_update(&q, 1e300, NAN, 30, REST);
	CHECK(score == 1, "far above: the top level, never seen: %g", score);
	memset(&q, 0, sizeof(q));
	an_sequence_learn(&q, wide, 3, 0);
	CHECK(isfinite(q.step) && q.step > 0, "the widest range has step %g", q.step);
	score = an_sequence_update(&q, DBL_MAX, NAN, 10, REST);
	CHECK(score >= 0 && score <= 1, "DBL_MAX scores %g", score);
	score = an_sequence_update(&q, -DBL_MAX, NAN, 11, REST);
	CHECK(score >= 0 && score <= 1, "-DBL_MAX scores %g", score);
	memset(&q, 0, sizeof(q));
	an_sequence_learn(&q, half, 2, 0);
	(void) an_sequence_update(&q, DBL_MAX, NAN, 10, REST);
	CHECK(q.lo == -DBL_MAX && q.hi == DBL_MAX && q.last[q.n_last - 2] == 3 &&
		  q.last[q.n_last - 1] == 7, "widened to every double: 0 at level %d", q.last[q.n_last - 2]);
}

/* A given range quantizes the learning values at the end of learning as
 * the learnt range does: the same state. */
static void
test_given_range(void)
{
	double		x[40];
	an_sequence learnt,
				given;

	for (int i = 0; i < 40; i++)
		x[i] = 10 + 5 * sin(i * 0.9) + (i == 17 ? 3 : 0);
	memset(&learnt, 0, sizeof(learnt));
	an_sequence_learn(&learnt, x, 40, 0);
	memset(&given, 0, sizeof(given));
	an_sequence_fix_range(&given, learnt.lo, learnt.hi);
	CHECK(!given.ready && an_sequence_range_agrees(&given, 1, learnt.lo, learnt.hi),
		  "the given range is in use");
	CHECK(!an_sequence_range_agrees(&given, 1, learnt.lo, learnt.hi + learnt.step),
		  "before learning ends, a wider range is not the range");
	an_sequence_learn(&given, x, 40, 0);
	CHECK(given.step == learnt.step && given.hi == learnt.hi && given.n_last == learnt.n_last &&
		  memcmp(given.last, learnt.last, sizeof(given.last)) == 0 &&
		  memcmp(given.seen, learnt.seen, sizeof(given.seen)) == 0,
		  "the same runs as the learnt range's");
}

/* A value beyond the range widens it, and what was learnt moves along: a
 * rising ramp over [0, 7], widened to [0, 14], still foresees the ramp
 * (each old level lands where its centre falls, two by two); a value
 * below widens the other end. */
static void
test_widen(void)
{
	static const int ramp[] = {0, 1, 2, 3, 4, 5, 6, 7};
	an_sequence q;
	uint64_t	t = 100;
	double		score;

	learn_pattern(&q, ramp, 8, 4);
	(void) an_sequence_update(&q, 14, NAN, t++, 0);
	CHECK(q.lo == 0 && q.hi == 14 && q.step == 2, "widened to [%g, %g], step %g", q.lo, q.hi, q.step);
	CHECK(q.last[q.n_last - 1] == 7 && q.last[q.n_last - 2] == 3,
		  "the latest levels moved: %d after %d", q.last[q.n_last - 1], q.last[q.n_last - 2]);
	for (int v = 0; v < 8; v++)
		(void) an_sequence_update(&q, v, NAN, t++, 0);	/* runs after 14 are new */
	check_foreseen(&q, ramp, 8, 16, &t, 0);	/* the ramp, after widening */
	score = an_sequence_update(&q, -14, NAN, t++, 0);
	CHECK(q.lo == -14 && q.hi == 14 && q.step == 4 && score == 1,
		  "widened below to [%g, %g], step %g, score %g", q.lo, q.hi, q.step, score);
	CHECK(an_sequence_range_agrees(&q, 1, -14, 14) && an_sequence_range_agrees(&q, 1, -10, 10) &&
		  !an_sequence_range_agrees(&q, 1, -15, 14), "after learning, a range it covers");
}

/* Widening moves everything learnt, the seasonal pairs too, to where a
 * learning over the wider range from the start puts it: random levels 0..7
 * with seasons of 2..7, learnt over [0, 7] and widened by 14 (or by -7),
 * against the same values learnt over [0, 14] (or [-7, 7]) given. */
static void
test_widen_as_relearnt(void)
{
	an_prng		r;

	an_prng_seed(&r, 17);
	for (int trial = 0; trial < 200; trial++)
	{
		double		x[60];
		int			season = 2 + trial % 6;
		double		far = trial % 2 ? -7 : 14;
		an_sequence widened,
					given;

		for (int i = 0; i < 60; i++)
			x[i] = (double) (an_prng_next(&r) % AN_SEQ_LEVELS);
		x[0] = 0;				/* the learnt range is [0, 7] */
		x[1] = 7;
		memset(&widened, 0, sizeof(widened));
		an_sequence_learn(&widened, x, 60, season);
		memset(&given, 0, sizeof(given));
		an_sequence_fix_range(&given, fmin(far, 0), fmax(far, 7));
		an_sequence_learn(&given, x, 60, season);
		(void) an_sequence_update(&widened, far, x[60 - season], 60, 0);
		(void) an_sequence_update(&given, far, x[60 - season], 60, 0);
		CHECK(widened.lo == given.lo && widened.hi == given.hi &&
			  memcmp(widened.seen, given.seen, sizeof(given.seen)) == 0 &&
			  memcmp(widened.seasonal, given.seasonal, sizeof(given.seasonal)) == 0 &&
			  widened.n_last == given.n_last &&
			  memcmp(widened.last, given.last, sizeof(given.last)) == 0,
			  "trial %d (season %d, widened by %g): not as learnt over the wider range",
			  trial, season, far);
	}
}

/* The seasonal run tells phases apart: over a season of 4 whose levels go
 * 0, 7, 0, 3, a 3 after (7, 0) is what the runs of 1..3 levels foresee;
 * with the level a season back 3 (its phase) it scores 0, with 7 (the
 * other phase after a 0) the pair (7, 0) never led to 3 and it scores
 * (1 - 3/4) / 2; learnt without a season, the pair is not there. */
static void
test_seasonal(void)
{
	static const int phases[] = {0, 7, 0, 3};
	double		x[40];
	an_sequence q,
				at_phase,
				off_phase,
				plain;
	double		score;

	for (int i = 0; i < 40; i++)
		x[i] = phases[i % 4];
	memset(&q, 0, sizeof(q));
	an_sequence_learn(&q, x, 39, 4);	/* the last levels: 0, 7, 0 */
	at_phase = off_phase = q;
	score = an_sequence_update(&at_phase, 3, 3, 39, REST);
	CHECK(score == 0, "a 3 at its phase scores %g", score);
	score = an_sequence_update(&off_phase, 3, 7, 39, REST);
	CHECK(score == 0.125, "a 3 where a 7 was a season back scores %g", score);
	memset(&plain, 0, sizeof(plain));
	an_sequence_learn(&plain, x, 39, 0);
	score = an_sequence_update(&plain, 3, NAN, 39, REST);
	CHECK(score == 0 && memcmp(plain.seen, q.seen, sizeof(q.seen)) == 0,
		  "without a season, the same runs and a score of %g", score);
	for (int i = 0; i < AN_SEQ_SEASONAL; i++)
		CHECK(plain.seasonal[i] == 0, "a seasonal pair learnt without a season");
}

/* Written bytes read back into a state that continues bit for bit. */
static void
test_round_trip(void)
{
	static const int cycle[] = {0, 7, 2, 5, 3, 6, 1, 4};
	an_ctx		ctx = new_ctx();
	an_sequence q,
				r;
	an_writer	w;
	an_reader	rd;

	learn_pattern(&q, cycle, 8, 3);
	(void) an_sequence_update(&q, 3, 5, 30, REST);	/* a rest is running */
	an_writer_init(&w, &ctx, 64);
	an_sequence_write(&q, &w);
	an_reader_init(&rd, w.data, w.len);
	memset(&r, 0xff, sizeof(r));
	CHECK(an_sequence_read(&r, &rd, 31, REST), "the bytes read back");
	CHECK(an_reader_left(&rd) == 0, "every byte is read");
	CHECK(q.ready == r.ready && q.lo == r.lo && q.hi == r.hi && q.step == r.step && q.n_last == r.n_last &&
		  memcmp(q.last, r.last, sizeof(q.last)) == 0 && q.rest_until == r.rest_until &&
		  memcmp(q.seen, r.seen, sizeof(q.seen)) == 0 &&
		  memcmp(q.seasonal, r.seasonal, sizeof(q.seasonal)) == 0, "the same state");
	for (int i = 0; i < 40; i++)
	{
		double		a = an_sequence_update(&q, (i * 5) % 9, i % 7, 31 + (uint64_t) i, REST);
		double		b = an_sequence_update(&r, (i * 5) % 9, i % 7, 31 + (uint64_t) i, REST);

		CHECK(a == b, "point %d: %g and %g", i, a, b);
	}
}

/* Bytes of q with the byte at off set to v, read with n points taken in. */
static int
read_patched(const an_sequence *q, size_t off, int v, uint64_t n, int cut)
{
	an_ctx		ctx = new_ctx();
	an_writer	w;
	an_reader	rd;
	an_sequence r;

	an_writer_init(&w, &ctx, 64);
	an_sequence_write(q, &w);
	if (v >= 0)
		w.data[off] = (unsigned char) v;
	an_reader_init(&rd, w.data, w.len - (size_t) cut);
	return an_sequence_read(&r, &rd, n, REST);
}

/* Damaged bytes are refused: each field out of its range, and cuts. */
static void
test_refused(void)
{
	static const int cycle[] = {0, 7, 2, 5};
	an_sequence q,
				bad,
				fresh;

	learn_pattern(&q, cycle, 4, 2);
	memset(&fresh, 0, sizeof(fresh));
	/* layout: ready u32, lo f64, hi f64, n_last u32, last[3], rest u64, seen, seasonal */
	CHECK(read_patched(&q, 0, -1, 100, 0), "the intact bytes read");
	CHECK(!read_patched(&q, 0, 2, 100, 0), "ready 2 refused");
	CHECK(!read_patched(&q, 20, 4, 100, 0), "4 latest levels refused");
	CHECK(!read_patched(&q, 24, 8, 100, 0), "level 8 refused");
	CHECK(!read_patched(&q, 19, 0xbf, 100, 0), "a maximum below the minimum refused");
	CHECK(!read_patched(&q, 11, 0x7f, 100, 0), "a minimum above the maximum refused");
	bad = q;
	bad.hi = INFINITY;
	CHECK(!read_patched(&bad, 0, -1, 100, 0), "an infinite maximum refused");
	bad.hi = NAN;
	CHECK(!read_patched(&bad, 0, -1, 100, 0), "a NaN maximum refused");
	CHECK(!read_patched(&q, 27 + 3, 1, 100, 0), "a rest beyond its bound refused");
	CHECK(!read_patched(&q, 0, -1, 2, 0), "more latest levels than points refused");
	for (int cut = 1; cut < 40; cut += 7)
		CHECK(!read_patched(&q, 0, -1, 100, cut), "cut by %d refused", cut);
	CHECK(read_patched(&fresh, 0, -1, 0, 0), "a fresh state reads");
	CHECK(!read_patched(&fresh, 35 + 9, 1, 0, 0), "a fresh state with a transition refused");
	CHECK(!read_patched(&fresh, 35 + AN_SEQ_RUNS + 5, 1, 0, 0),
		  "a fresh state with a seasonal pair refused");
	CHECK(!read_patched(&fresh, 4, 1, 0, 0), "a fresh state with its minimum above its maximum refused");
}

int
main(void)
{
	run("pattern_and_rest", test_pattern_and_rest);
	run("partial", test_partial);
	run("fill", test_fill);
	run("ranges", test_ranges);
	run("given_range", test_given_range);
	run("widen", test_widen);
	run("widen_as_relearnt", test_widen_as_relearnt);
	run("seasonal", test_seasonal);
	run("round_trip", test_round_trip);
	run("refused", test_refused);
	return finish();
}
