/*
 * model.c - training a model from an anomaly_fit state, scoring, calibration
 * and the model's byte format.
 */
#include "model.h"
#include "bytes.h"
#include "checksum.h"
#include "order_stats.h"
#include "prng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char model_magic[8] = {'A', 'N', 'O', 'M', 'O', 'D', 'E', 'L'};

/* qsort comparator for category entries by hash. */
static int
cmp_entry_hash(const void *a, const void *b)
{
	uint64_t	x = ((const an_sketch_entry *) a)->hash;
	uint64_t	y = ((const an_sketch_entry *) b)->hash;

	return (x > y) - (x < y);
}

/* Where a category hash is among feature f's categories; n_cats if unseen. */
uint32_t
an_feature_category_index(const an_feature *f, uint64_t hash)
{
	uint32_t	lo = 0,
				hi = f->n_cats;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (f->cat_hash[mid] < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < f->n_cats && f->cat_hash[lo] == hash) ? lo : f->n_cats;
}

/* The training frequency of a category hash in feature f; 0 if unseen. */
double
an_feature_encode_category(const an_feature *f, uint64_t hash)
{
	uint32_t	i = an_feature_category_index(f, hash);

	return i < f->n_cats ? f->cat_freq[i] : 0.0;
}

/* Append name to a comma-separated list held in buf of size bytes. */
static void
list_append(char *buf, size_t size, const char *name)
{
	size_t		used = strlen(buf);

	if (size == 0)
		return;
	snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
}

/* Build the feature for state column col, or return 0 if it must be dropped. */
static int
make_feature(an_ctx *ctx, const an_state *st, uint32_t c, an_feature *f)
{
	const an_state_col *col = &an_state_cols(st)[c];

	snprintf(f->name, AN_NAME_MAX, "%s", col->name);
	f->kind = (uint8_t) col->kind;
	if (col->kind == AN_KIND_NUMERIC)
	{
		if (col->n_finite == 0 || !(col->min < col->max))
			return 0;
		f->lo = col->min;
		f->hi = col->max;
		f->mean = col->mean;
		f->sd = col->n_finite > 1 ? sqrt(col->m2 / (double) (col->n_finite - 1)) : 0;
		/* values near DBL_MAX overflow the running moments: keep them finite */
		if (!isfinite(f->mean))
			f->mean = f->lo / 2 + f->hi / 2;
		if (!isfinite(f->sd))
			f->sd = f->hi / 2 - f->lo / 2;
		return 1;
	}
	if (col->sketch_used < 2)
		return 0;
	f->n_cats = col->sketch_used;
	{
		an_sketch_entry *sorted = an_alloc(ctx, sizeof(an_sketch_entry) * f->n_cats);

		memcpy(sorted, an_state_sketch(st, c), sizeof(an_sketch_entry) * f->n_cats);
		qsort(sorted, f->n_cats, sizeof(an_sketch_entry), cmp_entry_hash);
		f->cat_hash = an_alloc(ctx, sizeof(uint64_t) * f->n_cats);
		f->cat_freq = an_alloc(ctx, sizeof(double) * f->n_cats);
		for (uint32_t i = 0; i < f->n_cats; i++)
		{
			double		freq = (double) sorted[i].count / (double) col->n_finite;

			f->cat_hash[i] = sorted[i].hash;
			f->cat_freq[i] = freq > 1 ? 1 : freq;
		}
	}
	return 1;
}

/* Encode cell for feature f taken from state column col; NaN for NULL. */
static double
encode_cell(const an_feature *f, const an_state_col *col, an_cell cell)
{
	if (f->kind == AN_KIND_CATEGORICAL)
		return cell.cat == 0 ? NAN : an_feature_encode_category(f, cell.cat);
	if (isinf(cell.num))
		return cell.num > 0 ? col->max : col->min;
	return cell.num;
}

/*
 * The drift sketch of numeric feature f: the training ECDF at up to
 * AN_DRIFT_KNOTS knots, the sample values at the percentiles 0, 1, ..., 100
 * (ties merged into one knot), each with the count of sample values at most
 * it.  values holds the present sample values, sorted.
 */
static void
sketch_numeric(an_ctx *ctx, an_feature *f, const double *values, size_t present)
{
	f->knot = an_alloc(ctx, sizeof(double) * AN_DRIFT_KNOTS);
	f->knot_count = an_alloc(ctx, sizeof(uint32_t) * AN_DRIFT_KNOTS);
	if (present == 0)
		return;
	for (size_t k = 0; k < AN_DRIFT_KNOTS; k++)
	{
		size_t		at = k * (present - 1) / (AN_DRIFT_KNOTS - 1);
		size_t		upto = at + 1;

		if (f->n_knots > 0 && values[at] == f->knot[f->n_knots - 1])
			continue;
		/* each tie block is scanned once: O(present) over all knots */
		while (upto < present && values[upto] == values[at])
			upto++;
		f->knot[f->n_knots] = values[at];
		f->knot_count[f->n_knots++] = (uint32_t) upto;
	}
}

/*
 * The drift sketch of categorical feature f: the sample rows of each known
 * category and of the others (categories the frequency sketch lost).
 */
static void
sketch_categorical(an_ctx *ctx, an_feature *f, const an_state *st, uint32_t c)
{
	const an_cell *rows = an_state_rows(st);

	f->cat_count = an_alloc(ctx, sizeof(uint32_t) * f->n_cats);
	for (size_t i = 0; i < st->filled; i++)
	{
		uint64_t	hash = rows[i * st->n_cols + c].cat;
		uint32_t	at;

		if (hash == 0)
			continue;
		at = an_feature_category_index(f, hash);
		if (at < f->n_cats)
			f->cat_count[at]++;
		else
			f->unseen_count++;
	}
}

/*
 * Encode the reservoir into a dense matrix, compute each feature's median
 * (the imputation value) and fill NULLs with it.  Categorical features get
 * their range, mean and sd from the encoded sample.  Each feature's drift
 * sketch is taken from the same encoded sample.  A numeric column is sorted
 * once for both its median and its sketch, unless it holds a negative zero:
 * then the median is the one quickselect picks among the zeros, as it
 * always was.
 */
static double *
encode_sample(an_ctx *ctx, const an_state *st, an_model *m, const uint32_t *src_col)
{
	size_t		n = st->filled,
				d = m->n_features;
	double	   *X = an_alloc(ctx, sizeof(double) * n * d);
	double	   *column = an_alloc(ctx, sizeof(double) * n);
	uint64_t   *scratch = an_alloc(ctx, sizeof(uint64_t) * 2 * n);
	const an_cell *rows = an_state_rows(st);
	const an_state_col *cols = an_state_cols(st);

	for (size_t j = 0; j < d; j++)
	{
		an_feature *f = &m->features[j];
		size_t		present = 0;

		for (size_t i = 0; i < n; i++)
		{
			double		v = encode_cell(f, &cols[src_col[j]],
										rows[i * st->n_cols + src_col[j]]);

			X[i * d + j] = v;
			if (!isnan(v))
				column[present++] = v;
		}
		if (present == 0)
			f->impute = f->kind == AN_KIND_NUMERIC ? f->mean : 0;
		else if (f->kind == AN_KIND_NUMERIC && !an_has_unordered(column, present))
		{
			an_sort_doubles(column, present, scratch);
			f->impute = column[present / 2];
		}
		else
		{
			f->impute = an_select_kth(column, present, present / 2);
			if (f->kind == AN_KIND_NUMERIC)
				an_sort_doubles(column, present, scratch);
		}
		if (f->kind == AN_KIND_CATEGORICAL)
		{
			double		sum = 0,
						sq = 0;

			f->lo = INFINITY;
			f->hi = -INFINITY;
			for (size_t i = 0; i < present; i++)
			{
				sum += column[i];
				if (column[i] < f->lo)
					f->lo = column[i];
				if (column[i] > f->hi)
					f->hi = column[i];
			}
			if (present == 0)
				f->lo = f->hi = 0;
			f->mean = present ? sum / (double) present : 0;
			for (size_t i = 0; i < present; i++)
				sq += (column[i] - f->mean) * (column[i] - f->mean);
			f->sd = present > 1 ? sqrt(sq / (double) (present - 1)) : 0;
			sketch_categorical(ctx, f, st, src_col[j]);
		}
		else
			sketch_numeric(ctx, f, column, present);
		f->sample_nulls = (uint32_t) (n - present);
		for (size_t i = 0; i < n; i++)
			if (isnan(X[i * d + j]))
				X[i * d + j] = f->impute;
		an_check_interrupts(ctx);
	}
	return X;
}

/*
 * The automatic threshold of a detector whose scores have no natural one:
 * Tukey's upper fence Q3 + 1.5 IQR of the training scores (Tukey,
 * Exploratory Data Analysis, 1977); with no spread, anything above Q3.
 */
static double
upper_fence(const double *sorted, size_t n)
{
	double		q1 = an_sorted_quantile(sorted, n, 0.25);
	double		q3 = an_sorted_quantile(sorted, n, 0.75);

	if (q3 > q1)
		return q3 + 1.5 * (q3 - q1);
	return nextafter(q3, INFINITY);
}

/*
 * Score up to AN_CALIBRATION_ROWS sample rows (a random subset if there are
 * more), keep AN_CALIBRATION_POINTS quantiles of their scores, and set the
 * threshold: the (1 - contamination) quantile, the detector's own, or the
 * upper fence of the scores.
 */
static void
calibrate(an_ctx *ctx, an_model *m, const double *X, size_t n)
{
	size_t		d = m->n_features;
	size_t		k = n < AN_CALIBRATION_ROWS ? n : AN_CALIBRATION_ROWS;
	double	   *scores = an_alloc(ctx, sizeof(double) * k);
	uint64_t   *scratch = an_alloc(ctx, sizeof(uint64_t) * 2 * k);
	uint32_t   *idx = an_alloc(ctx, sizeof(uint32_t) * n);
	double	   *x = an_alloc(ctx, sizeof(double) * d);
	double		contamination = m->params.common[AN_P_CONTAMINATION];
	an_prng		rng;

	an_prng_seed(&rng, (uint64_t) m->params.common[AN_P_SEED] ^ UINT64_C(0xCA1B));
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t) i;
	for (size_t i = 0; i < k; i++)
	{
		size_t		j = i + (size_t) an_prng_below(&rng, n - i);
		uint32_t	t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
		memcpy(x, X + (size_t) idx[i] * d, sizeof(double) * d);
		scores[i] = m->ops->score(m->detector, x);
		/* every row: one row of a big forest or a k-NN search can take a millisecond */
		an_check_interrupts(ctx);
	}
	an_sort_doubles(scores, k, scratch);
	m->n_calib = k < AN_CALIBRATION_POINTS ? (uint32_t) k : AN_CALIBRATION_POINTS;
	m->calib = an_alloc(ctx, sizeof(double) * m->n_calib);
	for (uint32_t i = 0; i < m->n_calib; i++)
		m->calib[i] = m->n_calib == 1 ? scores[0]
			: an_sorted_quantile(scores, k, (double) i / (double) (m->n_calib - 1));
	if (!isnan(contamination))
		m->threshold = an_sorted_quantile(scores, k, 1.0 - contamination);
	else if (!isnan(m->ops->auto_threshold))
		m->threshold = m->ops->auto_threshold;
	else
		m->threshold = upper_fence(scores, k);
}

/* Train a model on a state, leaving out constant and all-NULL columns. */
an_status
an_model_train(an_ctx *ctx, const an_state *st, an_model **out,
			   char *dropped, size_t dropped_size)
{
	an_model   *m = an_alloc(ctx, sizeof(an_model));
	uint32_t   *src_col = an_alloc(ctx, sizeof(uint32_t) * st->n_cols);
	double	   *X;
	an_status	status;

	if (dropped_size > 0)
		dropped[0] = '\0';
	m->ops = an_detector_by_id(st->params.algorithm);
	if (m->ops == NULL)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "unknown algorithm %u",
					   st->params.algorithm);
	if (st->seen < 2 || st->filled < 2)
		return an_fail(ctx, AN_ERR_DATA, "Train on at least 2 rows.",
					   "cannot train on %llu row%s", (unsigned long long) st->seen,
					   st->seen == 1 ? "" : "s");
	m->params = st->params;
	m->train_rows = st->seen > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) st->seen;
	m->features = an_alloc(ctx, sizeof(an_feature) * st->n_cols);
	for (uint32_t c = 0; c < st->n_cols; c++)
	{
		if (make_feature(ctx, st, c, &m->features[m->n_features]))
			src_col[m->n_features++] = c;
		else
			list_append(dropped, dropped_size, an_state_cols(st)[c].name);
	}
	if (m->n_features == 0)
		return an_fail(ctx, AN_ERR_DATA,
					   "Choose columns that vary: every column given is constant or NULL.",
					   "no usable feature to train on");
	m->sample_rows = st->filled;
	if (ctx->phase)
		ctx->phase(AN_PHASE_FITTING);
	X = encode_sample(ctx, st, m, src_col);
	status = m->ops->fit(ctx, &m->params, X, st->filled, m->n_features, &m->detector);
	if (status != AN_OK)
		return status;
	m->algo_version = an_detector_layout(m->ops, m->detector);
	if (ctx->phase)
		ctx->phase(AN_PHASE_CALIBRATING);
	calibrate(ctx, m, X, st->filled);
	*out = m;
	return AN_OK;
}

/* Score an encoded vector; NaN entries are imputed in place first. */
double
an_model_score(const an_model *m, double *x)
{
	for (uint32_t j = 0; j < m->n_features; j++)
		if (isnan(x[j]))
			x[j] = m->features[j].impute;
	return m->ops->score(m->detector, x);
}

/* The percentile (0-100) of score among the training scores. */
double
an_model_severity(const an_model *m, double score)
{
	const double *q = m->calib;
	uint32_t	n = m->n_calib;
	uint32_t	lo = 0,
				hi = n - 1;

	if (isnan(score) || n == 0)
		return 0.0;
	if (n == 1)
		return score >= q[0] ? 100.0 : 0.0;
	if (score <= q[0])
		return 0.0;
	if (score >= q[n - 1])
		return 100.0;
	/* find i with q[i] <= score < q[i + 1] */
	while (hi - lo > 1)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (q[mid] <= score)
			lo = mid;
		else
			hi = mid;
	}
	return 100.0 * ((double) lo + (score - q[lo]) / (q[lo + 1] - q[lo])) / (double) (n - 1);
}

/* The position of feature name in m, or -1. */
int
an_model_feature_index(const an_model *m, const char *name)
{
	for (uint32_t j = 0; j < m->n_features; j++)
		if (strcmp(m->features[j].name, name) == 0)
			return (int) j;
	return -1;
}

/* The CRC32C of a serialized model: every byte but the CRC field itself. */
uint32_t
an_model_checksum(const unsigned char *bytes, size_t len)
{
	uint32_t	crc = an_crc32c(bytes, AN_MODEL_HEADER - 4);

	return an_crc32c_update(crc, bytes + AN_MODEL_HEADER, len - AN_MODEL_HEADER);
}

/* Write the drift sketch of feature f. */
static void
write_sketch(an_writer *w, const an_feature *f)
{
	an_write_u32(w, f->sample_nulls);
	if (f->kind == AN_KIND_NUMERIC)
	{
		an_write_u32(w, f->n_knots);
		for (uint32_t k = 0; k < f->n_knots; k++)
		{
			an_write_f64(w, f->knot[k]);
			an_write_u32(w, f->knot_count[k]);
		}
		return;
	}
	for (uint32_t i = 0; i < f->n_cats; i++)
		an_write_u32(w, f->cat_count[i]);
	an_write_u32(w, f->unseen_count);
}

/* Serialize m into freshly allocated bytes. */
an_status
an_model_write(an_ctx *ctx, const an_model *m, unsigned char **bytes, size_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 4096);
	an_write_bytes(&w, model_magic, sizeof(model_magic));
	an_write_u16(&w, AN_MODEL_FORMAT);
	an_write_u16(&w, m->ops->id);
	an_write_u16(&w, m->algo_version);	/* the version it was fitted or read with */
	an_write_u16(&w, 0);
	an_write_u32(&w, AN_VERSION_NUM);
	an_write_u32(&w, 0);		/* total length, patched below */
	an_write_u32(&w, 0);		/* CRC32C, patched below */
	for (int i = 0; i < AN_P_COMMON; i++)
		an_write_f64(&w, m->params.common[i]);
	an_write_u32(&w, (uint32_t) an_params_stored(m->ops, m->algo_version));
	for (int i = 0; i < an_params_stored(m->ops, m->algo_version); i++)
		an_write_f64(&w, m->params.values[i]);
	an_write_u64(&w, (uint64_t) m->train_rows);
	an_write_f64(&w, m->threshold);
	an_write_u32(&w, m->n_features);
	an_write_u32(&w, m->sample_rows);
	for (uint32_t j = 0; j < m->n_features; j++)
	{
		const an_feature *f = &m->features[j];
		size_t		name_len = strlen(f->name);

		an_write_u16(&w, (uint16_t) name_len);
		an_write_bytes(&w, f->name, name_len);
		an_write_u8(&w, f->kind);
		an_write_f64(&w, f->impute);
		an_write_f64(&w, f->lo);
		an_write_f64(&w, f->hi);
		an_write_f64(&w, f->mean);
		an_write_f64(&w, f->sd);
		an_write_u32(&w, f->n_cats);
		for (uint32_t i = 0; i < f->n_cats; i++)
		{
			an_write_u64(&w, f->cat_hash[i]);
			an_write_f64(&w, f->cat_freq[i]);
		}
		if (m->sample_rows > 0)
			write_sketch(&w, f);
	}
	an_write_u32(&w, m->n_calib);
	for (uint32_t i = 0; i < m->n_calib; i++)
		an_write_f64(&w, m->calib[i]);
	{
		size_t		len_pos = w.len;

		an_write_u32(&w, 0);
		m->ops->write(m->detector, &w);
		an_patch_u32(&w, len_pos, (uint32_t) (w.len - len_pos - 4));
	}
	if (w.len > UINT32_MAX)
		return an_fail(ctx, AN_ERR_DATA, "Use fewer trees or a smaller sample.",
					   "model of %zu bytes is too large", w.len);
	an_patch_u32(&w, 20, (uint32_t) w.len);
	an_patch_u32(&w, 24, an_model_checksum(w.data, w.len));
	*bytes = w.data;
	*len = w.len;
	return AN_OK;
}

/* Fail reading a model: the bytes are corrupt. */
#define CORRUPT(...) an_fail(ctx, AN_ERR_CORRUPT, \
	"The model bytes are damaged; train the model again.", __VA_ARGS__)

/* Read and check the drift sketch of feature f, over sample_rows rows. */
static an_status
read_sketch(an_ctx *ctx, an_reader *r, an_feature *f, uint32_t sample_rows)
{
	uint32_t	present;

	f->sample_nulls = an_read_u32(r);
	if (r->failed || f->sample_nulls > sample_rows)
		return CORRUPT("model feature \"%s\" has an invalid drift sketch", f->name);
	present = sample_rows - f->sample_nulls;
	if (f->kind == AN_KIND_NUMERIC)
	{
		f->n_knots = an_read_u32(r);
		if (r->failed || f->n_knots > AN_DRIFT_KNOTS || (f->n_knots == 0) != (present == 0) ||
			(size_t) f->n_knots > an_reader_left(r) / 12)
			return CORRUPT("model feature \"%s\" has an invalid drift sketch", f->name);
		f->knot = an_alloc(ctx, sizeof(double) * (f->n_knots ? f->n_knots : 1));
		f->knot_count = an_alloc(ctx, sizeof(uint32_t) * (f->n_knots ? f->n_knots : 1));
		for (uint32_t k = 0; k < f->n_knots; k++)
		{
			f->knot[k] = an_read_f64(r);
			f->knot_count[k] = an_read_u32(r);
			if (!isfinite(f->knot[k]) || f->knot_count[k] == 0 ||
				(k > 0 && (f->knot[k] <= f->knot[k - 1] ||
						   f->knot_count[k] <= f->knot_count[k - 1])))
				return CORRUPT("model feature \"%s\" has unordered drift knots", f->name);
		}
		if (r->failed || (f->n_knots > 0 && f->knot_count[f->n_knots - 1] != present))
			return CORRUPT("model feature \"%s\" has invalid drift knot counts", f->name);
		return AN_OK;
	}
	{
		uint64_t	sum = 0;

		if ((size_t) f->n_cats >= an_reader_left(r) / 4)
			return CORRUPT("model feature \"%s\" has an invalid drift sketch", f->name);
		f->cat_count = an_alloc(ctx, sizeof(uint32_t) * (f->n_cats ? f->n_cats : 1));
		for (uint32_t i = 0; i < f->n_cats; i++)
		{
			f->cat_count[i] = an_read_u32(r);
			sum += f->cat_count[i];
		}
		f->unseen_count = an_read_u32(r);
		sum += f->unseen_count;
		if (r->failed || sum != present)
			return CORRUPT("model feature \"%s\" has invalid drift category counts",
						   f->name);
	}
	return AN_OK;
}

/* Read and check one feature; its drift sketch too when sample_rows > 0. */
static an_status
read_feature(an_ctx *ctx, an_reader *r, an_feature *f, uint32_t j, uint32_t sample_rows)
{
	uint16_t	name_len = an_read_u16(r);
	const unsigned char *name = an_read_bytes(r, name_len);

	if (name == NULL || name_len == 0 || name_len >= AN_NAME_MAX ||
		memchr(name, '\0', name_len) != NULL)
		return CORRUPT("model feature %u has an invalid name", j + 1);
	memcpy(f->name, name, name_len);
	f->kind = an_read_u8(r);
	f->impute = an_read_f64(r);
	f->lo = an_read_f64(r);
	f->hi = an_read_f64(r);
	f->mean = an_read_f64(r);
	f->sd = an_read_f64(r);
	f->n_cats = an_read_u32(r);
	if (r->failed || (f->kind != AN_KIND_NUMERIC && f->kind != AN_KIND_CATEGORICAL) ||
		!isfinite(f->impute) || !isfinite(f->lo) || !isfinite(f->hi) ||
		!isfinite(f->mean) || !isfinite(f->sd) || f->lo > f->hi || f->sd < 0 ||
		(f->kind == AN_KIND_NUMERIC && f->n_cats != 0) ||
		(size_t) f->n_cats > an_reader_left(r) / 16)
		return CORRUPT("model feature \"%s\" is invalid", f->name);
	f->cat_hash = an_alloc(ctx, sizeof(uint64_t) * (f->n_cats ? f->n_cats : 1));
	f->cat_freq = an_alloc(ctx, sizeof(double) * (f->n_cats ? f->n_cats : 1));
	for (uint32_t i = 0; i < f->n_cats; i++)
	{
		f->cat_hash[i] = an_read_u64(r);
		f->cat_freq[i] = an_read_f64(r);
		if (!(f->cat_freq[i] >= 0 && f->cat_freq[i] <= 1) ||
			(i > 0 && f->cat_hash[i] <= f->cat_hash[i - 1]))
			return CORRUPT("model feature \"%s\" has invalid categories", f->name);
	}
	return sample_rows > 0 ? read_sketch(ctx, r, f, sample_rows) : AN_OK;
}

/* Read and validate len untrusted bytes into a model. */
an_status
an_model_read(an_ctx *ctx, const void *bytes, size_t len, an_model **out)
{
	an_model   *m = an_alloc(ctx, sizeof(an_model));
	an_reader	r;
	const unsigned char *magic;
	uint16_t	format,
				algo_id,
				reserved;
	uint32_t	total,
				crc,
				n_values,
				detector_len;
	size_t		detector_end;
	an_status	st;

	an_reader_init(&r, bytes, len);
	magic = an_read_bytes(&r, sizeof(model_magic));
	if (magic == NULL || memcmp(magic, model_magic, sizeof(model_magic)) != 0)
		return CORRUPT("not an anomaly model (bad magic)");
	format = an_read_u16(&r);
	algo_id = an_read_u16(&r);
	m->algo_version = an_read_u16(&r);
	reserved = an_read_u16(&r);
	(void) an_read_u32(&r);		/* extension version that wrote it */
	total = an_read_u32(&r);
	crc = an_read_u32(&r);
	if (r.failed)
		return CORRUPT("model is truncated (%zu bytes)", len);
	if (format < 1 || format > AN_MODEL_FORMAT || reserved != 0)
		return an_fail(ctx, AN_ERR_CORRUPT,
					   "Upgrade the anomaly extension to read this model, or train it again.",
					   "unsupported model format %u", format);
	if (total != len)
		return CORRUPT("model length is %zu bytes, header says %u", len, total);
	if (an_model_checksum(bytes, len) != crc)
		return CORRUPT("model checksum mismatch");
	m->ops = an_detector_by_id(algo_id);
	if (m->ops == NULL || m->algo_version < 1 || m->algo_version > m->ops->version)
		return an_fail(ctx, AN_ERR_CORRUPT,
					   "Upgrade the anomaly extension to read this model, or train it again.",
					   "model uses unknown algorithm %u version %u", algo_id, m->algo_version);
	an_params_defaults(&m->params, m->ops);
	for (int i = 0; i < AN_P_COMMON; i++)
		m->params.common[i] = an_read_f64(&r);
	n_values = an_read_u32(&r);
	/* options added by a later version keep their defaults */
	if (n_values != (uint32_t) an_params_stored(m->ops, m->algo_version))
		return CORRUPT("model has %u options, expected %d", n_values,
					   an_params_stored(m->ops, m->algo_version));
	for (uint32_t i = 0; i < n_values; i++)
		m->params.values[i] = an_read_f64(&r);
	if (r.failed)
		return CORRUPT("model options are truncated");
	if (an_params_check(ctx, &m->params, m->ops) != AN_OK)
	{
		char		why[AN_MSG_MAX];

		memcpy(why, ctx->message, sizeof(why));
		return CORRUPT("model options are invalid: %s", why);
	}
	m->train_rows = (int64_t) an_read_u64(&r);
	m->threshold = an_read_f64(&r);
	m->n_features = an_read_u32(&r);
	/* format 1 has no drift sketch */
	m->sample_rows = format >= 2 ? an_read_u32(&r) : 0;
	if (r.failed || m->train_rows < 0 || isnan(m->threshold) ||
		m->n_features < 1 || m->n_features > AN_MAX_COLUMNS)
		return CORRUPT("model summary is invalid");
	m->features = an_alloc(ctx, sizeof(an_feature) * m->n_features);
	for (uint32_t j = 0; j < m->n_features; j++)
	{
		if ((st = read_feature(ctx, &r, &m->features[j], j, m->sample_rows)) != AN_OK)
			return st;
		for (uint32_t o = 0; o < j; o++)
			if (strcmp(m->features[o].name, m->features[j].name) == 0)
				return CORRUPT("model repeats feature \"%s\"", m->features[j].name);
	}
	m->n_calib = an_read_u32(&r);
	if (m->n_calib < 1 || m->n_calib > AN_CALIBRATION_POINTS ||
		(size_t) m->n_calib > an_reader_left(&r) / 8)
		return CORRUPT("model calibration is invalid");
	m->calib = an_alloc(ctx, sizeof(double) * m->n_calib);
	for (uint32_t i = 0; i < m->n_calib; i++)
	{
		m->calib[i] = an_read_f64(&r);
		if (!isfinite(m->calib[i]) || (i > 0 && m->calib[i] < m->calib[i - 1]))
			return CORRUPT("model calibration is not sorted");
	}
	detector_len = an_read_u32(&r);
	if (r.failed || detector_len != an_reader_left(&r))
		return CORRUPT("model detector length is invalid");
	detector_end = r.pos + detector_len;
	if ((st = m->ops->read(ctx, &r, m->algo_version, m->n_features, &m->detector)) != AN_OK)
	{
		if (st == AN_ERR_CORRUPT)
			an_set_hint(ctx, st, "The model bytes are damaged; train the model again.");
		return st;
	}
	if (r.failed || r.pos != detector_end)
		return CORRUPT("model detector bytes are inconsistent");
	*out = m;
	return AN_OK;
}
