/*
 * fuzz_arena.h - the allocator both fuzz harnesses hand to the core: a bump
 * arena with ASan-poisoned red zones, freed after each input, that longjmps
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

typedef struct chunk
{
	struct chunk *next;
	unsigned char *data;
	size_t		size;
	size_t		used;
} chunk;

static chunk *arena_chunks = NULL;
static size_t arena_total = 0;
static jmp_buf arena_oom;

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
	{
		size_t		csize = need + ARENA_REDZONE > ARENA_CHUNK ? need + ARENA_REDZONE
			: ARENA_CHUNK;

		c = malloc(sizeof(chunk));
		if (c == NULL || (c->data = malloc(csize)) == NULL)
			abort();
		c->size = csize;
		c->used = 0;
		c->next = arena_chunks;
		arena_chunks = c;
		ASAN_POISON_MEMORY_REGION(c->data, csize);
	}
	p = c->data + c->used;
	c->used += need + ARENA_REDZONE;
	arena_total += need;
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	memset(p, 0, size);
	return p;
}

/* Free every block of the arena (after each input). */
static void
arena_reset(void)
{
	while (arena_chunks)
	{
		chunk	   *c = arena_chunks;

		arena_chunks = c->next;
		ASAN_UNPOISON_MEMORY_REGION(c->data, c->size);
		free(c->data);
		free(c);
	}
	arena_total = 0;
}

#endif
