/*
 * harness.h - the unit tests' checks and allocator, shared by every
 * test/unit/test_*.c (each is one program; this header is included once).
 */
#ifndef AN_TEST_HARNESS_H
#define AN_TEST_HARNESS_H

#include "an_core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Make UndefinedBehaviorSanitizer reports fatal (the build does not pass
 * -fno-sanitize-recover). */
const char *__ubsan_default_options(void);
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* ------------------------------------------------------------------ */
/* checks */

static int n_passed = 0;
static int n_failed = 0;
static const char *current_test = "";

static void
check_at(int ok, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
;

static void
check_at(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list		ap;

	if (ok)
	{
		n_passed++;
		return;
	}
	n_failed++;
	printf("FAIL %s:%d [%s]: ", file, line, current_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define CHECK(cond, ...) check_at((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_STATUS(got, want) check_status((got), (want), &ctx, __FILE__, __LINE__)
/* Check a status, evaluated once, against the one wanted. */
static inline void
check_status(an_status got, an_status want, const an_ctx *ctx, const char *file, int line)
{
	check_at(got == want, file, line, "status %d, expected %d (%s: %s)",
			 (int) got, (int) want, ctx->message, ctx->hint);
}

#define CHECK_NEAR(got, want, tol) \
	CHECK(fabs((double) (got) - (double) (want)) <= (tol), \
		  "%s = %.17g, expected %.17g (tolerance %g)", #got, (double) (got), \
		  (double) (want), (double) (tol))

/* ------------------------------------------------------------------ */
/* the test allocator: calloc, recorded, all freed after each test */

static void **blocks = NULL;
static size_t n_blocks = 0;
static size_t cap_blocks = 0;

/* Zeroed memory, recorded so that free_all_blocks frees it. */
static void *
test_alloc(void *arg, size_t size)
{
	void	   *p;

	(void) arg;
	p = calloc(1, size);
	if (p == NULL)
	{
		fprintf(stderr, "test_alloc: out of memory (%zu bytes)\n", size);
		abort();
	}
	if (n_blocks == cap_blocks)
	{
		size_t		cap = cap_blocks ? cap_blocks * 2 : 1024;
		void	  **grown = realloc(blocks, cap * sizeof(void *));

		if (grown == NULL)
			abort();
		blocks = grown;
		cap_blocks = cap;
	}
	blocks[n_blocks++] = p;
	return p;
}

/* Free every block test_alloc handed out. */
static void
free_all_blocks(void)
{
	for (size_t i = 0; i < n_blocks; i++)
		free(blocks[i]);
	n_blocks = 0;
}

/* A context whose allocator is test_alloc. */
static inline an_ctx
new_ctx(void)
{
	an_ctx		c;

	memset(&c, 0, sizeof(c));
	c.alloc = test_alloc;
	return c;
}

/* Run one test function, then free what it allocated. */
static void
run(const char *name, void (*fn) (void))
{
	int			before = n_failed;

	current_test = name;
	fn();
	free_all_blocks();
	if (n_failed != before)
		printf("-- %s: %d failed\n", name, n_failed - before);
}

/* Print the totals; the exit status of main. */
static int
finish(void)
{
	free(blocks);
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}

#endif
