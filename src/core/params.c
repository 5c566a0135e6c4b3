/*
 * params.c - option defaults, range checks and comparison.
 */
#include "params.h"
#include "detector.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const an_param_spec an_common_params[AN_P_COMMON] = {
	{"seed", 42, 0, 9007199254740991.0, 1, "seed of the random generator"},
	{"sample_rows", 100000, 16, 10000000, 1, "rows kept in the training sample"},
	{"contamination", NAN, 0, 0.5, 0, "expected fraction of anomalies"},
};

/* Fill p with the defaults of detector ops. */
void
an_params_defaults(an_params *p, const an_detector_ops *ops)
{
	memset(p, 0, sizeof(*p));
	p->algorithm = ops->id;
	for (int i = 0; i < AN_P_COMMON; i++)
		p->common[i] = an_common_params[i].def;
	for (int i = 0; i < ops->n_params; i++)
		p->values[i] = ops->params[i].def;
}

/* Set the hint of a bad choice option to its list of words. */
static an_status
choice_hint(an_ctx *ctx, const an_param_spec *spec)
{
	char		words[AN_MSG_MAX] = "";

	for (int i = 0; spec->choices[i]; i++)
		snprintf(words + strlen(words), sizeof(words) - strlen(words), "%s\"%s\"",
				 i ? ", " : "", spec->choices[i]);
	return an_set_hint(ctx, AN_ERR_PARAM, "%s (%s) must be one of %s.",
					   spec->name, spec->doc, words);
}

/* Check value against spec; AN_ERR_PARAM with the range in the hint. */
static an_status
check_value(an_ctx *ctx, const an_param_spec *spec, double value)
{
	int			is_contamination = strcmp(spec->name, "contamination") == 0;

	/* contamination NaN means "auto"; 0 itself has no threshold */
	if (is_contamination && isnan(value))
		return AN_OK;
	if (!isnan(value) && value >= spec->min && value <= spec->max &&
		!(spec->integer && value != floor(value)) &&
		!(is_contamination && value <= 0))
		return AN_OK;
	an_fail(ctx, AN_ERR_PARAM, NULL, "option \"%s\" is %.15g, out of range",
			spec->name, value);
	if (is_contamination)
		return an_set_hint(ctx, AN_ERR_PARAM,
						   "contamination must be greater than 0 and at most %g, or null for the automatic threshold.",
						   spec->max);
	if (spec->choices)
		return choice_hint(ctx, spec);
	if (spec->integer)
		return an_set_hint(ctx, AN_ERR_PARAM,
						   "%s (%s) must be a whole number from %.0f to %.0f.",
						   spec->name, spec->doc, spec->min, spec->max);
	return an_set_hint(ctx, AN_ERR_PARAM, "%s (%s) must be from %g to %g.",
					   spec->name, spec->doc, spec->min, spec->max);
}

/* Find the spec named name: its slot in p, or NULL. */
static double *
find_slot(an_params *p, const an_detector_ops *ops, const char *name,
		  const an_param_spec **spec)
{
	for (int i = 0; i < AN_P_COMMON; i++)
		if (strcmp(an_common_params[i].name, name) == 0)
		{
			*spec = &an_common_params[i];
			return &p->common[i];
		}
	for (int i = 0; i < ops->n_params; i++)
		if (strcmp(ops->params[i].name, name) == 0)
		{
			*spec = &ops->params[i];
			return &p->values[i];
		}
	return NULL;
}

/* Fail for an unknown option name, listing the valid ones in the hint. */
static an_status
unknown_option(an_ctx *ctx, const an_detector_ops *ops, const char *name)
{
	char		known[AN_MSG_MAX] = "";

	for (int i = 0; i < AN_P_COMMON + ops->n_params; i++)
	{
		const char *n = i < AN_P_COMMON ? an_common_params[i].name
			: ops->params[i - AN_P_COMMON].name;

		if (strlen(known) + strlen(n) + 3 < sizeof(known))
		{
			if (known[0])
				strcat(known, ", ");
			strcat(known, n);
		}
	}
	an_fail(ctx, AN_ERR_PARAM, NULL,
			"unknown option \"%s\" for algorithm \"%s\"", name, ops->name);
	return an_set_hint(ctx, AN_ERR_PARAM, "Valid options are: %s.", known);
}

/* Set option name to value after checking its range; AN_ERR_PARAM if bad. */
an_status
an_params_set(an_ctx *ctx, an_params *p, const an_detector_ops *ops,
			  const char *name, double value)
{
	const an_param_spec *spec = NULL;
	double	   *slot = find_slot(p, ops, name, &spec);
	an_status	st;

	if (slot == NULL)
		return unknown_option(ctx, ops, name);
	st = check_value(ctx, spec, value);
	if (st == AN_OK)
		*slot = value;
	return st;
}

/* Set choice option name to the index of word; AN_ERR_PARAM if bad. */
an_status
an_params_set_word(an_ctx *ctx, an_params *p, const an_detector_ops *ops,
				   const char *name, const char *word)
{
	const an_param_spec *spec = NULL;
	double	   *slot = find_slot(p, ops, name, &spec);

	if (slot == NULL)
		return unknown_option(ctx, ops, name);
	if (spec->choices == NULL)
		return an_fail(ctx, AN_ERR_PARAM, "Write it as a JSON number.",
					   "option \"%s\" must be a number, not \"%s\"", name, word);
	for (int i = 0; spec->choices[i]; i++)
		if (strcmp(spec->choices[i], word) == 0)
		{
			*slot = i;
			return AN_OK;
		}
	an_fail(ctx, AN_ERR_PARAM, NULL, "option \"%s\" is \"%s\", not a known choice", name, word);
	return choice_hint(ctx, spec);
}

/* How many of ops's options a model of detector version version stores. */
int
an_params_stored(const an_detector_ops *ops, uint16_t version)
{
	int			count = 0;

	while (count < ops->n_params && ops->params[count].since <= version)
		count++;
	return count;
}

/* Check every value of p against its spec (for bytes read from outside). */
an_status
an_params_check(an_ctx *ctx, const an_params *p, const an_detector_ops *ops)
{
	an_status	st = AN_OK;

	for (int i = 0; i < AN_P_COMMON && st == AN_OK; i++)
		st = check_value(ctx, &an_common_params[i], p->common[i]);
	for (int i = 0; i < ops->n_params && st == AN_OK; i++)
		st = check_value(ctx, &ops->params[i], p->values[i]);
	return st;
}

/* Whether two doubles are the same value, NaN equal to NaN. */
static int
same_value(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* Whether two parameter sets are identical (NaN equals NaN). */
int
an_params_equal(const an_params *a, const an_params *b)
{
	if (a->algorithm != b->algorithm)
		return 0;
	for (int i = 0; i < AN_P_COMMON; i++)
		if (!same_value(a->common[i], b->common[i]))
			return 0;
	for (int i = 0; i < AN_MAX_PARAMS; i++)
		if (!same_value(a->values[i], b->values[i]))
			return 0;
	return 1;
}
