/*
 * fuzz_model.c - libFuzzer harness for the model reader (an_model_read).
 *
 * Input: byte 0 is a mode, the rest is the model.  When the mode is odd the
 * harness first patches the length (offset 20) and the CRC32C (offset 24,
 * an_model_checksum) so that mutations get past the checksum and reach the
 * body parser; when even, the bytes are read as they are.
 *
 * An accepted model must score a vector of NaNs and vectors of random finite
 * values, give a severity in [0, 100] for any score, measure the drift of
 * those vectors when it has a drift sketch, and write back to bytes that
 * read again to the same bytes (a format-1 model is written as format 2,
 * canonical from there on).
 *
 * A segmented model (its own magic, the same header offsets) is read with
 * an_segmented_read; every segment it indexes must then be found by its
 * key, and every sub-model it accepts must be usable as a model is.
 *
 * Allocation: a bump arena freed after every input.  Each allocation is
 * followed by a poisoned red zone (AddressSanitizer), so overruns are still
 * caught; past a memory budget the allocator longjmps out, as palloc's
 * ereport(ERROR) does in the server.
 */
#include "an_core.h"
#include "checksum.h"
#include "drift.h"
#include "model.h"
#include "prng.h"
#include "segmented.h"

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arena.h"

static void
check_severity(const an_model *m, double score)
{
	double		s = an_model_severity(m, score);

	if (!(s >= 0 && s <= 100))
	{
		fprintf(stderr, "severity %g of score %g is outside [0, 100]\n", s, score);
		abort();
	}
}

/* Measure the drift of rows against an accepted model with a sketch. */
static void
check_drift(an_ctx *ctx, const an_model *m, an_prng *rng)
{
	size_t		d = m->n_features;
	double	   *x = an_alloc(ctx, sizeof(double) * d);
	uint64_t   *cat = an_alloc(ctx, sizeof(uint64_t) * d);
	an_drift   *acc = NULL;
	an_drift_stat *res;

	if (an_drift_init(ctx, m, &acc) != AN_OK)
	{
		fprintf(stderr, "no drift on a model with a sketch: %s\n", ctx->message);
		abort();
	}
	for (int k = 0; k < 8; k++)
	{
		for (size_t j = 0; j < d; j++)
		{
			const an_feature *f = &m->features[j];
			double		u = an_prng_uniform(rng);

			x[j] = k == 0 ? NAN : k == 1 ? (u < 0.5 ? -INFINITY : INFINITY)
				: f->lo + (f->hi - f->lo) * (u * 1.2 - 0.1);
			cat[j] = k == 0 || f->n_cats == 0 ? 0
				: u < 0.8 ? f->cat_hash[an_prng_below(rng, f->n_cats)] : an_prng_next(rng);
		}
		an_drift_add(acc, x, cat);
	}
	an_drift_result(ctx, acc, &res);
	for (size_t j = 0; j <= d; j++)
		if (res[j].rows != 8 || !(res[j].psi >= 0) || res[j].ks < 0 || res[j].ks > 1)
		{
			fprintf(stderr, "drift of feature %zu: psi %g, ks %g\n", j, res[j].psi, res[j].ks);
			abort();
		}
}

/* Exercise an accepted model. */
static void
use_model(an_ctx *ctx, const an_model *m, const unsigned char *bytes, size_t len)
{
	size_t		d = m->n_features;
	double	   *x = an_alloc(ctx, sizeof(double) * d);
	an_prng		rng;
	double		s;
	unsigned char *out;
	size_t		out_len;
	an_model   *again = NULL;

	an_prng_seed(&rng, an_hash_bytes(bytes, len));
	for (size_t j = 0; j < d; j++)
		x[j] = NAN;
	s = an_model_score(m, x);
	check_severity(m, s);
	for (int k = 0; k < 4; k++)
	{
		for (size_t j = 0; j < d; j++)
		{
			double		scale = k == 3 ? 1e300 : pow(10.0, (double) k * 2);

			x[j] = (an_prng_uniform(&rng) * 2 - 1) * scale;
		}
		s = an_model_score(m, x);
		check_severity(m, s);
	}
	check_severity(m, NAN);
	check_severity(m, INFINITY);
	check_severity(m, -INFINITY);
	check_severity(m, m->threshold);
	for (uint32_t i = 0; i < m->n_calib; i++)
		check_severity(m, m->calib[i]);
	for (size_t j = 0; j < d; j++)
		if (an_model_feature_index(m, m->features[j].name) != (int) j)
			abort();
	if (m->sample_rows > 0)
		check_drift(ctx, m, &rng);

	if (an_model_write(ctx, m, &out, &out_len) != AN_OK)
	{
		fprintf(stderr, "cannot write a model just read: %s\n", ctx->message);
		abort();
	}
	/* a format-1 model is written as format 2 without a sketch */
	if (bytes[8] == 1)
	{
		if (an_model_read(ctx, out, out_len, &again) != AN_OK || again->sample_rows != 0 ||
			out[8] != AN_MODEL_FORMAT)
		{
			fprintf(stderr, "a format-1 model written again does not read back: %s\n",
					ctx->message);
			abort();
		}
		bytes = out;
		len = out_len;
		if (an_model_write(ctx, again, &out, &out_len) != AN_OK)
			abort();
	}

	/* the format is canonical: write(read(bytes)) == bytes */
	if (an_model_read(ctx, out, out_len, &again) != AN_OK)
	{
		fprintf(stderr, "cannot read a model just written: %s\n", ctx->message);
		abort();
	}
	/*
	 * Bytes 16..19 hold the writing extension's version, and the CRC covers
	 * them: compare everything else, and the CRC only when they agree.
	 */
	if (out_len != len ||
		memcmp(out, bytes, 16) != 0 ||
		memcmp(out + 20, bytes + 20, 4) != 0 ||
		(memcmp(out + 16, bytes + 16, 4) == 0 && memcmp(out + 24, bytes + 24, 4) != 0) ||
		memcmp(out + AN_MODEL_HEADER, bytes + AN_MODEL_HEADER, len - AN_MODEL_HEADER) != 0)
	{
		fprintf(stderr, "write(read(bytes)) differs from bytes (%zu vs %zu bytes)\n",
				out_len, len);
		abort();
	}
}

/* Exercise an accepted segmented model: find each segment, use its model. */
static void
use_segmented(an_ctx *ctx, an_segmented *s)
{
	for (uint32_t i = 0; i < s->n_segments; i++)
	{
		const an_segment *g = &s->segments[i];
		const an_model *m;
		char		text[128];

		if (an_segmented_find(s, g->hash, g->key, g->key_len) != (int64_t) i)
		{
			fprintf(stderr, "segment %u is not found by its own key\n", i);
			abort();
		}
		an_segment_key_text(s, i, text, sizeof(text));
		if (an_segmented_model(ctx, s, i, &m) == AN_OK)
		{
			double	   *x = an_alloc(ctx, sizeof(double) * s->global->n_features);

			for (uint32_t j = 0; j < m->n_features; j++)
				if (g->feature_of[j] >= s->global->n_features)
					abort();
			for (uint32_t j = 0; j < s->global->n_features; j++)
				x[j] = NAN;
			check_severity(m, an_model_score(m, x));
		}
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	an_ctx		ctx;
	unsigned char *bytes;
	size_t		len;
	an_model   *m = NULL;

	if (size < 1)
		return 0;
	len = size - 1;
	/* an exact-size heap copy, so reads past the end are caught */
	bytes = malloc(len ? len : 1);
	if (bytes == NULL)
		abort();
	memcpy(bytes, data + 1, len);
	if ((data[0] & 1) && len >= AN_MODEL_HEADER)
	{
		uint32_t	crc;

		for (int i = 0; i < 4; i++)
			bytes[20 + i] = (unsigned char) ((uint32_t) len >> (8 * i));
		crc = an_model_checksum(bytes, len);
		for (int i = 0; i < 4; i++)
			bytes[24 + i] = (unsigned char) (crc >> (8 * i));
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = arena_alloc;
	if (setjmp(arena_oom) == 0)
	{
		an_segmented *seg = NULL;
		an_status	st = an_segmented_is(bytes, len)
			? an_segmented_read(&ctx, bytes, len, &seg)
			: an_model_read(&ctx, bytes, len, &m);

		if (st == AN_OK && seg != NULL)
			use_segmented(&ctx, seg);
		else if (st == AN_OK)
		{
			if (m == NULL)
				abort();
			use_model(&ctx, m, bytes, len);
		}
		else if (st != AN_ERR_CORRUPT || ctx.message[0] == '\0')
		{
			fprintf(stderr, "an_model_read: status %d, message \"%s\"\n", (int) st,
					ctx.message);
			abort();
		}
	}
	arena_reset();
	free(bytes);
	return 0;
}
