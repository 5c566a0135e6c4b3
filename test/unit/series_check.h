/*
 * series_check.h - what the series unit tests (test_series.c and
 * test_series_context.c) share: a state's round trip through its bytes and
 * fuzz_series seeds.  Included after harness.h.
 */
#ifndef AN_TEST_SERIES_CHECK_H
#define AN_TEST_SERIES_CHECK_H

#include "series.h"

#include <stdio.h>

typedef an_series *(*series_maker) (an_ctx *ctx);

/* Feed x[0..at) to a new detector from make, write and read it back, feed
 * both x[at..n), and check every point is the same. */
static void
check_round_trip(series_maker make, const double *x, int n, int at)
{
	an_ctx		ctx = new_ctx();
	an_series  *s = make(&ctx),
			   *t = NULL;
	unsigned char *bytes;
	size_t		len;
	an_series_point p,
				q;

	for (int i = 0; i < at; i++)
		an_series_update(s, x[i], &p);
	CHECK_STATUS(an_series_write(s, &ctx, &bytes, &len), AN_OK);
	CHECK_STATUS(an_series_read(&ctx, bytes, len, &t), AN_OK);
	for (int i = at; i < n && t; i++)
	{
		an_series_update(s, x[i], &p);
		an_series_update(t, x[i], &q);
		CHECK(memcmp(&p, &q, sizeof(p)) == 0, "point %d differs after a round trip at %d", i, at);
	}
}

/* Write the state of a new detector from make after x[0..at) as the
 * fuzz_series seed dir/name_at (mode byte 1, then the bytes); 0 when done. */
static int
write_series_seed(series_maker make, const double *x, int at, const char *dir, const char *name)
{
	an_ctx		ctx = new_ctx();
	an_series  *s = make(&ctx);
	an_series_point p;
	unsigned char *bytes;
	size_t		len;
	char		path[4096];
	FILE	   *f;
	unsigned char mode = 1;

	for (int i = 0; i < at; i++)
		an_series_update(s, x[i], &p);
	if (an_series_write(s, &ctx, &bytes, &len) != AN_OK)
		return 1;
	snprintf(path, sizeof(path), "%s/%s_%d", dir, name, at);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(bytes, 1, len, f) != len)
		return 1;
	fclose(f);
	free_all_blocks();
	return 0;
}

#endif
