/*
 * an_core.h - the core's context: allocator, interrupt hook and error report.
 *
 * Everything in src/core/ is plain C99 with no PostgreSQL header.  The core
 * never calls malloc or free and never longjmps: it allocates through the
 * allocator in an_ctx (the PostgreSQL glue hands it one backed by a memory
 * context) and reports failures as an an_status plus a message and a hint.
 */
#ifndef AN_CORE_H
#define AN_CORE_H

#include <stddef.h>
#include <stdint.h>

#define AN_VERSION_STRING "0.3.0"
#define AN_VERSION_NUM 300		/* major * 10000 + minor * 100 + patch */
#define AN_NAME_MAX 64			/* feature names, NUL included */
#define AN_MAX_COLUMNS 1600
#define AN_MSG_MAX 256

typedef enum an_status
{
	AN_OK = 0,
	AN_ERR_PARAM,				/* a bad option or argument */
	AN_ERR_DATA,				/* data a detector cannot use */
	AN_ERR_CORRUPT				/* damaged serialized bytes */
} an_status;

/* The phases of training a model that the core reports through ctx->phase. */
typedef enum an_phase
{
	AN_PHASE_FITTING = 1,
	AN_PHASE_CALIBRATING = 2
} an_phase;

typedef struct an_ctx
{
	/* returns zeroed memory; never returns NULL (it throws or aborts) */
	void	   *(*alloc) (void *arg, size_t size);
	void	   *alloc_arg;
	void		(*check_interrupts) (void); /* may be NULL */
	void		(*phase) (int phase);	/* training enters an_phase; may be NULL */
	char		message[AN_MSG_MAX];
	char		hint[AN_MSG_MAX];
} an_ctx;

/* Allocate size zeroed bytes through the context's allocator. */
void	   *an_alloc(an_ctx *ctx, size_t size);

/* Record an error message and hint in ctx and return status. */
an_status	an_fail(an_ctx *ctx, an_status status, const char *hint,
					const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 4, 5)))
#endif
			;

/* Replace the hint of the error just recorded (the new one may quote the old
 * one, ctx->hint); returns the status given. */
an_status	an_set_hint(an_ctx *ctx, an_status status, const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 3, 4)))
#endif
			;

/* Call the context's interrupt hook, if any. */
static inline void
an_check_interrupts(an_ctx *ctx)
{
	if (ctx->check_interrupts)
		ctx->check_interrupts();
}

#endif
