/*
 * segment_bench.c - training many small models, as
 *
 *   SELECT seg, anomaly_fit(t, 'iforest') FROM ... GROUP BY seg
 *
 * does over 1,000 segments of 1,000 rows of 8 float8 columns.  Each model is
 * made as the aggregate's final function makes it (src/fit.c,
 * anomaly_fit_final): an_model_train on the state, an_model_write (which
 * computes the CRC32C), a copy of the bytes into the result, and the
 * work memory (zeroed on allocation, like palloc0) freed at once.
 *
 * Usage: segment_bench [segments [rows]]
 * Prints the median of 3 runs of the whole loop (total and per model), the
 * page faults per model, a breakdown of one model's training, and an FNV-1a
 * hash of every model's bytes: it must not change when the code gets faster.
 *
 * Page faults can cost as much as the training: when glibc's malloc gives
 * the freed work memory back to the kernel after each model (its trim and
 * mmap thresholds adapt to the sizes seen), the next model faults it in
 * again.  GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864:\
 * glibc.malloc.mmap_threshold=33554432 keeps it, isolating the computation.
 */
#include "an_core.h"
#include "detector.h"
#include "fitstate.h"
#include "model.h"
#include "bench_alloc.h"
#include "prng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define N_FEATURES 8
#define N_RUNS 3

/* Every block of the current model's work memory, freed together. */
static void **blocks;
static size_t n_blocks,
			cap_blocks;

/* Minor page faults of this process so far. */
static long
page_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* FNV-1a over len bytes, continuing from h. */
static uint64_t
fnv1a(uint64_t h, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64_C(0x100000001B3);
	}
	return h;
}

/*
 * The state of segment s: rows rows of 8 numeric columns of assorted
 * shapes (normal, integers with many ties, lognormal, cents, a few
 * outliers), from a seed fixed per segment.
 */
static an_state *
segment_state(uint32_t s, uint32_t rows)
{
	static const char *const names[N_FEATURES] = {
		"a", "b", "c", "d", "count", "amount", "price", "load"
	};
	an_kind		kinds[N_FEATURES];
	an_params	p;
	an_prng		rng;
	uint32_t	capacity = rows < AN_STATE_MIN_CAPACITY ? AN_STATE_MIN_CAPACITY : rows;
	size_t		size = an_state_size(N_FEATURES, 0, capacity);
	an_state   *st = calloc(1, size);

	if (st == NULL)
		exit(2);
	for (int j = 0; j < N_FEATURES; j++)
		kinds[j] = AN_KIND_NUMERIC;
	an_params_defaults(&p, &an_iforest_ops);
	an_state_init(st, N_FEATURES, names, kinds, &p, capacity);
	st->host_len = (uint32_t) size;
	an_prng_seed(&rng, UINT64_C(0x5E6) + s);
	for (uint32_t i = 0; i < rows; i++)
	{
		an_cell		row[N_FEATURES];

		for (int j = 0; j < 4; j++)
			row[j].num = (double) (s % 10) + (1.0 + j) * an_prng_normal(&rng);
		row[4].num = (double) an_prng_below(&rng, 100);
		row[5].num = exp(3.0 + an_prng_normal(&rng));
		row[6].num = floor(100.0 * (20.0 + 5.0 * an_prng_normal(&rng)) + 0.5) / 100.0;
		row[7].num = an_prng_below(&rng, 50) == 0 ? 6.0 + an_prng_normal(&rng)
			: an_prng_normal(&rng);
		an_state_add_row(st, row);
	}
	return st;
}

/* Train and serialize one model as anomaly_fit_final does; returns its bytes. */
static unsigned char *
final_function(an_ctx *ctx, const an_state *st, size_t *len)
{
	an_model   *m;
	unsigned char *bytes;
	unsigned char *result;
	char		dropped[1024];

	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK ||
		an_model_write(ctx, m, &bytes, len) != AN_OK)
	{
		fprintf(stderr, "segment_bench: %s\n", ctx->message);
		exit(1);
	}
	result = malloc(*len);
	if (result == NULL)
		exit(2);
	memcpy(result, bytes, *len);
	free_blocks();
	return result;
}

/* qsort order of doubles, for the median of the runs. */
static int
cmp_time(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Where one model's training time goes: the forest (fit), scoring the
 * calibration rows, the rest of an_model_train (encoding, medians, drift
 * sketches, sorting), and an_model_write with its CRC.  Means over the
 * segments, in microseconds.
 */
static void
breakdown(an_ctx *ctx, an_state **states, uint32_t n_seg)
{
	double		t_train = 0,
				t_fit = 0,
				t_score = 0,
				t_write = 0;

	for (uint32_t s = 0; s < n_seg; s++)
	{
		const an_state *st = states[s];
		an_model   *m;
		void	   *forest;
		unsigned char *bytes;
		size_t		len;
		char		dropped[1024];
		double		t0,
					t1,
					t2,
					sink = 0;
		const double *X = (const double *) an_state_rows(st);

		t0 = cpu_seconds();
		if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK)
			exit(1);
		t1 = cpu_seconds();
		if (an_model_write(ctx, m, &bytes, &len) != AN_OK)
			exit(1);
		t2 = cpu_seconds();
		t_train += t1 - t0;
		t_write += t2 - t1;
		free_blocks();
		/* the sample has no NULL and no infinity: it is the encoded matrix */
		t0 = cpu_seconds();
		if (an_iforest_ops.fit(ctx, &m->params, X, st->filled, N_FEATURES, &forest) != AN_OK)
			exit(1);
		t1 = cpu_seconds();
		for (uint32_t i = 0; i < st->filled; i++)
			sink += an_iforest_ops.score(forest, X + (size_t) i * N_FEATURES);
		t2 = cpu_seconds();
		if (!(sink > 0))
			exit(1);
		t_fit += t1 - t0;
		t_score += t2 - t1;
		free_blocks();
	}
	printf("breakdown per model (us): fit %.0f, calibration scoring %.0f, "
		   "rest of train %.0f, write+crc %.0f\n",
		   t_fit * 1e6 / n_seg, t_score * 1e6 / n_seg,
		   (t_train - t_fit - t_score) * 1e6 / n_seg, t_write * 1e6 / n_seg);
}

int
main(int argc, char **argv)
{
	uint32_t	n_seg = argc > 1 ? (uint32_t) atoi(argv[1]) : 1000;
	uint32_t	rows = argc > 2 ? (uint32_t) atoi(argv[2]) : 1000;
	an_state  **states;
	an_ctx		ctx;
	double		times[N_RUNS];
	uint64_t	hash = UINT64_C(0xCBF29CE484222325);
	size_t		total_len = 0;
	long		faults;

	if (n_seg < 1 || rows < 2)
	{
		fprintf(stderr, "usage: segment_bench [segments [rows]]\n");
		return 2;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = bench_alloc;
	states = malloc(sizeof(an_state *) * n_seg);
	if (states == NULL)
		return 2;
	for (uint32_t s = 0; s < n_seg; s++)
		states[s] = segment_state(s, rows);
	faults = page_faults();
	for (int r = 0; r < N_RUNS; r++)
	{
		double		t0 = cpu_seconds();

		for (uint32_t s = 0; s < n_seg; s++)
		{
			size_t		len;
			unsigned char *bytes = final_function(&ctx, states[s], &len);

			if (r == 0)
			{
				hash = fnv1a(hash, bytes, len);
				total_len += len;
			}
			free(bytes);
		}
		times[r] = cpu_seconds() - t0;
	}
	faults = page_faults() - faults;
	qsort(times, N_RUNS, sizeof(double), cmp_time);
	printf("%u models of %u rows x %d features: %.3f s, %.1f us per model "
		   "(median of %d runs; min %.3f s, max %.3f s), %.1f page faults per model\n",
		   n_seg, rows, N_FEATURES, times[N_RUNS / 2], times[N_RUNS / 2] * 1e6 / n_seg,
		   N_RUNS, times[0], times[N_RUNS - 1], (double) faults / (N_RUNS * n_seg));
	printf("model bytes: %.1f KB per model, FNV-1a %016llx\n",
		   (double) total_len / 1024 / n_seg, (unsigned long long) hash);
	breakdown(&ctx, states, n_seg);
	for (uint32_t s = 0; s < n_seg; s++)
		free(states[s]);
	free(states);
	free(blocks);
	return 0;
}
