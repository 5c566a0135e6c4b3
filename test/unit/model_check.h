/*
 * model_check.h - what the detector unit tests share: reading a model's
 * bytes back as the extension does, where bytes left after the model are an
 * error.  Included after harness.h.
 */
#ifndef AN_TEST_MODEL_CHECK_H
#define AN_TEST_MODEL_CHECK_H

#include "bytes.h"
#include "detector.h"

/* Read len bytes as a model of ops in layout version over d features;
 * trailing bytes are an error. */
static inline an_status
read_model_layout(an_ctx *ctx, const an_detector_ops *ops, uint16_t version,
				  const unsigned char *bytes, size_t len, size_t d, void **model)
{
	an_reader	r;
	an_status	st;

	an_reader_init(&r, bytes, len);
	st = ops->read(ctx, &r, version, d, model);
	if (st == AN_OK && an_reader_left(&r) != 0)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "%zu trailing bytes", an_reader_left(&r));
	return st;
}

/* Read len bytes as a model of ops (its current version) over d features. */
static inline an_status
read_model(an_ctx *ctx, const an_detector_ops *ops, const unsigned char *bytes, size_t len,
		   size_t d, void **model)
{
	return read_model_layout(ctx, ops, ops->version, bytes, len, d, model);
}

#endif
