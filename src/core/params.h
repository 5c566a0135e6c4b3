/*
 * params.h - training options: the ones every algorithm has, and each
 * detector's own, declared as a table of named numeric ranges so that the
 * glue can validate a jsonb object and say the allowed range in its hint.
 */
#ifndef AN_PARAMS_H
#define AN_PARAMS_H

#include "an_core.h"

#define AN_MAX_PARAMS 16

typedef struct an_param_spec
{
	const char *name;
	double		def;
	double		min;
	double		max;
	int			integer;		/* must be a whole number */
	const char *doc;
	/* for a choice among words: their list, NULL-terminated; the value is the index */
	const char *const *choices;
	/*
	 * The detector version that added the option (0: the first).  Options
	 * added later come last; a model of an older version stores only the
	 * options before them and reads the rest as their defaults.
	 */
	uint16_t	since;
} an_param_spec;

/* Indices of the options every algorithm accepts. */
enum
{
	AN_P_SEED = 0,
	AN_P_SAMPLE_ROWS,
	AN_P_CONTAMINATION,			/* NaN means "auto" */
	AN_P_COMMON
};

typedef struct an_params
{
	uint16_t	algorithm;
	double		common[AN_P_COMMON];
	double		values[AN_MAX_PARAMS];	/* the detector's, in its spec order */
} an_params;

struct an_detector_ops;

/* The specs of the options every algorithm accepts. */
extern const an_param_spec an_common_params[AN_P_COMMON];

/* Fill p with the defaults of detector ops. */
void		an_params_defaults(an_params *p, const struct an_detector_ops *ops);

/* Set option name to value after checking its range; AN_ERR_PARAM if bad. */
an_status	an_params_set(an_ctx *ctx, an_params *p,
						  const struct an_detector_ops *ops,
						  const char *name, double value);

/* Set choice option name to the index of word; AN_ERR_PARAM if bad. */
an_status	an_params_set_word(an_ctx *ctx, an_params *p,
							   const struct an_detector_ops *ops,
							   const char *name, const char *word);

/* How many of ops's options a model of detector version version stores. */
int			an_params_stored(const struct an_detector_ops *ops, uint16_t version);

/* Check every value of p against its spec (for bytes read from outside). */
an_status	an_params_check(an_ctx *ctx, const an_params *p,
							const struct an_detector_ops *ops);

/* Whether two parameter sets are identical (NaN equals NaN). */
int			an_params_equal(const an_params *a, const an_params *b);

#endif
