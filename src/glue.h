/*
 * glue.h - what the PostgreSQL glue files share: turning core contexts and
 * errors into PostgreSQL ones, options, row conversion and the model cache.
 */
#ifndef ANOMALY_GLUE_H
#define ANOMALY_GLUE_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "pg_compat.h"

#include "an_core.h"
#include "fitstate.h"
#include "metrics.h"
#include "model.h"

/* anomaly.c */
void		an_glue_ctx(an_ctx *ctx, MemoryContext mcxt);
an_noreturn void an_glue_raise(an_ctx *ctx, an_status status);
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

/* numeric_cell.c */
double		an_numeric_to_double(Datum value);

/* row_map.c: where a model's features are in a row type */
typedef struct an_row_map
{
	int		   *attidx;			/* per feature: attribute position */
	Oid		   *atttype;		/* per feature: attribute type */
	int32	   *atttypmod;		/* per feature: its typmod, -1 when none */
	an_conv    *conv;			/* per feature */
	int			n_atts;			/* the last attribute used, plus one */
} an_row_map;

char	   *an_feature_list(const an_model *m);
void		an_row_map_build(an_row_map *map, TupleDesc desc, const an_model *m,
							 MemoryContext mcxt);
void		an_row_map_encode(const an_row_map *map, const an_model *m, const Datum *values,
							  const bool *nulls, double *x);
char	   *an_row_map_value_text(const an_row_map *map, uint32 j, const Datum *values,
								  const bool *nulls);
char	   *an_value_text(Datum value, Oid typid, int32 typmod);

/* model_cache.c */
typedef struct an_model_ref
{
	int64		id;				/* 0 for an inline bytea model */
	int32		version;		/* its version in the catalog; 0 inline */
	const an_model *model;		/* the global model when segmented */
	struct an_segmented *segmented; /* NULL for a plain model */
	MemoryContext model_cxt;	/* where its sub-models are read on demand */
	uint64		generation;		/* cache generation it was taken under */
} an_model_ref;

uint64		an_cache_generation(void);
void		an_cache_define_guc(void);
void		an_cache_by_id(int64 id, an_model_ref *ref);
void		an_cache_by_name(const char *name, an_model_ref *ref);
Size		an_cache_bound(void);
bool		an_cache_try_name(const char *name, an_model_ref *ref);

/* Resolve argument argno (a text name or bigint id) to a model and its id. */
const an_model *an_cache_by_arg(FunctionCallInfo fcinfo, int argno, int64 *id);

/* model_name.c: the catalog's facts of a model name, for its next version */
typedef struct an_name_holder
{
	int32		latest_version;	/* 0 if the name is free */
	NameData	owner;			/* the owner, or the current user if free */
	bool		has_readers;	/* the catalog has readers (0.2.0 on) */
	Datum		readers;		/* the latest version's readers, or 0 */
} an_name_holder;

void		an_model_name_holder(const char *name, an_name_holder *holder);

/* source.c: a table, view or query as a FROM clause, and its rows scored */
typedef struct an_scored_rows
{
	int64		n;
	double	   *scores;
	uint8	   *labels;			/* 0/1; NULL without a label column */
	double	   *times;			/* seconds since the epoch; NULL without a time column */
} an_scored_rows;

char	   *an_source_from(const char *source, Oid *relid);
int			an_source_column(TupleDesc desc, const char *name);
char	   *an_source_columns(TupleDesc desc);
bool		an_source_identifier_like(const char *name, Oid type);
bool		an_source_in_primary_key(Oid relid, const char *name);
TupleDesc	an_source_describe(const char *from, const char *source);
void		an_source_check_label(TupleDesc desc, const char *label);
uint8		an_source_label_value(int32 value, const char *label);
Datum		an_model_bytes(int64 id);
void		an_source_score(const char *from, TupleDesc desc, Datum model, Oid model_type,
							const char *label, const char *time_column,
							MemoryContext mcxt, an_scored_rows *out);

/* importance.c: which features explain the flagged rows, over a source */
struct an_report;
void		an_importance_gather(int64 id, const an_model *m, const char *from, TupleDesc desc,
								 const char *label, struct an_report *r);

/* segment_train.c: training one sub-model per segment */
int			an_segment_min_rows(Jsonb *options, Jsonb **rest);
char	  **an_segment_columns(TupleDesc desc, ArrayType *segment_by, int *n);
bool		an_segment_is_column(char **names, int n, const char *name);
bytea	   *an_segment_fit(const char *from, TupleDesc source, const char *cols, Datum names,
						   char **seg, int n_seg, int min_rows, const char *algorithm,
						   const char *options, bytea *global, MemoryContext outer,
						   int64 *trained, int64 *small);

/* segment_route.c: which model of a segmented model scores a row */
struct an_segmented;
typedef struct an_route an_route;
void		an_route_read(an_ctx *ctx, const char *data, size_t len, an_model **model,
						  struct an_segmented **seg);
an_route   *an_route_build(TupleDesc desc, const struct an_segmented *s, MemoryContext mcxt);
int			an_route_natts(const an_route *r);
int64		an_route_segment(an_route *r, struct an_segmented *s, const Datum *values,
							 const bool *nulls, MemoryContext model_cxt);
void		an_route_encode(const struct an_segmented *s, int64 at, const an_row_map *map,
							const Datum *values, const bool *nulls, const double *gx, double *x);
char	   *an_route_model_text(const struct an_segmented *s, int64 at);
const unsigned char *an_route_key(const an_route *r, size_t *len);
char	   *an_route_key_text(const an_route *r, const struct an_segmented *s);

/*
 * segment_scan.c: a source's rows, grouped by segment (ordered by the text
 * of the segment columns), each encoded for the model that scores it.
 */
typedef struct an_segment_group
{
	const char *segment;		/* "col=value, ..." */
	int64		at;				/* the segment's own model, or -1: the global one */
	const an_model *model;		/* the model scoring the group's rows */
} an_segment_group;

typedef struct an_segment_row
{
	double	   *x;				/* encoded for the group's model; the visitor's to change */
	const uint64 *cat;			/* its category hashes (want_categories only) */
	const double *gx;			/* encoded for the global model */
	const uint64 *gcat;			/* its category hashes (want_categories only) */
	int			label;			/* 0/1, or -1 without a label column */
} an_segment_row;

typedef struct an_segment_visitor
{
	void		(*group_begin) (void *arg, const an_segment_group *g);
	void		(*row) (void *arg, const an_segment_group *g, const an_segment_row *row);
	void		(*group_end) (void *arg, const an_segment_group *g);
	void	   *arg;
	bool		want_categories;
} an_segment_visitor;

void		an_segment_scan(const char *from, TupleDesc desc, const an_model_ref *ref,
							const char *label, const an_segment_visitor *v);

/* segment_evaluate.c: a segmented model's figures per segment and overall */
typedef struct an_segment_metrics
{
	char	   *segment;		/* "col=value, ..." */
	bool		own_model;		/* scored by its own model, not the global one */
	int64		rows;
	int64		flagged;		/* against its model's threshold */
	double		threshold;
	an_metrics	metrics;		/* with a label only */
} an_segment_metrics;

typedef struct an_segment_evaluation
{
	int			n_segments;
	an_segment_metrics *segments;	/* by segment text */
	int64		rows;
	int64		flagged;
	an_metrics	overall;		/* with a label: severity ranking, per-model flags */
	double	   *scores;			/* every row's score, by segment */
	uint8	   *flags;			/* and its flag against its own model's threshold */
	double	   *severities;		/* with a label: every row's severity */
	uint8	   *labels;			/* and its label */
} an_segment_evaluation;

void		an_segment_evaluate(const char *from, TupleDesc desc, const an_model_ref *ref,
								const char *label, an_segment_evaluation *out);

/* deploy.c: what anomaly_train does with the version it trains */
typedef enum an_deploy_mode
{
	AN_DEPLOY_LATEST,			/* a catalog before 0.3.0: the name means its latest */
	AN_DEPLOY_ALWAYS,
	AN_DEPLOY_NEVER,
	AN_DEPLOY_IF_BETTER
} an_deploy_mode;

typedef struct an_deploy
{
	an_deploy_mode mode;
	const char *metric;			/* for if_better: the metric compared */
	size_t		offset;			/* its place in struct an_metrics */
} an_deploy;

struct an_metrics;
void		an_deploy_parse(const char *text, bool given, const char *label, an_deploy *d);
void		an_deploy_lock_name(const char *name);
bool		an_deploy_judge(const an_deploy *d, const char *name, const char *from, TupleDesc desc,
							const char *label, const struct an_metrics *mt, char **metrics);
void		an_deploy_record(const char *name, int64 id, const char *action);
void		an_deploy_notice_kept(const char *name, int32 version);

/* progress.c: how far a long anomaly_train has got */
typedef enum an_progress_phase
{
	AN_PROGRESS_IDLE,
	AN_PROGRESS_READING,
	AN_PROGRESS_FITTING,
	AN_PROGRESS_CALIBRATING,
	AN_PROGRESS_SEGMENTS,
	AN_PROGRESS_EVALUATING,
	AN_PROGRESS_WRITING
} an_progress_step;

void		an_progress_init(void);
void		an_progress_begin(const char *name, const char *from);
void		an_progress_phase(int phase);
void		an_progress_core_phase(int phase);
void		an_progress_set_rows(int64 rows);
void		an_progress_row(void);
void		an_progress_end(void);

/* evaluate.c */
struct an_metrics;
char	   *an_metrics_json(const struct an_metrics *mt);
bool		an_score_range(const double *scores, int64 n, double *lo, double *hi);
void		an_histogram_count(const double *scores, const uint8 *flags, int64 n, double lo,
							   double hi, int n_bins, double threshold, int64 *rows,
							   int64 *flagged);

/* explain.c */
struct an_attribution;
char	   *an_reason_line(const an_model *m, const struct an_attribution *attr, char **values);

/* citus.c: model lookups and monitors inside a task of a Citus distributed query */
bool		an_citus_task(void);
char	   *an_citus_replica_shard(void);
void		an_citus_refuse_lookup(int64 id, const char *name);
bool		an_citus_installed(void);
void		an_citus_check_monitor(const char *trigger, const char *relation, bool logs);

/* citus_names.c: a planner hook that resolves model names to the deployed
 * ids on a Citus coordinator, so a statement scores with one version */
void		an_citus_names_init(void);

/* score.c: a row argument encoded for the model argument, per call site */
const an_model *an_row_encode(FunctionCallInfo fcinfo, double **x);
char	   *an_row_value_text(FunctionCallInfo fcinfo, const an_model *m, uint32 j);
char	   *an_row_model_text(FunctionCallInfo fcinfo);

#endif
