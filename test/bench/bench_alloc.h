/*
 * bench_alloc.h - what the benchmarks share: the allocator they hand the
 * core (zeroed like palloc0, recorded so that free_blocks can drop it all
 * like MemoryContextDelete) and a clock of this process's CPU time.
 * Included by one program each; its functions are static inline so that a
 * bench that uses only some of them builds without warnings.
 */
#ifndef ANOMALY_BENCH_ALLOC_H
#define ANOMALY_BENCH_ALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void **blocks;
static size_t n_blocks,
			cap_blocks;

/* The bench's allocator: zeroed memory, recorded for free_blocks; exits when memory runs out. */
static inline void *
bench_alloc(void *arg, size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	(void) arg;
	if (p == NULL)
	{
		fprintf(stderr, "bench: out of memory (%zu bytes)\n", size);
		exit(2);
	}
	if (n_blocks == cap_blocks)
	{
		cap_blocks = cap_blocks ? cap_blocks * 2 : 1024;
		blocks = realloc(blocks, sizeof(void *) * cap_blocks);
		if (blocks == NULL)
			exit(2);
	}
	blocks[n_blocks++] = p;
	return p;
}

/* Free every block allocated so far. */
static inline void
free_blocks(void)
{
	for (size_t i = 0; i < n_blocks; i++)
		free(blocks[i]);
	n_blocks = 0;
}

/* Seconds of this process's CPU time (steadier than wall time on a shared machine). */
static inline double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

#endif
