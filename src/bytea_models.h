/*
 * bytea_models.h - the bytea models one call site has read, kept for reuse
 * (see bytea_models.c).
 */
#ifndef ANOMALY_BYTEA_MODELS_H
#define ANOMALY_BYTEA_MODELS_H

#include "glue.h"

/* One model a call site has read, and the caller's state for it. */
typedef struct an_bytea_model
{
	an_model_ref ref;			/* the model; ref.model_cxt is cxt */
	MemoryContext cxt;			/* holds the model and whatever the caller builds for it */
	void	   *state;			/* the caller's, state_size bytes in cxt, zeroed when read */
} an_bytea_model;

typedef struct an_bytea_models an_bytea_models;

/* An empty set in parent, whose models carry state_size bytes of the caller's state. */
an_bytea_models *an_bytea_models_create(MemoryContext parent, Size state_size);

/*
 * The model of the bytea value d: one the set holds, recognised without
 * reading d again, or d read now (which may drop the set's least recently
 * used others, so a pointer returned earlier is valid until the next call).
 */
an_bytea_model *an_bytea_models_get(an_bytea_models *set, Datum d);

#endif
