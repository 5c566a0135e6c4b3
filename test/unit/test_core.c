/*
 * test_core.c - unit tests of the pure-C core (src/core), no framework.
 *
 * Usage:
 *   test_core                 run every test; prints one line per failed
 *                             check and finally "N passed, N failed"
 *   test_core --seeds DIR     write the fuzzing seed corpus into DIR/model
 *                             and DIR/state, then exit
 *
 * The allocator hands out calloc'd blocks, records them, and frees them all
 * at the end of each test (the core itself never frees).
 */
#include "an_core.h"
#include "bytes.h"
#include "checksum.h"
#include "detector.h"
#include "drift.h"
#include "fitstate.h"
#include "metrics.h"
#include "model.h"
#include "params.h"
#include "prng.h"
#include "sample.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* a recorded copy of n bytes */
static void *
dup_bytes(const void *src, size_t n)
{
	void	   *p = test_alloc(NULL, n ? n : 1);

	memcpy(p, src, n);
	return p;
}

/* ------------------------------------------------------------------ */
/* helpers: states and models */

static an_params
iforest_params(an_ctx *ctx, double sample_rows, double n_trees,
			   double sample_size, uint64_t seed)
{
	an_params	p;

	an_params_defaults(&p, &an_iforest_ops);
	if (an_params_set(ctx, &p, &an_iforest_ops, "sample_rows", sample_rows) != AN_OK ||
		an_params_set(ctx, &p, &an_iforest_ops, "n_trees", n_trees) != AN_OK ||
		an_params_set(ctx, &p, &an_iforest_ops, "sample_size", sample_size) != AN_OK ||
		an_params_set(ctx, &p, &an_iforest_ops, "seed", (double) seed) != AN_OK)
	{
		fprintf(stderr, "iforest_params: %s\n", ctx->message);
		abort();
	}
	return p;
}

/* A new state for n_cols columns with the given initial capacity. */
static an_state *
state_new(uint32_t n_cols, const char *const *names, const an_kind *kinds,
		  const an_params *p, uint32_t capacity)
{
	uint32_t	n_cat = 0;
	size_t		size;
	an_state   *st;

	for (uint32_t c = 0; c < n_cols; c++)
		if (kinds[c] == AN_KIND_CATEGORICAL)
			n_cat++;
	size = an_state_size(n_cols, n_cat, capacity);
	st = test_alloc(NULL, size);
	an_state_init(st, n_cols, names, kinds, p, capacity);
	st->host_len = (uint32_t) size;
	return st;
}

static size_t
state_len(const an_state *st)
{
	return an_state_size(st->n_cols, st->n_cat, st->capacity);
}

/* A copy of st with room for capacity rows (as the host does). */
static an_state *
state_grown(const an_state *st, uint32_t capacity)
{
	size_t		size = an_state_size(st->n_cols, st->n_cat, capacity);
	an_state   *g = test_alloc(NULL, size);

	an_state_grow(g, st, capacity);
	g->host_len = (uint32_t) size;
	return g;
}

/* Add a row, growing the state first when it asks for it. */
static an_state *
state_add(an_state *st, const an_cell *row)
{
	uint32_t	want = an_state_wants_capacity(st);

	if (want)
		st = state_grown(st, want);
	an_state_add_row(st, row);
	return st;
}

/* Merge src into dst as the host does: grow dst first if needed. */
static an_state *
state_merge(an_ctx *ctx, an_state *dst, const an_state *src, an_status *status)
{
	uint32_t	need;

	*status = an_state_compatible(ctx, dst, src);
	if (*status != AN_OK)
		return dst;
	need = an_state_merge_capacity(dst, src);
	if (need > dst->capacity)
		dst = state_grown(dst, need);
	an_state_merge(dst, src);
	return dst;
}

static uint64_t
cat_hash(const char *s)
{
	return an_hash_bytes(s, strlen(s));
}

/* Write a model to bytes or abort. */
static unsigned char *
model_bytes(an_ctx *ctx, const an_model *m, size_t *len)
{
	unsigned char *bytes;

	if (an_model_write(ctx, m, &bytes, len) != AN_OK)
	{
		fprintf(stderr, "an_model_write: %s\n", ctx->message);
		abort();
	}
	return bytes;
}

/*
 * A small mixed model: x (numeric), y (numeric), color (categorical);
 * n rows, n_trees trees of sample_size rows.
 */
static an_model *
small_model(an_ctx *ctx, int n, double n_trees, double sample_size,
			double contamination, uint64_t seed)
{
	static const char *const names[] = {"x", "y", "color"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};
	static const char *const colors[] = {"red", "green", "blue", "red", "red"};
	an_params	p = iforest_params(ctx, 32, n_trees, sample_size, seed);
	an_state   *st;
	an_prng		rng;
	an_model   *m = NULL;
	char		dropped[128];

	if (!isnan(contamination) &&
		an_params_set(ctx, &p, &an_iforest_ops, "contamination", contamination) != AN_OK)
		abort();
	st = state_new(3, names, kinds, &p, 0);
	an_prng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		an_cell		row[3];

		row[0].num = an_prng_normal(&rng);
		row[1].num = i % 7 == 3 ? NAN : 10 + 2 * an_prng_normal(&rng);
		row[2].cat = i % 9 == 4 ? 0 : cat_hash(colors[an_prng_below(&rng, 5)]);
		st = state_add(st, row);
	}
	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK)
	{
		fprintf(stderr, "small_model: %s\n", ctx->message);
		abort();
	}
	return m;
}

/* Recompute the length and CRC32C of model bytes after an edit. */
static void
patch_model_header(unsigned char *b, size_t len)
{
	uint32_t	crc;

	if (len < AN_MODEL_HEADER)
		return;
	for (int i = 0; i < 4; i++)
		b[20 + i] = (unsigned char) ((uint32_t) len >> (8 * i));
	crc = an_model_checksum(b, len);
	for (int i = 0; i < 4; i++)
		b[24 + i] = (unsigned char) (crc >> (8 * i));
}

/* ------------------------------------------------------------------ */
/* checksum, prng, bytes */

static void
test_checksum(void)
{
	const char *v = "123456789";
	uint64_t	h1,
				h2;
	int			zero = 0,
				same = 0;
	uint64_t	prev = 0;

	CHECK(an_crc32c(v, 9) == UINT32_C(0xE3069283), "crc32c(\"123456789\") = %08X",
		  an_crc32c(v, 9));
	CHECK(an_crc32c("", 0) == 0, "crc32c of nothing = %08X", an_crc32c("", 0));
	/* 32 zero bytes: the iSCSI (RFC 3720, B.4) test vector */
	{
		unsigned char z[32] = {0};
		unsigned char ff[32];

		memset(ff, 0xFF, sizeof(ff));
		CHECK(an_crc32c(z, 32) == UINT32_C(0x8A9136AA), "crc32c(32 zeros) = %08X",
			  an_crc32c(z, 32));
		CHECK(an_crc32c(ff, 32) == UINT32_C(0x62A8AB43), "crc32c(32 0xFF) = %08X",
			  an_crc32c(ff, 32));
	}
	/* ascending and descending bytes (RFC 3720, B.4), and every split of 100 bytes */
	{
		unsigned char up[32],
					down[32],
					mixed[100];
		uint32_t	whole;

		for (int i = 0; i < 32; i++)
		{
			up[i] = (unsigned char) i;
			down[i] = (unsigned char) (31 - i);
		}
		CHECK(an_crc32c(up, 32) == UINT32_C(0x46DD794E), "crc32c(0..31) = %08X", an_crc32c(up, 32));
		CHECK(an_crc32c(down, 32) == UINT32_C(0x113FDB5C), "crc32c(31..0) = %08X",
			  an_crc32c(down, 32));
		for (int i = 0; i < 100; i++)
			mixed[i] = (unsigned char) (i * 37 + 11);
		whole = an_crc32c(mixed, 100);
		for (size_t cut = 0; cut <= 100; cut++)
			CHECK(an_crc32c_update(an_crc32c(mixed, cut), mixed + cut, 100 - cut) == whole,
				  "crc32c split at %zu differs", cut);
	}
	h1 = an_hash_bytes("red", 3);
	h2 = an_hash_bytes("red", 3);
	CHECK(h1 == h2, "hash is not deterministic");
	CHECK(an_hash_bytes("red", 3) != an_hash_bytes("rec", 3), "hash collides on red/rec");
	CHECK(an_hash_bytes("", 0) != 0, "hash of empty string is 0");
	for (uint32_t i = 0; i < 200000; i++)
	{
		uint64_t	h = an_hash_bytes(&i, sizeof(i));

		if (h == 0)
			zero++;
		if (h == prev)
			same++;
		prev = h;
	}
	CHECK(zero == 0, "hash returned 0 %d times", zero);
	CHECK(same == 0, "consecutive hashes equal %d times", same);
}

static void
test_prng(void)
{
	an_prng		a,
				b;
	int			diff = 0,
				out_of_range = 0;
	double		sum = 0,
				sq = 0;
	const int	n = 200000;

	/* reference SplitMix64 outputs for seed 0 (Vigna's splitmix64.c) */
	an_prng_seed(&a, 0);
	CHECK(an_prng_next(&a) == UINT64_C(0xE220A8397B1DCDAF), "splitmix64(0) #1 wrong");
	CHECK(an_prng_next(&a) == UINT64_C(0x6E789E6AA1B965F4), "splitmix64(0) #2 wrong");
	CHECK(an_prng_next(&a) == UINT64_C(0x06C45D188009454F), "splitmix64(0) #3 wrong");

	an_prng_seed(&a, 12345);
	an_prng_seed(&b, 12345);
	for (int i = 0; i < 1000; i++)
		if (an_prng_next(&a) != an_prng_next(&b))
			diff++;
	CHECK(diff == 0, "same seed gave %d different outputs", diff);
	an_prng_seed(&a, 12345);
	an_prng_seed(&b, 12346);
	diff = 0;
	for (int i = 0; i < 100; i++)
		if (an_prng_next(&a) != an_prng_next(&b))
			diff++;
	CHECK(diff == 100, "different seeds gave %d equal outputs", 100 - diff);

	an_prng_seed(&a, 7);
	for (int i = 0; i < n; i++)
	{
		double		u = an_prng_uniform(&a);
		uint64_t	k = an_prng_below(&a, 13);

		if (!(u >= 0 && u < 1) || k >= 13)
			out_of_range++;
	}
	CHECK(out_of_range == 0, "%d uniform/below draws out of range", out_of_range);

	an_prng_seed(&a, 99);
	for (int i = 0; i < n; i++)
	{
		double		z = an_prng_normal(&a);

		sum += z;
		sq += z * z;
	}
	CHECK_NEAR(sum / n, 0.0, 0.01);
	CHECK_NEAR(sq / n - (sum / n) * (sum / n), 1.0, 0.02);

	/* normal deviates are deterministic too */
	an_prng_seed(&a, 5);
	an_prng_seed(&b, 5);
	diff = 0;
	for (int i = 0; i < 100; i++)
		if (an_prng_normal(&a) != an_prng_normal(&b))
			diff++;
	CHECK(diff == 0, "normal deviates differ for one seed");
}

static void
test_bytes(void)
{
	an_ctx		ctx = new_ctx();
	an_writer	w;
	an_reader	r;
	static const unsigned char le[] = {0x04, 0x03, 0x02, 0x01};
	const unsigned char *p;
	double		negzero;

	an_writer_init(&w, &ctx, 0);
	an_write_u32(&w, UINT32_C(0x01020304));
	CHECK(w.len == 4 && memcmp(w.data, le, 4) == 0, "u32 is not little-endian");
	an_write_u8(&w, 0xAB);
	an_write_u16(&w, 0xBEEF);
	an_write_u64(&w, UINT64_C(0x0123456789ABCDEF));
	an_write_f64(&w, -1.5);
	an_write_f64(&w, -0.0);
	an_write_f64(&w, INFINITY);
	an_write_f64(&w, NAN);
	an_write_bytes(&w, "hello", 5);
	an_write_u32(&w, 0);
	an_patch_u32(&w, w.len - 4, UINT32_C(0xDEADBEEF));
	/* grow well past the initial 64 bytes */
	for (uint32_t i = 0; i < 1000; i++)
		an_write_u32(&w, i * 2654435761u);
	CHECK(w.len == 4 + 1 + 2 + 8 + 4 * 8 + 5 + 4 + 4000, "writer length %zu", w.len);
	CHECK(w.cap >= w.len, "writer cap %zu < len %zu", w.cap, w.len);

	an_reader_init(&r, w.data, w.len);
	CHECK(an_read_u32(&r) == UINT32_C(0x01020304), "u32 round trip");
	CHECK(an_read_u8(&r) == 0xAB, "u8 round trip");
	CHECK(an_read_u16(&r) == 0xBEEF, "u16 round trip");
	CHECK(an_read_u64(&r) == UINT64_C(0x0123456789ABCDEF), "u64 round trip");
	CHECK(an_read_f64(&r) == -1.5, "f64 round trip");
	negzero = an_read_f64(&r);
	CHECK(negzero == 0 && signbit(negzero), "-0.0 round trip");
	CHECK(isinf(an_read_f64(&r)), "inf round trip");
	CHECK(isnan(an_read_f64(&r)), "nan round trip");
	p = an_read_bytes(&r, 5);
	CHECK(p != NULL && memcmp(p, "hello", 5) == 0, "bytes round trip");
	CHECK(an_read_u32(&r) == UINT32_C(0xDEADBEEF), "patched u32 round trip");
	{
		int			bad = 0;

		for (uint32_t i = 0; i < 1000; i++)
			if (an_read_u32(&r) != i * 2654435761u)
				bad++;
		CHECK(bad == 0, "%d u32 values differ after growth", bad);
	}
	CHECK(!r.failed && an_reader_left(&r) == 0, "reader not at clean end");

	/* failures: short reads return zeros and the error is sticky */
	an_reader_init(&r, w.data, 3);
	CHECK(an_read_u32(&r) == 0 && r.failed, "short u32 read did not fail");
	CHECK(an_reader_left(&r) == 0, "failed reader has bytes left");
	CHECK(an_read_u8(&r) == 0, "read after failure is not 0");
	an_reader_init(&r, w.data, 10);
	CHECK(an_read_u64(&r) != 0 && !r.failed, "8 of 10 bytes");
	CHECK(an_read_u32(&r) == 0 && r.failed, "4 of 2 remaining bytes did not fail");
	CHECK(an_read_u8(&r) == 0 && r.failed, "sticky failure");
	an_reader_init(&r, w.data, 0);
	CHECK(an_read_bytes(&r, 0) != NULL && !r.failed, "0 bytes of 0 should succeed");
	CHECK(an_read_bytes(&r, 1) == NULL && r.failed, "1 byte of 0 should fail");
	an_reader_init(&r, w.data, 16);
	CHECK(an_read_bytes(&r, SIZE_MAX) == NULL && r.failed, "SIZE_MAX bytes should fail");
	an_reader_init(&r, w.data, 16);
	(void) an_read_u8(&r);
	CHECK(an_read_bytes(&r, SIZE_MAX) == NULL && r.failed,
		  "SIZE_MAX bytes at pos 1 should fail (no wrap)");
	CHECK(an_read_f64(&r) == 0, "f64 after failure is not 0");
}

/* ------------------------------------------------------------------ */
/* params and detectors */

static void
test_params(void)
{
	an_ctx		ctx = new_ctx();
	an_params	p,
				q;
	an_status	st;

	CHECK(an_detector_by_name("iforest") == &an_iforest_ops, "iforest not found by name");
	CHECK(an_detector_by_name("nope") == NULL, "unknown detector found");
	CHECK(an_detector_by_id(1) == &an_iforest_ops, "iforest not found by id");
	CHECK(an_detector_by_id(0) == NULL && an_detector_by_id(999) == NULL, "unknown id found");
	CHECK(strstr(an_detector_names(), "iforest") != NULL, "names lack iforest");

	an_params_defaults(&p, &an_iforest_ops);
	CHECK(p.algorithm == 1, "algorithm %u", p.algorithm);
	CHECK(p.common[AN_P_SEED] == 42, "default seed %g", p.common[AN_P_SEED]);
	CHECK(p.common[AN_P_SAMPLE_ROWS] == 100000, "default sample_rows");
	CHECK(isnan(p.common[AN_P_CONTAMINATION]), "default contamination is not auto");
	CHECK(p.values[0] == 100 && p.values[1] == 256 && p.values[2] == 0,
		  "iforest defaults %g %g %g", p.values[0], p.values[1], p.values[2]);
	CHECK_STATUS(an_params_check(&ctx, &p, &an_iforest_ops), AN_OK);

	/* valid sets */
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "n_trees", 50), AN_OK);
	CHECK(p.values[0] == 50, "n_trees not set");
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "seed", 0), AN_OK);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "seed", 9007199254740991.0), AN_OK);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "contamination", 0.5), AN_OK);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "contamination", 0.01), AN_OK);
	CHECK(p.common[AN_P_CONTAMINATION] == 0.01, "contamination not set");
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "contamination", NAN), AN_OK);
	CHECK(isnan(p.common[AN_P_CONTAMINATION]), "contamination NaN is not auto");
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "max_depth", 64), AN_OK);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "sample_rows", 16), AN_OK);

	/* range errors: message and hint set, value unchanged */
	{
		struct
		{
			const char *name;
			double		value;
			const char *hint_has;
		}			bad[] = {
			{"n_trees", 0, "10000"},
			{"n_trees", 10001, "10000"},
			{"n_trees", 1.5, "whole number"},
			{"n_trees", NAN, "n_trees"},
			{"n_trees", INFINITY, "n_trees"},
			{"sample_size", 1, "100000"},
			{"max_depth", -1, "64"},
			{"max_depth", 65, "64"},
			{"sample_rows", 15, "16"},
			{"seed", -1, "seed"},
			{"seed", 0.5, "whole number"},
			{"seed", 9007199254740992.0, "seed"},
			{"contamination", 0, "greater than 0"},
			{"contamination", -0.1, "contamination"},
			{"contamination", 0.51, "0.5"},
			{"contamination", INFINITY, "contamination"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			an_params	before = p;

			ctx.message[0] = ctx.hint[0] = '\0';
			st = an_params_set(&ctx, &p, &an_iforest_ops, bad[i].name, bad[i].value);
			CHECK(st == AN_ERR_PARAM, "%s = %g accepted", bad[i].name, bad[i].value);
			CHECK(ctx.message[0] != '\0' && strstr(ctx.message, bad[i].name) != NULL,
				  "%s = %g: message \"%s\"", bad[i].name, bad[i].value, ctx.message);
			CHECK(ctx.hint[0] != '\0' && strstr(ctx.hint, bad[i].hint_has) != NULL,
				  "%s = %g: hint \"%s\" lacks \"%s\"", bad[i].name, bad[i].value,
				  ctx.hint, bad[i].hint_has);
			CHECK(an_params_equal(&before, &p), "%s = %g changed the params",
				  bad[i].name, bad[i].value);
		}
	}

	/* unknown option: the hint lists every valid one */
	ctx.message[0] = ctx.hint[0] = '\0';
	st = an_params_set(&ctx, &p, &an_iforest_ops, "n_tree", 5);
	CHECK(st == AN_ERR_PARAM, "unknown option accepted");
	CHECK(strstr(ctx.message, "n_tree") != NULL && strstr(ctx.message, "iforest") != NULL,
		  "unknown option message \"%s\"", ctx.message);
	{
		const char *valid[] = {"seed", "sample_rows", "contamination", "n_trees",
		"sample_size", "max_depth"};

		for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
			CHECK(strstr(ctx.hint, valid[i]) != NULL, "hint \"%s\" lacks %s", ctx.hint,
				  valid[i]);
	}

	/* check() catches out-of-range values written directly */
	q = p;
	q.values[0] = 0;
	CHECK_STATUS(an_params_check(&ctx, &q, &an_iforest_ops), AN_ERR_PARAM);
	q = p;
	q.common[AN_P_CONTAMINATION] = 0;
	CHECK_STATUS(an_params_check(&ctx, &q, &an_iforest_ops), AN_ERR_PARAM);
	q = p;
	q.common[AN_P_SAMPLE_ROWS] = NAN;
	CHECK_STATUS(an_params_check(&ctx, &q, &an_iforest_ops), AN_ERR_PARAM);

	/* equality: NaN equals NaN */
	an_params_defaults(&p, &an_iforest_ops);
	an_params_defaults(&q, &an_iforest_ops);
	CHECK(an_params_equal(&p, &q), "defaults differ (NaN contamination)");
	q.values[1] = 128;
	CHECK(!an_params_equal(&p, &q), "different sample_size compare equal");
	q = p;
	q.common[AN_P_CONTAMINATION] = 0.1;
	CHECK(!an_params_equal(&p, &q), "auto and 0.1 compare equal");
}

/* ------------------------------------------------------------------ */
/* fit state */

static void
test_state_basic(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"a", "b", "c"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_CATEGORICAL, AN_KIND_NUMERIC};
	an_params	p = iforest_params(&ctx, 100, 10, 64, 1);
	an_state   *st = state_new(3, names, kinds, &p, 0);
	int			bounded = 1,
				late = 0;
	uint32_t	max_cap = 0;

	CHECK(st->magic == AN_STATE_MAGIC && st->version == AN_STATE_VERSION, "header");
	CHECK(st->n_cols == 3 && st->n_cat == 1 && st->filled == 0 && st->seen == 0, "dims");
	CHECK(an_state_max_rows(st) == 100, "max rows %u", an_state_max_rows(st));
	CHECK(strcmp(an_state_cols(st)[1].name, "b") == 0, "column name");
	CHECK(an_state_cols(st)[1].kind == AN_KIND_CATEGORICAL, "column kind");
	CHECK(((uintptr_t) an_state_rows(st) & 7) == 0 && ((uintptr_t) an_state_cols(st) & 7) == 0,
		  "state parts are not 8-byte aligned");
	CHECK_STATUS(an_state_validate(&ctx, st, state_len(st)), AN_OK);
	CHECK(an_state_wants_capacity(st) == 100, "empty state wants %u",
		  an_state_wants_capacity(st));

	for (int i = 0; i < 1000; i++)
	{
		an_cell		row[3];

		row[0].num = i;
		row[1].cat = cat_hash(i % 2 ? "odd" : "even");
		row[2].num = -i;
		st = state_add(st, row);
		if (st->filled > st->capacity || st->capacity > 100 || st->filled > 100)
			bounded = 0;
		if (st->capacity > max_cap)
			max_cap = st->capacity;
	}
	CHECK(bounded, "reservoir exceeded capacity or sample_rows");
	CHECK(max_cap == 100, "capacity %u", max_cap);
	CHECK(st->filled == 100 && st->seen == 1000, "filled %u seen %llu", st->filled,
		  (unsigned long long) st->seen);
	CHECK(an_state_wants_capacity(st) == 0, "full state wants to grow");
	CHECK(an_state_size(3, 1, 100) == state_len(st), "size");
	CHECK_STATUS(an_state_validate(&ctx, st, state_len(st)), AN_OK);
	/* the rows are a sample of the whole stream, not just its start */
	for (uint32_t i = 0; i < st->filled; i++)
	{
		const an_cell *row = an_state_rows(st) + (size_t) i * 3;

		CHECK(row[2].num == -row[0].num, "reservoir row %u is torn", i);
		if (row[0].num >= 500)
			late++;
	}
	CHECK(late >= 30 && late <= 70, "%d of 100 sampled rows from the second half", late);

	/* growth in steps: 1024, 2048, 4096, then the cap */
	{
		an_params	p2 = iforest_params(&ctx, 5000, 10, 64, 1);
		an_state   *s2 = state_new(3, names, kinds, &p2, 0);
		uint32_t	steps[8];
		int			n_steps = 0;
		uint32_t	prev = 0;
		int			ok = 1;

		for (int i = 0; i < 6000; i++)
		{
			an_cell		row[3];

			row[0].num = i;
			row[1].cat = 0;
			row[2].num = NAN;
			s2 = state_add(s2, row);
			if (s2->capacity != prev && n_steps < 8)
				steps[n_steps++] = prev = s2->capacity;
			/* rows stay in insertion order until the reservoir is full */
			if (i < 5000 && an_state_rows(s2)[(size_t) i * 3].num != i)
				ok = 0;
		}
		CHECK(n_steps == 4 && steps[0] == 1024 && steps[1] == 2048 && steps[2] == 4096 &&
			  steps[3] == 5000, "growth steps (%d)", n_steps);
		CHECK(ok, "rows lost while growing");
		CHECK(s2->filled == 5000 && s2->seen == 6000, "filled %u", s2->filled);
		CHECK(an_state_cols(s2)[1].n_null == 6000 && an_state_cols(s2)[2].n_null == 6000,
			  "null counts");
		CHECK_STATUS(an_state_validate(&ctx, s2, state_len(s2)), AN_OK);
	}
}

/* numbers for the merge test: some NULLs and infinities */
static double
merge_value(an_prng *r, int i, int col)
{
	if (col == 0)
	{
		if (i % 37 == 5)
			return NAN;
		if (i % 101 == 7)
			return INFINITY;
		if (i % 103 == 9)
			return -INFINITY;
		return 1e6 + 1000 * an_prng_normal(r);
	}
	return (i % 13 == 0) ? NAN : an_prng_uniform(r) * 10 - 5;
}

static void
test_state_merge(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"amount", "ratio", "kind"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};
	static const char *const cats[] = {"a", "b", "c", "d"};
	an_params	p = iforest_params(&ctx, 300, 10, 64, 3);
	an_state   *whole = state_new(3, names, kinds, &p, 0);
	an_state   *part[3];
	an_state   *merged;
	an_prng		r;
	an_status	st;
	const int	n = 2500;
	const int	cut1 = 700,
				cut2 = 1000;

	for (int k = 0; k < 3; k++)
		part[k] = state_new(3, names, kinds, &p, 0);
	an_prng_seed(&r, 77);
	for (int i = 0; i < n; i++)
	{
		an_cell		row[3];
		int			k = i < cut1 ? 0 : i < cut2 ? 1 : 2;

		row[0].num = merge_value(&r, i, 0);
		row[1].num = merge_value(&r, i, 1);
		row[2].cat = i % 11 == 0 ? 0 : cat_hash(cats[(i * 7) % 4 == 3 ? 3 : i % 3]);
		whole = state_add(whole, row);
		part[k] = state_add(part[k], row);
	}
	merged = state_merge(&ctx, part[0], part[1], &st);
	CHECK_STATUS(st, AN_OK);
	merged = state_merge(&ctx, merged, part[2], &st);
	CHECK_STATUS(st, AN_OK);
	CHECK_STATUS(an_state_validate(&ctx, merged, state_len(merged)), AN_OK);
	CHECK(merged->seen == (uint64_t) n, "merged seen %llu", (unsigned long long) merged->seen);
	CHECK(merged->filled == 300, "merged filled %u", merged->filled);
	CHECK(merged->capacity <= 300, "merged capacity %u", merged->capacity);
	for (int c = 0; c < 3; c++)
	{
		const an_state_col *a = &an_state_cols(whole)[c];
		const an_state_col *b = &an_state_cols(merged)[c];

		CHECK(a->n_null == b->n_null && a->n_finite == b->n_finite &&
			  a->n_posinf == b->n_posinf && a->n_neginf == b->n_neginf,
			  "column %d counts: null %llu/%llu finite %llu/%llu", c,
			  (unsigned long long) a->n_null, (unsigned long long) b->n_null,
			  (unsigned long long) a->n_finite, (unsigned long long) b->n_finite);
		if (kinds[c] == AN_KIND_NUMERIC)
		{
			CHECK(a->min == b->min && a->max == b->max, "column %d min/max", c);
			CHECK(fabs(a->mean - b->mean) <= 1e-9 * fmax(1, fabs(a->mean)),
				  "column %d mean %.17g vs %.17g", c, a->mean, b->mean);
			CHECK(fabs(a->m2 - b->m2) <= 1e-9 * fmax(1, fabs(a->m2)),
				  "column %d m2 %.17g vs %.17g", c, a->m2, b->m2);
		}
		else
		{
			const an_sketch_entry *sa = an_state_sketch(whole, c);
			const an_sketch_entry *sb = an_state_sketch(merged, c);
			int			same = a->sketch_used == b->sketch_used;

			/* fewer distinct values than AN_SKETCH_K: counts are exact */
			for (uint32_t i = 0; same && i < a->sketch_used; i++)
			{
				int			found = 0;

				for (uint32_t k = 0; k < b->sketch_used; k++)
					if (sa[i].hash == sb[k].hash && sa[i].count == sb[k].count)
						found = 1;
				same = found;
			}
			CHECK(same, "column %d sketch differs after merge", c);
			for (uint32_t i = 1; i < b->sketch_used; i++)
				CHECK(sb[i].count <= sb[i - 1].count, "merged sketch not sorted by count");
		}
	}
	/* check the single-pass stats against a direct computation */
	{
		double		sum = 0,
					mn = INFINITY,
					mx = -INFINITY;
		uint64_t	cnt = 0,
					nulls = 0,
					pinf = 0,
					ninf = 0;

		an_prng_seed(&r, 77);
		for (int i = 0; i < n; i++)
		{
			double		v = merge_value(&r, i, 0);

			(void) merge_value(&r, i, 1);
			if (isnan(v))
				nulls++;
			else if (isinf(v))
				(v > 0 ? pinf++ : ninf++);
			else
			{
				cnt++;
				sum += v;
				mn = fmin(mn, v);
				mx = fmax(mx, v);
			}
		}
		CHECK(an_state_cols(whole)[0].n_finite == cnt && an_state_cols(whole)[0].n_null == nulls &&
			  an_state_cols(whole)[0].n_posinf == pinf &&
			  an_state_cols(whole)[0].n_neginf == ninf, "direct counts");
		CHECK(an_state_cols(whole)[0].min == mn && an_state_cols(whole)[0].max == mx,
			  "direct min/max");
		CHECK(fabs(an_state_cols(whole)[0].mean - sum / (double) cnt) < 1e-9 * 1e6, "direct mean");
	}
	/* every merged reservoir row is one of the input rows (not torn) */
	{
		int			torn = 0;

		for (uint32_t i = 0; i < merged->filled; i++)
		{
			const an_cell *row = an_state_rows(merged) + (size_t) i * 3;

			if (!(isnan(row[1].num) || (row[1].num >= -5 && row[1].num <= 5)))
				torn++;
		}
		CHECK(torn == 0, "%d torn merged rows", torn);
	}

	/* merging an empty state changes nothing but is allowed */
	{
		an_state   *empty = state_new(3, names, kinds, &p, 0);
		an_state   *m2 = state_merge(&ctx, state_grown(whole, whole->capacity), empty, &st);

		CHECK_STATUS(st, AN_OK);
		CHECK(m2->seen == whole->seen && m2->filled == whole->filled, "empty merge");
		CHECK(an_state_cols(m2)[0].mean == an_state_cols(whole)[0].mean, "empty merge mean");
		m2 = state_merge(&ctx, state_new(3, names, kinds, &p, 0), whole, &st);
		CHECK_STATUS(st, AN_OK);
		CHECK(m2->seen == whole->seen && m2->filled == whole->filled, "merge into empty");
		CHECK(an_state_cols(m2)[0].mean == an_state_cols(whole)[0].mean &&
			  an_state_cols(m2)[0].m2 == an_state_cols(whole)[0].m2, "merge into empty stats");
		CHECK_STATUS(an_state_validate(&ctx, m2, state_len(m2)), AN_OK);
	}

	/* incompatible states */
	{
		static const char *const names2[] = {"amount", "RATIO", "kind"};
		static const an_kind kinds2[] = {AN_KIND_NUMERIC, AN_KIND_CATEGORICAL, AN_KIND_CATEGORICAL};
		an_params	p2 = iforest_params(&ctx, 300, 10, 64, 4);
		an_state   *o;

		o = state_new(2, names, kinds, &p, 0);
		ctx.message[0] = 0;
		CHECK_STATUS(an_state_compatible(&ctx, whole, o), AN_ERR_PARAM);
		CHECK(ctx.message[0] && ctx.hint[0], "no message/hint for column count");
		o = state_new(3, names2, kinds, &p, 0);
		CHECK_STATUS(an_state_compatible(&ctx, whole, o), AN_ERR_PARAM);
		CHECK(strstr(ctx.message, "RATIO") != NULL, "message \"%s\"", ctx.message);
		o = state_new(3, names, kinds2, &p, 0);
		CHECK_STATUS(an_state_compatible(&ctx, whole, o), AN_ERR_PARAM);
		o = state_new(3, names, kinds, &p2, 0);
		CHECK_STATUS(an_state_compatible(&ctx, whole, o), AN_ERR_PARAM);
		CHECK(ctx.hint[0] != 0, "no hint for different options");
		o = state_new(3, names, kinds, &p, 0);
		CHECK_STATUS(an_state_compatible(&ctx, whole, o), AN_OK);
	}

	/* row counts near UINT64_MAX (a forged but valid state) saturate */
	{
		an_state   *a = state_new(3, names, kinds, &p, 0);
		an_state   *b = state_new(3, names, kinds, &p, 0);
		an_cell		row[3] = {{.num = 1}, {.num = 2}, {.cat = 0}};

		a = state_add(a, row);
		b = state_add(b, row);
		a->seen = UINT64_MAX - 1;
		b->seen = UINT64_MAX / 2;
		a = state_merge(&ctx, a, b, &st);
		CHECK_STATUS(st, AN_OK);
		CHECK(a->seen == UINT64_MAX, "saturated seen %llu", (unsigned long long) a->seen);
		CHECK(a->filled == 2, "saturated merge filled %u", a->filled);
		a = state_add(a, row);
		CHECK(a->seen == UINT64_MAX && a->filled == 3, "add after saturation: seen %llu filled %u",
			  (unsigned long long) a->seen, a->filled);
		CHECK_STATUS(an_state_validate(&ctx, a, state_len(a)), AN_OK);
	}
}

static void
test_state_sketch(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"color"};
	static const an_kind kinds[] = {AN_KIND_CATEGORICAL};
	an_params	p = iforest_params(&ctx, 16, 10, 64, 1);
	an_state   *st = state_new(1, names, kinds, &p, 0);
	const char *vals[] = {"red", "green", "blue"};
	const uint64_t want[] = {60, 30, 10};
	an_state_col *col;
	an_sketch_entry *s;

	for (int i = 0; i < 100; i++)
	{
		an_cell		row;
		int			v = i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2;

		row.cat = cat_hash(vals[v]);
		st = state_add(st, &row);
	}
	for (int i = 0; i < 5; i++)
	{
		an_cell		row;

		row.cat = 0;
		st = state_add(st, &row);
	}
	col = &an_state_cols(st)[0];
	s = an_state_sketch(st, 0);
	CHECK(col->sketch_used == 3, "sketch_used %u", col->sketch_used);
	CHECK(col->n_finite == 100 && col->n_null == 5, "cat counts %llu %llu",
		  (unsigned long long) col->n_finite, (unsigned long long) col->n_null);
	for (int i = 0; i < 3; i++)
		CHECK(s[i].hash == cat_hash(vals[i]) && s[i].count == want[i],
			  "sketch entry %d: count %llu, want %llu (sorted by count)", i,
			  (unsigned long long) s[i].count, (unsigned long long) want[i]);
	CHECK_STATUS(an_state_validate(&ctx, st, state_len(st)), AN_OK);

	/* more distinct values than the sketch holds: bounded, heavy hitter kept */
	{
		an_state   *big = state_new(1, names, kinds, &p, 0);
		char		buf[32];

		for (int i = 0; i < 5000; i++)
		{
			an_cell		row;

			if (i % 2 == 0)
				row.cat = cat_hash("heavy");
			else
			{
				snprintf(buf, sizeof(buf), "v%d", i);
				row.cat = cat_hash(buf);
			}
			big = state_add(big, &row);
		}
		col = &an_state_cols(big)[0];
		s = an_state_sketch(big, 0);
		CHECK(col->sketch_used == AN_SKETCH_K, "sketch_used %u", col->sketch_used);
		CHECK(s[0].hash == cat_hash("heavy") && s[0].count >= 2500,
			  "heavy hitter lost (count %llu)", (unsigned long long) s[0].count);
		{
			uint64_t	total = 0;
			int			sorted = 1;

			for (uint32_t i = 0; i < col->sketch_used; i++)
			{
				total += s[i].count;
				if (i > 0 && s[i].count > s[i - 1].count)
					sorted = 0;
			}
			/* Space-Saving: counts sum to the number of values seen */
			CHECK(total == 5000, "sketch total %llu", (unsigned long long) total);
			CHECK(sorted, "sketch not sorted by count");
		}
		CHECK_STATUS(an_state_validate(&ctx, big, state_len(big)), AN_OK);
	}
}

static void
test_state_validate(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"x", "c"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};
	an_params	p = iforest_params(&ctx, 32, 10, 64, 1);
	an_state   *st = state_new(2, names, kinds, &p, 0);
	size_t		len;
	an_state   *bad;

	for (int i = 0; i < 20; i++)
	{
		an_cell		row[2];

		row[0].num = i;
		row[1].cat = cat_hash(i % 2 ? "p" : "q");
		st = state_add(st, row);
	}
	len = state_len(st);
	CHECK_STATUS(an_state_validate(&ctx, st, len), AN_OK);
	/* the host's length word is not validated */
	bad = dup_bytes(st, len);
	bad->host_len = 0xFFFFFFFF;
	CHECK_STATUS(an_state_validate(&ctx, bad, len), AN_OK);

	CHECK_STATUS(an_state_validate(&ctx, st, len - 8), AN_ERR_CORRUPT);
	CHECK_STATUS(an_state_validate(&ctx, st, 8), AN_ERR_CORRUPT);
#define MUTATE(stmt) do { bad = dup_bytes(st, len); stmt; \
		CHECK(an_state_validate(&ctx, bad, len) == AN_ERR_CORRUPT, "accepted: %s", #stmt); \
		CHECK(ctx.message[0] != '\0', "no message: %s", #stmt); } while (0)
	MUTATE(bad->magic ^= 1);
	MUTATE(bad->version = 2);
	MUTATE(bad->reserved = 1);
	MUTATE(bad->reserved2 = 1);
	MUTATE(bad->params.algorithm = 9);
	MUTATE(bad->params.values[0] = 0);
	MUTATE(bad->params.common[AN_P_CONTAMINATION] = 0);
	MUTATE(bad->n_cols = 0);
	MUTATE(bad->n_cols = 3);
	MUTATE(bad->n_cat = 0);
	MUTATE(bad->n_cat = 2);
	MUTATE(bad->filled = bad->capacity + 1);
	MUTATE(bad->seen = bad->filled - 1);
	MUTATE(bad->capacity = 33);
	MUTATE(an_state_cols(bad)[0].kind = 3);
	MUTATE(an_state_cols(bad)[0].name[0] = '\0');
	MUTATE(memset(an_state_cols(bad)[0].name, 'x', AN_NAME_MAX));
	MUTATE(strcpy(an_state_cols(bad)[1].name, "x"));
	MUTATE(an_state_cols(bad)[0].min = 100);
	MUTATE(an_state_cols(bad)[0].max = INFINITY);
	MUTATE(an_state_cols(bad)[0].sketch_used = 1);
	MUTATE(an_state_cols(bad)[1].sketch_used = AN_SKETCH_K + 1);
	MUTATE(an_state_cols(bad)[1].kind = AN_KIND_NUMERIC);
#undef MUTATE
}

/* ------------------------------------------------------------------ */
/* models */

static int
cmp_dbl(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
test_model_gaussian(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"f1", "const_col", "f2", "f3", "null_col", "f4"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_NUMERIC,
	AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_NUMERIC};
	const int	n_in = 2000,
				n_out = 20,
				n = n_in + n_out;
	an_params	p = iforest_params(&ctx, 4096, 100, 256, 2024);
	an_state   *st = state_new(6, names, kinds, &p, 0);
	double	   *X = test_alloc(NULL, sizeof(double) * 4 * n);
	double	   *scores = test_alloc(NULL, sizeof(double) * n);
	uint8_t    *labels = test_alloc(NULL, n);
	an_prng		r;
	an_model   *m = NULL;
	char		dropped[128];
	an_metrics	met;
	double		min_out = INFINITY,
				max_in = -INFINITY;

	an_prng_seed(&r, 11);
	for (int i = 0; i < n; i++)
	{
		an_cell		row[6];
		int			outlier = i % 101 == 50 && i / 101 < n_out;

		labels[i] = (uint8_t) outlier;
		for (int j = 0; j < 4; j++)
			X[i * 4 + j] = outlier ? (an_prng_below(&r, 2) ? 7.0 : -7.0) + 0.1 * an_prng_normal(&r)
				: an_prng_normal(&r);
		row[0].num = X[i * 4 + 0];
		row[1].num = 3.25;
		row[2].num = X[i * 4 + 1];
		row[3].num = X[i * 4 + 2];
		row[4].num = NAN;
		row[5].num = X[i * 4 + 3];
		st = state_add(st, row);
	}
	{
		int			n_lab = 0;

		for (int i = 0; i < n; i++)
			n_lab += labels[i];
		CHECK(n_lab == n_out, "%d outliers generated", n_lab);
	}
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	if (m == NULL)
		return;
	CHECK(strcmp(dropped, "const_col, null_col") == 0, "dropped \"%s\"", dropped);
	CHECK(m->n_features == 4, "%u features", m->n_features);
	CHECK(an_model_feature_index(m, "f1") == 0 && an_model_feature_index(m, "f2") == 1 &&
		  an_model_feature_index(m, "f4") == 3, "feature order");
	CHECK(an_model_feature_index(m, "const_col") == -1 &&
		  an_model_feature_index(m, "null_col") == -1, "dropped column kept");
	CHECK(m->train_rows == n, "train_rows %lld", (long long) m->train_rows);
	CHECK(m->n_calib == AN_CALIBRATION_POINTS, "n_calib %u", m->n_calib);
	CHECK(m->threshold == an_iforest_ops.auto_threshold, "auto threshold %g", m->threshold);

	/* feature summaries; impute = the upper median of the training values */
	for (int j = 0; j < 4; j++)
	{
		double	   *col = test_alloc(NULL, sizeof(double) * n);
		double		sum = 0;

		for (int i = 0; i < n; i++)
		{
			col[i] = X[i * 4 + j];
			sum += col[i];
		}
		qsort(col, n, sizeof(double), cmp_dbl);
		CHECK(m->features[j].impute == col[n / 2], "feature %d impute %.17g, median %.17g",
			  j, m->features[j].impute, col[n / 2]);
		CHECK(m->features[j].lo == col[0] && m->features[j].hi == col[n - 1],
			  "feature %d range", j);
		CHECK_NEAR(m->features[j].mean, sum / n, 1e-9);
		CHECK(m->features[j].sd > 1 && m->features[j].sd < 2, "feature %d sd %g", j,
			  m->features[j].sd);
	}

	for (int i = 0; i < n; i++)
	{
		double		x[4];

		memcpy(x, X + i * 4, sizeof(x));
		scores[i] = an_model_score(m, x);
		if (labels[i])
			min_out = fmin(min_out, scores[i]);
		else
			max_in = fmax(max_in, scores[i]);
	}
	CHECK(min_out > max_in, "outliers not all on top: lowest outlier %g, highest inlier %g",
		  min_out, max_in);
	an_metrics_compute(&ctx, scores, labels, n, m->threshold, &met);
	CHECK(met.roc_auc > 0.95, "ROC AUC %g", met.roc_auc);
	CHECK(met.positives == n_out && met.rows == n, "metrics counts");
	CHECK(met.precision_at_n == 1.0, "precision@n %g", met.precision_at_n);
	CHECK(met.average_precision > 0.95, "AP %g", met.average_precision);
	CHECK(met.tp == n_out, "tp %lld at the auto threshold", (long long) met.tp);

	/* NaN inputs are imputed in place */
	{
		double		x[4] = {NAN, NAN, NAN, NAN};
		double		s = an_model_score(m, x);
		int			ok = 1;

		for (int j = 0; j < 4; j++)
			ok &= x[j] == m->features[j].impute;
		CHECK(ok, "NaNs not imputed in place");
		CHECK(s > 0 && s < 1, "score of all-NULL %g", s);
	}

	/* severity: 0 below the calibration, 100 above, monotone in between */
	{
		const double *q = m->calib;
		uint32_t	nc = m->n_calib;
		double		prev = -1;
		int			mono = 1,
					range = 1;

		CHECK(an_model_severity(m, q[0] - 1) == 0, "severity below min");
		CHECK(an_model_severity(m, q[0]) == 0, "severity at min");
		CHECK(an_model_severity(m, q[nc - 1] + 1) == 100, "severity above max");
		CHECK(an_model_severity(m, q[nc - 1]) == 100, "severity at max");
		CHECK(an_model_severity(m, NAN) == 0, "severity of NaN");
		CHECK(an_model_severity(m, INFINITY) == 100, "severity of inf");
		CHECK(an_model_severity(m, -INFINITY) == 0, "severity of -inf");
		for (int i = 0; i <= 10000; i++)
		{
			double		s = q[0] - 0.01 + (q[nc - 1] - q[0] + 0.02) * i / 10000.0;
			double		v = an_model_severity(m, s);

			if (v < prev)
				mono = 0;
			if (!(v >= 0 && v <= 100))
				range = 0;
			prev = v;
		}
		CHECK(mono, "severity is not monotone");
		CHECK(range, "severity outside [0, 100]");
		/* outliers are far above the training scores' bulk */
		CHECK(an_model_severity(m, min_out) > 98, "outlier severity %g",
			  an_model_severity(m, min_out));
	}

	/* deterministic: the same state and seed give the same bytes */
	{
		an_model   *m2 = NULL;
		unsigned char *b1,
				   *b2;
		size_t		l1,
					l2;

		CHECK_STATUS(an_model_train(&ctx, st, &m2, dropped, sizeof(dropped)), AN_OK);
		b1 = model_bytes(&ctx, m, &l1);
		b2 = model_bytes(&ctx, m2, &l2);
		CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0, "training is not deterministic");
	}

	/* contamination sets the threshold at the matching quantile */
	{
		an_model   *mc = NULL;
		an_state   *sc = dup_bytes(st, state_len(st));
		int			flagged = 0;

		CHECK_STATUS(an_params_set(&ctx, &sc->params, &an_iforest_ops, "contamination", 0.05),
					 AN_OK);
		CHECK_STATUS(an_model_train(&ctx, sc, &mc, dropped, sizeof(dropped)), AN_OK);
		if (mc)
		{
			for (int i = 0; i < n; i++)
			{
				double		x[4];

				memcpy(x, X + i * 4, sizeof(x));
				flagged += an_model_score(mc, x) >= mc->threshold;
			}
			CHECK(flagged >= 0.04 * n && flagged <= 0.06 * n, "%d of %d flagged at 5%%",
				  flagged, n);
			CHECK_NEAR(an_model_severity(mc, mc->threshold), 95.0, 0.2);
		}
	}

	/* a small dropped buffer is truncated, not overrun */
	{
		char		small[6];
		an_model   *m3 = NULL;

		memset(small, 'Z', sizeof(small));
		CHECK_STATUS(an_model_train(&ctx, st, &m3, small, 5), AN_OK);
		CHECK(small[4] == '\0' && small[5] == 'Z' && strncmp(small, "cons", 4) == 0,
			  "truncated dropped \"%.5s\"", small);
	}
}

static void
test_model_errors(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"a", "b", "c"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_CATEGORICAL, AN_KIND_NUMERIC};
	an_params	p = iforest_params(&ctx, 32, 10, 64, 1);
	an_state   *st;
	an_model   *m = NULL;
	char		dropped[64];
	an_cell		row[3];

	/* no rows, then one row */
	st = state_new(3, names, kinds, &p, 0);
	ctx.message[0] = ctx.hint[0] = 0;
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_ERR_DATA);
	CHECK(ctx.message[0] && ctx.hint[0], "no message/hint for 0 rows");
	row[0].num = 1;
	row[1].cat = cat_hash("x");
	row[2].num = 7;
	st = state_add(st, row);
	ctx.message[0] = ctx.hint[0] = 0;
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_ERR_DATA);
	CHECK(strstr(ctx.message, "1 row") != NULL && ctx.hint[0], "one row: \"%s\" / \"%s\"",
		  ctx.message, ctx.hint);
	CHECK(m == NULL, "model set on failure");

	/* all constant (numeric constant, one category, NULLs) */
	for (int i = 0; i < 50; i++)
	{
		row[0].num = 1;
		row[1].cat = i % 2 ? cat_hash("x") : 0;
		row[2].num = i % 3 ? NAN : 7;
		st = state_add(st, row);
	}
	ctx.message[0] = ctx.hint[0] = 0;
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_ERR_DATA);
	CHECK(ctx.message[0] && ctx.hint[0], "no message/hint for all constant");
	CHECK(strcmp(dropped, "a, b, c") == 0, "dropped \"%s\"", dropped);

	/* a column with only infinities and NULLs has no finite value: dropped */
	st = state_new(3, names, kinds, &p, 0);
	for (int i = 0; i < 50; i++)
	{
		row[0].num = i % 2 ? INFINITY : -INFINITY;
		row[1].cat = cat_hash(i % 3 ? "x" : "y");
		row[2].num = i;
		st = state_add(st, row);
	}
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	CHECK(strcmp(dropped, "a") == 0, "dropped \"%s\"", dropped);
	CHECK(m && m->n_features == 2, "features");
}

static void
test_model_categorical(void)
{
	an_ctx		ctx = new_ctx();
	an_model   *m = small_model(&ctx, 200, 20, 32, NAN, 5);
	int			j = an_model_feature_index(m, "color");
	const an_feature *f;
	int			sorted = 1;

	CHECK(j == 2 && m->n_features == 3, "color feature at %d", j);
	if (j < 0)
		return;
	f = &m->features[j];
	CHECK(f->kind == AN_KIND_CATEGORICAL && f->n_cats == 3, "n_cats %u", f->n_cats);
	for (uint32_t i = 1; i < f->n_cats; i++)
		if (f->cat_hash[i] <= f->cat_hash[i - 1])
			sorted = 0;
	CHECK(sorted, "category hashes not sorted");
	{
		double		fr = an_feature_encode_category(f, cat_hash("red"));
		double		fg = an_feature_encode_category(f, cat_hash("green"));
		double		fb = an_feature_encode_category(f, cat_hash("blue"));

		CHECK_NEAR(fr + fg + fb, 1.0, 1e-12);
		CHECK(fr > fg && fr > fb, "red (3/5) is not the most frequent: %g %g %g", fr, fg, fb);
		CHECK(fr > 0.45 && fr < 0.75, "red frequency %g", fr);
		CHECK(an_feature_encode_category(f, cat_hash("purple")) == 0, "unseen category");
		CHECK(an_feature_encode_category(f, 0) == 0, "NULL category");
		CHECK(f->lo >= 0 && f->hi <= 1 && f->lo < f->hi, "encoded range");
	}
}

/* Read bytes of exactly len (a private copy so ASan sees overreads). */
static an_status
read_exact(an_ctx *ctx, const unsigned char *bytes, size_t len, an_model **out)
{
	unsigned char *copy = malloc(len ? len : 1);
	an_status	st;

	if (copy == NULL)
		abort();
	memcpy(copy, bytes, len);
	st = an_model_read(ctx, copy, len, out);
	/* the model does not point into the bytes, so they can go */
	free(copy);
	return st;
}

static void
score_some(const an_model *m, int k, double *out)
{
	an_prng		r;
	double	   *x = test_alloc(NULL, sizeof(double) * m->n_features);

	an_prng_seed(&r, 3);
	for (int i = 0; i < k; i++)
	{
		for (uint32_t j = 0; j < m->n_features; j++)
			x[j] = i % 5 == 0 ? NAN : an_prng_normal(&r) * 3;
		out[i] = an_model_score(m, x);
	}
}

static void
test_model_serialization(void)
{
	an_ctx		ctx = new_ctx();
	an_model   *m = small_model(&ctx, 20, 2, 8, 0.1, 9);
	an_model   *back = NULL;
	unsigned char *b,
			   *b2;
	size_t		len,
				len2;
	double		s1[64],
				s2[64];
	an_status	st;

	b = model_bytes(&ctx, m, &len);
	CHECK(len > AN_MODEL_HEADER && memcmp(b, "ANOMODEL", 8) == 0, "magic");
	CHECK(b[20] == (len & 0xFF) && b[21] == ((len >> 8) & 0xFF), "length field");
	CHECK_STATUS(read_exact(&ctx, b, len, &back), AN_OK);
	if (back == NULL)
		return;
	CHECK(back->n_features == m->n_features && back->n_calib == m->n_calib &&
		  back->threshold == m->threshold && back->train_rows == m->train_rows &&
		  an_params_equal(&back->params, &m->params), "model summary differs");
	score_some(m, 64, s1);
	score_some(back, 64, s2);
	CHECK(memcmp(s1, s2, sizeof(s1)) == 0, "scores differ after a round trip");
	for (int i = 0; i < 64; i++)
		CHECK(an_model_severity(m, s1[i]) == an_model_severity(back, s2[i]),
			  "severity %d differs", i);
	b2 = model_bytes(&ctx, back, &len2);
	CHECK(len2 == len && memcmp(b, b2, len) == 0, "write(read(bytes)) != bytes");

	/* truncations at every length */
	{
		int			bad = 0;

		for (size_t l = 0; l < len; l++)
		{
			an_model   *t = NULL;

			st = read_exact(&ctx, b, l, &t);
			if (st != AN_ERR_CORRUPT || t != NULL)
			{
				if (bad++ < 5)
					printf("  truncation to %zu bytes: status %d\n", l, (int) st);
			}
		}
		CHECK(bad == 0, "%d of %zu truncations not rejected as corrupt", bad, len);
	}
	/* trailing garbage */
	{
		unsigned char *longer = test_alloc(NULL, len + 1);
		an_model   *t = NULL;

		memcpy(longer, b, len);
		CHECK_STATUS(read_exact(&ctx, longer, len + 1, &t), AN_ERR_CORRUPT);
	}

	/*
	 * Every single-byte corruption: each byte XOR 0xFF, and each single bit
	 * flip.  The CRC covers every byte but its own field (the header
	 * included), so all of them must be rejected as corrupt.
	 */
	{
		int			bad = 0,
					tried = 0;
		unsigned char *c = test_alloc(NULL, len);

		for (size_t i = 0; i < len; i++)
		{
			for (int bit = -1; bit < 8; bit++)
			{
				an_model   *t = NULL;
				unsigned char mask = bit < 0 ? 0xFF : (unsigned char) (1u << bit);

				memcpy(c, b, len);
				c[i] ^= mask;
				ctx.message[0] = ctx.hint[0] = 0;
				st = read_exact(&ctx, c, len, &t);
				tried++;
				if (st != AN_ERR_CORRUPT || t != NULL || !ctx.message[0] || !ctx.hint[0])
				{
					if (bad++ < 5)
						printf("  byte %zu ^ 0x%02X: status %d (%s)\n", i, mask, (int) st,
							   ctx.message);
				}
			}
		}
		CHECK(bad == 0, "%d of %d single-byte corruptions not rejected", bad, tried);
	}
	/* the CRC covers the header: the checksum is over all but bytes 24..27 */
	{
		unsigned char *c = dup_bytes(b, len);
		an_model   *t = NULL;
		uint32_t	crc = (uint32_t) b[24] | (uint32_t) b[25] << 8 |
			(uint32_t) b[26] << 16 | (uint32_t) b[27] << 24;

		CHECK(an_model_checksum(b, len) == crc, "stored CRC is not an_model_checksum");
		CHECK(an_crc32c_update(an_crc32c(b, 24), b + 28, len - 28) == crc,
			  "CRC is not CRC32C(bytes 0..23 ++ bytes 28..end)");
		c[16] ^= 0xFF;			/* the writer's extension version */
		CHECK_STATUS(read_exact(&ctx, c, len, &t), AN_ERR_CORRUPT);
		patch_model_header(c, len);
		CHECK_STATUS(read_exact(&ctx, c, len, &t), AN_OK);
	}

	/*
	 * Corruptions the CRC does not catch (the CRC patched after each flip):
	 * the body parser must reject or accept them without crashing, and an
	 * accepted model must score.  Count how many it rejects.
	 */
	{
		int			rejected = 0,
					accepted = 0,
					wrong_status = 0;
		unsigned char *c = test_alloc(NULL, len);

		for (size_t i = AN_MODEL_HEADER; i < len; i++)
			for (int bit = -1; bit < 8; bit++)
			{
				an_model   *t = NULL;
				unsigned char mask = bit < 0 ? 0xFF : (unsigned char) (1u << bit);

				memcpy(c, b, len);
				c[i] ^= mask;
				patch_model_header(c, len);
				st = read_exact(&ctx, c, len, &t);
				if (st == AN_OK)
				{
					double		tmp[8];

					accepted++;
					score_some(t, 8, tmp);
					for (int k = 0; k < 8; k++)
						(void) an_model_severity(t, tmp[k]);
				}
				else if (st == AN_ERR_CORRUPT)
					rejected++;
				else
					wrong_status++;
			}
		CHECK(wrong_status == 0, "%d patched corruptions gave a status other than CORRUPT",
			  wrong_status);
		CHECK(rejected > 0 && accepted > 0, "patched corruptions: %d rejected, %d accepted",
			  rejected, accepted);
	}

	/* semantic edits behind a valid CRC are rejected */
	{
		unsigned char *c;
		an_model   *t = NULL;

		c = dup_bytes(b, len);
		c[8] = 3;				/* format 3 */
		patch_model_header(c, len);
		CHECK_STATUS(read_exact(&ctx, c, len, &t), AN_ERR_CORRUPT);
		CHECK(strstr(ctx.hint, "Upgrade") != NULL, "format hint \"%s\"", ctx.hint);
		c = dup_bytes(b, len);
		c[10] = 7;				/* algorithm 7 */
		CHECK_STATUS(read_exact(&ctx, c, len, &t), AN_ERR_CORRUPT);
		c = dup_bytes(b, len);
		c[12] = 2;				/* iforest layout 2 */
		CHECK_STATUS(read_exact(&ctx, c, len, &t), AN_ERR_CORRUPT);
		/* n_trees (the first detector option, at 28 + 24 + 4) = 0 */
		c = dup_bytes(b, len);
		memset(c + 56, 0, 8);
		patch_model_header(c, len);
		CHECK_STATUS(read_exact(&ctx, c, len, &t), AN_ERR_CORRUPT);
		CHECK(strstr(ctx.message, "n_trees") != NULL, "message \"%s\"", ctx.message);
	}
}

/* ------------------------------------------------------------------ */
/* The ROC curve: a point after each group of tied scores, thinned only as needed. */
static void
test_roc_curve(void)
{
	an_ctx		ctx = new_ctx();
	const double scores[5] = {4, 3, 3, 2, 1};
	const uint8_t labels[5] = {1, 0, 1, 1, 0};
	const double want_x[5] = {0, 0, 0.5, 0.5, 1};
	const double want_y[5] = {0, 1.0 / 3, 2.0 / 3, 1, 1};
	const uint8_t one_class[5] = {1, 1, 1, 1, 1};
	double	   *x,
			   *y;
	double		many[100];
	uint8_t		many_labels[100];
	int			n;

	n = an_roc_curve(&ctx, scores, labels, 5, 5, &x, &y);
	CHECK(n == 5, "%d points, want 5 (one per tie group and the origin)", n);
	for (int i = 0; i < n && i < 5; i++)
		CHECK(fabs(x[i] - want_x[i]) < 1e-12 && fabs(y[i] - want_y[i]) < 1e-12,
			  "point %d is (%g, %g), want (%g, %g)", i, x[i], y[i], want_x[i], want_y[i]);
	n = an_roc_curve(&ctx, scores, labels, 5, 3, &x, &y);
	CHECK(n == 3 && x[0] == 0 && y[0] == 0 && x[2] == 1 && y[2] == 1,
		  "thinned to %d points, ends (%g, %g) and (%g, %g)", n, x[0], y[0], x[n - 1], y[n - 1]);
	CHECK(an_roc_curve(&ctx, scores, one_class, 5, 5, &x, &y) == 0, "one class gives a curve");
	/* n distinct scores and room for n + 1 points: nothing is left out */
	for (int i = 0; i < 100; i++)
	{
		many[i] = i;
		many_labels[i] = i % 3 == 0;
	}
	n = an_roc_curve(&ctx, many, many_labels, 100, 101, &x, &y);
	CHECK(n == 101, "%d points of 101", n);
	n = an_roc_curve(&ctx, many, many_labels, 100, 20, &x, &y);
	CHECK(n <= 20 && x[n - 1] == 1 && y[n - 1] == 1, "%d points with room for 20", n);
}

/* metrics and severity */

static void
test_metrics(void)
{
	an_ctx		ctx = new_ctx();
	an_metrics	m;

	/*
	 * Hand computation.  scores and labels (threshold 0.6, flag = score >= 0.6):
	 *
	 *   score  0.9 0.8 0.8 0.7 0.6 0.6 0.3 0.2
	 *   label   1   1   0   0   1   0   0   0
	 *   flag    1   1   1   1   1   1   0   0
	 *
	 * tp = 3 (0.9, 0.8, 0.6), fp = 3 (0.8, 0.7, 0.6), fn = 0, tn = 2.
	 * precision = 3/6 = 0.5, recall = 3/3 = 1, F1 = 2*0.5*1/1.5 = 2/3.
	 *
	 * ROC AUC (Mann-Whitney, ties half): P = 3, N = 5, 15 pairs.
	 *   positive 0.9 beats all 5 negatives                  -> 5
	 *   positive 0.8 ties the 0.8 negative, beats 4         -> 4.5
	 *   positive 0.6 ties the 0.6 negative, beats 0.3, 0.2  -> 2.5
	 *   AUC = 12 / 15 = 0.8.
	 *
	 * Average precision as sklearn's average_precision_score: one point per
	 * distinct score (ties grouped), AP = sum (R_k - R_{k-1}) * P_k:
	 *   >= 0.9: tp 1 fp 0  P = 1    R = 1/3
	 *   >= 0.8: tp 2 fp 1  P = 2/3  R = 2/3
	 *   >= 0.7: tp 2 fp 2  P = 1/2  R = 2/3  (no recall step)
	 *   >= 0.6: tp 3 fp 3  P = 1/2  R = 1
	 *   AP = 1/3*1 + 1/3*2/3 + 0 + 1/3*1/2 = 6/18 + 4/18 + 3/18 = 13/18.
	 *
	 * precision at n (n = 3 positives): the top 3 are 0.9 (pos) and both
	 * 0.8s (one pos, one neg) whatever the tie order -> 2/3.
	 */
	{
		const double s[] = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.3, 0.2};
		const uint8_t l[] = {1, 1, 0, 0, 1, 0, 0, 0};

		an_metrics_compute(&ctx, s, l, 8, 0.6, &m);
		CHECK(m.rows == 8 && m.positives == 3, "rows %lld positives %lld",
			  (long long) m.rows, (long long) m.positives);
		CHECK(m.tp == 3 && m.fp == 3 && m.tn == 2 && m.fn == 0,
			  "tp %lld fp %lld tn %lld fn %lld", (long long) m.tp, (long long) m.fp,
			  (long long) m.tn, (long long) m.fn);
		CHECK_NEAR(m.precision, 0.5, 1e-12);
		CHECK_NEAR(m.recall, 1.0, 1e-12);
		CHECK_NEAR(m.f1, 2.0 / 3.0, 1e-12);
		CHECK_NEAR(m.roc_auc, 0.8, 1e-12);
		CHECK_NEAR(m.average_precision, 13.0 / 18.0, 1e-12);
		CHECK_NEAR(m.precision_at_n, 2.0 / 3.0, 1e-12);
	}

	/*
	 * Second example, no ties, threshold 0.5:
	 *   score 0.95 0.85 0.75 0.65 0.55 0.45 0.35
	 *   label   0    1    1    0    0    1    0
	 * flags: top 5.  tp = 2, fp = 3, fn = 1, tn = 1.
	 * precision 2/5, recall 2/3, F1 = 2*(2/5)*(2/3)/(2/5+2/3) = (8/15)/(16/15) = 1/2.
	 * AUC: P = 3, N = 4 (12 pairs): 0.85 beats 3 (0.65 0.55 0.35), 0.75 beats 3,
	 *   0.45 beats 1 (0.35) -> 7/12.
	 * AP: R/P at each positive: 0.85 -> P = 1/2, R = 1/3; 0.75 -> P = 2/3,
	 *   R = 2/3; 0.45 -> P = 3/6, R = 1.  AP = (1/2 + 2/3 + 1/2)/3 = 5/9.
	 * precision@3: top 3 = 0.95 (0), 0.85 (1), 0.75 (1) -> 2/3.
	 */
	{
		const double s[] = {0.45, 0.95, 0.35, 0.85, 0.55, 0.75, 0.65};
		const uint8_t l[] = {1, 0, 0, 1, 0, 1, 0};

		an_metrics_compute(&ctx, s, l, 7, 0.5, &m);
		CHECK(m.tp == 2 && m.fp == 3 && m.tn == 1 && m.fn == 1,
			  "tp %lld fp %lld tn %lld fn %lld", (long long) m.tp, (long long) m.fp,
			  (long long) m.tn, (long long) m.fn);
		CHECK_NEAR(m.precision, 0.4, 1e-12);
		CHECK_NEAR(m.recall, 2.0 / 3.0, 1e-12);
		CHECK_NEAR(m.f1, 0.5, 1e-12);
		CHECK_NEAR(m.roc_auc, 7.0 / 12.0, 1e-12);
		CHECK_NEAR(m.average_precision, 5.0 / 9.0, 1e-12);
		CHECK_NEAR(m.precision_at_n, 2.0 / 3.0, 1e-12);
	}

	/* all tied: AUC 0.5, AP = prevalence */
	{
		const double s[] = {1, 1, 1, 1};
		const uint8_t l[] = {1, 0, 0, 0};

		an_metrics_compute(&ctx, s, l, 4, 2, &m);
		CHECK_NEAR(m.roc_auc, 0.5, 1e-12);
		CHECK_NEAR(m.average_precision, 0.25, 1e-12);
		CHECK(m.tp == 0 && m.fn == 1 && m.tn == 3 && m.fp == 0, "all-tied counts");
		CHECK(m.precision == 0 && m.recall == 0 && m.f1 == 0, "0/0 ratios are not 0");
	}
	/* one class only: AUC undefined; no positives: AP undefined */
	{
		const double s[] = {0.1, 0.2, 0.3};
		const uint8_t none[] = {0, 0, 0};
		const uint8_t all[] = {1, 1, 1};

		an_metrics_compute(&ctx, s, none, 3, 0.15, &m);
		CHECK(isnan(m.roc_auc) && isnan(m.average_precision) && isnan(m.precision_at_n),
			  "no positives");
		CHECK(m.fp == 2 && m.tn == 1, "no-positive counts");
		an_metrics_compute(&ctx, s, all, 3, 0.15, &m);
		CHECK(isnan(m.roc_auc), "all positives AUC %g", m.roc_auc);
		CHECK_NEAR(m.average_precision, 1.0, 1e-12);
		an_metrics_compute(&ctx, s, all, 0, 0.15, &m);
		CHECK(m.rows == 0 && isnan(m.roc_auc), "empty input");
	}
	/* perfect and inverted rankings */
	{
		const double s[] = {0.9, 0.8, 0.2, 0.1};
		const uint8_t good[] = {1, 1, 0, 0};
		const uint8_t inv[] = {0, 0, 1, 1};

		an_metrics_compute(&ctx, s, good, 4, 0.5, &m);
		CHECK(m.roc_auc == 1.0 && m.average_precision == 1.0 && m.precision_at_n == 1.0,
			  "perfect ranking");
		an_metrics_compute(&ctx, s, inv, 4, 0.5, &m);
		CHECK(m.roc_auc == 0.0 && m.precision_at_n == 0.0, "inverted ranking");
		/* AP: positives at ranks 3 and 4 -> (1/3 + 2/4)/2 = 5/12 */
		CHECK_NEAR(m.average_precision, 5.0 / 12.0, 1e-12);
	}
}

static void
test_severity(void)
{
	an_model	m;
	double		q[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
	double		one[1] = {0.3};
	double		flat[4] = {0.2, 0.2, 0.2, 0.6};

	memset(&m, 0, sizeof(m));
	m.calib = q;
	m.n_calib = 5;
	CHECK(an_model_severity(&m, 0.05) == 0, "below");
	CHECK(an_model_severity(&m, 0.1) == 0, "at min");
	CHECK(an_model_severity(&m, 0.5) == 100, "at max");
	CHECK(an_model_severity(&m, 7) == 100, "above");
	/* 0.25 is halfway between q[1] and q[2]: (1 + 0.5) / 4 = 37.5 % */
	CHECK_NEAR(an_model_severity(&m, 0.25), 37.5, 1e-9);
	CHECK_NEAR(an_model_severity(&m, 0.3), 50.0, 1e-9);
	CHECK_NEAR(an_model_severity(&m, 0.45), 87.5, 1e-9);
	m.calib = one;
	m.n_calib = 1;
	CHECK(an_model_severity(&m, 0.29) == 0 && an_model_severity(&m, 0.3) == 100,
		  "one calibration point");
	/* repeated quantiles: monotone, finite */
	m.calib = flat;
	m.n_calib = 4;
	{
		double		prev = -1;
		int			ok = 1;

		for (int i = 0; i <= 1000; i++)
		{
			double		v = an_model_severity(&m, 0.1 + 0.6 * i / 1000.0);

			if (!(v >= prev && v >= 0 && v <= 100))
				ok = 0;
			prev = v;
		}
		CHECK(ok, "severity with repeated quantiles not monotone");
		CHECK_NEAR(an_model_severity(&m, 0.4), 100.0 * (2 + 0.5) / 3, 1e-9);
	}
	m.n_calib = 0;
	CHECK(an_model_severity(&m, 0.3) == 0, "no calibration");
}

/* ------------------------------------------------------------------ */
/* the e-commerce sample */

static int
is_cents(double a)
{
	double		c = a * 100.0;

	return fabs(c - floor(c + 0.5)) < 1e-6;
}

static void
test_sample(void)
{
	static const struct
	{
		int64_t		rows;
		double		rate;
		uint64_t	seed;
	}			cases[] = {
		{1000, 0.05, 42}, {999, 0.015, 1}, {10, 0.25, 7}, {5000, 0.1, 123},
		{1, 0.5, 3}, {0, 0.1, 3}, {200, 0, 9}, {37, 1.0, 4},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
	{
		an_ecommerce_gen g1,
					g2;
		an_ecommerce_row r1,
					r2;
		int64_t		rows = 0,
					anomalies = 0,
					kind[3] = {0, 0, 0},
					bad_night = 0,
					bad_cents = 0,
					bad_range = 0,
					differ = 0,
					unknown_kind = 0;
		int64_t		want = (int64_t) floor(cases[k].rows * cases[k].rate + 0.5);
		int64_t		want0 = (int64_t) floor(0.4 * want + 0.5);
		int64_t		want1 = (int64_t) floor(0.3 * want + 0.5);

		an_ecommerce_init(&g1, cases[k].rows, cases[k].rate, cases[k].seed);
		an_ecommerce_init(&g2, cases[k].rows, cases[k].rate, cases[k].seed);
		while (an_ecommerce_next(&g1, &r1))
		{
			int			night = r1.hour_of_day <= 5;
			int			newcust = r1.customer_id >= 9000;

			if (!an_ecommerce_next(&g2, &r2) || r1.index != r2.index ||
				r1.amount != r2.amount || r1.customer_id != r2.customer_id ||
				strcmp(r1.merchant_category, r2.merchant_category) != 0 ||
				r1.hour_of_day != r2.hour_of_day || r1.day_of_week != r2.day_of_week ||
				strcmp(r1.payment_method, r2.payment_method) != 0 ||
				r1.is_anomaly != r2.is_anomaly)
				differ++;
			if (r1.index != rows)
				differ++;
			rows++;
			if (!is_cents(r1.amount) || r1.amount < 0.01)
				bad_cents++;
			if (r1.hour_of_day < 0 || r1.hour_of_day > 22 || r1.day_of_week < 1 ||
				r1.day_of_week > 7 || r1.customer_id < 1 ||
				(r1.customer_id > 199 && r1.customer_id < 9000) || r1.customer_id > 9999 ||
				(strcmp(r1.payment_method, "credit") && strcmp(r1.payment_method, "debit") &&
				 strcmp(r1.payment_method, "cash")))
				bad_range++;
			{
				static const char *const cats[] = {"grocery", "gas", "restaurant",
				"retail", "online"};
				int			found = 0;

				for (int c = 0; c < 5; c++)
					found |= strcmp(r1.merchant_category, cats[c]) == 0;
				if (!found)
					bad_range++;
			}
			if (r1.is_anomaly)
			{
				anomalies++;
				/* high amount: night; new customer: id >= 9000; else low amount */
				if (night && !newcust && r1.amount > 1.0)
					kind[0]++;
				else if (newcust && !night)
					kind[2]++;
				else if (!night && !newcust && r1.amount <= 1.0)
					kind[1]++;
				else
					unknown_kind++;
			}
			else if (night || newcust)
				bad_night++;
		}
		if (an_ecommerce_next(&g2, &r2))
			differ++;
		CHECK(differ == 0, "case %zu: generator not deterministic (%lld)", k,
			  (long long) differ);
		CHECK(rows == cases[k].rows, "case %zu: %lld rows", k, (long long) rows);
		CHECK(anomalies == want, "case %zu: %lld anomalies, want %lld", k,
			  (long long) anomalies, (long long) want);
		CHECK(kind[0] == want0 && kind[1] == want1 && kind[2] == want - want0 - want1 &&
			  unknown_kind == 0,
			  "case %zu: kinds %lld/%lld/%lld (+%lld unknown), want %lld/%lld/%lld", k,
			  (long long) kind[0], (long long) kind[1], (long long) kind[2],
			  (long long) unknown_kind, (long long) want0, (long long) want1,
			  (long long) (want - want0 - want1));
		CHECK(bad_night == 0, "case %zu: %lld normal rows at night or from new customers",
			  k, (long long) bad_night);
		CHECK(bad_cents == 0, "case %zu: %lld amounts not in cents", k, (long long) bad_cents);
		CHECK(bad_range == 0, "case %zu: %lld fields out of range", k, (long long) bad_range);
	}

	/* different seeds give different tables; anomalies are spread out */
	{
		an_ecommerce_gen a,
					b;
		an_ecommerce_row ra,
					rb;
		int			same = 0,
					first_half = 0;

		an_ecommerce_init(&a, 1000, 0.05, 1);
		an_ecommerce_init(&b, 1000, 0.05, 2);
		while (an_ecommerce_next(&a, &ra) && an_ecommerce_next(&b, &rb))
		{
			same += ra.amount == rb.amount;
			if (ra.is_anomaly && ra.index < 500)
				first_half++;
		}
		CHECK(same < 100, "seeds 1 and 2 share %d amounts", same);
		CHECK(first_half >= 10 && first_half <= 40, "%d of 50 anomalies in the first half",
			  first_half);
	}
	/* the normal amounts look like lognormal(3, 1): median near e^3 = 20.09 */
	{
		an_ecommerce_gen g;
		an_ecommerce_row r;
		double	   *a = test_alloc(NULL, sizeof(double) * 20000);
		int			n = 0;

		an_ecommerce_init(&g, 20000, 0, 5);
		while (an_ecommerce_next(&g, &r))
			a[n++] = r.amount;
		qsort(a, n, sizeof(double), cmp_dbl);
		CHECK(a[n / 2] > 18 && a[n / 2] < 22.5, "median amount %g", a[n / 2]);
	}
}

/* ------------------------------------------------------------------ */
/* values near DBL_MAX, whose ranges and moments overflow */

/*
 * A feature whose range overflows (hi - lo = inf, values -1e308 and 1e308):
 * the split point must stay inside the range, so every split separates rows
 * and each tree fits the (2 * psi - 1) nodes it is given.
 */
static void
test_extreme_split(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"v"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC};
	an_params	p = iforest_params(&ctx, 16, 1, 2, 1);
	an_state   *st;
	an_model   *m = NULL;
	char		dropped[16];
	an_cell		row;

	CHECK_STATUS(an_params_set(&ctx, &p, &an_iforest_ops, "max_depth", 8), AN_OK);
	st = state_new(1, names, kinds, &p, 0);
	row.num = -1e308;
	st = state_add(st, &row);
	row.num = 1e308;
	st = state_add(st, &row);
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	CHECK(m != NULL, "no model for {-1e308, 1e308}");
}

/*
 * A column holding -1e308 and 1e308 overflows Welford's mean and m2; the
 * state must still validate, and the model trained from it must read back.
 */
static void
test_extreme_moments(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"v", "w"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC};
	an_params	p = iforest_params(&ctx, 64, 10, 16, 1);
	an_state   *st = state_new(2, names, kinds, &p, 0);
	an_model   *m = NULL,
			   *back = NULL;
	char		dropped[16];
	unsigned char *b;
	size_t		len;

	for (int i = 0; i < 40; i++)
	{
		an_cell		row[2];

		row[0].num = i == 0 ? -1e308 : i == 1 ? 1e308 : i;
		row[1].num = i % 5;
		st = state_add(st, row);
	}
	CHECK_STATUS(an_state_validate(&ctx, st, state_len(st)), AN_OK);
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	if (m == NULL)
		return;
	b = model_bytes(&ctx, m, &len);
	CHECK_STATUS(read_exact(&ctx, b, len, &back), AN_OK);
}

/* ------------------------------------------------------------------ */
/* drift sketch and drift */

/*
 * A format-1 model, written by the code before format 2 (commit 95164dd):
 * small_model(20, 2, 8, 0.1, 9).
 */
static const char format1_model_hex[] =
	"414e4f4d4f44454c01000100010000006400000068030000bb933cb500000000"
	"0000224000000000000040409a9999999999b93f030000000000000000000040"
	"000000000000204000000000000000001400000000000000ae9061b496eae23f"
	"0300000001007801da0dcf42614ec3bf58a82b2024f704c04c40b5a0b9d5f93f"
	"ff1d0c09a8a1c6bf7e9a3f941d94f13f00000000010079017c36dd46107d2440"
	"831ae2a989c2204042ab6976e9f52940f14bd2772ba424409a5e57d957baf43f"
	"000000000500636f6c6f7202555555555555d53f721cc7711cc7d13f398ee338"
	"8ee3d83fffb0481978bad53f3095234401ada73f03000000493527573361d61a"
	"398ee3388ee3d83fdf5560eebe2df15c555555555555d53fa97a1fad432005ba"
	"721cc7711cc7d13f14000000cf482ad923ffdd3fcf482ad923ffdd3fcf482ad9"
	"23ffdd3fcf482ad923ffdd3f6e0dd45d6da8de3f6e0dd45d6da8de3f36df2070"
	"41a9e03f36df207041a9e03f36df207041a9e03fe585e8914807e13fe585e891"
	"4807e13fe585e8914807e13fe585e8914807e13fe585e8914807e13fe585e891"
	"4807e13fe585e8914807e13fae9061b496eae23fae9061b496eae23fae9061b4"
	"96eae23fe610001d7a03e53f9801000002000000080000000300000018000000"
	"000000000d0000009cc3606d1931b13f0000000006000000b210dbccfea6dabf"
	"0000000005000000c5b600ab8b5fdfbf00000000040000000000000000000840"
	"ffffffff000000000000000000000840ffffffff000000000000000000000040"
	"ffffffff00000000341b4dfa89a3d73f020000000a0000005cc01542e8a0f73f"
	"00000000090000000000000000001040ffffffff000000000000000000000840"
	"ffffffff00000000decfe9c5be7ef33f000000000c0000000000000000000840"
	"ffffffff000000000000000000000840ffffffff00000000c6f41b172fc2d43f"
	"0200000011000000ad91cbea78f9234001000000100000000000000000000040"
	"ffffffff000000000000000000000040ffffffff0000000020e488c2e2c5923f"
	"0000000015000000891fb8162c7df8bf00000000140000000000000000000840"
	"ffffffff00000000ad2685a95ed41040ffffffff0000000009bdb1c8d4a7d53f"
	"02000000170000000000000000000840ffffffff000000000000000000000840"
	"ffffffff00000000";

/* its scores (score_some, 64 rows) as the format-1 code computed them */
static const uint64_t format1_scores[64] = {
	UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fddff23d92a48cf),
	UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe2ea96b46190ae),
	UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe0a9417020df36),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fddff23d92a48cf),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe5037a1d0010e6), UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe0a9417020df36),
	UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe5037a1d0010e6), UINT64_C(0x3fddff23d92a48cf), UINT64_C(0x3fe2ea96b46190ae),
	UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fddff23d92a48cf), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe2ea96b46190ae),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe2ea96b46190ae), UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe0a9417020df36),
	UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5),
	UINT64_C(0x3fe0a9417020df36), UINT64_C(0x3fddff23d92a48cf), UINT64_C(0x3fe1074891e885e5), UINT64_C(0x3fe1074891e885e5)
};

/*
 * The scores (score_some, 64 rows) of small_model(200, 20, 32, NAN, 5)
 * trained by the code before format 2: training must not change.
 */
static const uint64_t format1_scores_large[64] = {
	UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe2aaa706fe3bcd), UINT64_C(0x3fe2b5f485f023d7),
	UINT64_C(0x3fe479df118fc9de), UINT64_C(0x3fe479df118fc9de), UINT64_C(0x3fd844dfef4b6d57),
	UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fe33b88d1f919a5), UINT64_C(0x3fe4c987c7f6a035),
	UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe3922d9e3c20e9),
	UINT64_C(0x3fe7eeda0f1a3ba7), UINT64_C(0x3fe29ac03bcdbe24), UINT64_C(0x3fe4dc8148a1cf9c),
	UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe851151ff8ada4), UINT64_C(0x3fe285b42af78596),
	UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fd844dfef4b6d57),
	UINT64_C(0x3fe851151ff8ada4), UINT64_C(0x3fe7eeda0f1a3ba7), UINT64_C(0x3fe285b42af78596),
	UINT64_C(0x3fe851151ff8ada4), UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe1f54e46153a08),
	UINT64_C(0x3fe360e378b6f599), UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fe3922d9e3c20e9),
	UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe851151ff8ada4), UINT64_C(0x3fe7eeda0f1a3ba7),
	UINT64_C(0x3fe1945d6f09b935), UINT64_C(0x3fe3922d9e3c20e9), UINT64_C(0x3fd844dfef4b6d57),
	UINT64_C(0x3fe3a727a8b6f5fb), UINT64_C(0x3fe1945d6f09b935), UINT64_C(0x3fe373f0bae24c60),
	UINT64_C(0x3fe85870ab732fd0), UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe4dc8148a1cf9c),
	UINT64_C(0x3fe33b88d1f919a5), UINT64_C(0x3fe53a36d18d9c17), UINT64_C(0x3fe2931db23856f1),
	UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe416bef4ac34a7), UINT64_C(0x3fe416bef4ac34a7),
	UINT64_C(0x3fe851151ff8ada4), UINT64_C(0x3fe3922d9e3c20e9), UINT64_C(0x3fd844dfef4b6d57),
	UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fe30a8f3ca8f988), UINT64_C(0x3fe4dc8148a1cf9c),
	UINT64_C(0x3fe4dc8148a1cf9c), UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe1b68230fb0737),
	UINT64_C(0x3fe851151ff8ada4), UINT64_C(0x3fe2d150978ac5bd), UINT64_C(0x3fe2a0c9ae735da4),
	UINT64_C(0x3fd844dfef4b6d57), UINT64_C(0x3fe373f0bae24c60), UINT64_C(0x3fe4dc8148a1cf9c),
	UINT64_C(0x3fe29ac03bcdbe24)
};

/* Recorded bytes decoded from a hex string. */
static unsigned char *
from_hex(const char *hex, size_t *len)
{
	size_t		n = strlen(hex) / 2;
	unsigned char *b = test_alloc(NULL, n);

	for (size_t i = 0; i < n; i++)
	{
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		b[i] = (unsigned char) v;
	}
	*len = n;
	return b;
}

/* Whether the scores of score_some on m are bit for bit the expected ones. */
static int
scores_are(const an_model *m, const uint64_t *expected)
{
	double		s[64];

	score_some(m, 64, s);
	for (int i = 0; i < 64; i++)
	{
		uint64_t	u;

		memcpy(&u, &s[i], sizeof(u));
		if (u != expected[i])
			return 0;
	}
	return 1;
}

/*
 * The drift data: x normal (mean x_shift, sd x_scale), y uniform on [0, 10)
 * with a NULL share, k an integer 0..3 (ties), and color red, green, blue or
 * purple with the given probabilities and a NULL share.
 */
typedef struct drift_gen
{
	double		x_shift;
	double		x_scale;
	double		y_null;
	double		color[4];
	double		color_null;
} drift_gen;

static const char *const drift_names[] = {"x", "y", "k", "color"};
static const an_kind drift_kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_NUMERIC,
AN_KIND_CATEGORICAL};
static const char *const drift_colors[] = {"red", "green", "blue", "purple"};
static const drift_gen drift_base = {0, 1, 0.1, {0.5, 0.3, 0.2, 0}, 0.05};

/* One row of the drift data. */
static void
drift_row(an_prng *r, const drift_gen *g, an_cell *row)
{
	double		u;
	int			c = 0;

	row[0].num = g->x_shift + g->x_scale * an_prng_normal(r);
	row[1].num = an_prng_uniform(r) < g->y_null ? NAN : 10 * an_prng_uniform(r);
	row[2].num = (double) an_prng_below(r, 4);
	if (an_prng_uniform(r) < g->color_null)
	{
		row[3].cat = 0;
		return;
	}
	u = an_prng_uniform(r);
	while (c < 3 && u >= g->color[c])
		u -= g->color[c++];
	row[3].cat = cat_hash(drift_colors[c]);
}

/* A model trained on n rows of the base drift data (all in the sample). */
static an_model *
drift_model(an_ctx *ctx, int n)
{
	an_params	p = iforest_params(ctx, 8192, 10, 64, 21);
	an_state   *st = state_new(4, drift_names, drift_kinds, &p, 0);
	an_prng		r;
	an_model   *m = NULL;
	char		dropped[64];

	an_prng_seed(&r, 21);
	for (int i = 0; i < n; i++)
	{
		an_cell		row[4];

		drift_row(&r, &drift_base, row);
		st = state_add(st, row);
	}
	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK || m->n_features != 4)
		abort();
	return m;
}

/*
 * The drift of n rows drawn from g against m, fed as the glue does: x the
 * encoded row, cat the category hashes.
 */
static an_drift_stat *
drift_of(an_ctx *ctx, const an_model *m, const drift_gen *g, int n, uint64_t seed)
{
	an_drift   *acc = NULL;
	an_drift_stat *res;
	an_prng		r;

	if (an_drift_init(ctx, m, &acc) != AN_OK)
		abort();
	an_prng_seed(&r, seed);
	for (int i = 0; i < n; i++)
	{
		an_cell		row[4];
		double		x[4];
		uint64_t	cat[4] = {0, 0, 0, 0};

		drift_row(&r, g, row);
		for (int j = 0; j < 3; j++)
			x[j] = row[j].num;
		cat[3] = row[3].cat;
		x[3] = cat[3] == 0 ? NAN : an_feature_encode_category(&m->features[3], cat[3]);
		an_drift_add(acc, x, cat);
	}
	an_drift_result(ctx, acc, &res);
	return res;
}

/* Check that only the features flagged in want drifted, and the overall. */
static void
check_drifted(const an_drift_stat *res, const int *want, const char *what)
{
	int			any = 0;

	for (int j = 0; j < 4; j++)
	{
		CHECK(res[j].drifted == want[j], "%s: %s drifted %d (psi %g, ks %g > %g)", what,
			  drift_names[j], res[j].drifted, res[j].psi, res[j].ks, res[j].ks_critical);
		any |= want[j];
	}
	CHECK(res[4].drifted == any, "%s: overall drifted %d", what, res[4].drifted);
}

static void
test_drift_detects(void)
{
	an_ctx		ctx = new_ctx();
	an_model   *m = drift_model(&ctx, 4000);
	an_drift_stat *res;
	drift_gen	g;
	static const int none[4] = {0, 0, 0, 0};

	/*
	 * Fresh samples of the training distribution: KS at alpha = 0.01 flags
	 * about 1% of them (seed 77 is one), so count over twenty, then look at
	 * one closely.
	 */
	{
		int			flagged = 0;

		for (uint64_t seed = 100; seed < 120; seed++)
		{
			res = drift_of(&ctx, m, &drift_base, 1000, seed);
			for (int j = 0; j < 4; j++)
			{
				flagged += res[j].drifted;
				CHECK(res[j].psi < 0.1, "fresh seed %llu: %s psi %g",
					  (unsigned long long) seed, drift_names[j], res[j].psi);
			}
		}
		CHECK(flagged <= 3, "%d of 80 fresh features drifted", flagged);
	}
	res = drift_of(&ctx, m, &drift_base, 3000, 70);
	check_drifted(res, none, "fresh");
	for (int j = 0; j < 4; j++)
	{
		CHECK(res[j].psi >= 0 && res[j].psi < 0.1, "fresh %s psi %g", drift_names[j],
			  res[j].psi);
		CHECK(res[j].rows == 3000 && res[j].train_mean == m->features[j].mean,
			  "fresh %s rows or train mean", drift_names[j]);
		CHECK_NEAR(res[j].current_mean, res[j].train_mean, 0.05 * (1 + m->features[j].sd));
	}
	for (int j = 0; j < 3; j++)
		CHECK(res[j].ks >= 0 && res[j].ks <= res[j].ks_critical &&
			  res[j].ks_critical > 0.03 && res[j].ks_critical < 0.05,
			  "fresh %s ks %g, critical %g", drift_names[j], res[j].ks, res[j].ks_critical);
	CHECK(isnan(res[3].ks) && isnan(res[3].ks_critical), "categorical ks");
	CHECK(res[1].nulls > 240 && res[1].nulls < 360, "y nulls %llu",
		  (unsigned long long) res[1].nulls);
	CHECK_NEAR(res[1].train_null_share, 0.1, 0.02);
	CHECK_NEAR(res[1].current_null_share, (double) res[1].nulls / 3000, 0);
	CHECK(res[4].rows == 3000 && res[4].nulls >= res[1].nulls &&
		  res[4].psi == fmax(fmax(res[0].psi, res[1].psi), fmax(res[2].psi, res[3].psi)) &&
		  res[4].ks == fmax(fmax(res[0].ks, res[1].ks), res[2].ks) &&
		  isnan(res[4].train_mean) && isnan(res[4].current_mean), "overall row");

	/* x shifted by one sd, then rescaled */
	{
		static const int want[4] = {1, 0, 0, 0};

		g = drift_base;
		g.x_shift = 1;
		res = drift_of(&ctx, m, &g, 3000, 78);
		check_drifted(res, want, "x + 1 sd");
		CHECK(res[0].psi >= 0.2 && res[0].ks > res[0].ks_critical, "x + 1 sd: psi %g ks %g",
			  res[0].psi, res[0].ks);
		CHECK_NEAR(res[0].current_mean, 1, 0.1);
		g = drift_base;
		g.x_scale = 2;
		res = drift_of(&ctx, m, &g, 3000, 79);
		check_drifted(res, want, "x * 2");
		CHECK(res[0].psi >= 0.2, "x * 2: psi %g", res[0].psi);
		/* a small shift shows in KS before PSI */
		g = drift_base;
		g.x_shift = 0.2;
		res = drift_of(&ctx, m, &g, 3000, 80);
		check_drifted(res, want, "x + 0.2 sd");
		CHECK(res[0].psi < 0.2 && res[0].ks > res[0].ks_critical, "x + 0.2 sd: psi %g ks %g",
			  res[0].psi, res[0].ks);
	}
	/* more NULLs in y: PSI sees it, KS (on values) does not */
	{
		static const int want[4] = {0, 1, 0, 0};

		g = drift_base;
		g.y_null = 0.5;
		res = drift_of(&ctx, m, &g, 3000, 81);
		check_drifted(res, want, "y NULLs");
		CHECK(res[1].psi >= 0.2 && res[1].ks <= res[1].ks_critical, "y NULLs: psi %g ks %g",
			  res[1].psi, res[1].ks);
	}
	/* categories: proportions swapped, then a new category */
	{
		static const int want[4] = {0, 0, 0, 1};

		g = drift_base;
		g.color[0] = 0.2;
		g.color[2] = 0.5;
		res = drift_of(&ctx, m, &g, 3000, 82);
		check_drifted(res, want, "colors swapped");
		CHECK(res[3].psi >= 0.2, "colors swapped: psi %g", res[3].psi);
		g = drift_base;
		g.color[0] = 0.35;
		g.color[1] = 0.21;
		g.color[2] = 0.14;
		g.color[3] = 0.3;
		res = drift_of(&ctx, m, &g, 3000, 83);
		check_drifted(res, want, "new color");
		CHECK(res[3].psi >= 0.2 && res[3].current_mean < res[3].train_mean - 0.05,
			  "new color: psi %g, mean %g vs %g", res[3].psi, res[3].current_mean,
			  res[3].train_mean);
	}
	/* no rows */
	res = drift_of(&ctx, m, &drift_base, 0, 84);
	for (int j = 0; j < 5; j++)
		CHECK(res[j].rows == 0 && isnan(res[j].psi) && isnan(res[j].ks) &&
			  isnan(res[j].current_mean) && !res[j].drifted, "no rows: entry %d", j);
}

/* Exact two-sample KS statistic of sorted a[0..n) and b[0..m). */
static double
exact_ks(const double *a, int n, const double *b, int m)
{
	int			i = 0,
				k = 0;
	double		d = 0;

	while (i < n && k < m)
	{
		double		v = a[i] < b[k] ? a[i] : b[k];

		while (i < n && a[i] == v)
			i++;
		while (k < m && b[k] == v)
			k++;
		d = fmax(d, fabs((double) i / n - (double) k / m));
	}
	return d;
}

static void
test_drift_exact(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const names[] = {"v"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC};
	an_params	p = iforest_params(&ctx, 4096, 5, 32, 3);
	an_state   *st = state_new(1, names, kinds, &p, 0);
	an_model   *m = NULL;
	an_drift   *acc = NULL;
	an_drift_stat *res;
	char		dropped[8];
	const an_feature *f;
	double		want_psi,
				want_ks = 0,
				cum = 0;

	/* the values 1..10, 100 of each: ten knots, one PSI bin per value */
	for (int i = 0; i < 1000; i++)
	{
		an_cell		cell;

		cell.num = 1 + i % 10;
		st = state_add(st, &cell);
	}
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	if (m == NULL)
		return;
	f = &m->features[0];
	CHECK(m->sample_rows == 1000 && f->sample_nulls == 0 && f->n_knots == 10,
		  "sample %u, nulls %u, knots %u", m->sample_rows, f->sample_nulls, f->n_knots);
	for (uint32_t k = 0; k < f->n_knots && k < 10; k++)
		CHECK(f->knot[k] == k + 1 && f->knot_count[k] == 100 * (k + 1), "knot %u: %g, %u", k,
			  f->knot[k], f->knot_count[k]);
	/* current: v appears 10 v times (550 rows), then 50 NULLs and 2 infinities */
	CHECK_STATUS(an_drift_init(&ctx, m, &acc), AN_OK);
	for (int v = 1; v <= 10; v++)
		for (int i = 0; i < 10 * v; i++)
		{
			double		x = v == 1 && i == 0 ? -INFINITY : v == 10 && i == 0 ? INFINITY : v;

			an_drift_add(acc, &x, NULL);
		}
	for (int i = 0; i < 50; i++)
	{
		double		x = NAN;

		an_drift_add(acc, &x, NULL);
	}
	an_drift_result(&ctx, acc, &res);
	want_psi = (50.0 / 600 - AN_DRIFT_EPSILON) * log((50.0 / 600) / AN_DRIFT_EPSILON);
	for (int v = 1; v <= 10; v++)
	{
		double		c = 10.0 * v / 600;

		want_psi += (c - 0.1) * log(c / 0.1);
		cum += 10.0 * v;
		want_ks = fmax(want_ks, fabs(v / 10.0 - cum / 550));
	}
	CHECK_NEAR(res[0].psi, want_psi, 1e-12);
	CHECK_NEAR(res[0].ks, want_ks, 1e-12);
	CHECK_NEAR(res[0].ks_critical, 1.6276236307187293 * sqrt(1.0 / 1000 + 1.0 / 550), 1e-12);
	CHECK(res[0].nulls == 50 && res[0].rows == 600 && res[0].drifted, "counts / drifted");
	CHECK_NEAR(res[0].current_mean, 385.0 / 55, 1e-9);

	/* continuous values: KS at the knots is a lower bound within 2% */
	{
		int			n = 2000,
					n_cur = 1000;
		double	   *a = test_alloc(NULL, sizeof(double) * n);
		double	   *b = test_alloc(NULL, sizeof(double) * n_cur);
		an_prng		r;
		double		exact;

		an_prng_seed(&r, 5);
		st = state_new(1, names, kinds, &p, 0);
		for (int i = 0; i < n; i++)
		{
			an_cell		cell;

			cell.num = a[i] = an_prng_normal(&r);
			st = state_add(st, &cell);
		}
		CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
		CHECK(m->features[0].n_knots == AN_DRIFT_KNOTS, "%u knots", m->features[0].n_knots);
		CHECK_STATUS(an_drift_init(&ctx, m, &acc), AN_OK);
		for (int i = 0; i < n_cur; i++)
		{
			b[i] = 0.15 + an_prng_normal(&r);
			an_drift_add(acc, &b[i], NULL);
		}
		an_drift_result(&ctx, acc, &res);
		qsort(a, n, sizeof(double), cmp_dbl);
		qsort(b, n_cur, sizeof(double), cmp_dbl);
		exact = exact_ks(a, n, b, n_cur);
		CHECK(res[0].ks <= exact + 1e-12 && res[0].ks >= exact - 0.02,
			  "ks at knots %g, exact %g", res[0].ks, exact);
	}
}

static void
test_drift_sketch(void)
{
	an_ctx		ctx = new_ctx();
	an_model   *m = drift_model(&ctx, 4000);
	an_model   *back = NULL;
	unsigned char *b;
	size_t		len;
	an_drift_stat *r1,
			   *r2;
	drift_gen	g = drift_base;

	CHECK(m->sample_rows == 4000, "sample rows %u", m->sample_rows);
	for (uint32_t j = 0; j < 3; j++)
	{
		const an_feature *f = &m->features[j];
		int			ordered = f->n_knots > 0 && f->knot[0] == f->lo &&
			f->knot[f->n_knots - 1] == f->hi &&
			f->knot_count[f->n_knots - 1] == m->sample_rows - f->sample_nulls;

		for (uint32_t k = 1; k < f->n_knots; k++)
			ordered &= f->knot[k] > f->knot[k - 1] && f->knot_count[k] > f->knot_count[k - 1];
		CHECK(ordered, "%s knots not ordered or not spanning the sample", f->name);
	}
	CHECK(m->features[0].n_knots == AN_DRIFT_KNOTS && m->features[2].n_knots == 4,
		  "knots %u, %u", m->features[0].n_knots, m->features[2].n_knots);
	{
		const an_feature *f = &m->features[3];
		uint64_t	sum = f->unseen_count + f->sample_nulls;

		for (uint32_t i = 0; i < f->n_cats; i++)
			sum += f->cat_count[i];
		CHECK(f->n_cats == 3 && f->unseen_count == 0 && sum == m->sample_rows,
			  "categories %u, unseen %u, sum %llu", f->n_cats, f->unseen_count,
			  (unsigned long long) sum);
	}

	/*
	 * A state whose column statistics disagree with its sample (a state is
	 * untrusted input: anomaly_fit states have a text form) still trains a
	 * model that reads back: the knots are not bound to the range.
	 */
	{
		static const char *const names[] = {"v"};
		static const an_kind kinds[] = {AN_KIND_NUMERIC};
		an_params	p = iforest_params(&ctx, 64, 2, 8, 1);
		an_state   *st = state_new(1, names, kinds, &p, 0);
		an_model   *odd = NULL;
		char		dropped[8];

		for (int i = 0; i < 10; i++)
		{
			an_cell		cell;

			cell.num = i;
			st = state_add(st, &cell);
		}
		an_state_cols(st)[0].max = 5;
		CHECK_STATUS(an_state_validate(&ctx, st, state_len(st)), AN_OK);
		CHECK_STATUS(an_model_train(&ctx, st, &odd, dropped, sizeof(dropped)), AN_OK);
		if (odd != NULL)
		{
			b = model_bytes(&ctx, odd, &len);
			CHECK(odd->features[0].knot[odd->features[0].n_knots - 1] == 9, "last knot");
			CHECK_STATUS(read_exact(&ctx, b, len, &back), AN_OK);
		}
	}

	/* the sketch round-trips exactly, and gives the same drift */
	b = model_bytes(&ctx, m, &len);
	CHECK(b[8] == AN_MODEL_FORMAT && b[9] == 0, "format %u", b[8]);
	CHECK_STATUS(read_exact(&ctx, b, len, &back), AN_OK);
	if (back == NULL)
		return;
	CHECK(back->sample_rows == m->sample_rows, "sample rows");
	for (uint32_t j = 0; j < 4; j++)
	{
		const an_feature *f = &m->features[j],
				   *h = &back->features[j];

		CHECK(h->sample_nulls == f->sample_nulls && h->n_knots == f->n_knots &&
			  h->unseen_count == f->unseen_count &&
			  (f->n_knots == 0 ||
			   (memcmp(h->knot, f->knot, sizeof(double) * f->n_knots) == 0 &&
				memcmp(h->knot_count, f->knot_count, sizeof(uint32_t) * f->n_knots) == 0)) &&
			  (f->n_cats == 0 ||
			   memcmp(h->cat_count, f->cat_count, sizeof(uint32_t) * f->n_cats) == 0),
			  "%s sketch differs after a round trip", f->name);
	}
	g.x_shift = 0.5;
	g.color_null = 0.2;
	r1 = drift_of(&ctx, m, &g, 500, 9);
	r2 = drift_of(&ctx, back, &g, 500, 9);
	for (int j = 0; j < 5; j++)
		CHECK(r1[j].rows == r2[j].rows && r1[j].nulls == r2[j].nulls &&
			  memcmp(&r1[j].psi, &r2[j].psi, sizeof(double)) == 0 &&
			  memcmp(&r1[j].ks, &r2[j].ks, sizeof(double)) == 0 &&
			  memcmp(&r1[j].current_mean, &r2[j].current_mean, sizeof(double)) == 0 &&
			  r1[j].drifted == r2[j].drifted, "drift %d differs after a round trip", j);
}

/* The offset of feature j's drift sketch in format-2 model bytes. */
static size_t
sketch_offset(const an_model *m, const unsigned char *b, uint32_t j)
{
	size_t		at = AN_MODEL_HEADER + 8 * AN_P_COMMON + 4 + 8 * (size_t) m->ops->n_params +
		8 + 8 + 4 + 4;

	for (uint32_t o = 0;; o++)
	{
		const an_feature *f = &m->features[o];

		at += 2 + (size_t) (b[at] | b[at + 1] << 8) + 1 + 5 * 8 + 4 + 16 * (size_t) f->n_cats;
		if (o == j)
			return at;
		at += 4 + (f->kind == AN_KIND_NUMERIC ? 4 + 12 * (size_t) f->n_knots
				   : 4 * (size_t) f->n_cats + 4);
	}
}

/* Little-endian stores into model bytes. */
static void
put_u32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char) (v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *b)
{
	return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 |
		(uint32_t) b[3] << 24;
}

static void
put_f64(unsigned char *b, double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char) (u >> (8 * i));
}

static void
test_drift_corrupt(void)
{
	an_ctx		ctx = new_ctx();
	an_model   *m = drift_model(&ctx, 300);
	unsigned char *b;
	size_t		len;
	const an_feature *fx = &m->features[1];	/* y: numeric with NULLs */
	uint32_t	present = m->sample_rows - fx->sample_nulls;
	size_t		sy,
				sc,
				s_rows = AN_MODEL_HEADER + 8 * AN_P_COMMON + 4 + 8 * (size_t) m->ops->n_params + 20;
	int			bad = 0;
	an_model   *t = NULL;

	b = model_bytes(&ctx, m, &len);
	sy = sketch_offset(m, b, 1);
	sc = sketch_offset(m, b, 3);
	CHECK(get_u32(b + s_rows) == m->sample_rows && get_u32(b + sy) == fx->sample_nulls &&
		  get_u32(b + sy + 4) == fx->n_knots && get_u32(b + sc) == m->features[3].sample_nulls,
		  "sketch offsets");
	CHECK(fx->sample_nulls > 0 && fx->n_knots > 3, "y has NULLs and knots");

	/* each edit, the CRC patched, must be rejected as corrupt */
	for (int e = 0;; e++)
	{
		unsigned char *c = dup_bytes(b, len);
		size_t		k1 = sy + 8,
					kl = sy + 8 + 12 * (fx->n_knots - 1);
		an_status	st;

		switch (e)
		{
			case 0: put_u32(c + s_rows, 0); break;
			case 1: put_u32(c + s_rows, m->sample_rows + 1); break;
			case 2: put_u32(c + s_rows, UINT32_MAX); break;
			case 3: put_u32(c + sy, m->sample_rows + 1); break;
			case 4: put_u32(c + sy, fx->sample_nulls + 1); break;
			case 5: put_u32(c + sy, m->sample_rows); break;
			case 6: put_u32(c + sy + 4, AN_DRIFT_KNOTS + 1); break;
			case 7: put_u32(c + sy + 4, 0); break;
			case 8: put_u32(c + sy + 4, fx->n_knots - 1); break;
			case 9: put_u32(c + sy + 4, UINT32_MAX); break;
			case 10: put_f64(c + k1, NAN); break;
			case 11: put_f64(c + k1, INFINITY); break;
			case 12: put_f64(c + k1, -INFINITY); break;
			case 13: put_f64(c + kl, INFINITY); break;
			case 14: put_f64(c + k1 + 12, fx->knot[0]); break;
			case 15: put_f64(c + k1, fx->knot[1]); break;
			case 16: put_u32(c + k1 + 8, 0); break;
			case 17: put_u32(c + k1 + 20, fx->knot_count[0]); break;
			case 18: put_u32(c + kl + 8, present - 1); break;
			case 19: put_u32(c + kl + 8, present + 1); break;
			case 20: put_u32(c + sc, m->features[3].sample_nulls + 1); break;
			case 21: put_u32(c + sc + 4, m->features[3].cat_count[0] + 1); break;
			case 22: put_u32(c + sc + 4 + 4 * m->features[3].n_cats, 1); break;
			case 23: put_u32(c + sc + 4, UINT32_MAX); break;
			default: c = NULL; break;
		}
		if (c == NULL)
			break;
		patch_model_header(c, len);
		ctx.message[0] = ctx.hint[0] = 0;
		t = NULL;
		st = read_exact(&ctx, c, len, &t);
		if (st != AN_ERR_CORRUPT || t != NULL || !ctx.message[0] || !ctx.hint[0])
		{
			printf("  sketch edit %d: status %d (%s)\n", e, (int) st, ctx.message);
			bad++;
		}
	}
	CHECK(bad == 0, "%d sketch edits not rejected", bad);

	/* every truncation */
	bad = 0;
	for (size_t l = 0; l < len; l++)
	{
		t = NULL;
		if (read_exact(&ctx, b, l, &t) != AN_ERR_CORRUPT || t != NULL)
			bad++;
	}
	CHECK(bad == 0, "%d truncations not rejected", bad);

	/* a format-2 model without a sketch is valid; drift asks for a retrain */
	{
		an_model	nosketch = *m;
		an_drift   *acc = NULL;

		nosketch.sample_rows = 0;
		b = model_bytes(&ctx, &nosketch, &len);
		CHECK_STATUS(read_exact(&ctx, b, len, &t), AN_OK);
		CHECK(t && t->sample_rows == 0, "sketch-less model");
		ctx.message[0] = ctx.hint[0] = 0;
		CHECK_STATUS(an_drift_init(&ctx, &nosketch, &acc), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, "Retrain the model") != NULL && acc == NULL, "hint \"%s\"",
			  ctx.hint);
	}
}

static void
test_model_format1(void)
{
	an_ctx		ctx = new_ctx();
	size_t		len,
				len2,
				len3;
	unsigned char *b = from_hex(format1_model_hex, &len);
	unsigned char *b2,
			   *b3;
	an_model   *old = NULL,
			   *again = NULL,
			   *now = small_model(&ctx, 20, 2, 8, 0.1, 9);
	an_drift   *acc = NULL;
	int			bad = 0;

	CHECK(len == 872 && b[8] == 1, "fixture");
	CHECK_STATUS(read_exact(&ctx, b, len, &old), AN_OK);
	if (old == NULL)
		return;
	CHECK(old->sample_rows == 0, "format 1 has no sketch");
	CHECK(scores_are(old, format1_scores), "format-1 model scores changed");

	/* training is unchanged: the same model, now with a sketch */
	CHECK(scores_are(now, format1_scores), "a newly trained model scores differently");
	CHECK(scores_are(small_model(&ctx, 200, 20, 32, NAN, 5), format1_scores_large),
		  "a newly trained larger model scores differently");
	CHECK(now->sample_rows == 20 && now->threshold == old->threshold &&
		  now->n_calib == old->n_calib &&
		  memcmp(now->calib, old->calib, sizeof(double) * old->n_calib) == 0,
		  "calibration differs");
	for (uint32_t j = 0; j < old->n_features; j++)
	{
		const an_feature *f = &now->features[j],
				   *o = &old->features[j];

		CHECK(strcmp(f->name, o->name) == 0 && f->kind == o->kind && f->impute == o->impute &&
			  f->lo == o->lo && f->hi == o->hi && f->mean == o->mean && f->sd == o->sd &&
			  f->n_cats == o->n_cats &&
			  (o->n_cats == 0 ||
			   (memcmp(f->cat_hash, o->cat_hash, sizeof(uint64_t) * o->n_cats) == 0 &&
				memcmp(f->cat_freq, o->cat_freq, sizeof(double) * o->n_cats) == 0)),
			  "feature %u differs from format 1", j);
	}

	/* no drift on it: retrain */
	ctx.message[0] = ctx.hint[0] = 0;
	CHECK_STATUS(an_drift_init(&ctx, old, &acc), AN_ERR_PARAM);
	CHECK(strstr(ctx.hint, "Retrain the model") != NULL, "hint \"%s\"", ctx.hint);

	/* written again it is format 2 without a sketch, and canonical from there */
	b2 = model_bytes(&ctx, old, &len2);
	CHECK(b2[8] == 2 && len2 == len + 4, "rewritten format-1 model: format %u, %zu bytes",
		  b2[8], len2);
	CHECK_STATUS(read_exact(&ctx, b2, len2, &again), AN_OK);
	if (again == NULL)
		return;
	CHECK(again->sample_rows == 0 && scores_are(again, format1_scores),
		  "rewritten format-1 model");
	b3 = model_bytes(&ctx, again, &len3);
	CHECK(len3 == len2 && memcmp(b2, b3, len2) == 0, "write(read(bytes)) != bytes");

	/* every truncation of the format-1 model */
	for (size_t l = 0; l < len; l++)
	{
		an_model   *t = NULL;

		if (read_exact(&ctx, b, l, &t) != AN_ERR_CORRUPT || t != NULL)
			bad++;
	}
	CHECK(bad == 0, "%d truncations of a format-1 model not rejected", bad);
}

/* ------------------------------------------------------------------ */
/* seed corpus for the fuzzers */

/* The longest input the fuzzers are given (test/fuzz/run.sh's -max_len). */
#define FUZZ_MAX_LEN 131072

/* Write a seed file (after a one-byte prefix if use_prefix); 1 on error. */
static int
write_file(const char *dir, const char *name, unsigned char prefix, int use_prefix,
		   const void *data, size_t len)
{
	char		path[1024];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
	{
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (use_prefix)
		fputc(prefix, f);
	fwrite(data, 1, len, f);
	fclose(f);
	printf("%s: %zu bytes\n", path, len + (use_prefix ? 1 : 0));
	if (len + 1 > FUZZ_MAX_LEN)
	{
		fprintf(stderr, "%s is too large for the corpus\n", path);
		return 1;
	}
	return 0;
}

/*
 * One seed of each algorithm for both harnesses: a name, the detector, its
 * options (numbers, then choice words), and the rows offered to the state.
 */
typedef struct algorithm_seed
{
	const char *file;
	const char *algorithm;
	const char *number_names[5];
	double		numbers[5];
	const char *word_names[2];
	const char *words[2];
	int			rows;
	int			with_dropped;	/* add a constant and an all-NULL column */
} algorithm_seed;

static const algorithm_seed algorithm_seeds[] = {
	{"auto", "auto", {NULL}, {0}, {NULL}, {NULL}, 24, 0},
	{"auto_dropped", "auto", {"contamination", "iforest"}, {0.05, 0}, {NULL}, {NULL}, 22, 1},
	{"iforest", "iforest", {"n_trees", "sample_size"}, {6, 16}, {NULL}, {NULL}, 40},
	{"fcforest", "fcforest", {"n_trees", "sample_size", "ntry"}, {5, 16, 2}, {NULL}, {NULL}, 40},
	{"hbos_static", "hbos", {"n_bins", "tol"}, {6, 0.2}, {NULL}, {NULL}, 40},
	{"hbos_dynamic", "hbos", {"n_bins"}, {5}, {"bins"}, {"dynamic"}, 40},
	{"ecod", "ecod", {NULL}, {0}, {NULL}, {NULL}, 40},
	{"copod", "copod", {NULL}, {0}, {NULL}, {NULL}, 40},
	{"zscore", "zscore", {NULL}, {0}, {NULL}, {NULL}, 40},
	{"mahalanobis", "mahalanobis", {NULL}, {0}, {NULL}, {NULL}, 40},
	{"knn_largest", "knn", {"k"}, {5}, {NULL}, {NULL}, 40},
	{"knn_mean_standard", "knn", {"k"}, {3}, {"method", "scaling"}, {"mean", "standard"}, 30},
	{"knn_median_minmax", "knn", {"k"}, {4}, {"method", "scaling"}, {"median", "minmax"}, 30},
	{"lof", "lof", {"k"}, {6}, {NULL}, {NULL}, 40},
	{"lof_minmax", "lof", {"k"}, {3}, {"scaling"}, {"minmax"}, 30},
	{"knn_approximate", "knn", {"k", "approximate"}, {5, 1}, {NULL}, {NULL}, 40},
	{"lof_approximate", "lof", {"k", "approximate"}, {6, 0.5}, {NULL}, {NULL}, 40},
	{"ocsvm", "ocsvm", {"nu", "max_train"}, {0.2, 24}, {NULL}, {NULL}, 40},
	{"ocsvm_gamma", "ocsvm", {"nu", "gamma", "tol"}, {0.5, 0.7, 1e-4}, {NULL}, {NULL}, 30},
	{"ensemble_mean", "ensemble", {"iforest", "knn", "hbos", "lof"}, {0, 2, 1, 1}, {NULL}, {NULL}, 24},
	{"ensemble_max", "ensemble", {"lof", "ocsvm", "hbos", "iforest", "knn"}, {1, 2, 1, 0, 0},
	{"combine"}, {"max"}, 24},
	{"ensemble_tail", "ensemble", {"copod", "zscore", "iforest"}, {1, 3, 0}, {"combine"}, {"tail"}, 24},
};

/*
 * The state of one algorithm seed: x, y (numeric, with NULLs and an
 * infinity), color (categorical, with NULLs); NULL if an option is refused.
 */
static an_state *
algorithm_seed_state(an_ctx *ctx, const algorithm_seed *s)
{
	static const char *const names[] = {"x", "y", "color", "constant", "empty"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL,
	AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};
	static const char *const colors[] = {"red", "green", "blue", "red", "amber"};
	const an_detector_ops *ops = an_detector_by_name(s->algorithm);
	uint32_t	n_cols = s->with_dropped ? 5 : 3;
	an_params	p;
	an_state   *st;
	an_prng		r;

	if (ops == NULL)
		abort();
	an_params_defaults(&p, ops);
	if (an_params_set(ctx, &p, ops, "sample_rows", 32) != AN_OK ||
		an_params_set(ctx, &p, ops, "seed", (double) s->rows) != AN_OK)
		abort();
	for (int i = 0; i < 5 && s->number_names[i]; i++)
		if (an_params_set(ctx, &p, ops, s->number_names[i], s->numbers[i]) != AN_OK)
			return NULL;
	for (int i = 0; i < 2 && s->word_names[i]; i++)
		if (an_params_set_word(ctx, &p, ops, s->word_names[i], s->words[i]) != AN_OK)
			return NULL;
	st = state_new(n_cols, names, kinds, &p, 0);
	an_prng_seed(&r, (uint64_t) s->rows);
	for (int i = 0; i < s->rows; i++)
	{
		an_cell		row[5];

		row[0].num = i == 7 ? INFINITY : i % 11 == 4 ? NAN : an_prng_normal(&r);
		row[1].num = i % 6 == 1 ? NAN : 10 * an_prng_uniform(&r);
		row[2].cat = i % 8 == 2 ? 0 : cat_hash(colors[an_prng_below(&r, 5)]);
		row[3].num = 1.0;
		row[4].cat = 0;
		st = state_add(st, row);
	}
	return st;
}

/* Whether every registered detector has a seed in algorithm_seeds; names those without. */
static int
every_algorithm_seeded(void)
{
	char		names[AN_MSG_MAX];
	int			ok = 1;

	snprintf(names, sizeof(names), "%s", an_detector_names());
	for (char *name = strtok(names, ", "); name; name = strtok(NULL, ", "))
	{
		size_t		i = 0;

		while (i < sizeof(algorithm_seeds) / sizeof(algorithm_seeds[0]) &&
			   strcmp(algorithm_seeds[i].algorithm, name) != 0)
			i++;
		if (i == sizeof(algorithm_seeds) / sizeof(algorithm_seeds[0]))
		{
			fprintf(stderr, "no fuzzing seed for algorithm %s\n", name);
			ok = 0;
		}
	}
	return ok;
}

/* Write the state and the model of every algorithm seed. */
static int
write_algorithm_seeds(an_ctx *ctx, const char *mdir, const char *sdir)
{
	int			err = every_algorithm_seeded() ? 0 : 1;

	for (size_t i = 0; i < sizeof(algorithm_seeds) / sizeof(algorithm_seeds[0]); i++)
	{
		const algorithm_seed *s = &algorithm_seeds[i];
		an_state   *st = algorithm_seed_state(ctx, s);
		an_model   *m = NULL;
		char		dropped[64];
		char		name[96];
		unsigned char *b;
		size_t		len;

		if (st == NULL || an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK)
		{
			fprintf(stderr, "seed %s: %s\n", s->file, ctx->message);
			return 1;
		}
		err |= write_file(sdir, s->file, 0, 0, st, state_len(st));
		b = model_bytes(ctx, m, &len);
		snprintf(name, sizeof(name), "%s_patch", s->file);
		err |= write_file(mdir, name, 1, 1, b, len);
	}
	return err;
}

/* Write the fuzz harnesses' seed corpus under dir (model/ and state/); nonzero on a failed write. */
static int
write_seeds(const char *dir)
{
	an_ctx		ctx = new_ctx();
	char		mdir[1024],
				sdir[1024];
	int			err = 0;

	snprintf(mdir, sizeof(mdir), "%s/model", dir);
	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	mkdir(dir, 0777);
	mkdir(mdir, 0777);
	mkdir(sdir, 0777);

	/* models: byte 0 is fuzz_model's mode (odd: patch the CRC) */
	{
		an_model   *m1 = small_model(&ctx, 20, 2, 8, 0.1, 9);
		an_model   *m2 = small_model(&ctx, 40, 4, 16, NAN, 11);
		unsigned char *b;
		size_t		len;

		b = model_bytes(&ctx, m1, &len);
		err |= write_file(mdir, "mixed_small_raw", 0, 1, b, len);
		err |= write_file(mdir, "mixed_small_patch", 1, 1, b, len);
		b = model_bytes(&ctx, m2, &len);
		err |= write_file(mdir, "mixed_auto_patch", 1, 1, b, len);
		b = model_bytes(&ctx, drift_model(&ctx, 300), &len);
		err |= write_file(mdir, "drift_4col_patch", 1, 1, b, len);
		b = from_hex(format1_model_hex, &len);
		err |= write_file(mdir, "format1_mixed_patch", 1, 1, b, len);
	}
	{
		static const char *const names[] = {"only"};
		static const an_kind kinds[] = {AN_KIND_NUMERIC};
		an_params	p = iforest_params(&ctx, 16, 3, 4, 2);
		an_state   *st = state_new(1, names, kinds, &p, 0);
		an_model   *m = NULL;
		char		dropped[8];
		unsigned char *b;
		size_t		len;

		for (int i = 0; i < 6; i++)
		{
			an_cell		row;

			row.num = i * i;
			st = state_add(st, &row);
		}
		if (an_model_train(&ctx, st, &m, dropped, sizeof(dropped)) != AN_OK)
			abort();
		b = model_bytes(&ctx, m, &len);
		err |= write_file(mdir, "numeric_tiny_patch", 1, 1, b, len);

		/* states */
		err |= write_file(sdir, "numeric_1col", 0, 0, st, state_len(st));
	}
	{
		static const char *const names[] = {"x", "y", "color"};
		static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};
		static const char *const colors[] = {"red", "green", "blue"};
		an_params	p = iforest_params(&ctx, 64, 5, 16, 3);
		an_state   *st;
		an_prng		r;

		if (an_params_set(&ctx, &p, &an_iforest_ops, "max_depth", 6) != AN_OK ||
			an_params_set(&ctx, &p, &an_iforest_ops, "contamination", 0.2) != AN_OK)
			abort();
		st = state_new(3, names, kinds, &p, 0);
		an_prng_seed(&r, 1);
		for (int i = 0; i < 100; i++)
		{
			an_cell		row[3];

			row[0].num = i % 17 == 0 ? INFINITY : an_prng_normal(&r);
			row[1].num = i % 5 == 0 ? NAN : an_prng_uniform(&r);
			row[2].cat = i % 7 == 0 ? 0 : cat_hash(colors[an_prng_below(&r, 3)]);
			st = state_add(st, row);
		}
		err |= write_file(sdir, "mixed_3col", 0, 0, st, state_len(st));
	}
	{
		static const char *const names[] = {"a", "b"};
		static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC};
		an_params	p = iforest_params(&ctx, 16, 2, 8, 4);
		an_state   *st = state_new(2, names, kinds, &p, 0);

		for (int i = 0; i < 12; i++)
		{
			an_cell		row[2];

			row[0].num = i;
			row[1].num = -2.5 * i;
			st = state_add(st, row);
		}
		err |= write_file(sdir, "numeric_2col", 0, 0, st, state_len(st));
	}
	err |= write_algorithm_seeds(&ctx, mdir, sdir);
	free_all_blocks();
	return err;
}

/* A model of detector ops on 24 rows of (x, y, color), with the small options of sql/corrupt.sql. */
static an_model *
tiny_model(an_ctx *ctx, const an_detector_ops *ops)
{
	static const char *const names[] = {"x", "y", "color"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};
	static const char *const colors[] = {"red", "green", "blue"};
	static const struct
	{
		const an_detector_ops *ops;
		const char *name;
		double		value;
	}			small[] = {
		{&an_iforest_ops, "n_trees", 2}, {&an_iforest_ops, "sample_size", 16},
		{&an_lof_ops, "k", 3}, {&an_knn_ops, "k", 3}, {&an_ocsvm_ops, "max_train", 16},
		{&an_hbos_ops, "n_bins", 4}, {&an_ensemble_ops, "iforest", 0}, {&an_ensemble_ops, "knn", 0},
	};
	an_params	p;
	an_state   *st;
	an_prng		rng;
	an_model   *m = NULL;
	char		dropped[128];

	an_params_defaults(&p, ops);
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (small[i].ops == ops && an_params_set(ctx, &p, ops, small[i].name, small[i].value) != AN_OK)
			abort();
	st = state_new(3, names, kinds, &p, 0);
	an_prng_seed(&rng, 5);
	for (int i = 0; i < 24; i++)
	{
		an_cell		row[3];

		row[0].num = an_prng_normal(&rng);
		row[1].num = 10 + 2 * an_prng_normal(&rng);
		row[2].cat = cat_hash(colors[i % 3]);
		st = state_add(st, row);
	}
	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK)
	{
		fprintf(stderr, "tiny_model %s: %s\n", ops->name, ctx->message);
		abort();
	}
	return m;
}

/*
 * Every byte of a small model of every algorithm, XORed with 0xFF and with
 * 0x01 (every 5th XORed with 0xFF in the ensembles' larger ones), with the length and checksum recomputed so that the damage gets past
 * them to the readers: each copy is refused as corrupt, or is a model that
 * scores (AddressSanitizer and UBSan watch every read and score).  A damaged
 * value that is still in range (a split, a sketch's count) reads as a valid,
 * different model: only the checksum can tell, and the checksum catches every
 * single damaged byte (test_checksum).
 */
static void
test_model_every_byte(void)
{
	static const an_detector_ops *const all[] = {
		&an_iforest_ops, &an_lof_ops, &an_knn_ops, &an_ocsvm_ops, &an_hbos_ops, &an_ecod_ops,
		&an_copod_ops, &an_zscore_ops, &an_mahalanobis_ops, &an_ensemble_ops, &an_auto_ops,
	};
	static const unsigned char masks[] = {0xFF, 0x01};
	an_ctx		ctx = new_ctx();

	for (size_t a = 0; a < sizeof(all) / sizeof(all[0]); a++)
	{
		size_t		len;
		unsigned char *trained = model_bytes(&ctx, tiny_model(&ctx, all[a]), &len);
		/* kept outside the test allocator, whose blocks each read's model frees */
		unsigned char *bytes = malloc(len),
				   *copy = malloc(len);
		long		refused = 0,
					read = 0,
					other = 0;
		/* the large ones (the ensembles' forests): every 5th byte XOR 0xFF, to keep the test short */
		size_t		n_masks = len > 20000 ? 1 : sizeof(masks);
		size_t		stride = len > 20000 ? 5 : 1;

		if (bytes == NULL || copy == NULL)
			abort();
		memcpy(bytes, trained, len);
		free_all_blocks();
		for (size_t k = 0; k < n_masks; k++)
			for (size_t at = 0; at < len; at += stride)
			{
				an_model   *back = NULL;
				an_status	st;
				double		x[3] = {0.5, 11, NAN};

				memcpy(copy, bytes, len);
				copy[at] ^= masks[k];
				patch_model_header(copy, len);
				st = read_exact(&ctx, copy, len, &back);
				if (st == AN_ERR_CORRUPT)
					refused++;
				else if (st == AN_OK)
				{
					read++;
					(void) an_model_severity(back, an_model_score(back, x));
				}
				else
					other++;
				free_all_blocks();
			}
		CHECK(other == 0, "%s: %ld damaged copies gave a status other than corrupt", all[a]->name, other);
		CHECK(refused + read == (long) (n_masks * ((len + stride - 1) / stride)),
			  "%s: %ld + %ld outcomes for %zu bytes",
			  all[a]->name, refused, read, len);
		free(bytes);
		free(copy);
	}
}

/* An error's hint can be extended with itself: the ensemble prefixes its member's hint. */
static void
test_hint_extends_itself(void)
{
	an_ctx		ctx = new_ctx();

	CHECK_STATUS(an_fail(&ctx, AN_ERR_PARAM, "add rows or drop columns", "too few rows"),
				 AN_ERR_PARAM);
	CHECK_STATUS(an_set_hint(&ctx, AN_ERR_PARAM, "member %s: %s", "mahalanobis", ctx.hint),
				 AN_ERR_PARAM);
	CHECK(strcmp(ctx.hint, "member mahalanobis: add rows or drop columns") == 0,
		  "hint is \"%s\"", ctx.hint);
	CHECK(strcmp(ctx.message, "too few rows") == 0, "message is \"%s\"", ctx.message);
}

/* ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return write_seeds(argv[2]) ? 1 : 0;

	run("checksum", test_checksum);
	run("prng", test_prng);
	run("bytes", test_bytes);
	run("params", test_params);
	run("hint_extends_itself", test_hint_extends_itself);
	run("state_basic", test_state_basic);
	run("state_merge", test_state_merge);
	run("state_sketch", test_state_sketch);
	run("state_validate", test_state_validate);
	run("model_gaussian", test_model_gaussian);
	run("model_errors", test_model_errors);
	run("model_categorical", test_model_categorical);
	run("model_serialization", test_model_serialization);
	run("model_format1", test_model_format1);
	run("model_every_byte", test_model_every_byte);
	run("drift_detects", test_drift_detects);
	run("drift_exact", test_drift_exact);
	run("drift_sketch", test_drift_sketch);
	run("drift_corrupt", test_drift_corrupt);
	run("metrics", test_metrics);
	run("ROC curve", test_roc_curve);
	run("severity", test_severity);
	run("sample", test_sample);
	run("extreme_split", test_extreme_split);
	run("extreme_moments", test_extreme_moments);
	return finish();
}
