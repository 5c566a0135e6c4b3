/*
 * test_golden.c - the serialized bytes of models trained on awkward data are
 * exactly those the code wrote before it was made faster: a hash of each
 * model's bytes is recorded here, leaving out the header's stamp of the
 * extension version that wrote it and the checksum that covers the stamp.  And an_sort_doubles sorts exactly as
 * qsort with an_cmp_double does.  The data mix NULLs, infinities, ties, a
 * median that falls among both signs of zero, a categorical column and a
 * constant one, and every detector is trained on them.  The hashes were
 * recorded on x86-64 with glibc; another C library may round exp or log
 * differently, so elsewhere the test only prints them.
 *
 * Usage: test_golden [--print]   (--print shows the hashes got)
 */
#include "an_core.h"
#include "detector.h"
#include "fitstate.h"
#include "model.h"
#include "order_stats.h"
#include "params.h"
#include "prng.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* whether this is the platform the hashes were recorded on */
#if defined(__x86_64__) && defined(__GLIBC__)
#define RECORDED_PLATFORM 1
#else
#define RECORDED_PLATFORM 0
#endif

/* header offsets: the writer's version stamp and the checksum */
#define WRITER_STAMP_AT 16
#define CHECKSUM_AT 24

static int print_hashes = 0;

/* FNV-1a of len bytes. */
static uint64_t
fnv1a(const unsigned char *p, size_t len)
{
	uint64_t	h = UINT64_C(0xCBF29CE484222325);

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64_C(0x100000001B3);
	}
	return h;
}

/* A state of n awkward rows for algorithm ops, seeded by seed. */
static an_state *
awkward_state(an_ctx *ctx, const an_detector_ops *ops, uint32_t n, uint64_t seed)
{
	static const char *const names[6] = {"x", "y", "z", "color", "k", "w"};
	static const an_kind kinds[6] = {
		AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL,
		AN_KIND_NUMERIC, AN_KIND_NUMERIC
	};
	static const double signed_zeros[6] = {-2.0, -1.0, -0.0, 0.0, 1.0, 2.0};
	an_params	p;
	an_prng		rng;
	size_t		size = an_state_size(6, 1, n);
	an_state   *st = an_alloc(ctx, size);

	an_params_defaults(&p, ops);
	an_state_init(st, 6, names, kinds, &p, n);
	st->host_len = (uint32_t) size;
	an_prng_seed(&rng, seed);
	for (uint32_t i = 0; i < n; i++)
	{
		an_cell		row[6];
		uint64_t	u = an_prng_below(&rng, 100);

		row[0].num = an_prng_normal(&rng);
		row[1].num = i % 7 == 3 ? NAN : u == 0 ? INFINITY : u == 1 ? -INFINITY
			: 10 + 2 * an_prng_normal(&rng);
		row[2].num = signed_zeros[an_prng_below(&rng, 6)];
		row[3].cat = i % 9 == 4 ? 0 : UINT64_C(0x9E3779B97F4A7C15) * (1 + an_prng_below(&rng, 5));
		row[4].num = 3.0;
		row[5].num = (double) an_prng_below(&rng, 10) - 4.5;
		an_state_add_row(st, row);
	}
	return st;
}

/* Train algorithm name on the awkward rows and check its bytes' hash. */
static void
check_detector(const char *name, uint32_t n, uint64_t want)
{
	an_ctx		ctx = new_ctx();
	const an_detector_ops *ops = an_detector_by_name(name);
	an_state   *st = awkward_state(&ctx, ops, n, 7);
	an_model   *m;
	unsigned char *bytes;
	size_t		len;
	char		dropped[256];
	uint64_t	h;

	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	CHECK_STATUS(an_model_write(&ctx, m, &bytes, &len), AN_OK);
	memset(bytes + WRITER_STAMP_AT, 0, 4);
	memset(bytes + CHECKSUM_AT, 0, 4);
	h = fnv1a(bytes, len);
	if (print_hashes || !RECORDED_PLATFORM)
		printf("%s %u: %016llx\n", name, n, (unsigned long long) h);
	if (RECORDED_PLATFORM)
		CHECK(h == want, "%s model bytes hash %016llx, expected %016llx",
			  name, (unsigned long long) h, (unsigned long long) want);
}

/* Every detector's model of the awkward rows. */
static void
test_golden_detectors(void)
{
	check_detector("iforest", 1000, UINT64_C(0x16C79773896FF89D));
	check_detector("iforest", 600, UINT64_C(0xC3E152014BE44896));
	check_detector("hbos", 600, UINT64_C(0xE3B0485D9DDA0A5A));
	check_detector("ecod", 600, UINT64_C(0xA6A3512ABC65C2B2));
	check_detector("copod", 600, UINT64_C(0x60B83218BB6AFAFB));
	check_detector("zscore", 600, UINT64_C(0x0348318E9E82A10D));
	check_detector("mahalanobis", 600, UINT64_C(0x462952C18A901C3C));
	check_detector("lof", 600, UINT64_C(0xE1330059F7A43E6C));
	check_detector("knn", 600, UINT64_C(0xE565807D798CCBE9));
	check_detector("ocsvm", 300, UINT64_C(0xA2004AF3B267A2F7));
	check_detector("ensemble", 300, UINT64_C(0x2D8BA56D764476EB));
	check_detector("fcforest", 600, UINT64_C(0x3F008188E808F219));
	/*
	 * auto version 2; version 1 gave 0x0D251B72B0A826BE (test_auto_versions
	 * checks that a version 1 model still scores as it did)
	 */
	check_detector("auto", 300, UINT64_C(0xDD997C493C7DF11F));
}

/* an_sort_doubles leaves the same bits as qsort on assorted arrays. */
static void
test_sort_doubles(void)
{
	static const double odd[] = {
		0.0, -0.0, INFINITY, -INFINITY, 1e-310, -1e-310, DBL_MAX, -DBL_MAX, 1.0, -1.0
	};
	an_ctx		ctx = new_ctx();
	an_prng		rng;
	size_t		sizes[] = {0, 1, 2, 3, 17, 256, 1000, 5000};

	an_prng_seed(&rng, 11);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int kind = 0; kind < 5; kind++)
		{
			size_t		n = sizes[s];
			double	   *v = an_alloc(&ctx, sizeof(double) * (n + 1));
			double	   *want = an_alloc(&ctx, sizeof(double) * (n + 1));
			uint64_t   *scratch = an_alloc(&ctx, sizeof(uint64_t) * 2 * (n + 1));

			for (size_t i = 0; i < n; i++)
			{
				uint64_t	u = an_prng_below(&rng, 10);

				/* 0: normal; 1: few distinct values; 2: odd values; 3: with
				 * -0; 4: with NaN */
				v[i] = kind == 0 ? an_prng_normal(&rng)
					: kind == 1 ? (double) u - 4.0
					: kind == 2 ? odd[u == 1 ? 0 : u]
					: kind == 3 ? odd[u % 2]
					: u == 0 ? NAN : an_prng_normal(&rng);
			}
			memcpy(want, v, sizeof(double) * n);
			qsort(want, n, sizeof(double), an_cmp_double);
			an_sort_doubles(v, n, scratch);
			CHECK(memcmp(v, want, sizeof(double) * n) == 0,
				  "sort of %zu values of kind %d differs from qsort", n, kind);
		}
}

int
main(int argc, char **argv)
{
	print_hashes = argc > 1 && strcmp(argv[1], "--print") == 0;
	run("golden_detectors", test_golden_detectors);
	run("sort_doubles", test_sort_doubles);
	return finish();
}
