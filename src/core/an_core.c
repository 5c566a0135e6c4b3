/*
 * an_core.c - allocation and error reporting for the core.
 */
#include "an_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Allocate size zeroed bytes through the context's allocator. */
void *
an_alloc(an_ctx *ctx, size_t size)
{
	return ctx->alloc(ctx->alloc_arg, size ? size : 1);
}

/* Record an error message and hint in ctx and return status. */
an_status
an_fail(an_ctx *ctx, an_status status, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
	va_end(ap);
	snprintf(ctx->hint, sizeof(ctx->hint), "%s", hint ? hint : "");
	return status;
}

/*
 * Replace the hint of the error just recorded; returns the status given.
 * The arguments may include ctx->hint itself (to extend it), so the new
 * hint is formatted aside before it replaces the old one.
 */
an_status
an_set_hint(an_ctx *ctx, an_status status, const char *fmt,...)
{
	va_list		ap;
	char		hint[AN_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(hint, sizeof(hint), fmt, ap);
	va_end(ap);
	memcpy(ctx->hint, hint, sizeof(ctx->hint));
	return status;
}
