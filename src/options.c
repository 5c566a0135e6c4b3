/*
 * options.c - the algorithm name and the jsonb options of anomaly_fit and
 * anomaly_train, checked against the detector's declared ranges.
 */
#include "glue.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

/* The detector named name, or an ERROR listing the known ones. */
const an_detector_ops *
an_options_algorithm(const char *name)
{
	const an_detector_ops *ops = an_detector_by_name(name);

	if (ops == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown anomaly detection algorithm \"%s\"", name),
				 errhint("Known algorithms are: %s.", an_detector_names())));
	return ops;
}

/* The words option key of ops chooses among, or NULL if it takes a number. */
static const char *const *
option_words(const an_detector_ops *ops, const char *key)
{
	for (int i = 0; i < ops->n_params; i++)
		if (strcmp(ops->params[i].name, key) == 0)
			return ops->params[i].choices;
	return NULL;
}

an_noreturn static void word_expected(const char *key, const char *const *words);

/* ERROR: a number was given for option key, which takes one of words. */
static void
word_expected(const char *key, const char *const *words)
{
	StringInfoData list;

	initStringInfo(&list);
	for (int i = 0; words[i]; i++)
		appendStringInfo(&list, "%s\"%s\"", i ? ", " : "", words[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" takes a word, not a number", key),
			 errhint("Write one of %s.", list.data)));
}

/* Fill p with the defaults of ops overridden by the options object. */
void
an_options_parse(const an_detector_ops *ops, Jsonb *options, an_params *p)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	an_ctx		ctx;

	an_params_defaults(p, ops);
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("anomaly options must be a jsonb object"),
				 errhint("Pass options like '{\"n_trees\": 200}'.")));
	an_glue_ctx(&ctx, CurrentMemoryContext);
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		double		value;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (v.type == jbvString)
		{
			char	   *word = pnstrdup(v.val.string.val, v.val.string.len);

			an_glue_check(&ctx, an_params_set_word(&ctx, p, ops, key, word));
			continue;
		}
		if (v.type == jbvNull && strcmp(key, "contamination") == 0)
			value = NAN;
		else if (v.type == jbvNumeric && option_words(ops, key) != NULL)
			word_expected(key, option_words(ops, key));
		else if (v.type == jbvNumeric)
			/* a number beyond float8 becomes infinite, which the range check refuses */
			value = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													   NumericGetDatum(v.val.numeric)));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be a number or a word", key),
					 errhint("Write it as a JSON number or string, e.g. '{\"%s\": 1}'.", key)));
		an_glue_check(&ctx, an_params_set(&ctx, p, ops, key, value));
	}
}

/* The effective options as a JSON object text, for the catalog. */
char *
an_options_to_json(const an_params *p)
{
	const an_detector_ops *ops = an_detector_by_id(p->algorithm);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < AN_P_COMMON + ops->n_params; i++)
	{
		const an_param_spec *spec = i < AN_P_COMMON ? &an_common_params[i]
			: &ops->params[i - AN_P_COMMON];
		const char *name = spec->name;
		double		value = i < AN_P_COMMON ? p->common[i] : p->values[i - AN_P_COMMON];

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (spec->choices)
			appendStringInfo(&buf, "\"%s\": \"%s\"", name, spec->choices[(int) value]);
		else if (isnan(value))
			appendStringInfo(&buf, "\"%s\": null", name);
		else
			appendStringInfo(&buf, "\"%s\": %.15g", name, value);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}
