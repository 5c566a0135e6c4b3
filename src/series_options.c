/*
 * series_options.c - a series detector's options from jsonb:
 * {"method": "auto" | "band" | "mad" | "context", "season": n | "auto" | "none",
 *  "learning": n, "sensitivity": x, "band": x, "suppress_k": k,
 *  "suppress_n": n, "margin": x, "window": n}.
 */
#include "series_glue.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include <math.h>

static const char *const method_names[] = {"auto", "band", "mad", "context"};

/* Raise the error for a key that is not an option. */
static void
unknown_key(const char *key)
{
	if (strcmp(key, "gap") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series option \"gap\" needs timestamps"),
				 errhint("It is an option of anomaly_ts_train; the window functions take rows as consecutive steps.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown series option \"%s\"", key),
			 errhint("Series options are method, season, learning, sensitivity, band, "
					 "suppress_k, suppress_n, margin and window.")));
}

/* Raise the error for a value of the wrong JSON type. */
static void
wrong_type(const char *key, const char *want)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("series option \"%s\" must be %s", key, want)));
}

/* A whole number option in int range, or an error. */
static int
whole_number(const char *key, double x)
{
	if (!(x == floor(x) && fabs(x) <= 1e9))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series option \"%s\" must be a whole number, not %g", key, x)));
	return (int) x;
}

/* Whether key is an option whose value is a number. */
static bool
is_number_key(const char *key)
{
	static const char *const keys[] = {"learning", "sensitivity", "band", "suppress_k",
	"suppress_n", "margin", "window"};

	for (int i = 0; i < (int) lengthof(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* Set the option key from a word. */
static void
set_word(an_series_options *opt, const char *key, const char *word)
{
	if (strcmp(key, "method") == 0)
	{
		for (int m = 0; m < (int) lengthof(method_names); m++)
			if (strcmp(word, method_names[m]) == 0)
			{
				opt->method = (an_series_method) m;
				return;
			}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown series method \"%s\"", word),
				 errhint("Use auto, band, mad or context.")));
	}
	if (strcmp(key, "season") == 0 && strcmp(word, "auto") == 0)
		opt->season = 0;
	else if (strcmp(key, "season") == 0 && strcmp(word, "none") == 0)
		opt->season = -1;
	else if (strcmp(key, "season") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series option \"season\" must be a number of points, \"auto\" or \"none\"")));
	else if (is_number_key(key))
		wrong_type(key, "a number");
	else
		unknown_key(key);
}

/* Set the option key from a number. */
static void
set_number(an_series_options *opt, const char *key, double x)
{
	if (strcmp(key, "method") == 0)
		wrong_type(key, "a word: auto, band, mad or context");
	else if (strcmp(key, "season") == 0)
		opt->season = whole_number(key, x);
	else if (strcmp(key, "learning") == 0)
		opt->learning = whole_number(key, x);
	else if (strcmp(key, "sensitivity") == 0)
		opt->sensitivity = x;
	else if (strcmp(key, "band") == 0)
		opt->band = x;
	else if (strcmp(key, "suppress_k") == 0)
		opt->suppress_k = whole_number(key, x);
	else if (strcmp(key, "suppress_n") == 0)
		opt->suppress_n = whole_number(key, x);
	else if (strcmp(key, "margin") == 0)
		opt->margin = x;
	else if (strcmp(key, "window") == 0)
		opt->window = whole_number(key, x);
	else
		unknown_key(key);
}

/* The options of a series detector from a jsonb object (NULL: defaults). */
void
an_series_options_parse(Jsonb *options, an_series_options *opt)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	an_ctx		ctx;

	an_series_default_options(opt);
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series options must be a jsonb object"),
				 errhint("Pass options like '{\"season\": 24, \"learning\": 200}'.")));
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (v.type == jbvString)
			set_word(opt, key, pnstrdup(v.val.string.val, v.val.string.len));
		else if (v.type == jbvNumeric)
			/* a number beyond float8 becomes infinite, which the checks refuse */
			set_number(opt, key,
					   DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
														  NumericGetDatum(v.val.numeric))));
		else
			wrong_type(key, "a number or a word");
	}
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_series_check_options(&ctx, opt));
}
