/*
 * fuzz_arena.h - the allocator both fuzz harnesses hand to the core: a bump
 * arena with ASan-poisoned red zones, released after each input, that longjmps
 * to arena_oom past its budget the way palloc raises an ERROR.
 */
#ifndef FUZZ_ARENA_H
#define FUZZ_ARENA_H

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void) (addr), (void) (size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void) (addr), (void) (size))
#endif

/* Make UndefinedBehaviorSanitizer reports fatal (the build does not pass
 * -fno-sanitize-recover). */
const char *__ubsan_default_options(void);
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define ARENA_CHUNK (64 * 1024)
#define ARENA_REDZONE 16
#define ARENA_BUDGET ((size_t) 256 * 1024 * 1024)
#define ARENA_SPARES 64			/* standard chunks kept between inputs */

typedef struct chunk
{
	struct chunk *next;
	unsigned char *data;
	size_t		size;
	size_t		used;
} chunk;

static chunk *arena_chunks = NULL;
static chunk *arena_spare = NULL;	/* standard chunks kept for the next input */
static int	arena_n_spare = 0;
static size_t arena_total = 0;
static jmp_buf arena_oom;

/* A chunk of csize bytes, all poisoned: a spare one when csize is standard. */
static chunk *
arena_chunk(size_t csize)
{
	chunk	   *c = arena_spare;

	if (csize == ARENA_CHUNK && c != NULL)
	{
		arena_spare = c->next;
		arena_n_spare--;
	}
	else
	{
		c = malloc(sizeof(chunk));
		if (c == NULL || (c->data = malloc(csize)) == NULL)
			abort();
		c->size = csize;
		ASAN_POISON_MEMORY_REGION(c->data, csize);
	}
	c->used = 0;
	c->next = arena_chunks;
	arena_chunks = c;
	return c;
}

/* Allocate size zeroed bytes, with a poisoned red zone after them. */
static void *
arena_alloc(void *arg, size_t size)
{
	size_t		need = (size + 15) & ~(size_t) 15;
	chunk	   *c = arena_chunks;
	unsigned char *p;

	(void) arg;
	if (size > ARENA_BUDGET || arena_total + need > ARENA_BUDGET)
		longjmp(arena_oom, 1);
	if (c == NULL || c->size - c->used < need + ARENA_REDZONE)
		c = arena_chunk(need + ARENA_REDZONE > ARENA_CHUNK ? need + ARENA_REDZONE
						: ARENA_CHUNK);
	p = c->data + c->used;
	c->used += need + ARENA_REDZONE;
	arena_total += need;
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	memset(p, 0, size);
	return p;
}

/*
 * Release every block of the arena (after each input): up to ARENA_SPARES
 * standard chunks are poisoned again and kept for the next input, the rest freed, so that
 * small inputs do not go through the allocator (and its quarantine) at all.
 */
static void
arena_reset(void)
{
	while (arena_chunks)
	{
		chunk	   *c = arena_chunks;

		arena_chunks = c->next;
		if (c->size == ARENA_CHUNK && arena_n_spare < ARENA_SPARES)
		{
			ASAN_POISON_MEMORY_REGION(c->data, c->size);
			c->next = arena_spare;
			arena_spare = c;
			arena_n_spare++;
			continue;
		}
		ASAN_UNPOISON_MEMORY_REGION(c->data, c->size);
		free(c->data);
		free(c);
	}
	arena_total = 0;
}

#endif
