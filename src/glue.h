/*
 * glue.h - what the PostgreSQL glue files share: turning core contexts and
 * errors into PostgreSQL ones, options, row conversion and the model cache.
 */
#ifndef ANOMALY_GLUE_H
#define ANOMALY_GLUE_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/jsonb.h"

#include "an_core.h"
#include "fitstate.h"
#include "model.h"

/* anomaly.c */
void		an_glue_ctx(an_ctx *ctx, MemoryContext mcxt);
void		an_glue_raise(an_ctx *ctx, an_status status) pg_attribute_noreturn();
void		an_glue_check(an_ctx *ctx, an_status status);
const char *an_glue_schema(void);
Oid			an_glue_schema_oid(void);

/* options.c */
const an_detector_ops *an_options_algorithm(const char *name);
void		an_options_parse(const an_detector_ops *ops, Jsonb *options, an_params *p);
char	   *an_options_to_json(const an_params *p);

/* row_input.c: how one column's values become cells */
typedef enum an_conv
{
	AN_CONV_UNSUPPORTED = 0,
	AN_CONV_FLOAT8,
	AN_CONV_FLOAT4,
	AN_CONV_INT2,
	AN_CONV_INT4,
	AN_CONV_INT8,
	AN_CONV_BOOL,
	AN_CONV_NUMERIC,
	AN_CONV_DATE,
	AN_CONV_TIMESTAMP,
	AN_CONV_TEXT,
	AN_CONV_BPCHAR,
	AN_CONV_NAME,
	AN_CONV_ENUM
} an_conv;

an_conv		an_conv_for_type(Oid typid, an_kind *kind);
an_cell		an_cell_from_datum(Datum value, bool isnull, an_conv conv);
uint64		an_hash_text(const char *s, int len);

/* model_cache.c */
typedef struct an_model_ref
{
	int64		id;				/* 0 for an inline bytea model */
	const an_model *model;
	uint64		generation;		/* cache generation it was taken under */
} an_model_ref;

uint64		an_cache_generation(void);
void		an_cache_by_id(int64 id, an_model_ref *ref);
void		an_cache_by_name(const char *name, an_model_ref *ref);

#endif
