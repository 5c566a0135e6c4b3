/*
 * test_series_context_exact.c - the series method "context" scores long
 * seeded series exactly as the detector did before it was made faster: the
 * CRC32C of every score and the CRC32C and length of the final state's bytes
 * (the header's stamp of the release that wrote them and the checksum left
 * out, so that a release bump changes no figure) are compared with figures recorded from the code before the change
 * (src/core/series_context.c at commit 9c613cb, which crossed every
 * semi-context at every step).  Three seeded series: 8,000 points of
 * uniform noise (as NAB's art_noisy; it reaches the cap of 65,536 contexts
 * near point 4,000), and 24,000 points each of a random walk that leaves its
 * learning range and of a daily wave with NAB-like spikes and a level
 * shift.  A state written and read back, and a copy, taken half-way
 * continue with the same scores and end with the same bytes (the derived
 * indexes are rebuilt, never stored).
 *
 * Usage:
 *   test_series_context_exact          run every test
 *   test_series_context_exact --print  print the figures of this build
 */
#include "an_core.h"
#include "checksum.h"
#include "prng.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LENGTH 24000			/* the longest series */
#define LEARNING 750
#define WRITER_STAMP_AT 16		/* header offsets of the writer's release stamp */
#define CHECKSUM_AT 24			/* and of the checksum that covers it */

enum shape
{
	NOISE, RANDOM_WALK, SPIKES
};

/* Points of each shape. */
static const int length[] = {8000, LENGTH, LENGTH};

/* What a run gives: the CRC32C of its scores, of its final state's bytes,
 * and their length. */
typedef struct figures
{
	uint32_t	scores;
	uint32_t	state;
	size_t		len;
} figures;

/* The figures recorded from the code before the speed-up, by shape (the
 * state's CRC taken again without the stamp of the bytes that gave the
 * recorded 0x84d2f180, 0xe66bce2c and 0xfec4ab2c with 0.2.0's stamp). */
static const figures reference[] = {
	{0xb9b28ae1, 0xb1575c30, 1092245},
	{0x75038d8a, 0xdecd893b, 154498},
	{0x98f05eb1, 0xa4b1da38, 99624},
};

/* A seeded series of the given shape into x[0..n). */
static void
make_series(double *x, int n, enum shape shape, uint64_t seed)
{
	an_prng		r;
	double		walk = 0;

	an_prng_seed(&r, seed);
	for (int i = 0; i < n; i++)
	{
		double		wave = 100 + 20 * sin(2 * M_PI * i / 288);

		switch (shape)
		{
			case NOISE:
				x[i] = 100 + 40 * an_prng_uniform(&r);
				break;
			case RANDOM_WALK:
				walk += an_prng_normal(&r);
				x[i] = walk;
				break;
			case SPIKES:
				x[i] = wave + an_prng_normal(&r) + (i >= 3 * n / 4 ? 25 : 0);
				if (an_prng_below(&r, 500) == 0)
					x[i] += (an_prng_below(&r, 2) ? 1 : -1) * (30 + 30 * an_prng_uniform(&r));
				break;
		}
	}
}

/* A context detector learning over LEARNING points. */
static an_series *
new_detector(an_ctx *ctx)
{
	an_series_options opt;
	an_series  *s = NULL;

	an_series_default_options(&opt);
	opt.method = AN_SERIES_CONTEXT;
	opt.learning = LEARNING;
	CHECK(an_series_create(ctx, &opt, &s) == AN_OK, "create: %s", ctx->message);
	return s;
}

/* Feed x[from..to) to s, folding each score into *crc (and checking it
 * against want[] when want is given, else recording it there). */
static void
feed(an_series *s, const double *x, int from, int to, uint32_t *crc, double *want, int check)
{
	for (int i = from; i < to; i++)
	{
		an_series_point p;

		an_series_update(s, x[i], &p);
		*crc = an_crc32c_update(*crc, &p.score, sizeof(p.score));
		if (check)
			CHECK(p.score == want[i], "point %d: %.17g against %.17g", i, p.score, want[i]);
		else
			want[i] = p.score;
	}
}

/* The CRC32C (stamp and checksum zeroed) and length of s's state bytes into f. */
static void
state_figures(an_series *s, an_ctx *ctx, figures *f)
{
	unsigned char *bytes;

	CHECK(an_series_write(s, ctx, &bytes, &f->len) == AN_OK, "write: %s", ctx->message);
	/* leave out the writer's release stamp and the checksum that covers it */
	memset(bytes + WRITER_STAMP_AT, 0, 4);
	memset(bytes + CHECKSUM_AT, 0, 4);
	f->state = an_crc32c(bytes, f->len);
}

/* Run the series of a shape: its figures into *f; a state read back from
 * its bytes and a copy, both taken half-way, give the same scores and end in
 * the same bytes. */
static void
run_shape(enum shape shape, figures *f)
{
	static double x[LENGTH],
				score[LENGTH];
	an_ctx		ctx = new_ctx();
	an_series  *s = new_detector(&ctx),
			   *read = NULL,
			   *copy;
	unsigned char *bytes;
	size_t		len;
	uint32_t	crc = 0,
				other = 0;
	figures		g;
	int			n = length[shape],
				half = n / 2;

	make_series(x, n, shape, 20261207 + (uint64_t) shape);
	feed(s, x, 0, half, &crc, score, 0);
	CHECK(an_series_write(s, &ctx, &bytes, &len) == AN_OK, "write: %s", ctx.message);
	CHECK(an_series_read(&ctx, bytes, len, &read) == AN_OK, "read: %s", ctx.message);
	copy = an_series_copy(s, &ctx);
	feed(s, x, half, n, &crc, score, 0);
	f->scores = crc;
	state_figures(s, &ctx, f);
	for (int k = 0; k < 2 && read != NULL; k++)
	{
		an_series  *t = k == 0 ? read : copy;

		other = 0;
		feed(t, x, half, n, &other, score, 1);
		state_figures(t, &ctx, &g);
		CHECK(g.state == f->state && g.len == f->len, "shape %d: the %s ends in other bytes",
			  (int) shape, k == 0 ? "state read back" : "copy");
	}
	free_all_blocks();
}

/* Each shape gives the figures recorded before the speed-up. */
static void
test_reference(void)
{
	for (int shape = NOISE; shape <= SPIKES; shape++)
	{
		figures		f;

		run_shape((enum shape) shape, &f);
		CHECK(f.scores == reference[shape].scores, "shape %d: scores %08x against %08x",
			  shape, f.scores, reference[shape].scores);
		CHECK(f.state == reference[shape].state && f.len == reference[shape].len,
			  "shape %d: state %08x (%zu bytes) against %08x (%zu bytes)", shape,
			  f.state, f.len, reference[shape].state, reference[shape].len);
	}
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--print") == 0)
	{
		for (int shape = NOISE; shape <= SPIKES; shape++)
		{
			figures		f;

			run_shape((enum shape) shape, &f);
			printf("\t{0x%08x, 0x%08x, %zu},\n", f.scores, f.state, f.len);
		}
		return 0;
	}
	run("reference", test_reference);
	return finish();
}
