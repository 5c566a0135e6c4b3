/*
 * fuzz_state.c - libFuzzer harness for the anomaly_fit state validator
 * (an_state_validate) and for what the server does with a state that passes
 * it: train a model on it, merge it, and add rows to it.
 *
 * The input is copied into an 8-byte aligned buffer of exactly its size (as
 * the server's deserialize function does).  The first four bytes belong to
 * the host (the varlena length word) and are not validated.
 *
 * Every operation must be free of crashes and sanitizer reports, a model
 * trained on a valid state must read back, and a valid state must stay valid
 * after rows are added.
 *
 * Cost: every input is validated in full, and every valid one is merged and
 * grown, whatever its size.  Training is what can cost seconds, so it is
 * bounded: the model is trained on a copy of the state that keeps its first
 * TRAIN_ROWS reservoir rows (fewer when it is wide: TRAIN_CELLS cells) --
 * still a valid state, which the harness checks -- with the options that
 * multiply the work (option_caps) lowered to a cap.  The MCD search of
 * mahalanobis (also an ensemble's or auto's member whenever its weight is
 * positive) makes 500 random starts whatever the rows, about 40 ms per
 * training here even on 32 rows, where any other detector takes about a
 * millisecond: such a state trains for one input in MCD_EVERY, picked by a
 * hash of the input, so the choice is reproducible.
 *
 * Allocation: a bump arena freed after every input, with poisoned red zones
 * between allocations; past a memory budget the allocator longjmps out, as
 * palloc's ereport(ERROR) does in the server.
 */
#include "an_core.h"
#include "checksum.h"
#include "detector.h"
#include "fitstate.h"
#include "model.h"
#include "prng.h"

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arena.h"

/* Bounds on the work done for one input (see the header comment). */
#define TRAIN_ROWS 32
#define TRAIN_CELLS 256
#define MCD_EVERY 64
#define ADDED_ROWS 64

/* Options that multiply the training work, and the most the harness allows. */
static const struct
{
	const char *option;
	double		most;
}			option_caps[] = {
	{"n_trees", 8},				/* iforest: trees built, each walked by every row */
	{"max_iter", 2000},			/* ocsvm: solver iterations */
};

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken expectation and abort. */
static void
fail(const char *what, const an_ctx *ctx)
{
	fprintf(stderr, "%s: %s (%s)\n", what, ctx->message, ctx->hint);
	abort();
}

/* A copy of st with room for capacity rows, as the host grows it. */
static an_state *
copy_state(an_ctx *ctx, const an_state *st, uint32_t capacity)
{
	size_t		size = an_state_size(st->n_cols, st->n_cat, capacity);
	an_state   *c = an_alloc(ctx, size);

	an_state_grow(c, st, capacity);
	c->host_len = (uint32_t) size;
	return c;
}

/* The index of option name among the options of ops, or -1. */
static int
option_index(const an_detector_ops *ops, const char *name)
{
	for (int i = 0; i < ops->n_params; i++)
		if (strcmp(ops->params[i].name, name) == 0)
			return i;
	return -1;
}

/* Whether training with these options runs the MCD search of mahalanobis. */
static int
runs_mcd_search(const an_params *p)
{
	const an_detector_ops *ops = an_detector_by_id(p->algorithm);
	int			member;

	if (ops == &an_mahalanobis_ops)
		return 1;
	member = option_index(ops, "mahalanobis");
	return (ops == &an_ensemble_ops || ops == &an_auto_ops) && member >= 0 &&
		p->values[member] > 0;
}

/* Lower the options of st that multiply the training work to their caps. */
static void
cap_options(an_ctx *ctx, an_state *st)
{
	const an_detector_ops *ops = an_detector_by_id(st->params.algorithm);

	for (size_t i = 0; i < sizeof(option_caps) / sizeof(option_caps[0]); i++)
	{
		int			k = option_index(ops, option_caps[i].option);

		if (k >= 0 && st->params.values[k] > option_caps[i].most &&
			an_params_set(ctx, &st->params, ops, option_caps[i].option,
						  option_caps[i].most) != AN_OK)
			fail("an option cap is out of its range", ctx);
	}
}

/* Train on a bounded copy of a valid state; check the model it gives. */
static void
train(an_ctx *ctx, const an_state *valid, const uint8_t *data, size_t size)
{
	an_state   *st;
	an_model   *m = NULL;
	char		dropped[256];
	uint32_t	rows = TRAIN_CELLS / valid->n_cols;

	if (runs_mcd_search(&valid->params) && an_hash_bytes(data, size) % MCD_EVERY != 0)
		return;
	st = copy_state(ctx, valid, valid->capacity);
	if (rows > TRAIN_ROWS)
		rows = TRAIN_ROWS;
	if (st->filled > rows)
		st->filled = rows;
	cap_options(ctx, st);
	if (an_state_validate(ctx, st, an_state_size(st->n_cols, st->n_cat, st->capacity)) != AN_OK)
		fail("the bounded copy of a valid state is invalid", ctx);
	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) == AN_OK)
	{
		unsigned char *bytes;
		size_t		len;
		an_model   *back = NULL;
		double	   *x;

		if (m == NULL || strlen(dropped) >= sizeof(dropped))
			abort();
		x = an_alloc(ctx, sizeof(double) * m->n_features);
		for (uint32_t j = 0; j < m->n_features; j++)
			x[j] = NAN;
		(void) an_model_severity(m, an_model_score(m, x));
		if (an_model_write(ctx, m, &bytes, &len) != AN_OK)
			fail("an_model_write", ctx);
		if (an_model_read(ctx, bytes, len, &back) != AN_OK)
			fail("a model trained on a valid state does not read back", ctx);
	}
	else if (ctx->message[0] == '\0')
		abort();
}

/* Merge a valid state with itself, as a parallel aggregate's combine does. */
static void
self_merge(an_ctx *ctx, const an_state *valid, size_t len)
{
	an_state   *a = copy_state(ctx, valid, valid->capacity);
	an_state   *b = copy_state(ctx, valid, valid->capacity);
	uint32_t	need;
	int			small = valid->seen < (UINT64_C(1) << 40);
	const an_state_col *cols = an_state_cols(valid);

	if (an_state_compatible(ctx, a, b) != AN_OK)
		fail("a state is not compatible with itself", ctx);
	need = an_state_merge_capacity(a, b);
	if (need > an_state_max_rows(a) || need < a->filled)
		abort();
	if (need > a->capacity)
		a = copy_state(ctx, a, need);
	an_state_merge(a, b);
	for (uint32_t c = 0; c < valid->n_cols; c++)
		if (cols[c].n_finite >= (UINT64_C(1) << 40) || cols[c].n_null >= (UINT64_C(1) << 40) ||
			cols[c].n_posinf >= (UINT64_C(1) << 40) || cols[c].n_neginf >= (UINT64_C(1) << 40))
			small = 0;
	(void) len;
	if (an_state_validate(ctx, a, an_state_size(a->n_cols, a->n_cat, a->capacity)) != AN_OK &&
		small)
		fail("a valid state merged with itself is invalid", ctx);
}

/* Add rows made from the input bytes, growing as the host does. */
static void
add_rows(an_ctx *ctx, const an_state *valid, const uint8_t *data, size_t size)
{
	an_state   *st = copy_state(ctx, valid, valid->capacity);
	an_cell    *row = an_alloc(ctx, sizeof(an_cell) * st->n_cols);
	an_prng		rng;
	static const double specials[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e308, -1e308,
	5e-324, 1.0, -1.0};

	an_prng_seed(&rng, an_hash_bytes(data, size));
	for (int i = 0; i < ADDED_ROWS; i++)
	{
		uint32_t	want = an_state_wants_capacity(st);

		if (want)
		{
			if (want <= st->capacity || want > an_state_max_rows(st))
				abort();
			st = copy_state(ctx, st, want);
		}
		for (uint32_t c = 0; c < st->n_cols; c++)
		{
			uint64_t	r = an_prng_next(&rng);

			if (an_state_cols(st)[c].kind == AN_KIND_CATEGORICAL)
				row[c].cat = (r & 3) == 0 ? 0 : (r >> 8) % 200;
			else if ((r & 7) == 0)
				row[c].num = specials[(r >> 8) % (sizeof(specials) / sizeof(specials[0]))];
			else
				row[c].num = ((double) (r >> 11) / 9007199254740992.0 - 0.5) * 1000;
		}
		an_state_add_row(st, row);
		if (st->filled > st->capacity)
			abort();
	}
	if (an_state_validate(ctx, st, an_state_size(st->n_cols, st->n_cat, st->capacity)) != AN_OK)
		fail("a valid state became invalid after adding rows", ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	an_ctx		ctx;
	void	   *buf;
	an_status	st;

	/* malloc's result is suitably aligned for any type (at least 8 bytes) */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	if (((uintptr_t) buf & 7) != 0)
		abort();
	memcpy(buf, data, size);

	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = arena_alloc;
	if (setjmp(arena_oom) == 0)
	{
		st = an_state_validate(&ctx, buf, size);
		if (st == AN_OK)
		{
			const an_state *valid = buf;

			if (an_state_size(valid->n_cols, valid->n_cat, valid->capacity) != size)
				abort();
			train(&ctx, valid, data, size);
			self_merge(&ctx, valid, size);
			add_rows(&ctx, valid, data, size);
		}
		else if (st != AN_ERR_CORRUPT || ctx.message[0] == '\0')
		{
			fprintf(stderr, "an_state_validate: status %d, message \"%s\"\n", (int) st,
					ctx.message);
			abort();
		}
	}
	arena_reset();
	free(buf);
	return 0;
}
