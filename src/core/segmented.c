/*
 * segmented.c - the segmented model container: writing, validating its
 * index, finding a row's segment and reading sub-models on demand.
 */
#include "segmented.h"
#include "checksum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char segmented_magic[8] = {'A', 'N', 'O', 'S', 'E', 'G', 'M', 'T'};

#define INDEX_ENTRY 24			/* u64 hash, u32 key length, u32 model length, u64 rows */

/* Whether len bytes start like a segmented model (the magic only). */
int
an_segmented_is(const void *bytes, size_t len)
{
	return len >= sizeof(segmented_magic) &&
		memcmp(bytes, segmented_magic, sizeof(segmented_magic)) == 0;
}

/* Append one segment column's value (or NULL) to a key being built. */
void
an_segment_key_append(an_writer *w, const char *value, size_t len, int isnull)
{
	an_write_u8(w, isnull ? 1 : 0);
	if (isnull)
		return;
	an_write_u32(w, (uint32_t) len);
	an_write_bytes(w, value, len);
}

/* Order two keys: by hash, then by bytes, then by length. */
static int
key_cmp(uint64_t ha, const unsigned char *a, uint32_t la,
		uint64_t hb, const unsigned char *b, uint32_t lb)
{
	int			c;

	if (ha != hb)
		return ha < hb ? -1 : 1;
	c = memcmp(a, b, la < lb ? la : lb);
	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

/* qsort comparator for writer inputs, hashing their keys. */
static int
cmp_input(const void *pa, const void *pb)
{
	const an_segment_input *a = pa;
	const an_segment_input *b = pb;

	return key_cmp(an_hash_bytes(a->key, a->key_len), a->key, a->key_len,
				   an_hash_bytes(b->key, b->key_len), b->key, b->key_len);
}

/* Serialize a segmented model; segs is sorted in place. */
an_status
an_segmented_write(an_ctx *ctx, const char *const *columns, uint32_t n_columns,
				   uint32_t min_rows, const unsigned char *global, uint32_t global_len,
				   an_segment_input *segs, uint32_t n_segs,
				   unsigned char **bytes, size_t *len)
{
	an_writer	w;
	size_t		total = AN_MODEL_HEADER + 16 + global_len + (size_t) n_segs * INDEX_ENTRY;

	if (n_columns < 1 || n_columns > AN_SEGMENT_MAX_COLUMNS)
		return an_fail(ctx, AN_ERR_PARAM, "Segment by 1 to 32 columns.",
					   "cannot segment by %u columns", n_columns);
	for (uint32_t c = 0; c < n_columns; c++)
		total += 2 + strlen(columns[c]);
	for (uint32_t i = 0; i < n_segs; i++)
		total += (size_t) segs[i].key_len + segs[i].model_len;
	if (total > UINT32_MAX)
		return an_fail(ctx, AN_ERR_DATA,
					   "Raise min_segment_rows, segment by fewer columns or use a smaller model (fewer trees, hbos).",
					   "segmented model of %zu bytes is too large", total);
	qsort(segs, n_segs, sizeof(an_segment_input), cmp_input);
	for (uint32_t i = 1; i < n_segs; i++)
		if (cmp_input(&segs[i - 1], &segs[i]) == 0)
			return an_fail(ctx, AN_ERR_DATA,
						   "Cast the segment columns to text in a query so that equal values print alike.",
						   "two segments have the same key");
	an_writer_init(&w, ctx, total);
	an_write_bytes(&w, segmented_magic, sizeof(segmented_magic));
	an_write_u16(&w, AN_SEGMENT_FORMAT);
	an_write_u16(&w, (uint16_t) n_columns);
	an_write_u32(&w, 0);
	an_write_u32(&w, AN_VERSION_NUM);
	an_write_u32(&w, 0);		/* total length, patched below */
	an_write_u32(&w, 0);		/* CRC32C, patched below */
	an_write_u32(&w, min_rows);
	for (uint32_t c = 0; c < n_columns; c++)
	{
		an_write_u16(&w, (uint16_t) strlen(columns[c]));
		an_write_bytes(&w, columns[c], strlen(columns[c]));
	}
	an_write_u32(&w, n_segs);
	an_write_u32(&w, global_len);
	an_write_bytes(&w, global, global_len);
	for (uint32_t i = 0; i < n_segs; i++)
	{
		an_write_u64(&w, an_hash_bytes(segs[i].key, segs[i].key_len));
		an_write_u32(&w, segs[i].key_len);
		an_write_u32(&w, segs[i].model_len);
		an_write_u64(&w, segs[i].rows);
	}
	for (uint32_t i = 0; i < n_segs; i++)
	{
		an_write_bytes(&w, segs[i].key, segs[i].key_len);
		an_write_bytes(&w, segs[i].model, segs[i].model_len);
		an_check_interrupts(ctx);
	}
	an_patch_u32(&w, 20, (uint32_t) w.len);
	an_patch_u32(&w, 24, an_model_checksum(w.data, w.len));
	*bytes = w.data;
	*len = w.len;
	return AN_OK;
}

/* Fail reading a segmented model: the bytes are corrupt. */
#define CORRUPT(...) an_fail(ctx, AN_ERR_CORRUPT, \
	"The model bytes are damaged; train the model again.", __VA_ARGS__)

/* Whether key (key_len bytes) holds exactly n_columns well-formed values. */
static int
key_valid(const unsigned char *key, uint32_t key_len, uint32_t n_columns)
{
	an_reader	r;

	an_reader_init(&r, key, key_len);
	for (uint32_t c = 0; c < n_columns; c++)
	{
		uint8_t		isnull = an_read_u8(&r);

		if (r.failed || isnull > 1)
			return 0;
		if (!isnull && an_read_bytes(&r, an_read_u32(&r)) == NULL)
			return 0;
	}
	return !r.failed && r.pos == key_len;
}

/* Read the segment column names. */
static an_status
read_columns(an_ctx *ctx, an_reader *r, an_segmented *s)
{
	s->columns = an_alloc(ctx, sizeof(*s->columns) * s->n_columns);
	for (uint32_t c = 0; c < s->n_columns; c++)
	{
		uint16_t	n = an_read_u16(r);
		const unsigned char *name = an_read_bytes(r, n);

		if (name == NULL || n == 0 || n >= AN_NAME_MAX || memchr(name, '\0', n) != NULL)
			return CORRUPT("segmented model column %u has an invalid name", c + 1);
		memcpy(s->columns[c], name, n);
		for (uint32_t o = 0; o < c; o++)
			if (strcmp(s->columns[o], s->columns[c]) == 0)
				return CORRUPT("segmented model repeats column \"%s\"", s->columns[c]);
	}
	return AN_OK;
}

/* Read the index and point each entry at its key and model bytes. */
static an_status
read_index(an_ctx *ctx, an_reader *r, an_segmented *s)
{
	if ((size_t) s->n_segments > an_reader_left(r) / INDEX_ENTRY)
		return CORRUPT("segmented model index is truncated");
	s->segments = an_alloc(ctx, sizeof(an_segment) * (s->n_segments ? s->n_segments : 1));
	for (uint32_t i = 0; i < s->n_segments; i++)
	{
		an_segment *g = &s->segments[i];

		g->hash = an_read_u64(r);
		g->key_len = an_read_u32(r);
		g->len = an_read_u32(r);
		g->rows = an_read_u64(r);
	}
	for (uint32_t i = 0; i < s->n_segments; i++)
	{
		an_segment *g = &s->segments[i];

		g->key = an_read_bytes(r, g->key_len);
		g->bytes = an_read_bytes(r, g->len);
		if (g->key == NULL || g->bytes == NULL)
			return CORRUPT("segmented model segment %u is truncated", i + 1);
		if (!key_valid(g->key, g->key_len, s->n_columns) ||
			an_hash_bytes(g->key, g->key_len) != g->hash)
			return CORRUPT("segmented model segment %u has an invalid key", i + 1);
		if (i > 0 && key_cmp(s->segments[i - 1].hash, s->segments[i - 1].key,
							 s->segments[i - 1].key_len, g->hash, g->key, g->key_len) >= 0)
			return CORRUPT("segmented model index is not sorted");
		if (g->rows < 1)
			return CORRUPT("segmented model segment %u has no training rows", i + 1);
		if ((i & 1023) == 0)
			an_check_interrupts(ctx);
	}
	if (an_reader_left(r) != 0)
		return CORRUPT("segmented model has %zu bytes after its last segment",
					   an_reader_left(r));
	return AN_OK;
}

/* Read and validate len untrusted bytes; sub-models are read on demand. */
an_status
an_segmented_read(an_ctx *ctx, const void *bytes, size_t len, an_segmented **out)
{
	an_segmented *s = an_alloc(ctx, sizeof(an_segmented));
	an_reader	r;
	uint16_t	format;
	uint32_t	reserved,
				total,
				crc,
				global_len;
	const unsigned char *global;
	an_status	st;

	an_reader_init(&r, bytes, len);
	if (!an_segmented_is(bytes, len))
		return CORRUPT("not a segmented anomaly model (bad magic)");
	(void) an_read_bytes(&r, sizeof(segmented_magic));
	format = an_read_u16(&r);
	s->n_columns = an_read_u16(&r);
	reserved = an_read_u32(&r);
	(void) an_read_u32(&r);		/* extension version that wrote it */
	total = an_read_u32(&r);
	crc = an_read_u32(&r);
	if (r.failed)
		return CORRUPT("segmented model is truncated (%zu bytes)", len);
	if (format != AN_SEGMENT_FORMAT || reserved != 0)
		return an_fail(ctx, AN_ERR_CORRUPT,
					   "Upgrade the anomaly extension to read this model, or train it again.",
					   "unsupported segmented model format %u", format);
	if (total != len)
		return CORRUPT("segmented model length is %zu bytes, header says %u", len, total);
	if (an_model_checksum(bytes, len) != crc)
		return CORRUPT("segmented model checksum mismatch");
	if (s->n_columns < 1 || s->n_columns > AN_SEGMENT_MAX_COLUMNS)
		return CORRUPT("segmented model has %u segment columns", s->n_columns);
	s->min_rows = an_read_u32(&r);
	if ((st = read_columns(ctx, &r, s)) != AN_OK)
		return st;
	s->n_segments = an_read_u32(&r);
	global_len = an_read_u32(&r);
	global = an_read_bytes(&r, global_len);
	if (global == NULL)
		return CORRUPT("segmented model's global model is truncated");
	if ((st = read_index(ctx, &r, s)) != AN_OK)
		return st;
	if ((st = an_model_read(ctx, global, global_len, &s->global)) != AN_OK)
		return st;
	*out = s;
	return AN_OK;
}

/* The segment whose key is key, or -1: a binary search of the index. */
int64_t
an_segmented_find(const an_segmented *s, uint64_t hash, const unsigned char *key,
				  uint32_t key_len)
{
	uint32_t	lo = 0,
				hi = s->n_segments;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		const an_segment *g = &s->segments[mid];
		int			c = key_cmp(g->hash, g->key, g->key_len, hash, key, key_len);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Map each feature of sub-model m to the global model's feature of the same
 * name: same kind, in increasing order (a subsequence), or the bytes lie.
 */
static an_status
map_features(an_ctx *ctx, const an_model *global, const an_model *m, uint32_t *feature_of)
{
	uint32_t	g = 0;

	for (uint32_t j = 0; j < m->n_features; j++)
	{
		while (g < global->n_features && strcmp(global->features[g].name, m->features[j].name) != 0)
			g++;
		if (g == global->n_features || global->features[g].kind != m->features[j].kind)
			return CORRUPT("segment model feature \"%s\" is not a feature of the global model",
						   m->features[j].name);
		feature_of[j] = g++;
	}
	if (m->ops != global->ops)
		return CORRUPT("segment model's algorithm differs from the global model's");
	return AN_OK;
}

/* The model of segment i, read on first use. */
an_status
an_segmented_model(an_ctx *ctx, an_segmented *s, uint32_t i, const an_model **out)
{
	an_segment *g = &s->segments[i];
	an_model   *m;
	uint32_t   *feature_of;
	an_status	st;

	if (g->model == NULL)
	{
		if ((st = an_model_read(ctx, g->bytes, g->len, &m)) != AN_OK)
			return st;
		feature_of = an_alloc(ctx, sizeof(uint32_t) * m->n_features);
		if ((st = map_features(ctx, s->global, m, feature_of)) != AN_OK)
			return st;
		g->feature_of = feature_of;
		g->model = m;
		s->loaded_bytes += g->len;
	}
	*out = g->model;
	return AN_OK;
}

/* Write a key (of the container's segment columns) as readable text (col=value, ...) into buf. */
void
an_segment_key_bytes_text(const an_segmented *s, const unsigned char *key, uint32_t key_len,
						  char *buf, size_t size)
{
	an_reader	r;
	size_t		used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	an_reader_init(&r, key, key_len);
	for (uint32_t c = 0; c < s->n_columns && used + 1 < size; c++)
	{
		int			n;

		if (an_read_u8(&r))
			n = snprintf(buf + used, size - used, "%s%s=NULL", c ? ", " : "", s->columns[c]);
		else
		{
			uint32_t	len = an_read_u32(&r);
			const unsigned char *v = an_read_bytes(&r, len);

			n = snprintf(buf + used, size - used, "%s%s=%.*s", c ? ", " : "", s->columns[c],
						 (int) (len > 200 ? 200 : len), v ? (const char *) v : "");
		}
		if (n < 0)
			break;
		used += (size_t) n;
	}
}

/* Write segment i's key as readable text (col=value, ...) into buf. */
void
an_segment_key_text(const an_segmented *s, uint32_t i, char *buf, size_t size)
{
	an_segment_key_bytes_text(s, s->segments[i].key, s->segments[i].key_len, buf, size);
}
