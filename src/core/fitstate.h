/*
 * fitstate.h - the bounded, flat training state of the anomaly_fit aggregate.
 *
 * One contiguous buffer holds: a header with the options, per-column
 * streaming statistics (Welford mean and variance, range, NULL and infinity
 * counts), a Space-Saving sketch of the most frequent values of each
 * categorical column (Metwally, Agrawal and El Abbadi, ICDT 2005), and a
 * reservoir sample of rows (Vitter's Algorithm R, ACM TOMS 1985).  Its size
 * depends only on the column count and the sample capacity, never on the
 * number of rows seen.  The first four bytes belong to the host (the
 * varlena length word), so the rest is 8-byte aligned.
 *
 * The buffer is updated in place; when the reservoir is full but below
 * sample_rows, the host allocates a bigger buffer and calls an_state_grow.
 */
#ifndef AN_FITSTATE_H
#define AN_FITSTATE_H

#include "an_core.h"
#include "params.h"

#define AN_STATE_MAGIC UINT32_C(0x54534E41)	/* "ANST" */
#define AN_STATE_VERSION 1
#define AN_SKETCH_K 128
#define AN_STATE_MIN_CAPACITY 1024

typedef enum an_kind
{
	AN_KIND_NUMERIC = 1,
	AN_KIND_CATEGORICAL = 2
} an_kind;

/* One input value: a number (NaN for NULL) or a category hash (0 for NULL). */
typedef union an_cell
{
	double		num;
	uint64_t	cat;
} an_cell;

typedef struct an_sketch_entry
{
	uint64_t	hash;
	uint64_t	count;
} an_sketch_entry;

typedef struct an_state_col
{
	char		name[AN_NAME_MAX];
	uint32_t	kind;
	uint32_t	sketch_used;	/* entries in use in its sketch */
	uint64_t	n_null;			/* NULL or NaN */
	uint64_t	n_finite;
	uint64_t	n_posinf;
	uint64_t	n_neginf;
	double		min;
	double		max;
	double		mean;
	double		m2;				/* sum of squared deviations (Welford) */
} an_state_col;

typedef struct an_state
{
	uint32_t	host_len;		/* owned by the host: varlena header */
	uint32_t	magic;
	uint16_t	version;
	uint16_t	reserved;		/* must be 0 */
	uint32_t	n_cols;
	uint32_t	n_cat;
	uint32_t	capacity;		/* reservoir rows allocated */
	uint32_t	filled;			/* reservoir rows in use */
	uint32_t	reserved2;		/* must be 0 */
	uint64_t	seen;			/* rows offered */
	uint64_t	rng;			/* generator state */
	an_params	params;
} an_state;

/* Bytes needed for a state with these dimensions. */
size_t		an_state_size(uint32_t n_cols, uint32_t n_cat, uint32_t capacity);

/* Initialise buf (an_state_size bytes, zeroed) for the given columns. */
void		an_state_init(an_state *st, uint32_t n_cols, const char *const *names,
						  const an_kind *kinds, const an_params *params,
						  uint32_t capacity);

/* The columns, sketches and reservoir rows of st. */
an_state_col *an_state_cols(const an_state *st);
an_sketch_entry *an_state_sketch(const an_state *st, uint32_t col);
an_cell    *an_state_rows(const an_state *st);

/* Largest number of rows the reservoir may hold. */
uint32_t	an_state_max_rows(const an_state *st);

/* The capacity st should grow to before the next row, or 0 if it has room. */
uint32_t	an_state_wants_capacity(const an_state *st);

/* Copy src into dst (sized for new_capacity rows), keeping its rows. */
void		an_state_grow(an_state *dst, const an_state *src, uint32_t new_capacity);

/* Add one row of n_cols cells. */
void		an_state_add_row(an_state *st, const an_cell *row);

/* Whether a and b were built from the same columns and options. */
an_status	an_state_compatible(an_ctx *ctx, const an_state *a, const an_state *b);

/* The reservoir capacity dst needs before merging src into it. */
uint32_t	an_state_merge_capacity(const an_state *dst, const an_state *src);

/* Merge src into dst (compatible, with room for the merged sample). */
void		an_state_merge(an_state *dst, const an_state *src);

/* Validate an untrusted buffer of len bytes as a state. */
an_status	an_state_validate(an_ctx *ctx, const void *buf, size_t len);

#endif
