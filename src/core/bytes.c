/*
 * bytes.c - little-endian serialization primitives.
 */
#include "bytes.h"

#include <string.h>

/* Start an empty writer. */
void
an_writer_init(an_writer *w, an_ctx *ctx, size_t initial)
{
	w->ctx = ctx;
	w->cap = initial < 64 ? 64 : initial;
	w->data = an_alloc(ctx, w->cap);
	w->len = 0;
}

/*
 * Make room for n more bytes: double the buffer, or grow it to fit exactly
 * when doubling is not enough (a bulk write knows its size).
 */
static void
writer_reserve(an_writer *w, size_t n)
{
	unsigned char *grown;
	size_t		cap = w->cap * 2;

	if (w->len + n <= w->cap)
		return;
	if (w->len + n > cap)
		cap = w->len + n;
	grown = an_alloc(w->ctx, cap);
	memcpy(grown, w->data, w->len);
	w->data = grown;
	w->cap = cap;
}

/* Append n raw bytes. */
void
an_write_bytes(an_writer *w, const void *src, size_t n)
{
	writer_reserve(w, n);
	memcpy(w->data + w->len, src, n);
	w->len += n;
}

/* Append n bytes for the caller to fill; returns where they start. */
unsigned char *
an_write_space(an_writer *w, size_t n)
{
	unsigned char *p;

	writer_reserve(w, n);
	p = w->data + w->len;
	w->len += n;
	return p;
}

/* Append v in little-endian order using nbytes bytes. */
static void
write_le(an_writer *w, uint64_t v, int nbytes)
{
	writer_reserve(w, (size_t) nbytes);
	for (int i = 0; i < nbytes; i++)
		w->data[w->len++] = (unsigned char) (v >> (8 * i));
}

/* Append one byte. */
void
an_write_u8(an_writer *w, uint8_t v)
{
	write_le(w, v, 1);
}

/* Append a 16-bit integer. */
void
an_write_u16(an_writer *w, uint16_t v)
{
	write_le(w, v, 2);
}

/* Append a 32-bit integer. */
void
an_write_u32(an_writer *w, uint32_t v)
{
	write_le(w, v, 4);
}

/* Append a 64-bit integer. */
void
an_write_u64(an_writer *w, uint64_t v)
{
	write_le(w, v, 8);
}

/* Append a double as its IEEE 754 bits. */
void
an_write_f64(an_writer *w, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	write_le(w, bits, 8);
}

/* Overwrite a u32 already written at offset pos. */
void
an_patch_u32(an_writer *w, size_t pos, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		w->data[pos + i] = (unsigned char) (v >> (8 * i));
}

/* Start a reader over len bytes. */
void
an_reader_init(an_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->failed = 0;
}

/* Return a pointer to the next n bytes, or NULL (and fail) if short. */
const unsigned char *
an_read_bytes(an_reader *r, size_t n)
{
	const unsigned char *p;

	if (r->failed || n > r->len - r->pos)
	{
		r->failed = 1;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

/* Read nbytes little-endian bytes as an integer; 0 on failure. */
static uint64_t
read_le(an_reader *r, int nbytes)
{
	const unsigned char *p = an_read_bytes(r, (size_t) nbytes);
	uint64_t	v = 0;

	if (p == NULL)
		return 0;
	for (int i = 0; i < nbytes; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return v;
}

/* Read one byte. */
uint8_t
an_read_u8(an_reader *r)
{
	return (uint8_t) read_le(r, 1);
}

/* Read a 16-bit integer. */
uint16_t
an_read_u16(an_reader *r)
{
	return (uint16_t) read_le(r, 2);
}

/* Read a 32-bit integer. */
uint32_t
an_read_u32(an_reader *r)
{
	return (uint32_t) read_le(r, 4);
}

/* Read a 64-bit integer. */
uint64_t
an_read_u64(an_reader *r)
{
	return read_le(r, 8);
}

/* Read a double from its IEEE 754 bits. */
double
an_read_f64(an_reader *r)
{
	uint64_t	bits = read_le(r, 8);
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}
