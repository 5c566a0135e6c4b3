/*
 * series_options.c - a series detector's options from jsonb:
 * {"method": "auto" | "band" | "mad" | "context", "season": n | "auto" | "none",
 *  "learning": n, "sensitivity": x, "band": x, "suppress_k": k,
 *  "suppress_n": n, "margin": x, "window": n, "range": [lo, hi]}, and with timestamps
 * {"gap": "step" | "fill", "interval": "<interval>"}.
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
	if (strcmp(key, "gap") == 0 || strcmp(key, "interval") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series option \"%s\" needs timestamps", key),
				 errhint("Pass them first: anomaly_ts_score(ts, value, options) OVER (...); "
						 "anomaly_ts_train takes \"gap\" too.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown series option \"%s\"", key),
			 errhint("Series options are method, season, learning, sensitivity, band, "
					 "suppress_k, suppress_n, margin, window and range; with timestamps also gap and interval.")));
}

/* Set a gap option from a word; false if key is not one. */
static bool
set_gap_word(an_ts_gap_options *gap, const char *key, const char *word)
{
	if (gap == NULL)
		return false;
	if (strcmp(key, "gap") == 0)
	{
		if (strcmp(word, "fill") != 0 && strcmp(word, "step") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown gap rule \"%s\"", word),
					 errhint("Use \"step\" (a gap is one step) or \"fill\".")));
		gap->fill = strcmp(word, "fill") == 0;
		return true;
	}
	if (strcmp(key, "interval") == 0)
	{
		Interval   *iv = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(word),
															   ObjectIdGetDatum(InvalidOid),
															   Int32GetDatum(-1)));

		gap->interval_us = an_ts_interval_us(iv);
		if (gap->interval_us <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("series option \"interval\" must be a positive interval, not \"%s\"", word),
					 errhint("For example {\"gap\": \"fill\", \"interval\": \"5 minutes\"}.")));
		return true;
	}
	return false;
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

/* A JSON number as a float8; one beyond float8 becomes infinite, which the
 * checks refuse. */
static double
json_number(const JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
}

/* Set the given value range of the context method from [lo, hi]; the core's
 * check refuses what is not finite, lo >= hi, or another method. */
static void
set_range(an_series_options *opt, const JsonbValue *v)
{
	JsonbValue *bound[2];

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data) || JsonContainerSize(v->val.binary.data) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series option \"range\" must be an array of two numbers [lo, hi]"),
				 errhint("For example {\"method\": \"context\", \"range\": [0, 100]} for a percentage.")));
	for (int i = 0; i < 2; i++)
	{
		bound[i] = getIthJsonbValueFromContainer(v->val.binary.data, (uint32) i);
		if (bound[i] == NULL || bound[i]->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("series option \"range\" must be an array of two numbers [lo, hi]"),
					 errhint("Give numbers, not strings or nulls, such as [0, 100].")));
	}
	opt->has_range = 1;
	opt->range_lo = json_number(bound[0]);
	opt->range_hi = json_number(bound[1]);
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
set_word(an_series_options *opt, an_ts_gap_options *gap, const char *key, const char *word)
{
	if (set_gap_word(gap, key, word))
		return;
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
set_number(an_series_options *opt, an_ts_gap_options *gap, const char *key, double x)
{
	if (gap != NULL && strcmp(key, "gap") == 0)
		wrong_type(key, "a word: step or fill");
	else if (gap != NULL && strcmp(key, "interval") == 0)
		wrong_type(key, "an interval such as \"1 hour\"");
	else if (strcmp(key, "method") == 0)
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

/* The options of a series detector from a jsonb object (NULL: defaults),
 * and with gap not NULL its gap rule. */
static void
parse_options(Jsonb *options, an_series_options *opt, an_ts_gap_options *gap)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	an_ctx		ctx;

	an_series_default_options(opt);
	if (gap != NULL)
	{
		gap->fill = false;
		gap->interval_us = 0;
	}
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
		if (strcmp(key, "range") == 0)
			set_range(opt, &v);
		else if (v.type == jbvString)
			set_word(opt, gap, key, pnstrdup(v.val.string.val, v.val.string.len));
		else if (v.type == jbvNumeric)
			set_number(opt, gap, key, json_number(&v));
		else
			wrong_type(key, "a number or a word");
	}
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_series_check_options(&ctx, opt));
	if (gap != NULL && gap->interval_us > 0 && !gap->fill)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series option \"interval\" is the step of the \"fill\" gap rule"),
				 errhint("Add \"gap\": \"fill\", or leave \"interval\" out.")));
}

/* The options of a series detector from a jsonb object (NULL: defaults);
 * the gap rule's options are refused, since there are no timestamps. */
void
an_series_options_parse(Jsonb *options, an_series_options *opt)
{
	parse_options(options, opt, NULL);
}

/* The options of a series detector fed with timestamps, gap rule included. */
void
an_series_options_parse_timed(Jsonb *options, an_series_options *opt, an_ts_gap_options *gap)
{
	parse_options(options, opt, gap);
}
