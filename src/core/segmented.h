/*
 * segmented.h - a segmented model: a container of ordinary models, one per
 * segment (a distinct combination of the values of the segment columns),
 * plus a global model for the rows of unseen or small segments.  Every
 * detector works segmented without knowing it: a sub-model is an ordinary
 * model, read with an_model_read when a row of its segment first needs it.
 *
 * Format (all integers little-endian):
 *   header  "ANOSEGMT" magic, u16 format version (1), u16 segment column
 *           count C (1 to AN_SEGMENT_MAX_COLUMNS), u32 reserved (0), u32
 *           extension version, u32 total length, u32 CRC32C of every other
 *           byte (the same offsets as a model's header)
 *   body    u32 min_segment_rows; C column names (u16 length, bytes);
 *           u32 segment count S; u32 global model length G, then the
 *           global model's bytes; the index: S entries of u64 key hash,
 *           u32 key length, u32 model length, u64 training rows, sorted
 *           strictly by (hash, key bytes); then each entry's key bytes and
 *           model bytes, in index order.
 *   key     per segment column: u8 1 for NULL, or u8 0, u32 length and the
 *           value's text (its ::text cast); the hash is an_hash_bytes of
 *           the whole key.
 *
 * Every sub-model's features are a subsequence of the global model's (a
 * column constant over all rows is constant in every segment), so a row is
 * decoded once for the global features and each sub-model picks its own.
 */
#ifndef AN_SEGMENTED_H
#define AN_SEGMENTED_H

#include "an_core.h"
#include "bytes.h"
#include "model.h"

#define AN_SEGMENT_FORMAT 1
#define AN_SEGMENT_MAX_COLUMNS 32

typedef struct an_segment
{
	uint64_t	hash;
	const unsigned char *key;	/* within the container's bytes */
	uint32_t	key_len;
	uint64_t	rows;			/* training rows of the segment */
	const unsigned char *bytes; /* the sub-model, within the container */
	uint32_t	len;
	an_model   *model;			/* NULL until an_segmented_model reads it */
	uint32_t   *feature_of;		/* per sub-model feature: its global index */
} an_segment;

typedef struct an_segmented
{
	uint32_t	n_columns;
	char		(*columns)[AN_NAME_MAX];
	uint32_t	min_rows;
	uint32_t	n_segments;
	an_segment *segments;		/* sorted by (hash, key) */
	an_model   *global;
	size_t		loaded_bytes;	/* bytes of the sub-models read so far */
} an_segmented;

/* One segment handed to the writer. */
typedef struct an_segment_input
{
	const unsigned char *key;
	uint32_t	key_len;
	uint64_t	rows;
	const unsigned char *model;
	uint32_t	model_len;
} an_segment_input;

/* Whether len bytes start like a segmented model (the magic only). */
int			an_segmented_is(const void *bytes, size_t len);

/* Append one segment column's value (or NULL) to a key being built. */
void		an_segment_key_append(an_writer *w, const char *value, size_t len, int isnull);

/*
 * Serialize a segmented model.  The segments may come in any order; two
 * with the same key are an error.  segs is sorted in place.
 */
an_status	an_segmented_write(an_ctx *ctx, const char *const *columns, uint32_t n_columns,
							   uint32_t min_rows, const unsigned char *global,
							   uint32_t global_len, an_segment_input *segs, uint32_t n_segs,
							   unsigned char **bytes, size_t *len);

/*
 * Read and validate len untrusted bytes: header, CRC32C, columns, index and
 * keys, and the global model.  Sub-models are read on demand; they point
 * into bytes, which must outlive the result.
 */
an_status	an_segmented_read(an_ctx *ctx, const void *bytes, size_t len, an_segmented **out);

/* The segment whose key is key (of key_len bytes, hash hash), or -1. */
int64_t		an_segmented_find(const an_segmented *s, uint64_t hash, const unsigned char *key,
							  uint32_t key_len);

/* The model of segment i, read and checked against the global one on first use. */
an_status	an_segmented_model(an_ctx *ctx, an_segmented *s, uint32_t i, const an_model **out);

/* Write segment i's key as readable text (col=value, ...) into buf. */
void		an_segment_key_text(const an_segmented *s, uint32_t i, char *buf, size_t size);

/* The same for any key of s's segment columns, e.g. a segment s has no model for. */
void		an_segment_key_bytes_text(const an_segmented *s, const unsigned char *key,
									  uint32_t key_len, char *buf, size_t size);

#endif
