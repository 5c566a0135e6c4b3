/*
 * test_segmented.c - unit tests of the segmented model container
 * (src/core/segmented.c): writing, reading, finding segments, reading
 * sub-models on demand, and refusing damaged bytes.
 *
 * Usage:
 *   test_segmented              run every test
 *   test_segmented --seed FILE  write a segmented model as a fuzz_model
 *                               seed (mode byte 1: patch the CRC), then exit
 */
#include "an_core.h"
#include "bytes.h"
#include "checksum.h"
#include "detector.h"
#include "fitstate.h"
#include "model.h"
#include "params.h"
#include "prng.h"
#include "segmented.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const col_names[] = {"x", "y", "color"};
static const an_kind col_kinds[] = {AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_CATEGORICAL};

/* Train a small hbos model on n rows centred on centre; y constant if flat. */
static unsigned char *
train_bytes(an_ctx *ctx, int n, double centre, int flat, uint64_t seed, size_t *len)
{
	static const char *const colors[] = {"red", "green", "blue"};
	an_params	p;
	an_state   *st;
	size_t		size;
	an_prng		rng;
	an_model   *m = NULL;
	unsigned char *bytes;
	char		dropped[64];

	an_params_defaults(&p, an_detector_by_name("hbos"));
	p.common[AN_P_SAMPLE_ROWS] = 64;
	p.common[AN_P_SEED] = (double) seed;
	size = an_state_size(3, 1, 64);
	st = test_alloc(NULL, size);
	an_state_init(st, 3, col_names, col_kinds, &p, 64);
	st->host_len = (uint32_t) size;
	an_prng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		an_cell		row[3];

		row[0].num = centre + an_prng_normal(&rng);
		row[1].num = flat ? 3.0 : an_prng_normal(&rng);
		row[2].cat = an_hash_bytes(colors[i % 3], strlen(colors[i % 3]));
		an_state_add_row(st, row);
	}
	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK ||
		an_model_write(ctx, m, &bytes, len) != AN_OK)
	{
		fprintf(stderr, "train_bytes: %s\n", ctx->message);
		abort();
	}
	return bytes;
}

/* The key of one segment column value (NULL when value is NULL). */
static unsigned char *
key_of(an_ctx *ctx, const char *value, uint32_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 16);
	an_segment_key_append(&w, value, value ? strlen(value) : 0, value == NULL);
	*len = (uint32_t) w.len;
	return w.data;
}

/* A segmented model over "shop" with segments a, b (y constant) and NULL. */
static unsigned char *
three_segments(an_ctx *ctx, size_t *len)
{
	static const char *const cols[] = {"shop"};
	an_segment_input segs[3];
	size_t		glen,
				l;
	unsigned char *global = train_bytes(ctx, 60, 0, 0, 1, &glen);

	memset(segs, 0, sizeof(segs));
	segs[0].key = key_of(ctx, "a", &segs[0].key_len);
	segs[0].model = train_bytes(ctx, 20, 0, 0, 2, &l);
	segs[0].model_len = (uint32_t) l;
	segs[0].rows = 20;
	segs[1].key = key_of(ctx, "b", &segs[1].key_len);
	segs[1].model = train_bytes(ctx, 20, 100, 1, 3, &l);
	segs[1].model_len = (uint32_t) l;
	segs[1].rows = 20;
	segs[2].key = key_of(ctx, NULL, &segs[2].key_len);
	segs[2].model = train_bytes(ctx, 20, -100, 0, 4, &l);
	segs[2].model_len = (uint32_t) l;
	segs[2].rows = 20;
	if (an_segmented_write(ctx, cols, 1, 10, global, (uint32_t) glen, segs, 3,
						   (unsigned char **) &global, len) != AN_OK)
	{
		fprintf(stderr, "three_segments: %s\n", ctx->message);
		abort();
	}
	return global;
}

/* Write, read back, find every segment, score with its own model. */
static void
test_round_trip(void)
{
	an_ctx		ctx = new_ctx();
	size_t		len;
	unsigned char *bytes = three_segments(&ctx, &len);
	an_segmented *s = NULL;
	uint32_t	klen;
	unsigned char *key;
	int64_t		at;
	const an_model *m;
	char		text[64];

	CHECK(an_segmented_is(bytes, len), "magic");
	CHECK(!an_segmented_is("ANOMODEL", 8), "a plain model is not segmented");
	CHECK_STATUS(an_segmented_read(&ctx, bytes, len, &s), AN_OK);
	CHECK(s->n_columns == 1 && strcmp(s->columns[0], "shop") == 0, "columns");
	CHECK(s->n_segments == 3 && s->min_rows == 10, "segments %u", s->n_segments);
	CHECK(s->global != NULL && s->global->n_features == 3, "global model");
	for (uint32_t i = 1; i < s->n_segments; i++)
		CHECK(s->segments[i - 1].hash <= s->segments[i].hash, "index sorted");

	key = key_of(&ctx, "b", &klen);
	at = an_segmented_find(s, an_hash_bytes(key, klen), key, klen);
	CHECK(at >= 0, "segment b found");
	CHECK(s->segments[at].model == NULL, "read on demand only");
	CHECK_STATUS(an_segmented_model(&ctx, s, (uint32_t) at, &m), AN_OK);
	CHECK(m->n_features == 2, "segment b dropped its constant y: %u features", m->n_features);
	CHECK(s->segments[at].feature_of[0] == 0 && s->segments[at].feature_of[1] == 2,
		  "b's features map to the global x and color");
	CHECK(fabs(m->features[0].mean - 100) < 2, "b's own training (mean %g)", m->features[0].mean);
	an_segment_key_text(s, (uint32_t) at, text, sizeof(text));
	CHECK(strcmp(text, "shop=b") == 0, "key text \"%s\"", text);

	key = key_of(&ctx, NULL, &klen);
	at = an_segmented_find(s, an_hash_bytes(key, klen), key, klen);
	CHECK(at >= 0, "the NULL segment is a segment of its own");
	an_segment_key_text(s, (uint32_t) at, text, sizeof(text));
	CHECK(strcmp(text, "shop=NULL") == 0, "key text \"%s\"", text);

	key = key_of(&ctx, "zz", &klen);
	CHECK(an_segmented_find(s, an_hash_bytes(key, klen), key, klen) == -1, "unseen segment");
	/* the empty string is not NULL */
	key = key_of(&ctx, "", &klen);
	CHECK(an_segmented_find(s, an_hash_bytes(key, klen), key, klen) == -1, "'' is not NULL");
}

/* The writer refuses duplicate keys and too many columns. */
static void
test_write_errors(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const cols[] = {"shop"};
	an_segment_input segs[2];
	size_t		glen,
				len;
	unsigned char *global = train_bytes(&ctx, 30, 0, 0, 1, &glen);
	unsigned char *out;

	memset(segs, 0, sizeof(segs));
	for (int i = 0; i < 2; i++)
	{
		segs[i].key = key_of(&ctx, "same", &segs[i].key_len);
		segs[i].model = global;
		segs[i].model_len = (uint32_t) glen;
		segs[i].rows = 30;
	}
	CHECK_STATUS(an_segmented_write(&ctx, cols, 1, 10, global, (uint32_t) glen, segs, 2,
									&out, &len), AN_ERR_DATA);
	CHECK_STATUS(an_segmented_write(&ctx, cols, 0, 10, global, (uint32_t) glen, segs, 0,
									&out, &len), AN_ERR_PARAM);
	/* no segment at all: only the global model, still valid */
	{
		an_segmented *s;

		CHECK_STATUS(an_segmented_write(&ctx, cols, 1, 10, global, (uint32_t) glen, segs, 0,
										&out, &len), AN_OK);
		CHECK_STATUS(an_segmented_read(&ctx, out, len, &s), AN_OK);
		CHECK(s->n_segments == 0, "no segments");
	}
}

/* Patch the length and CRC32C after an edit, as a forger would. */
static void
patch_crc(unsigned char *b, size_t len)
{
	an_put_u32(b + 20, (uint32_t) len);
	an_put_u32(b + 24, an_model_checksum(b, len));
}

/* Every truncation and every flipped byte is refused or reads consistently. */
static void
test_damage(void)
{
	an_ctx		ctx = new_ctx();
	size_t		len;
	unsigned char *bytes = three_segments(&ctx, &len);
	unsigned char *copy = test_alloc(NULL, len);
	an_segmented *s;
	int			refused = 0;

	for (size_t cut = 0; cut < len; cut += 1 + cut / 8)
		CHECK(an_segmented_read(&ctx, bytes, cut, &s) == AN_ERR_CORRUPT, "cut at %zu", cut);
	for (size_t i = 0; i < len; i++)
	{
		an_status	st;

		memcpy(copy, bytes, len);
		copy[i] ^= 0x5A;
		CHECK(an_segmented_read(&ctx, copy, len, &s) == AN_ERR_CORRUPT,
			  "flip at %zu passes the CRC", i);
		/* past the CRC: the index and keys are checked, sub-models when used */
		if (i == 24 || i == 25 || i == 26 || i == 27 || (i >= 20 && i < 24))
			continue;
		patch_crc(copy, len);
		st = an_segmented_read(&ctx, copy, len, &s);
		if (st == AN_OK)
		{
			for (uint32_t k = 0; k < s->n_segments; k++)
			{
				const an_model *m;

				if (an_segmented_model(&ctx, s, k, &m) != AN_OK)
				{
					refused++;
					break;
				}
			}
		}
		else
		{
			CHECK(st == AN_ERR_CORRUPT && ctx.message[0] != '\0', "status %d", (int) st);
			refused++;
		}
	}
	CHECK(refused > 0, "some patched damage is refused");
}

/* A sub-model whose features are not the global model's is refused on use. */
static void
test_foreign_features(void)
{
	an_ctx		ctx = new_ctx();
	static const char *const cols[] = {"shop"};
	static const char *const names[] = {"other"};
	static const an_kind kinds[] = {AN_KIND_NUMERIC};
	an_segment_input seg;
	size_t		glen,
				len,
				flen;
	unsigned char *global = train_bytes(&ctx, 30, 0, 0, 1, &glen);
	unsigned char *foreign,
			   *out;
	an_params	p;
	an_state   *st;
	an_model   *m;
	an_segmented *s;
	const an_model *got;
	char		dropped[8];
	size_t		size = an_state_size(1, 0, 32);

	an_params_defaults(&p, an_detector_by_name("hbos"));
	p.common[AN_P_SAMPLE_ROWS] = 32;
	st = test_alloc(NULL, size);
	an_state_init(st, 1, names, kinds, &p, 32);
	for (int i = 0; i < 20; i++)
	{
		an_cell		c;

		c.num = i;
		an_state_add_row(st, &c);
	}
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	CHECK_STATUS(an_model_write(&ctx, m, &foreign, &flen), AN_OK);
	memset(&seg, 0, sizeof(seg));
	seg.key = key_of(&ctx, "a", &seg.key_len);
	seg.model = foreign;
	seg.model_len = (uint32_t) flen;
	seg.rows = 20;
	CHECK_STATUS(an_segmented_write(&ctx, cols, 1, 10, global, (uint32_t) glen, &seg, 1,
									&out, &len), AN_OK);
	CHECK_STATUS(an_segmented_read(&ctx, out, len, &s), AN_OK);
	CHECK_STATUS(an_segmented_model(&ctx, s, 0, &got), AN_ERR_CORRUPT);
}

/* Write the fuzz seed: mode byte 1, then a segmented model. */
static int
write_seed(const char *path)
{
	an_ctx		ctx = new_ctx();
	size_t		len;
	unsigned char *bytes = three_segments(&ctx, &len);
	FILE	   *f = fopen(path, "wb");

	if (f == NULL)
		return 1;
	fputc(1, f);
	fwrite(bytes, 1, len, f);
	fclose(f);
	printf("%s: %zu bytes\n", path, len + 1);
	free_all_blocks();
	free(blocks);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seed") == 0)
		return write_seed(argv[2]);
	run("round_trip", test_round_trip);
	run("write_errors", test_write_errors);
	run("damage", test_damage);
	run("foreign_features", test_foreign_features);
	return finish();
}
