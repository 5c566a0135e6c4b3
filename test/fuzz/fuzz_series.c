/*
 * fuzz_series.c - libFuzzer harness for the series state reader
 * (an_series_read), which stored series models feed with their bytes.
 *
 * Input: byte 0 is a mode, the rest is the state.  When the mode is odd the
 * harness first patches the length (offset 20) and the CRC32C (offset 24,
 * an_model_checksum) so that mutations get past the checksum and reach the
 * body parser; when even, the bytes are read as they are.
 *
 * An accepted state must take NaN, infinities, values near the largest
 * double and ordinary values, giving scores in [0, 1]; it must then write
 * bytes that read again, and the state read back must give the same point
 * as the written one for the next value.
 *
 * Allocation: the bump arena of fuzz_arena.h, freed after every input.
 */
#include "an_core.h"
#include "bytes.h"
#include "model.h"
#include "series.h"

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arena.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken expectation and abort. */
static void
fail(const char *what, const an_ctx *ctx)
{
	fprintf(stderr, "%s: %s (%s)\n", what, ctx->message, ctx->hint);
	abort();
}

/* Feed one value and check the point. */
static void
feed(an_series *s, double value, an_series_point *p, const an_ctx *ctx)
{
	an_series_update(s, value, p);
	if (!(p->score >= 0 && p->score <= 1))
		fail("score outside [0, 1]", ctx);
}

/* Use an accepted state: feed it, write it, read it back, compare. */
static void
exercise(an_ctx *ctx, an_series *s)
{
	static const double values[] = {NAN, INFINITY, -INFINITY, 0, 1, -1, 1e300, -1e300,
	DBL_MAX, -DBL_MAX, 5e-324, 42.5};
	an_series_point p,
				q;
	an_series  *t = NULL;
	unsigned char *bytes;
	size_t		len;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		feed(s, values[i], &p, ctx);
	if (an_series_write(s, ctx, &bytes, &len) != AN_OK)
		fail("an accepted state does not write", ctx);
	if (an_series_read(ctx, bytes, len, &t) != AN_OK)
		fail("a written state does not read", ctx);
	feed(s, 7.25, &p, ctx);
	feed(t, 7.25, &q, ctx);
	if (memcmp(&p, &q, sizeof(p)) != 0)
		fail("a state read back scores differently", ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	an_ctx		ctx;
	unsigned char *buf;
	an_series  *s = NULL;
	size_t		len;

	if (size < 1)
		return 0;
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 1, len);
	if ((data[0] & 1) && len >= AN_MODEL_HEADER)
	{
		an_put_u32(buf + 20, (uint32_t) len);
		an_put_u32(buf + 24, an_model_checksum(buf, len));
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = arena_alloc;
	if (setjmp(arena_oom) == 0)
	{
		if (an_series_read(&ctx, buf, len, &s) == AN_OK)
			exercise(&ctx, s);
	}
	arena_reset();
	free(buf);
	return 0;
}
