/*
 * fitstate.c - the anomaly_fit aggregate's bounded state: streaming column
 * statistics, frequent-value sketches and a reservoir sample.
 */
#include "fitstate.h"
#include "detector.h"
#include "prng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Size of the header, rounded to 8 bytes. */
static size_t
header_size(void)
{
	return (sizeof(an_state) + 7) & ~(size_t) 7;
}

/* Bytes needed for a state with these dimensions. */
size_t
an_state_size(uint32_t n_cols, uint32_t n_cat, uint32_t capacity)
{
	return header_size() +
		sizeof(an_state_col) * (size_t) n_cols +
		sizeof(an_sketch_entry) * AN_SKETCH_K * (size_t) n_cat +
		sizeof(an_cell) * (size_t) n_cols * capacity;
}

/* The column descriptors of st. */
an_state_col *
an_state_cols(const an_state *st)
{
	return (an_state_col *) ((char *) st + header_size());
}

/* The sketch of column col, whose kind must be categorical. */
an_sketch_entry *
an_state_sketch(const an_state *st, uint32_t col)
{
	an_sketch_entry *base = (an_sketch_entry *) (an_state_cols(st) + st->n_cols);
	uint32_t	ordinal = 0;

	for (uint32_t c = 0; c < col; c++)
		if (an_state_cols(st)[c].kind == AN_KIND_CATEGORICAL)
			ordinal++;
	return base + (size_t) ordinal * AN_SKETCH_K;
}

/* The reservoir rows of st. */
an_cell *
an_state_rows(const an_state *st)
{
	return (an_cell *) ((char *) (an_state_cols(st) + st->n_cols) +
						sizeof(an_sketch_entry) * AN_SKETCH_K * (size_t) st->n_cat);
}

/* Largest number of rows the reservoir may hold. */
uint32_t
an_state_max_rows(const an_state *st)
{
	return (uint32_t) st->params.common[AN_P_SAMPLE_ROWS];
}

/* Initialise st (an_state_size bytes, zeroed) for the given columns. */
void
an_state_init(an_state *st, uint32_t n_cols, const char *const *names,
			  const an_kind *kinds, const an_params *params, uint32_t capacity)
{
	an_state_col *cols;

	st->magic = AN_STATE_MAGIC;
	st->version = AN_STATE_VERSION;
	st->n_cols = n_cols;
	st->n_cat = 0;
	for (uint32_t c = 0; c < n_cols; c++)
		if (kinds[c] == AN_KIND_CATEGORICAL)
			st->n_cat++;
	st->capacity = capacity;
	st->params = *params;
	st->rng = (uint64_t) params->common[AN_P_SEED];
	cols = an_state_cols(st);
	for (uint32_t c = 0; c < n_cols; c++)
	{
		snprintf(cols[c].name, AN_NAME_MAX, "%s", names[c]);
		cols[c].kind = kinds[c];
		cols[c].min = INFINITY;
		cols[c].max = -INFINITY;
	}
}

/* The capacity st should grow to before the next row, or 0 if it has room. */
uint32_t
an_state_wants_capacity(const an_state *st)
{
	uint32_t	max_rows = an_state_max_rows(st);
	uint64_t	want;

	if (st->filled < st->capacity || st->capacity >= max_rows)
		return 0;
	want = st->capacity < AN_STATE_MIN_CAPACITY / 2 ? AN_STATE_MIN_CAPACITY
		: (uint64_t) st->capacity * 2;
	return want > max_rows ? max_rows : (uint32_t) want;
}

/* Copy src into dst (sized for new_capacity rows), keeping its rows. */
void
an_state_grow(an_state *dst, const an_state *src, uint32_t new_capacity)
{
	size_t		fixed = an_state_size(src->n_cols, src->n_cat, 0);

	memcpy((char *) dst + sizeof(uint32_t), (const char *) src + sizeof(uint32_t),
		   fixed - sizeof(uint32_t));
	dst->capacity = new_capacity;
	memcpy(an_state_rows(dst), an_state_rows(src),
		   sizeof(an_cell) * (size_t) src->n_cols * src->filled);
}

/* Count one occurrence of hash in a Space-Saving sketch kept sorted by count. */
static void
sketch_add(an_sketch_entry *s, uint32_t *used, uint64_t hash, uint64_t count)
{
	uint32_t	i;

	for (i = 0; i < *used; i++)
		if (s[i].hash == hash)
			break;
	if (i == *used)
	{
		if (*used < AN_SKETCH_K)
		{
			s[i].hash = hash;
			s[i].count = 0;
			(*used)++;
		}
		else
		{
			/* replace the least frequent entry, inheriting its count */
			i = *used - 1;
			s[i].hash = hash;
		}
	}
	s[i].count += count < UINT64_MAX - s[i].count ? count : UINT64_MAX - s[i].count;
	while (i > 0 && s[i].count > s[i - 1].count)
	{
		an_sketch_entry t = s[i];

		s[i] = s[i - 1];
		s[--i] = t;
	}
}

/* Fold one numeric value into a column's streaming statistics. */
static void
col_add_number(an_state_col *col, double v)
{
	double		delta;

	if (isnan(v))
	{
		col->n_null++;
		return;
	}
	if (isinf(v))
	{
		if (v > 0)
			col->n_posinf++;
		else
			col->n_neginf++;
		return;
	}
	if (col->n_finite++ == 0)
	{
		col->min = col->max = col->mean = v;
		col->m2 = 0;
		return;
	}
	if (v < col->min)
		col->min = v;
	if (v > col->max)
		col->max = v;
	delta = v - col->mean;
	col->mean += delta / (double) col->n_finite;
	col->m2 += delta * (v - col->mean);
}

/* Add one row of n_cols cells. */
void
an_state_add_row(an_state *st, const an_cell *row)
{
	an_state_col *cols = an_state_cols(st);
	an_cell    *rows = an_state_rows(st);
	uint32_t	max_rows = an_state_max_rows(st);
	an_prng		rng;
	uint64_t	slot;

	for (uint32_t c = 0; c < st->n_cols; c++)
	{
		if (cols[c].kind == AN_KIND_NUMERIC)
			col_add_number(&cols[c], row[c].num);
		else if (row[c].cat == 0)
			cols[c].n_null++;
		else
		{
			cols[c].n_finite++;
			sketch_add(an_state_sketch(st, c), &cols[c].sketch_used, row[c].cat, 1);
		}
	}
	if (st->seen < UINT64_MAX)
		st->seen++;
	if (st->filled < max_rows && st->filled < st->capacity)
		slot = st->filled++;
	else
	{
		an_prng_seed(&rng, st->rng);
		slot = an_prng_below(&rng, st->seen);
		st->rng = rng.state;
		if (slot >= st->filled)
			return;
	}
	memcpy(rows + slot * st->n_cols, row, sizeof(an_cell) * st->n_cols);
}

/* Whether a and b were built from the same columns and options. */
an_status
an_state_compatible(an_ctx *ctx, const an_state *a, const an_state *b)
{
	const an_state_col *ca = an_state_cols(a);
	const an_state_col *cb = an_state_cols(b);

	if (!an_params_equal(&a->params, &b->params))
		return an_fail(ctx, AN_ERR_PARAM,
					   "Use the same algorithm and options in every part of the aggregation.",
					   "cannot combine anomaly_fit states built with different algorithms or options");
	if (a->n_cols != b->n_cols)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Aggregate rows of one type.",
					   "cannot combine anomaly_fit states with %u and %u columns",
					   a->n_cols, b->n_cols);
	for (uint32_t c = 0; c < a->n_cols; c++)
		if (strcmp(ca[c].name, cb[c].name) != 0 || ca[c].kind != cb[c].kind)
			return an_fail(ctx, AN_ERR_PARAM, "Aggregate rows of one type.",
						   "cannot combine anomaly_fit states: column %u is \"%s\" in one and \"%s\" in the other",
						   c + 1, ca[c].name, cb[c].name);
	return AN_OK;
}

/* The reservoir capacity dst needs before merging src into it. */
uint32_t
an_state_merge_capacity(const an_state *dst, const an_state *src)
{
	uint64_t	want = (uint64_t) dst->filled + src->filled;
	uint32_t	max_rows = an_state_max_rows(dst);

	return want > max_rows ? max_rows : (uint32_t) want;
}

/* Merge the statistics of column b into column a (Chan et al. 1979). */
static void
col_merge(an_state_col *a, const an_state_col *b)
{
	uint64_t	n = a->n_finite + b->n_finite;

	if (a->n_finite == 0)
	{
		a->mean = b->mean;
		a->m2 = b->m2;
		a->min = b->min;
		a->max = b->max;
	}
	else if (b->n_finite > 0)
	{
		double		delta = b->mean - a->mean;

		a->m2 += b->m2 + delta * delta * (double) a->n_finite * (double) b->n_finite / (double) n;
		a->mean += delta * (double) b->n_finite / (double) n;
		if (b->min < a->min)
			a->min = b->min;
		if (b->max > a->max)
			a->max = b->max;
	}
	a->n_finite = n;
	a->n_null += b->n_null;
	a->n_posinf += b->n_posinf;
	a->n_neginf += b->n_neginf;
}

/*
 * Merge src into dst (compatible, with room for the merged sample).
 *
 * The merged reservoir keeps each side's rows in proportion to the rows it
 * saw, so it stays a uniform sample of the union.  Rows from dst are chosen
 * in place by swapping; rows from src are then appended.
 */
void
an_state_merge(an_state *dst, const an_state *src)
{
	an_state_col *cd = an_state_cols(dst);
	const an_state_col *cs = an_state_cols(src);
	an_cell    *rows = an_state_rows(dst);
	const an_cell *src_rows = an_state_rows(src);
	uint32_t	k = an_state_merge_capacity(dst, src);
	uint32_t	n_cols = dst->n_cols;
	uint64_t	seen = dst->seen > UINT64_MAX - src->seen ? UINT64_MAX : dst->seen + src->seen;
	double		total = (double) dst->seen + (double) src->seen;
	double		share = total > 0 ? (double) dst->seen / total : 0;
	uint32_t	from_dst = (uint32_t) floor(share * k + 0.5);
	uint32_t	need;
	uint32_t	out;
	an_prng		rng;

	for (uint32_t c = 0; c < n_cols; c++)
	{
		col_merge(&cd[c], &cs[c]);
		if (cd[c].kind == AN_KIND_CATEGORICAL)
		{
			const an_sketch_entry *s = an_state_sketch(src, c);

			for (uint32_t i = 0; i < cs[c].sketch_used; i++)
				sketch_add(an_state_sketch(dst, c), &cd[c].sketch_used,
						   s[i].hash, s[i].count);
		}
	}
	if (from_dst > dst->filled)
		from_dst = dst->filled;
	if (k - from_dst > src->filled)
		from_dst = k - src->filled;
	an_prng_seed(&rng, dst->rng ^ src->rng);
	/* keep a random from_dst of dst's rows at the front */
	for (uint32_t i = 0; i < from_dst; i++)
	{
		uint32_t	j = i + (uint32_t) an_prng_below(&rng, dst->filled - i);
		an_cell		tmp;

		for (uint32_t c = 0; c < n_cols; c++)
		{
			tmp = rows[(size_t) i * n_cols + c];
			rows[(size_t) i * n_cols + c] = rows[(size_t) j * n_cols + c];
			rows[(size_t) j * n_cols + c] = tmp;
		}
	}
	/* append a random need of src's rows (Knuth's selection sampling) */
	need = k - from_dst;
	out = from_dst;
	for (uint32_t i = 0; i < src->filled && need > 0; i++)
		if (an_prng_below(&rng, src->filled - i) < need)
		{
			memcpy(rows + (size_t) out * n_cols, src_rows + (size_t) i * n_cols,
				   sizeof(an_cell) * n_cols);
			out++;
			need--;
		}
	dst->filled = k;
	dst->seen = seen;
	dst->rng = rng.state;
}

/* Whether a column's statistics are internally consistent. */
static int
col_is_valid(const an_state_col *col)
{
	if (memchr(col->name, '\0', AN_NAME_MAX) == NULL || col->name[0] == '\0')
		return 0;
	if (col->kind != AN_KIND_NUMERIC && col->kind != AN_KIND_CATEGORICAL)
		return 0;
	if (col->sketch_used > AN_SKETCH_K ||
		(col->kind == AN_KIND_NUMERIC && col->sketch_used != 0))
		return 0;
	/* mean and m2 may overflow on values near DBL_MAX; training copes */
	if (col->kind == AN_KIND_NUMERIC && col->n_finite > 0 &&
		!(col->min <= col->max && isfinite(col->min) && isfinite(col->max)))
		return 0;
	return 1;
}

/* Whether a sketch has nonzero, distinct hashes in descending count order. */
static int
sketch_is_valid(const an_sketch_entry *s, uint32_t used)
{
	for (uint32_t i = 0; i < used; i++)
	{
		if (s[i].hash == 0 || s[i].count == 0 || (i > 0 && s[i].count > s[i - 1].count))
			return 0;
		for (uint32_t o = 0; o < i; o++)
			if (s[o].hash == s[i].hash)
				return 0;
	}
	return 1;
}

/* Validate an untrusted buffer of len bytes as a state. */
an_status
an_state_validate(an_ctx *ctx, const void *buf, size_t len)
{
	const an_state *st = buf;
	const an_detector_ops *ops;
	const an_state_col *cols;
	uint32_t	n_cat = 0;

	if (len < header_size() || st->magic != AN_STATE_MAGIC)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "not an anomaly_fit state");
	if (st->version != AN_STATE_VERSION || st->reserved != 0 || st->reserved2 != 0)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unsupported anomaly_fit state version %u", st->version);
	ops = an_detector_by_id(st->params.algorithm);
	if (ops == NULL)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "anomaly_fit state names unknown algorithm %u", st->params.algorithm);
	if (an_params_check(ctx, &st->params, ops) != AN_OK)
		return AN_ERR_CORRUPT;
	if (st->n_cols < 1 || st->n_cols > AN_MAX_COLUMNS || st->n_cat > st->n_cols ||
		st->capacity > an_state_max_rows(st) || st->filled > st->capacity ||
		st->filled > st->seen)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "anomaly_fit state dimensions are invalid");
	if (len != an_state_size(st->n_cols, st->n_cat, st->capacity))
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "anomaly_fit state is %zu bytes, expected %zu", len,
					   an_state_size(st->n_cols, st->n_cat, st->capacity));
	cols = an_state_cols(st);
	for (uint32_t c = 0; c < st->n_cols; c++)
	{
		if (!col_is_valid(&cols[c]))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "anomaly_fit state column %u is invalid", c + 1);
		if (cols[c].kind == AN_KIND_CATEGORICAL)
			n_cat++;
		for (uint32_t o = 0; o < c; o++)
			if (strcmp(cols[o].name, cols[c].name) == 0)
				return an_fail(ctx, AN_ERR_CORRUPT, NULL,
							   "anomaly_fit state repeats column \"%s\"", cols[c].name);
	}
	if (n_cat != st->n_cat)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "anomaly_fit state column kinds are invalid");
	for (uint32_t c = 0; c < st->n_cols; c++)
		if (cols[c].kind == AN_KIND_CATEGORICAL &&
			!sketch_is_valid(an_state_sketch(st, c), cols[c].sketch_used))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "anomaly_fit state column %u has an invalid category sketch", c + 1);
	return AN_OK;
}
