/*
 * series_bytes.c - a series detector's state as bytes, and back.
 *
 * The header is the one every model has (magic, format, reserved, writer
 * version, total length, CRC32C over the rest; see model.c), so the same
 * checksum guards it.  Format 1 is a state without a given value range;
 * format 2 (the option "range" of the methods auto and context) adds the range's two
 * doubles after the options and is otherwise the same.  Then the options,
 * the counters and moments, the values still needed and the last raw
 * errors: a state read back continues bit for bit as the one written would
 * have.
 * The auto method appends its sequence part (series_sequence.c), the
 * context method its detector's contexts (series_context.c).
 * Reading trusts nothing: every count, option and value is checked.
 */
#include "series_impl.h"

#include "checksum.h"
#include "model.h"

#include <math.h>
#include <string.h>

#define AN_SERIES_FORMAT 1
#define AN_SERIES_FORMAT_RANGE 2	/* format 1 and the given range after the options */

static const char series_magic[8] = {'A', 'N', 'O', 'S', 'E', 'R', 'I', 'E'};

/* Whether len bytes start like a series state (the magic only). */
int
an_series_is(const void *bytes, size_t len)
{
	return len >= sizeof(series_magic) &&
		memcmp(bytes, series_magic, sizeof(series_magic)) == 0;
}

/*
 * How many of the latest values the detector can still read: all it holds
 * while learning (the season is detected from them), then three seasons and
 * the mad window.  Only these are written, so a stored state is small.
 */
static uint64_t
history_needed(const an_series *s)
{
	uint64_t	held = s->n < AN_SERIES_HISTORY ? s->n : AN_SERIES_HISTORY;
	uint64_t	need = (uint64_t) 3 * (uint64_t) s->season;

	if (s->n < (uint64_t) s->opt.learning)
		return held;
	if (need < (uint64_t) s->opt.window)
		need = (uint64_t) s->opt.window;
	return need < held ? need : held;
}

/* The state as bytes (header with magic, format, length and CRC32C). */
an_status
an_series_write(const an_series *s, an_ctx *ctx, unsigned char **bytes, size_t *len)
{
	an_writer	w;
	uint64_t	kept = history_needed(s);
	unsigned char *p;

	an_writer_init(&w, ctx, 28 + 8 * (AN_SERIES_HISTORY + 64));
	an_write_bytes(&w, series_magic, sizeof(series_magic));
	/* a state without a given range is written as before, byte for byte */
	an_write_u16(&w, s->opt.has_range ? AN_SERIES_FORMAT_RANGE : AN_SERIES_FORMAT);
	an_write_u16(&w, (uint16_t) s->opt.method);
	an_write_u32(&w, 0);		/* reserved */
	an_write_u32(&w, AN_VERSION_NUM);
	an_write_u32(&w, 0);		/* total length, patched below */
	an_write_u32(&w, 0);		/* CRC32C, patched below */
	an_write_u32(&w, (uint32_t) (int32_t) s->opt.season);
	an_write_u32(&w, (uint32_t) s->opt.learning);
	an_write_f64(&w, s->opt.sensitivity);
	an_write_f64(&w, s->opt.band);
	an_write_u32(&w, (uint32_t) s->opt.suppress_k);
	an_write_u32(&w, (uint32_t) s->opt.suppress_n);
	an_write_f64(&w, s->opt.margin);
	an_write_u32(&w, (uint32_t) s->opt.window);
	if (s->opt.has_range)
	{
		an_write_f64(&w, s->opt.range_lo);
		an_write_f64(&w, s->opt.range_hi);
	}
	an_write_u32(&w, (uint32_t) s->season);
	an_write_u64(&w, s->n);
	an_write_f64(&w, s->level);
	an_write_f64(&w, s->scale);
	an_write_f64(&w, s->min_seen);
	an_write_f64(&w, s->max_seen);
	an_write_u64(&w, s->breaches);
	an_write_f64(&w, s->peak);
	an_write_u64(&w, s->quiet_until);
	an_write_f64(&w, s->error_mean);
	an_write_f64(&w, s->error_meansq);
	an_write_u64(&w, s->n_errors);
	an_write_u64(&w, s->n_recent);
	an_write_u32(&w, (uint32_t) kept);
	/* the values in one run: a state is written at every commit that moved it */
	p = an_write_space(&w, 8 * ((size_t) kept + AN_SERIES_SHORT));
	for (uint64_t k = kept; k >= 1; k--, p += 8)
		an_put_f64(p, s->history[(s->n - k) % AN_SERIES_HISTORY]);
	for (int i = 0; i < AN_SERIES_SHORT; i++, p += 8)
		an_put_f64(p, s->recent[i]);
	if (s->opt.method == AN_SERIES_AUTO)
		an_sequence_write(&s->seq, &w);
	if (s->context)
		an_context_write(s->context, &w);
	an_patch_u32(&w, 20, (uint32_t) w.len);
	an_patch_u32(&w, 24, an_model_checksum(w.data, w.len));
	*bytes = w.data;
	*len = w.len;
	return AN_OK;
}

/* Fail reading a state: the bytes are corrupt. */
#define CORRUPT(...) an_fail(ctx, AN_ERR_CORRUPT, \
	"The series model bytes are damaged; train the model again.", __VA_ARGS__)

/* Read n doubles into a, each finite and (when nonneg) at least 0. */
static int
read_values(an_reader *r, double *a, int n, int nonneg)
{
	const unsigned char *p = an_read_bytes(r, 8 * (size_t) n);

	if (p == NULL)
		return 0;
	for (int i = 0; i < n; i++, p += 8)
	{
		a[i] = an_get_f64(p);
		if (!isfinite(a[i]) || (nonneg && a[i] < 0))
			return 0;
	}
	return 1;
}

/* Read and check the counters and statistics after the options. */
static an_status
read_counters(an_ctx *ctx, an_reader *r, an_series *s)
{
	uint32_t	season = an_read_u32(r);

	s->n = an_read_u64(r);
	s->level = an_read_f64(r);
	s->scale = an_read_f64(r);
	s->min_seen = an_read_f64(r);
	s->max_seen = an_read_f64(r);
	s->breaches = an_read_u64(r);
	s->peak = an_read_f64(r);
	s->quiet_until = an_read_u64(r);
	s->error_mean = an_read_f64(r);
	s->error_meansq = an_read_f64(r);
	s->n_errors = an_read_u64(r);
	s->n_recent = an_read_u64(r);
	if (r->failed)
		return CORRUPT("series model is truncated");
	if (season == 1 || season > AN_SERIES_MAX_SEASON ||
		(s->opt.season > 0 && season != (uint32_t) s->opt.season) ||
		(s->opt.season < 0 && season != 0))
		return CORRUPT("series model has season %u", season);
	s->season = (int) season;
	if (!isfinite(s->level) || !(s->scale >= 0) || !isfinite(s->scale) ||
		!isfinite(s->min_seen) || !isfinite(s->max_seen) ||
		(s->n > 0 && s->min_seen > s->max_seen) ||
		!(s->peak >= 0 && s->peak <= 1) ||
		!(s->error_mean >= 0 && s->error_mean <= 1) ||
		!(s->error_meansq >= 0 && s->error_meansq <= 1))
		return CORRUPT("series model has an impossible statistic");
	if (s->n_errors > s->n || s->n_recent > s->n || s->quiet_until > s->n + (uint64_t) s->opt.learning + 1 ||
		(s->n > (uint64_t) 1 << 53))
		return CORRUPT("series model has impossible counts");
	return AN_OK;
}

/* The recent raw errors must be what the detector could have made: in [0, 1]. */
static an_status
check_recent(an_ctx *ctx, const an_series *s)
{
	for (int i = 0; i < AN_SERIES_SHORT; i++)
		if (s->recent[i] > 1)
			return CORRUPT("series model has an impossible recent error");
	return AN_OK;
}

/* Read the latest values, exactly as many as the detector still needs. */
static an_status
read_history(an_ctx *ctx, an_reader *r, an_series *s)
{
	uint32_t	kept = an_read_u32(r);
	const unsigned char *p;

	if (r->failed || kept != history_needed(s))
		return CORRUPT("series model keeps %u values where it needs %u",
					   kept, (unsigned) history_needed(s));
	p = an_read_bytes(r, 8 * (size_t) kept);
	if (p == NULL)
		return CORRUPT("series model is truncated");
	for (uint64_t k = kept; k >= 1; k--, p += 8)
	{
		double		v = an_get_f64(p);

		if (!isfinite(v))
			return CORRUPT("series model has a value that is not finite, or is truncated");
		s->history[(s->n - k) % AN_SERIES_HISTORY] = v;
	}
	return AN_OK;
}

/* Read and validate len untrusted bytes written by an_series_write. */
an_status
an_series_read(an_ctx *ctx, const void *bytes, size_t len, an_series **out)
{
	an_series  *s;
	an_reader	r;
	uint16_t	format,
				method;
	uint32_t	reserved,
				total,
				crc;
	an_status	st;

	if (!an_series_is(bytes, len))
		return CORRUPT("not an anomaly series model (bad magic)");
	an_reader_init(&r, bytes, len);
	(void) an_read_bytes(&r, sizeof(series_magic));
	format = an_read_u16(&r);
	method = an_read_u16(&r);
	reserved = an_read_u32(&r);
	(void) an_read_u32(&r);		/* extension version that wrote it */
	total = an_read_u32(&r);
	crc = an_read_u32(&r);
	if (r.failed)
		return CORRUPT("series model is truncated (%zu bytes)", len);
	if ((format != AN_SERIES_FORMAT && format != AN_SERIES_FORMAT_RANGE) || reserved != 0)
		return an_fail(ctx, AN_ERR_CORRUPT,
					   "Upgrade the anomaly extension to read this model, or train it again.",
					   "unsupported series model format %u", format);
	if (total != len)
		return CORRUPT("series model length is %zu bytes, header says %u", len, total);
	if (an_model_checksum(bytes, len) != crc)
		return CORRUPT("series model checksum mismatch");
	s = an_alloc(ctx, sizeof(an_series));
	s->ctx = ctx;
	s->opt.method = (an_series_method) method;
	s->opt.season = (int) (int32_t) an_read_u32(&r);
	s->opt.learning = (int) an_read_u32(&r);
	s->opt.sensitivity = an_read_f64(&r);
	s->opt.band = an_read_f64(&r);
	s->opt.suppress_k = (int) an_read_u32(&r);
	s->opt.suppress_n = (int) an_read_u32(&r);
	s->opt.margin = an_read_f64(&r);
	s->opt.window = (int) an_read_u32(&r);
	s->opt.has_range = format == AN_SERIES_FORMAT_RANGE;
	if (s->opt.has_range)
	{
		s->opt.range_lo = an_read_f64(&r);
		s->opt.range_hi = an_read_f64(&r);
	}
	if (r.failed)
		return CORRUPT("series model is truncated");
	if (an_series_check_options(ctx, &s->opt) != AN_OK)
		return CORRUPT("series model has bad options: %s", ctx->message);
	if ((st = read_counters(ctx, &r, s)) != AN_OK)
		return st;
	if ((st = read_history(ctx, &r, s)) != AN_OK)
		return st;
	if (!read_values(&r, s->recent, AN_SERIES_SHORT, 1))
		return CORRUPT("series model has a value that is not finite, or is truncated");
	if ((st = check_recent(ctx, s)) != AN_OK)
		return st;
	if (s->opt.method == AN_SERIES_AUTO &&
		(!an_sequence_read(&s->seq, &r, s->n, an_sequence_rest(s->opt.learning)) ||
		 s->seq.ready != (s->n >= (uint64_t) s->opt.learning) ||
		 !an_sequence_range_agrees(&s->seq, s->opt.has_range, s->opt.range_lo, s->opt.range_hi)))
		return CORRUPT("series model has an impossible sequence part, or is truncated");
	if (s->opt.method == AN_SERIES_CONTEXT &&
		(s->context = an_context_read(ctx, &r, s->opt.learning)) == NULL)
		return AN_ERR_CORRUPT;
	if (s->opt.has_range && s->context && !an_context_range_is(s->context, s->opt.range_lo, s->opt.range_hi))
		return CORRUPT("series model's context detector does not use its given range");
	if (an_reader_left(&r) != 0)
		return CORRUPT("series model has %zu bytes after its end", an_reader_left(&r));
	*out = s;
	return AN_OK;
}
