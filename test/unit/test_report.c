/*
 * test_report.c - the HTML report: every section where it belongs, strings
 * escaped, no script and no external resource, NaN, infinities and empty
 * inputs shown as "n/a" or a note, large inputs still well-formed, and the
 * same figures always rendering to the same page; numbers as a person reads
 * them (the knn reason's 1.44900537421926856040 as 1.44901); and the
 * monitoring page the same way (sections, marks, escaping, empty, huge).
 *
 * Usage:
 *   test_report                        run every test
 *   test_report OUT.html [MON.html]    also write the example report to
 *                                      OUT.html and the example monitoring
 *                                      page to MON.html (the browser test
 *                                      renders them)
 */
#include "an_core.h"
#include "metrics.h"
#include "prng.h"
#include "monitor_page.h"
#include "readable.h"
#include "report.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define EXAMPLE_ROWS 5000
#define EXAMPLE_BINS 40
#define EXAMPLE_TOP 10
#define MARCH_2024 1709251200.0 /* 2024-03-01 00:00:00 UTC */

static const char *const hostile = "<script>alert(1)</script> \"q\" 'a' & b";

/* One scored, labelled row of the example. */
typedef struct scored_row
{
	double		score;
	uint8_t		label;
	int			index;
} scored_row;

/* qsort comparator: higher score first, then lower index. */
static int
cmp_score_desc(const void *a, const void *b)
{
	const scored_row *x = a;
	const scored_row *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* A formatted string allocated through the test allocator. */
static char *
test_format(const char *fmt,...)
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
;

static char *
test_format(const char *fmt,...)
{
	char		buf[256];
	char	   *s;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s = test_alloc(NULL, strlen(buf) + 1);
	strcpy(s, buf);
	return s;
}

/*
 * The example's feature sections: amount and hour histograms, a country's
 * bars and a scatter of amount against hour, flagged rows drawn apart.
 */
static void
example_features(const double *scores, an_report *r, an_prng *g)
{
	static const char *const countries[] = {"DE", "FR", "US", "XZ", "other"};
	an_report_feature *f = test_alloc(NULL, sizeof(an_report_feature) * 3);
	an_report_dist_bin *amount = test_alloc(NULL, sizeof(an_report_dist_bin) * 20);
	an_report_dist_bin *hour = test_alloc(NULL, sizeof(an_report_dist_bin) * 24);
	an_report_dist_bin *country = test_alloc(NULL, sizeof(an_report_dist_bin) * 5);
	double	   *x = test_alloc(NULL, sizeof(double) * EXAMPLE_ROWS);
	double	   *y = test_alloc(NULL, sizeof(double) * EXAMPLE_ROWS);
	uint8_t    *flagged = test_alloc(NULL, EXAMPLE_ROWS);
	int			n = 0;

	memset(amount, 0, sizeof(an_report_dist_bin) * 20);
	memset(hour, 0, sizeof(an_report_dist_bin) * 24);
	memset(country, 0, sizeof(an_report_dist_bin) * 5);
	for (int b = 0; b < 20; b++)
	{
		amount[b].low = 150.0 * b;
		amount[b].high = 150.0 * (b + 1);
	}
	for (int b = 0; b < 24; b++)
	{
		hour[b].low = b;
		hour[b].high = b + 1;
	}
	for (int c = 0; c < 5; c++)
		country[c].label = countries[c];
	for (int i = 0; i < EXAMPLE_ROWS; i++)
	{
		int			flag = scores[i] >= r->threshold;
		double		a = flag ? 2100 + 400 * an_prng_normal(g) : 38 * exp(0.8 * an_prng_normal(g));
		double		h = flag && an_prng_uniform(g) < 0.4 ? 2 + 2 * an_prng_uniform(g) : 8 + 14 * an_prng_uniform(g);
		int			ab = (int) floor(a / 150);
		int			c = flag ? (an_prng_uniform(g) < 0.5 ? 3 : 2) : (int) floor(an_prng_uniform(g) * 3);

		ab = ab < 0 ? 0 : ab > 19 ? 19 : ab;
		*(flag ? &amount[ab].flagged : &amount[ab].normal) += 1;
		*(flag ? &hour[(int) h].flagged : &hour[(int) h].normal) += 1;
		*(flag ? &country[c].flagged : &country[c].normal) += 1;
		if (flag || i % 5 == 0)
		{
			x[n] = a;
			y[n] = h;
			flagged[n++] = (uint8_t) flag;
		}
	}
	f[0] = (an_report_feature) {"amount", 0.71, 0.22, 80, "2100", "38", 0, amount, 20};
	f[1] = (an_report_feature) {"hour", 0.18, 0.31, 12, "9.4", "14.9", 0, hour, 24};
	f[2] = (an_report_feature) {"merchant_country", 0.11, 0.47, 9, "XZ (50%)", "FR (34%)", 0, country, 5};
	r->features = f;
	r->n_features = 3;
	r->group = "flagged";
	r->group_rows = r->flagged;
	r->scatter = (an_report_scatter) {"amount", "hour", x, y, flagged, n};
}

/*
 * A realistic report: payments scored by a model, 2% labelled fraud, a
 * month of timestamps with a burst of anomalies, labels and a ROC curve.
 */
static void
example_report(an_ctx *ctx, an_report *r)
{
	static const an_report_pair facts[] = {
		{"model", "fraud"}, {"version", "3"}, {"detector", "iforest"},
		{"features", "amount, hour, merchant_country, card_age_days, n_items, distance_km"},
		{"trained on", "200,000 rows, 2024-02-28 17:04 UTC"},
		{"contamination", "0.02"}
	};
	static const char *const features[] = {
		"amount", "hour", "merchant_country", "card_age_days", "n_items", "distance_km"
	};
	scored_row *rows = test_alloc(NULL, sizeof(scored_row) * EXAMPLE_ROWS);
	uint8_t    *labels = test_alloc(NULL, EXAMPLE_ROWS);
	double	   *scores = test_alloc(NULL, sizeof(double) * EXAMPLE_ROWS);
	an_report_point *timeline = test_alloc(NULL, sizeof(an_report_point) * EXAMPLE_ROWS);
	an_report_bin *bins = test_alloc(NULL, sizeof(an_report_bin) * EXAMPLE_BINS);
	an_report_anomaly *top = test_alloc(NULL, sizeof(an_report_anomaly) * EXAMPLE_TOP);
	an_report_range *ranges = test_alloc(NULL, sizeof(an_report_range) * 6);
	double	   *fpr = NULL;
	double	   *tpr = NULL;
	an_prng		g;

	memset(r, 0, sizeof(*r));
	an_prng_seed(&g, 2024);
	r->threshold = 0.6;
	for (int i = 0; i < EXAMPLE_ROWS; i++)
	{
		int			in_burst = i > 3000 && i < 3150;
		int			fraud = an_prng_uniform(&g) < (in_burst ? 0.3 : 0.012);
		double		s = fraud ? 0.66 + 0.06 * an_prng_normal(&g) : 0.46 + 0.045 * an_prng_normal(&g);

		labels[i] = (uint8_t) fraud;
		scores[i] = s;
		rows[i].score = s;
		rows[i].label = (uint8_t) fraud;
		rows[i].index = i;
		timeline[i].t = MARCH_2024 + 30 * 86400.0 * i / EXAMPLE_ROWS;
		timeline[i].score = s;
	}
	for (int b = 0; b < EXAMPLE_BINS; b++)
	{
		bins[b].low = 0.25 + 0.0125 * b;
		bins[b].high = bins[b].low + 0.0125;
	}
	for (int i = 0; i < EXAMPLE_ROWS; i++)
	{
		int			b = (int) floor((scores[i] - 0.25) / 0.0125);

		b = b < 0 ? 0 : b >= EXAMPLE_BINS ? EXAMPLE_BINS - 1 : b;
		bins[b].rows++;
		bins[b].flagged += scores[i] >= r->threshold;
	}
	an_metrics_compute(ctx, scores, labels, EXAMPLE_ROWS, r->threshold, &r->metrics);
	/* the ROC curve: one point per distinct score */
	r->n_roc = an_roc_curve(ctx, scores, labels, EXAMPLE_ROWS, EXAMPLE_ROWS + 1, &fpr, &tpr);
	/* the top anomalies: highest scores first */
	qsort(rows, EXAMPLE_ROWS, sizeof(scored_row), cmp_score_desc);
	for (int i = 0; i < EXAMPLE_TOP; i++)
	{
		top[i].key = test_format("txn-%06d", 100000 + rows[i].index);
		top[i].score = rows[i].score;
		top[i].severity = 100 - 0.02 * (i + 1);
		top[i].reason = i % 3 == 0
			? test_format("amount=%d high (training max 2400), 71%%; distance_km=%d high, 18%%",
						  3000 + 713 * i, 400 + 37 * i)
			: test_format("merchant_country=XZ unseen, %d%%; hour=3 low, %d%%", 60 - i, 20 + i);
	}
	for (int j = 0; j < 6; j++)
	{
		ranges[j].feature = features[j];
		ranges[j].out_of_range = (int64_t) ((j * 37 + 11) % 90);
	}

	r->title = "fraud v3 (iforest)";
	r->generated_at = "2024-03-31 09:15:00 UTC";
	r->summary = facts;
	r->n_summary = (int) (sizeof(facts) / sizeof(facts[0]));
	r->rows = EXAMPLE_ROWS;
	r->flagged = r->metrics.tp + r->metrics.fp;
	r->bins = bins;
	r->n_bins = EXAMPLE_BINS;
	r->timeline = timeline;
	r->n_timeline = EXAMPLE_ROWS;
	r->time_column = "created_at";
	r->top = top;
	r->n_top = EXAMPLE_TOP;
	r->ranges = ranges;
	r->n_ranges = 6;
	r->has_labels = 1;
	r->roc_fpr = fpr;
	r->roc_tpr = tpr;
	example_features(scores, r, &g);
}

/* How many times needle occurs in haystack. */
static int
count_of(const char *haystack, const char *needle)
{
	int			n = 0;
	size_t		len = strlen(needle);
	size_t		total = strlen(haystack);
	const char *p = haystack;

	/* memmem with the length left, not strstr: ASan's strstr measures the rest every call */
	while ((p = memmem(p, total - (size_t) (p - haystack), needle, len)) != NULL)
	{
		n++;
		p += len;
	}
	return n;
}

/* Whether a lowercase tag name is an HTML void element. */
static int
is_void_element(const char *name, size_t len)
{
	static const char *const names[] = {"meta", "br", "hr", "img", "input", "link"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

/*
 * Whether html is one well-formed page: every tag closed in order, no '<'
 * outside a tag (text is escaped), attribute values quoted, and the page
 * ends with </html>.  On failure, prints where.
 */
static int
well_formed(const char *html)
{
	const char *stack[64];
	size_t		stack_len[64];
	int			depth = 0;
	const char *p = html;

	if (strncmp(p, "<!DOCTYPE html>\n", 16) != 0)
		return 0;
	p += 16;
	while ((p = strchr(p, '<')) != NULL)
	{
		int			closing = p[1] == '/';
		const char *name = p + 1 + closing;
		size_t		len = 0;
		const char *end;
		int			in_quotes = 0;

		while (isalnum((unsigned char) name[len]))
			len++;
		if (len == 0)
		{
			printf("  stray '<' at offset %ld\n", (long) (p - html));
			return 0;
		}
		for (end = name + len; *end && (in_quotes || *end != '>'); end++)
		{
			if (*end == '"')
				in_quotes = !in_quotes;
			if (*end == '<')
			{
				printf("  '<' inside a tag at offset %ld\n", (long) (end - html));
				return 0;
			}
		}
		if (*end != '>')
			return 0;
		if (closing)
		{
			if (depth == 0 || stack_len[depth - 1] != len ||
				strncmp(stack[depth - 1], name, len) != 0)
			{
				printf("  unexpected </%.*s> at offset %ld\n", (int) len, name, (long) (p - html));
				return 0;
			}
			depth--;
		}
		else if (end[-1] != '/' && !is_void_element(name, len))
		{
			if (depth == 64)
				return 0;
			stack[depth] = name;
			stack_len[depth++] = len;
		}
		p = end + 1;
	}
	if (depth != 0)
		printf("  %d unclosed tags, innermost <%.*s>\n", depth, (int) stack_len[depth - 1],
			   stack[depth - 1]);
	return depth == 0 && strcmp(html + strlen(html) - 8, "</html>\n") == 0;
}

/* Whether the page holds a whole word "nan" or "inf", in any case. */
static int
has_raw_non_finite(const char *html)
{
	for (const char *p = html; *p; p++)
	{
		int			word_start = p == html || !isalpha((unsigned char) p[-1]);

		if (!word_start)
			continue;
		char		word[4] = {0};

		for (int i = 0; i < 3 && p[i]; i++)
			word[i] = (char) tolower((unsigned char) p[i]);
		if ((strcmp(word, "nan") == 0 || strcmp(word, "inf") == 0) && !isalpha((unsigned char) p[3]))
			return 1;
	}
	return 0;
}

/* Whether every "http" in the page is the SVG namespace or the CSP header name. */
static int
only_namespace_http(const char *html)
{
	static const char svg_ns[] = "xmlns=\"http://www.w3.org/2000/svg\"";
	static const char csp[] = "http-equiv=\"Content-Security-Policy\"";

	for (const char *p = strstr(html, "http"); p; p = strstr(p + 4, "http"))
	{
		int			namespace = p - html >= 7 && strncmp(p - 7, svg_ns, strlen(svg_ns)) == 0;
		int			header = strncmp(p, csp, strlen(csp)) == 0;

		if (!namespace && !header)
		{
			printf("  'http' at offset %ld: %.40s\n", (long) (p - html), p);
			return 0;
		}
	}
	return 1;
}

/* A page with no script, no external resource and no event handler. */
static void
check_self_contained(const char *html)
{
	CHECK(strstr(html, "<script") == NULL, "a <script> tag");
	CHECK(strstr(html, "<img") == NULL && strstr(html, "<link") == NULL &&
		  strstr(html, "<iframe") == NULL, "an external element");
	CHECK(strstr(html, "url(") == NULL && strstr(html, "@import") == NULL, "a CSS resource");
	CHECK(strstr(html, " src=") == NULL && strstr(html, " href=") == NULL, "a reference");
	CHECK(only_namespace_http(html), "'http' other than the SVG namespace");
}

/* The example: every section with its labels, all well-formed. */
static void
test_full_report(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	char	   *html;
	int			nonempty_bins = 0;

	example_report(&ctx, &r);
	for (int b = 0; b < r.n_bins; b++)
		nonempty_bins += r.bins[b].rows > 0;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "the full report is not well-formed");
	check_self_contained(html);
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "<meta charset=\"utf-8\">") != NULL, "no charset");
	CHECK(strstr(html, "<title>fraud v3 (iforest) &middot; anomaly report</title>") != NULL,
		  "no page title");

	CHECK(strstr(html, "<section id=\"summary\"") != NULL, "no summary");
	CHECK(strstr(html, "<h1>fraud v3 (iforest)</h1>") != NULL, "no title");
	CHECK(strstr(html, "Generated 2024-03-31 09:15:00 UTC") != NULL, "no generated_at");
	CHECK(strstr(html, "<dt>detector</dt><dd>iforest</dd>") != NULL, "no summary pair");
	CHECK(strstr(html, "rows scored</div><div class=\"value\">5,000<") != NULL, "no rows scored");
	CHECK(strstr(html, "threshold</div><div class=\"value\">0.6<") != NULL, "no threshold tile");
	CHECK(strstr(html, "flagged share") != NULL, "no flagged share");

	CHECK(strstr(html, "<section id=\"histogram\"") != NULL, "no histogram");
	CHECK(count_of(html, "<rect class=\"bar\"") == nonempty_bins, "histogram bars: %d, expected %d",
		  count_of(html, "<rect class=\"bar\""), nonempty_bins);
	CHECK(count_of(html, "<rect class=\"bar flagged\"") > 0, "no flagged bar");
	CHECK(count_of(html, "<line class=\"threshold\"") == 2, "threshold lines: %d",
		  count_of(html, "<line class=\"threshold\""));
	CHECK(strstr(html, ">threshold 0.6</text>") != NULL, "no threshold label");
	CHECK(strstr(html, ">anomaly score</text>") != NULL, "no score axis title");

	CHECK(strstr(html, "<section id=\"timeline\"") != NULL, "no timeline");
	CHECK(strstr(html, "from 2024-03-01 00:00:00 to 2024-03-30 23:51:21 UTC") != NULL,
		  "no time range");
	CHECK(strstr(html, ">2024-03-11</text>") != NULL, "no date tick");
	CHECK(strstr(html, ">created_at (UTC)</text>") != NULL, "no time axis title");
	CHECK(count_of(html, "<circle") == EXAMPLE_ROWS + r.scatter.n, "timeline and scatter points: %d",
		  count_of(html, "<circle"));

	CHECK(strstr(html, "<section id=\"top-anomalies\"") != NULL, "no top anomalies");
	CHECK(count_of(html, "<td class=\"key\">txn-") == EXAMPLE_TOP, "top rows");
	CHECK(strstr(html, "merchant_country=XZ unseen") != NULL, "no reason");
	CHECK(strstr(html, ">99.98</td>") != NULL, "no severity");

	CHECK(strstr(html, "<section id=\"out-of-range\"") != NULL, "no out-of-range");
	CHECK(strstr(html, "<td class=\"key\">distance_km</td><td class=\"num\">16</td>"
				 "<td class=\"num\">0.32%</td>") != NULL, "no out-of-range row");

	CHECK(strstr(html, "<section id=\"importance\"") != NULL, "no importance");
	CHECK(strstr(html, "<td class=\"key\">amount</td>") != NULL &&
		  strstr(html, ">71%</td><td class=\"num\">22%</td><td class=\"num\">80 (") != NULL,
		  "no importance row");
	CHECK(strstr(html, "<td class=\"flag\">2100</td><td>38</td>") != NULL, "no typical values");
	CHECK(strstr(html, "<section id=\"distributions\"") != NULL, "no distributions");
	CHECK(count_of(html, "<h3 class=\"key\">") == 3, "distribution charts: %d",
		  count_of(html, "<h3 class=\"key\">"));
	CHECK(count_of(html, "<rect class=\"bar normal\"") > 20, "no normal bars");
	CHECK(strstr(html, ">XZ</text>") != NULL, "no category label");
	CHECK(strstr(html, "<section id=\"scatter\"") != NULL, "no scatter");
	CHECK(strstr(html, ">amount</text>") != NULL && strstr(html, ">hour</text>") != NULL,
		  "no scatter axes");

	CHECK(strstr(html, "<section id=\"confusion\"") != NULL, "no confusion matrix");
	CHECK(strstr(html, "true positives") != NULL && strstr(html, "false negatives") != NULL,
		  "no confusion cells");
	CHECK(strstr(html, "<th>ROC AUC</th>") != NULL && strstr(html, "<th>F1</th>") != NULL,
		  "no metrics");
	CHECK(strstr(html, "<section id=\"roc\"") != NULL, "no ROC curve");
	CHECK(strstr(html, "<path class=\"roc-curve\" d=\"M56.0 376.0 L") != NULL,
		  "the ROC curve does not start at (0,0)");
	CHECK(strstr(html, "<line class=\"diagonal\"") != NULL, "no diagonal");
	CHECK(strstr(html, "ROC AUC = 0.9") != NULL, "no AUC caption");
}

/* Without timeline and labels, their sections are absent. */
static void
test_optional_sections(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	char	   *html;

	example_report(&ctx, &r);
	r.timeline = NULL;
	r.has_labels = 0;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(strstr(html, "id=\"summary\"") && strstr(html, "id=\"histogram\"") &&
		  strstr(html, "id=\"top-anomalies\"") && strstr(html, "id=\"out-of-range\""),
		  "a section is missing");
	CHECK(strstr(html, "id=\"timeline\"") == NULL, "a timeline without one");
	CHECK(strstr(html, "id=\"confusion\"") == NULL, "a confusion matrix without labels");
	CHECK(strstr(html, "id=\"roc\"") == NULL, "a ROC curve without labels");
	CHECK(count_of(html, "<circle") == r.scatter.n, "timeline points without a timeline");
	r.n_features = 0;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed without features");
	CHECK(strstr(html, "id=\"importance\"") == NULL && strstr(html, "id=\"scatter\"") == NULL,
		  "feature sections without features");
}

/* A segmented model's table: every segment given, escaped, the AUC with labels only. */
static void
test_segments(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	char	   *html;
	static const an_report_segment segs[] = {
		{"shop=north", "segment", 1200, 30, 0.61, 0.97},
		{"shop=<b>&amp;", "global", 40, 0, -0.5, NAN},
		{"shop=NULL", "segment", 300, 3, 0.7, 0.5}
	};

	example_report(&ctx, &r);
	html = an_report_html(&ctx, &r);
	CHECK(strstr(html, "id=\"segments\"") == NULL, "a segments table for a plain model");

	r.segments = segs;
	r.n_segments = 3;
	r.n_all_segments = 3;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	check_self_contained(html);
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "<section id=\"segments\"") != NULL, "no segments table");
	CHECK(strstr(html, "<p class=\"caption\">3 segments; each row") != NULL, "no segment count");
	CHECK(strstr(html, "<td class=\"key\">shop=north</td><td>segment</td><td class=\"num\">1,200</td>"
				 "<td class=\"num flag\">30</td><td class=\"num\">2.50%</td>"
				 "<td class=\"num\">0.61</td><td class=\"num\">0.97</td></tr>") != NULL,
		  "no north row");
	CHECK(strstr(html, "shop=&lt;b&gt;&amp;amp;") != NULL, "the segment text is not escaped");
	CHECK(strstr(html, "<td class=\"num\">n/a</td></tr>") != NULL, "an undefined AUC is not n/a");
	CHECK(strstr(html, "<th>segment</th>") < strstr(html, "<section id=\"histogram\""),
		  "the segments table is not near the top");

	r.has_labels = 0;
	r.n_all_segments = 1500;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed without labels");
	CHECK(strstr(html, "<th class=\"num\">ROC AUC</th>") == NULL,
		  "an AUC column without labels");
	CHECK(strstr(html, "The 3 of 1,500 segments with the most flagged rows") != NULL,
		  "no caption for a cut table");
}

/* Every string is escaped, wherever it appears. */
static void
test_escaping(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	an_report_pair pair = {hostile, hostile};
	an_report_anomaly top = {hostile, 0.9, 99, hostile};
	an_report_range range = {"\"><img src=x onerror=alert(1)>", 3};
	const char *escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; b";
	char	   *html;

	example_report(&ctx, &r);
	r.title = hostile;
	r.generated_at = hostile;
	r.summary = &pair;
	r.n_summary = 1;
	r.time_column = hostile;
	r.top = &top;
	r.n_top = 1;
	r.ranges = &range;
	r.n_ranges = 1;
	r.n_features = 0;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(strstr(html, "<script") == NULL && strstr(html, "<img") == NULL, "an injected tag");
	/* title (twice), generated_at, pair key and value, time column (twice), key, reason */
	CHECK(count_of(html, escaped) == 9, "escaped strings: %d", count_of(html, escaped));
	{
		an_report_dist_bin bin = {hostile, 0, 0, 3, 4};
		an_report_feature feature = {hostile, 0.5, 0.5, 1, hostile, hostile, 0, &bin, 1};
		double		v[2] = {1, 2};
		uint8_t		flags[2] = {0, 1};

		r.features = &feature;
		r.n_features = 1;
		r.group = hostile;
		r.scatter = (an_report_scatter) {hostile, hostile, v, v, flags, 2};
		html = an_report_html(&ctx, &r);
		CHECK(well_formed(html), "not well-formed with hostile features");
		CHECK(strstr(html, "<script") == NULL, "an injected tag in the feature sections");
		/* 9 as before; importance: caption, two headers, feature, two values;
		 * distributions: caption, chart title, chart caption (group, two values),
		 * category; scatter: caption, two axis titles */
		CHECK(count_of(html, escaped) == 9 + 15, "escaped strings with features: %d",
			  count_of(html, escaped));
	}
	r.n_features = 0;
	CHECK(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") != NULL,
		  "the feature name is not escaped");
	CHECK(strstr(html, "alert(1)</") == NULL, "an unescaped hostile string");
}

/* NaN and infinities are "n/a" in text and left out of plots. */
static void
test_non_finite(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	an_report_bin bins[3] = {{0, 1, 5, 1}, {NAN, 2, 5, 0}, {2, INFINITY, 5, 5}};
	an_report_point points[4] = {{MARCH_2024, 0.5}, {NAN, 0.7}, {MARCH_2024 + 60, NAN},
	{MARCH_2024 + 120, INFINITY}};
	an_report_anomaly top = {"k", NAN, INFINITY, "r"};
	double		fpr[3] = {0, NAN, 1};
	double		tpr[3] = {0, 0.5, 1};
	char	   *html;

	example_report(&ctx, &r);
	r.n_features = 0;			/* the feature sections are tested apart */
	r.threshold = NAN;
	r.bins = bins;
	r.n_bins = 3;
	r.timeline = points;
	r.n_timeline = 4;
	r.top = &top;
	r.n_top = 1;
	r.metrics.precision = NAN;
	r.metrics.roc_auc = NAN;
	r.metrics.average_precision = -INFINITY;
	r.roc_fpr = fpr;
	r.roc_tpr = tpr;
	r.n_roc = 3;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "threshold</div><div class=\"value\">n/a<") != NULL, "threshold not n/a");
	CHECK(strstr(html, "<line class=\"threshold\"") == NULL, "a threshold line at NaN");
	CHECK(count_of(html, "<rect class=\"bar\"") == 1, "bars: %d", count_of(html, "<rect class=\"bar\""));
	CHECK(count_of(html, "<circle") == 1, "points: %d", count_of(html, "<circle"));
	CHECK(strstr(html, "<th>precision</th><td class=\"num\">n/a</td>") != NULL, "precision");
	CHECK(strstr(html, "ROC AUC = n/a") != NULL, "AUC caption");
	CHECK(strstr(html, "d=\"M56.0 376.0 M416.0 16.0 \"") != NULL, "the ROC curve's gap");
}

/* Empty arrays render notes; a timeline with no points keeps its section. */
static void
test_empty(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	an_report_point none[1] = {{0, 0}};
	char	   *html;

	memset(&r, 0, sizeof(r));
	r.threshold = 0.5;
	r.timeline = none;
	r.has_labels = 1;
	r.metrics.roc_auc = NAN;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "<h1>Anomaly report</h1>") != NULL, "no default title");
	CHECK(count_of(html, "No data:") == 6, "notes: %d", count_of(html, "No data:"));
	CHECK(strstr(html, "<svg") == NULL, "a chart without data");
	CHECK(strstr(html, "flagged share</div><div class=\"value\">n/a<") != NULL, "share of 0 rows");
	CHECK(strstr(html, "id=\"timeline\"") && strstr(html, "id=\"confusion\"") &&
		  strstr(html, "id=\"roc\""), "a section is missing");
}

/* Hundreds of features, thousands of bins and 100,000 scatter points stay well-formed and bounded. */
static void
test_large_features(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	an_report_feature *f = test_alloc(NULL, sizeof(an_report_feature) * 500);
	an_report_dist_bin *bins = test_alloc(NULL, sizeof(an_report_dist_bin) * 5000);
	double	   *v = test_alloc(NULL, sizeof(double) * 100000);
	uint8_t    *flags = test_alloc(NULL, 100000);
	char	   *html;

	example_report(&ctx, &r);
	for (int b = 0; b < 5000; b++)
		bins[b] = (an_report_dist_bin) {NULL, b, b + 1, b % 7, INT64_C(1000000000000) + b};
	for (int j = 0; j < 500; j++)
		f[j] = (an_report_feature) {test_format("f%d", j), 1.0 / 500, NAN, j, "1", NULL, j % 2, bins, 5000};
	for (int i = 0; i < 100000; i++)
	{
		v[i] = i % 2 ? i : NAN;
		flags[i] = i % 10 == 0;
	}
	r.features = f;
	r.n_features = 500;
	r.scatter = (an_report_scatter) {"f0", "f1", v, v, flags, 100000};
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(count_of(html, "<td class=\"key\">f") == 500, "importance rows");
	CHECK(count_of(html, "<h3 class=\"key\">") == 12, "charts beyond the 12 leading features: %d",
		  count_of(html, "<h3 class=\"key\">"));
	CHECK(strlen(html) < 16 * 1024 * 1024, "page of %zu bytes", strlen(html));
}

/* Counts, shares and dates are formatted for reading. */
static void
test_formatting(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	an_report_range ranges[3] = {{"a", INT64_MAX}, {"b", 1}, {"c", 0}};
	an_report_point years[2] = {{-86400.0, 1}, {MARCH_2024, 2}};
	char	   *html;

	memset(&r, 0, sizeof(r));
	r.threshold = 1.5;
	r.rows = INT64_MAX;
	r.flagged = 1234567;
	r.ranges = ranges;
	r.n_ranges = 3;
	r.timeline = years;
	r.n_timeline = 2;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(strstr(html, ">9,223,372,036,854,775,807<") != NULL, "a huge count");
	CHECK(strstr(html, ">1,234,567<") != NULL, "a count");
	CHECK(strstr(html, ">100.0%<") != NULL, "a full share");
	CHECK(strstr(html, ">&lt;0.01%<") != NULL, "a tiny share");
	CHECK(strstr(html, ">0%<") != NULL, "a zero share");
	CHECK(strstr(html, "from 1969-12-31 00:00:00 to 2024-03-01 00:00:00 UTC") != NULL,
		  "dates either side of the epoch");
	CHECK(strstr(html, ">1970</text>") != NULL && strstr(html, ">2020</text>") != NULL,
		  "year ticks");
}

/* 10,000 points and 1,000 bins stay well-formed and complete. */
static void
test_large(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	an_report_point *points = test_alloc(NULL, sizeof(an_report_point) * 10000);
	an_report_bin *bins = test_alloc(NULL, sizeof(an_report_bin) * 1000);
	an_prng		g;
	char	   *html;

	example_report(&ctx, &r);
	r.n_features = 0;			/* the feature sections are tested apart */
	an_prng_seed(&g, 5);
	for (int i = 0; i < 10000; i++)
	{
		points[i].t = MARCH_2024 + 3600.0 * i;
		points[i].score = an_prng_uniform(&g);
	}
	for (int b = 0; b < 1000; b++)
	{
		bins[b].low = b / 1000.0;
		bins[b].high = (b + 1) / 1000.0;
		bins[b].rows = INT64_C(1000000000000) + b;
		bins[b].flagged = bins[b].low >= r.threshold ? bins[b].rows : 0;
	}
	r.timeline = points;
	r.n_timeline = 10000;
	r.bins = bins;
	r.n_bins = 1000;
	html = an_report_html(&ctx, &r);
	CHECK(well_formed(html), "not well-formed");
	CHECK(count_of(html, "<rect class=\"bar\"") == 1000, "bars");
	CHECK(count_of(html, "<rect class=\"bar flagged\"") == 400, "flagged bars: %d",
		  count_of(html, "<rect class=\"bar flagged\""));
	CHECK(count_of(html, "<circle") == 10000, "points");
	CHECK(strstr(html, "class=\"trace\"") == NULL, "a trace through 10,000 points");
	CHECK(strstr(html, ">2024-07</text>") != NULL, "month ticks");
	CHECK(strlen(html) < 4 * 1024 * 1024, "page of %zu bytes", strlen(html));
}

/* The same figures render to the same bytes. */
static void
test_deterministic(void)
{
	an_ctx		ctx = new_ctx();
	an_report	r;
	char	   *first;
	char	   *second;

	example_report(&ctx, &r);
	first = an_report_html(&ctx, &r);
	second = an_report_html(&ctx, &r);
	CHECK(strcmp(first, second) == 0, "two renderings differ");
}

/* Write a page to path; returns 0 on success. */
static int
write_page(const char *html, const char *path)
{
	FILE	   *f = fopen(path, "w");
	int			failed;

	if (f == NULL)
	{
		perror(path);
		return 1;
	}
	failed = fputs(html, f) == EOF;
	failed |= fclose(f) != 0;
	if (failed)
		perror(path);
	return failed;
}

/* ------------------------------------------------------------------ */
/* the monitoring page */

#define MON_BATCHES 48
#define MON_EVENTS 3000

static const char *const mon_features[] = {"amount", "hour", "merchant_country", "distance_km"};

/*
 * A realistic monitoring history: two days of hourly batches of about 500
 * rows at a 2 % rate, a burst of anomalies and out-of-range amounts in
 * three batches, every row logged.
 */
static void
example_monitor(an_monitor_page *p)
{
	an_monitor_batch *batches = test_alloc(NULL, sizeof(an_monitor_batch) * MON_BATCHES);
	an_report_point *events = test_alloc(NULL, sizeof(an_report_point) * MON_EVENTS);
	an_monitor_drift *drift = test_alloc(NULL, sizeof(an_monitor_drift) * 4);
	an_prng		g;

	memset(p, 0, sizeof(*p));
	an_prng_seed(&g, 15);
	for (int i = 0; i < MON_BATCHES; i++)
	{
		an_monitor_batch *b = &batches[i];
		int64_t    *out = test_alloc(NULL, sizeof(int64_t) * 4);
		int			burst = i >= 30 && i < 33;

		b->at = MARCH_2024 + 3600.0 * i;
		b->rows = 450 + (int64_t) (100 * an_prng_uniform(&g));
		b->anomalies = (int64_t) ((burst ? 0.15 : 0.02) * b->rows * (0.6 + 0.8 * an_prng_uniform(&g)));
		b->min_score = 0.31 + 0.02 * an_prng_uniform(&g);
		b->mean_score = 0.46 + 0.01 * an_prng_normal(&g);
		b->max_score = (burst ? 0.82 : 0.66) + 0.03 * an_prng_uniform(&g);
		for (int j = 0; j < 4; j++)
			out[j] = (int64_t) ((burst && j == 0 ? 0.3 : 0.004 * j) * b->rows);
		b->out_of_range = out;
	}
	for (int i = 0; i < MON_EVENTS; i++)
	{
		double		t = MARCH_2024 + 3600.0 * MON_BATCHES * i / MON_EVENTS;
		int			burst = t >= MARCH_2024 + 30 * 3600.0 && t < MARCH_2024 + 33 * 3600.0;
		int			anomalous = an_prng_uniform(&g) < (burst ? 0.15 : 0.02);

		events[i].t = t;
		events[i].score = anomalous ? 0.66 + 0.06 * an_prng_normal(&g) : 0.46 + 0.045 * an_prng_normal(&g);
	}
	for (int j = 0; j < 4; j++)
		drift[j] = (an_monitor_drift) {mon_features[j], j == 0 ? 0.31 : 0.01 * j, j == 0 ? 0.21 : 0.02 * j,
		0.061, j == 0};
	p->title = "fraud v3 (iforest)";
	p->generated_at = "2024-03-03 00:05:00+00";
	p->since = "2024-03-01 00:00:00+00";
	p->threshold = 0.6;
	p->expected_rate = 0.02;
	p->expected_from = "the model's contamination";
	p->features = mon_features;
	p->n_features = 4;
	p->batches = batches;
	p->n_batches = MON_BATCHES;
	p->events = events;
	p->n_events = MON_EVENTS;
	p->events_logged = 24000;
	p->drift = drift;
	p->n_drift = 4;
	p->drift_source = "tx_today";
}

/* The example page: every section, a mark per batch, red ones in the burst. */
static void
test_monitor_full(void)
{
	an_ctx		ctx = new_ctx();
	an_monitor_page p;
	char	   *html;
	int			red = 0;

	example_monitor(&p);
	for (int i = 0; i < p.n_batches; i++)
		red += an_monitor_batch_alarming(&p.batches[i], p.expected_rate);
	html = an_monitor_page_html(&ctx, &p);
	CHECK(well_formed(html), "not well-formed");
	check_self_contained(html);
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "<title>fraud v3 (iforest) &middot; anomaly monitoring</title>") != NULL, "no title");
	CHECK(strstr(html, "Monitoring since 2024-03-01 00:00:00+00") != NULL, "no since");
	CHECK(strstr(html, "No monitoring history") == NULL, "an empty note with a history");
	for (const char *const *id = (const char *const[]) {"summary", "batches", "range-grid", "latest",
		"events", "drift", NULL}; *id; id++)
		CHECK(count_of(html, test_format("<section id=\"%s\"", *id)) == 1, "section %s", *id);
	CHECK(red == 3, "alarming batches: %d", red);
	CHECK(count_of(html, "class=\"mark bad\"") == 3 && count_of(html, "class=\"mark ok\"") == 45,
		  "marks: %d red, %d green", count_of(html, "class=\"mark bad\""), count_of(html, "class=\"mark ok\""));
	CHECK(count_of(html, "<line class=\"expected\"") == 1, "no expected line");
	CHECK(count_of(html, "<td class=\"cell\"") == 4 * 24, "grid cells: %d", count_of(html, "<td class=\"cell\""));
	CHECK(strstr(html, "<td class=\"key\">merchant_country</td>") != NULL, "no grid row");
	CHECK(count_of(html, "<td class=\"bad\">over the expected rate</td>") + count_of(html, "<td class=\"ok\">ok</td>")
		  == 10, "latest batches");
	CHECK(strstr(html, "<td class=\"key\">2024-03-02 23:00:00</td>") != NULL, "the newest batch is not first");
	CHECK(count_of(html, "<circle cx=") == MON_EVENTS, "event points: %d", count_of(html, "<circle cx="));
	CHECK(count_of(html, "<line class=\"threshold\"") == 1, "no threshold line");
	CHECK(strstr(html, "of 24,000 logged rows") != NULL, "no logged count");
	CHECK(strstr(html, "<td class=\"bad\">drifted</td>") != NULL, "no drifted feature");
	CHECK(strcmp(html, an_monitor_page_html(&ctx, &p)) == 0, "two renderings differ");
}

/* The binomial mark: the expected count plus three standard deviations. */
static void
test_monitor_alarm(void)
{
	an_monitor_batch b = {0, 1000, 20, 0, 0, 0, NULL};

	/* 1000 rows at 2 %: 20 expected, sd 4.43; alarming from 34 anomalies */
	CHECK(!an_monitor_batch_alarming(&b, 0.02), "20 of 1000 at 2%%");
	b.anomalies = 33;
	CHECK(!an_monitor_batch_alarming(&b, 0.02), "33 of 1000 at 2%%");
	b.anomalies = 34;
	CHECK(an_monitor_batch_alarming(&b, 0.02), "34 of 1000 at 2%%");
	CHECK(an_monitor_batch_alarming(&b, NAN), "any anomaly when no rate is known");
	b.anomalies = 0;
	CHECK(!an_monitor_batch_alarming(&b, NAN), "no anomaly");
	b.rows = 0;
	CHECK(!an_monitor_batch_alarming(&b, 0.02), "an empty batch");
}

/* No history: every section says so, no chart, still well-formed. */
static void
test_monitor_empty(void)
{
	an_ctx		ctx = new_ctx();
	an_monitor_page p;
	char	   *html;

	memset(&p, 0, sizeof(p));
	p.threshold = NAN;
	p.expected_rate = NAN;
	html = an_monitor_page_html(&ctx, &p);
	CHECK(well_formed(html), "not well-formed");
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "No monitoring history in this period") != NULL, "no empty note");
	CHECK(count_of(html, "No data:") == 4, "notes: %d", count_of(html, "No data:"));
	CHECK(strstr(html, "<svg") == NULL, "a chart without data");
	CHECK(strstr(html, "id=\"drift\"") == NULL, "drift without a source");
}

/* Every string is escaped; NaN, infinities and absurd times are not drawn. */
static void
test_monitor_hostile(void)
{
	an_ctx		ctx = new_ctx();
	an_monitor_page p;
	const char *const names[1] = {hostile};
	an_monitor_drift drift = {hostile, NAN, INFINITY, NAN, 1};
	int64_t		out[1] = {5};
	an_monitor_batch batches[3] = {{NAN, 10, 1, NAN, NAN, NAN, out}, {1e300, 10, 1, 0, 0, 0, out},
	{MARCH_2024, 10, 11, -INFINITY, 0, INFINITY, out}};
	an_report_point events[2] = {{MARCH_2024, NAN}, {INFINITY, 1}};
	const char *escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; b";
	char	   *html;

	memset(&p, 0, sizeof(p));
	p.title = p.since = p.generated_at = p.expected_from = p.drift_source = hostile;
	p.threshold = INFINITY;
	p.expected_rate = -1;
	p.features = names;
	p.n_features = 1;
	p.batches = batches;
	p.n_batches = 3;
	p.events = events;
	p.n_events = 2;
	p.drift = &drift;
	p.n_drift = 1;
	html = an_monitor_page_html(&ctx, &p);
	CHECK(well_formed(html), "not well-formed");
	CHECK(!has_raw_non_finite(html), "a raw nan or inf");
	CHECK(strstr(html, "<script") == NULL, "an injected tag");
	/* title (twice), since, generated_at, expected_from, the grid's feature, drift source and feature */
	CHECK(count_of(html, escaped) == 8, "escaped strings: %d", count_of(html, escaped));
	CHECK(count_of(html, "<circle class=\"mark") == 1, "marks of undrawable batches: %d",
		  count_of(html, "<circle class=\"mark"));
	CHECK(strstr(html, "No data: no row was logged") != NULL, "undrawable events drawn");
}

/* Thousands of batches and features, 100,000 events: well-formed and bounded. */
static void
test_monitor_large(void)
{
	an_ctx		ctx = new_ctx();
	an_monitor_page p;
	an_monitor_batch *batches = test_alloc(NULL, sizeof(an_monitor_batch) * 5000);
	an_report_point *events = test_alloc(NULL, sizeof(an_report_point) * 100000);
	const char **names = test_alloc(NULL, sizeof(char *) * 300);
	int64_t    *out = test_alloc(NULL, sizeof(int64_t) * 300);
	char	   *html;

	example_monitor(&p);
	for (int j = 0; j < 300; j++)
	{
		names[j] = test_format("f%d", j);
		out[j] = INT64_MAX / 4;
	}
	for (int i = 0; i < 5000; i++)
		batches[i] = (an_monitor_batch) {MARCH_2024 + 60.0 * i, INT64_MAX / 2, i, 0, 0.5, 1, out};
	for (int i = 0; i < 100000; i++)
		events[i] = (an_report_point) {MARCH_2024 + 3.0 * i, (i % 1000) / 1000.0};
	p.features = names;
	p.n_features = 300;
	p.batches = batches;
	p.n_batches = 5000;
	p.events = events;
	p.n_events = 100000;
	html = an_monitor_page_html(&ctx, &p);
	CHECK(well_formed(html), "not well-formed");
	CHECK(count_of(html, "<td class=\"cell\"") == 300 * 24, "grid cells beyond the latest 24 batches");
	CHECK(count_of(html, "<circle cx=") == 100000, "event points");
	CHECK(strlen(html) < 24 * 1024 * 1024, "page of %zu bytes", strlen(html));
}

/* ------------------------------------------------------------------ */
/* readable numbers (values in reasons, figures on the page) */

/* Check that v to digits significant digits reads as want. */
static void
check_reads(double v, int digits, const char *want)
{
	char		buf[AN_READABLE_MAX];

	an_readable_number(v, digits, buf, sizeof(buf));
	CHECK(strcmp(buf, want) == 0, "%.17g to %d digits: got %s, want %s", v, digits, buf, want);
}

/* Fractions to six significant digits, trailing zeros dropped. */
static void
test_fractions(void)
{
	check_reads(1.44900537421926856040, 6, "1.44901");
	check_reads(-1.39663954824209213258, 6, "-1.39664");
	check_reads(5.32996533671393990516, 6, "5.32997");
	check_reads(0.1 + 0.2, 6, "0.3");
	check_reads(2516.08, 6, "2516.08");
	check_reads(0.000123456789, 6, "0.000123457");
	check_reads(99999.96, 6, "100000");
	check_reads(0.5, 4, "0.5");
}

/* Integers in full; large numbers rounded to an integer, not an exponent. */
static void
test_integers(void)
{
	check_reads(3, 6, "3");
	check_reads(-42, 6, "-42");
	check_reads(12345678, 6, "12345678");
	check_reads(123456.7, 6, "123457");
	check_reads(999999.7, 6, "1000000");
	check_reads(20000, 4, "20000");
	check_reads(1234.56, 4, "1235");
	check_reads(-0.0, 6, "0");
	check_reads(0, 6, "0");
}

/* Exponents only for tiny and huge magnitudes; words for NaN and infinities. */
static void
test_extremes(void)
{
	char		buf[AN_READABLE_MAX];

	check_reads(1.5e-7, 6, "1.5e-07");
	check_reads(1e15, 6, "1e+15");
	check_reads(-1.7976931348623157e308, 6, "-1.79769e+308");
	check_reads(4.9e-324, 17, "4.9406564584124654e-324");
	check_reads(NAN, 6, "NaN");
	check_reads(INFINITY, 6, "Infinity");
	check_reads(-INFINITY, 6, "-Infinity");
	check_reads(2.5, 0, "2");	/* digits are clamped to 1..17 */
	check_reads(1.0 / 3, 40, "0.33333333333333331");
	for (double v = -1e300; fabs(v) > 1e-300; v /= -7.3)
		CHECK(strlen(an_readable_number(v, 17, buf, sizeof(buf))) < AN_READABLE_MAX - 1,
			  "%.17g fits", v);
}

int
main(int argc, char **argv)
{
	int			write_failed = 0;

	run("full_report", test_full_report);
	run("optional_sections", test_optional_sections);
	run("segments", test_segments);
	run("escaping", test_escaping);
	run("non_finite", test_non_finite);
	run("empty", test_empty);
	run("formatting", test_formatting);
	run("large", test_large);
	run("large_features", test_large_features);
	run("deterministic", test_deterministic);
	run("readable_fractions", test_fractions);
	run("readable_integers", test_integers);
	run("readable_extremes", test_extremes);
	run("monitor_full", test_monitor_full);
	run("monitor_alarm", test_monitor_alarm);
	run("monitor_empty", test_monitor_empty);
	run("monitor_hostile", test_monitor_hostile);
	run("monitor_large", test_monitor_large);
	if (argc >= 2)
	{
		an_ctx		ctx = new_ctx();
		an_report	r;
		an_monitor_page p;

		example_report(&ctx, &r);
		write_failed = write_page(an_report_html(&ctx, &r), argv[1]);
		example_monitor(&p);
		if (argc >= 3)
			write_failed |= write_page(an_monitor_page_html(&ctx, &p), argv[2]);
		free_all_blocks();
	}
	return finish() || write_failed;
}
