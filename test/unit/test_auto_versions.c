/*
 * test_auto_versions.c - models written by an earlier auto keep scoring
 * exactly as they did, and a new auto model says which auto wrote it.
 *
 * test/unit/data/auto_v1.model holds the bytes of an auto version 1 model
 * (iforest, knn over every training row, ecod and mahalanobis, the max of
 * their severities), trained by the code of that version on 60 rows of 4
 * seeded normal features; test/unit/data/auto_v1.scores holds 64 probe rows
 * (4 values each) and the bits of the score that code gave each, in hex.
 * Run from the repository's root (as make unitcheck does).
 */
#include "an_core.h"
#include "detector.h"
#include "fitstate.h"
#include "model.h"
#include "params.h"
#include "prng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FIXTURE_MODEL "test/unit/data/auto_v1.model"
#define FIXTURE_SCORES "test/unit/data/auto_v1.scores"
#define PROBES 64

/* The bytes of a file into a test allocation; NULL if it cannot be read. */
static unsigned char *
read_file(an_ctx *ctx, const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *bytes;
	long		size;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	bytes = an_alloc(ctx, (size_t) size + 1);
	*len = fread(bytes, 1, (size_t) size, f);
	fclose(f);
	return *len == (size_t) size ? bytes : NULL;
}

/* The version 1 model reads as auto version 1 and scores every probe to the bit. */
static void
test_v1_scores_unchanged(void)
{
	an_ctx		ctx = new_ctx();
	size_t		len = 0;
	unsigned char *bytes = read_file(&ctx, FIXTURE_MODEL, &len);
	FILE	   *f = fopen(FIXTURE_SCORES, "r");
	an_model   *m = NULL;
	int			probes = 0,
				same = 0;

	CHECK(bytes != NULL && f != NULL, "fixtures %s and %s are readable", FIXTURE_MODEL,
		  FIXTURE_SCORES);
	if (bytes == NULL || f == NULL)
	{
		if (f != NULL)
			fclose(f);
		return;
	}
	CHECK_STATUS(an_model_read(&ctx, bytes, len, &m), AN_OK);
	if (m == NULL)
	{
		fclose(f);
		return;
	}
	CHECK(strcmp(m->ops->name, "auto") == 0 && m->algo_version == 1,
		  "read as %s version %u", m->ops->name, m->algo_version);
	{
		unsigned char *again;
		size_t		again_len;

		/* written again, it stays version 1: the same bytes (the header's
		 * writer stamp and the CRC that covers it aside) */
		CHECK_STATUS(an_model_write(&ctx, m, &again, &again_len), AN_OK);
		CHECK(again_len == len && memcmp(again, bytes, 16) == 0 &&
			  memcmp(again + 20, bytes + 20, 4) == 0 &&
			  memcmp(again + AN_MODEL_HEADER, bytes + AN_MODEL_HEADER, len - AN_MODEL_HEADER) == 0,
			  "a version 1 model written again is the same version 1 model (%zu bytes)", again_len);
	}
	for (;;)
	{
		double		x[4],
					got;
		unsigned long long want;
		uint64_t	bits;

		if (fscanf(f, "%lf %lf %lf %lf %llx", &x[0], &x[1], &x[2], &x[3], &want) != 5)
			break;
		got = an_model_score(m, x);
		memcpy(&bits, &got, sizeof(bits));
		probes++;
		if (bits == (uint64_t) want)
			same++;
		else
			CHECK(0, "probe %d scores %.17g (%016llx), version 1 gave %016llx", probes,
				  got, (unsigned long long) bits, want);
	}
	fclose(f);
	CHECK(probes == PROBES, "%d probes read, expected %d", probes, PROBES);
	CHECK(same == probes, "%d of %d probes score as version 1 did", same, probes);
}

/* A model trained now is stamped with auto's current version, which reads back. */
static void
test_new_model_version(void)
{
	static const char *const names[4] = {"a", "b", "c", "d"};
	static const an_kind kinds[4] = {
		AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_NUMERIC, AN_KIND_NUMERIC
	};
	an_ctx		ctx = new_ctx();
	const an_detector_ops *ops = an_detector_by_name("auto");
	uint32_t	n = 3000;
	size_t		size = an_state_size(4, 0, n);
	an_state   *st = an_alloc(&ctx, size);
	an_params	p;
	an_prng		rng;
	an_model   *m,
			   *back;
	char		dropped[256];
	unsigned char *bytes;
	size_t		len;
	double		x[4] = {0.1, -0.2, 0.3, 9.0};

	an_params_defaults(&p, ops);
	an_state_init(st, 4, names, kinds, &p, n);
	st->host_len = (uint32_t) size;
	an_prng_seed(&rng, 3);
	for (uint32_t i = 0; i < n; i++)
	{
		an_cell		row[4];

		for (int j = 0; j < 4; j++)
			row[j].num = an_prng_normal(&rng);
		an_state_add_row(st, row);
	}
	CHECK_STATUS(an_model_train(&ctx, st, &m, dropped, sizeof(dropped)), AN_OK);
	CHECK_STATUS(an_model_write(&ctx, m, &bytes, &len), AN_OK);
	CHECK_STATUS(an_model_read(&ctx, bytes, len, &back), AN_OK);
	CHECK(back->algo_version == ops->version && ops->version >= 2,
		  "written as version %u, auto is version %u", back->algo_version, ops->version);
	CHECK(an_model_score(back, x) == an_model_score(m, x), "the model read back scores alike");
	CHECK(an_model_score(back, x) > 1.0, "a row 9 sd out scores %.3f, above every training row",
		  an_model_score(back, x));
}

int
main(void)
{
	run("v1_scores_unchanged", test_v1_scores_unchanged);
	run("new_model_version", test_new_model_version);
	return finish();
}
