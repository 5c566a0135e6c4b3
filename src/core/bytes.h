/*
 * bytes.h - little-endian writer and bounds-checked reader for serialized
 * models.  The reader never reads past its end: a short or damaged buffer
 * sets a sticky error flag and returns zeros, which callers check once.
 */
#ifndef AN_BYTES_H
#define AN_BYTES_H

#include "an_core.h"

#include <string.h>

typedef struct an_writer
{
	an_ctx	   *ctx;
	unsigned char *data;
	size_t		len;
	size_t		cap;
} an_writer;

typedef struct an_reader
{
	const unsigned char *data;
	size_t		len;
	size_t		pos;
	int			failed;
} an_reader;

/* Start an empty writer. */
void		an_writer_init(an_writer *w, an_ctx *ctx, size_t initial);

void		an_write_bytes(an_writer *w, const void *src, size_t n);
void		an_write_u8(an_writer *w, uint8_t v);
void		an_write_u16(an_writer *w, uint16_t v);
void		an_write_u32(an_writer *w, uint32_t v);
void		an_write_u64(an_writer *w, uint64_t v);
void		an_write_f64(an_writer *w, double v);

/*
 * Append n bytes for the caller to fill at once with an_put_u32 and
 * an_put_f64; returns where they start (valid until the next write).
 * an_read_bytes and an_get_f64 read such a run back at once.
 */
unsigned char *an_write_space(an_writer *w, size_t n);

/* Store v at p in little-endian order. */
static inline void
an_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char) v;
	p[1] = (unsigned char) (v >> 8);
	p[2] = (unsigned char) (v >> 16);
	p[3] = (unsigned char) (v >> 24);
}

/* Store v at p in little-endian order. */
static inline void
an_put_u64(unsigned char *p, uint64_t v)
{
	an_put_u32(p, (uint32_t) v);
	an_put_u32(p + 4, (uint32_t) (v >> 32));
}

/* Store the IEEE 754 bits of v at p in little-endian order. */
static inline void
an_put_f64(unsigned char *p, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	an_put_u64(p, bits);
}

/* Overwrite a u32 already written at offset pos. */
void		an_patch_u32(an_writer *w, size_t pos, uint32_t v);

/* Start a reader over len bytes. */
void		an_reader_init(an_reader *r, const void *data, size_t len);

const unsigned char *an_read_bytes(an_reader *r, size_t n);
uint8_t		an_read_u8(an_reader *r);
uint16_t	an_read_u16(an_reader *r);
uint32_t	an_read_u32(an_reader *r);
uint64_t	an_read_u64(an_reader *r);
double		an_read_f64(an_reader *r);

/* Load the little-endian u64 at p (bytes from an_read_bytes). */
static inline uint64_t
an_get_u64(const unsigned char *p)
{
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Load the double whose IEEE 754 bits are the little-endian u64 at p. */
static inline double
an_get_f64(const unsigned char *p)
{
	uint64_t	bits = an_get_u64(p);
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* Bytes left to read. */
static inline size_t
an_reader_left(const an_reader *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

#endif
