/*
 * report.c - the visual report as one self-contained HTML page: inline CSS
 * and inline SVG, no script and no external resource.  The page depends only
 * on the figures given (no clock, no locale), so the same report always
 * renders to the same bytes.
 */
#include "report.h"
#include "bytes.h"
#include "readable.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_TICKS 24			/* a bound on any axis's tick loop */
#define TARGET_TICKS 7			/* about this many ticks on a long axis */
#define TIMELINE_TRACE_MAX 1000 /* join the points by a line up to this many */
#define MAX_ABS_TIME 1e15		/* seconds; further times are not drawn */
#define SECONDS_PER_DAY 86400.0
#define WEEK_SECONDS 604800.0
#define FIRST_MONDAY (4 * SECONDS_PER_DAY)	/* 1970-01-05; weeks start on Mondays */

/* A plot's frame in SVG user units and the data domain it shows. */
typedef struct plot_area
{
	double		left;
	double		top;
	double		width;
	double		height;
	double		x_lo;
	double		x_hi;
	double		y_lo;
	double		y_hi;
} plot_area;

/* How a time axis's ticks are spaced, and so how they are labelled. */
typedef enum time_unit
{
	TIME_SECONDS,				/* HH:MM:SS */
	TIME_MINUTES,				/* MM-DD HH:MM */
	TIME_DAYS,					/* YYYY-MM-DD */
	TIME_MONTHS,				/* YYYY-MM */
	TIME_YEARS					/* YYYY */
} time_unit;

typedef struct time_ticks
{
	double		at[MAX_TICKS];
	int			n;
	time_unit	unit;
} time_ticks;

static const char page_style[] =
":root{--ink:#1f2933;--muted:#6b7280;--line:#e5e7eb;--bg:#f4f5f7;"
"--base:#4c78a8;--accent:#f58518;--threshold:#d62728}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;background:var(--bg);color:var(--ink);"
"font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\n"
"main{max-width:1120px;margin:0 auto;padding:24px}\n"
".card{background:#fff;border:1px solid var(--line);border-radius:8px;"
"padding:20px 24px;margin:0 0 20px;box-shadow:0 1px 2px rgba(16,24,40,.05)}\n"
"h1{font-size:22px;margin:0 0 2px}\n"
"h2{font-size:16px;margin:0 0 4px}\n"
".sub,.caption{color:var(--muted);margin:0 0 14px}\n"
".note{color:var(--muted);font-style:italic;margin:8px 0}\n"
".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:0 0 16px}\n"
".tile{border:1px solid var(--line);border-radius:6px;padding:10px 14px}\n"
".tile .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
".tile .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}\n"
".tile.flag .value{color:var(--accent)}\n"
".tile.limit .value{color:var(--threshold)}\n"
"table{border-collapse:collapse;width:100%}\n"
"th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;"
"vertical-align:top;overflow-wrap:anywhere}\n"
"th{color:var(--muted);font-weight:600;font-size:12px}\n"
"table.kv th{width:40%;font-size:13px}\n"
".facts{display:grid;grid-template-columns:repeat(3,1fr);gap:10px 24px;margin:0}\n"
".facts div{border-bottom:1px solid var(--line);padding:0 0 6px;min-width:0}\n"
".facts dt{color:var(--muted);font-size:12px;font-weight:600}\n"
".facts dd{margin:0;overflow-wrap:anywhere}\n"
".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
"td.flag{color:var(--accent);font-weight:600}\n"
".key{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}\n"
".meter{display:inline-block;width:64px;height:6px;background:var(--line);"
"border-radius:3px;vertical-align:middle;margin-right:8px;overflow:hidden}\n"
".meter span{display:block;height:100%;background:var(--accent)}\n"
".hbar{height:10px;background:var(--line);border-radius:5px;overflow:hidden;min-width:160px}\n"
".hbar span{display:block;height:100%;background:var(--accent)}\n"
"svg.chart{display:block;width:100%;height:auto}\n"
"svg.square{max-width:440px}\n"
"svg text{font-size:12px;fill:var(--muted)}\n"
"svg .title{fill:var(--ink);font-weight:600}\n"
".grid{stroke:var(--line);stroke-width:1}\n"
".axis{stroke:#9ca3af;stroke-width:1}\n"
".bar{fill:var(--base)}\n"
".bar.flagged{fill:var(--accent)}\n"
".threshold{stroke:var(--threshold);stroke-width:2;stroke-dasharray:6 4}\n"
"svg text.threshold-label{fill:var(--threshold);font-weight:600}\n"
".trace{fill:none;stroke:var(--base);stroke-opacity:.35;stroke-width:1}\n"
".points circle{fill:var(--base);fill-opacity:.55}\n"
".points.flagged circle{fill:var(--accent);fill-opacity:1;stroke:#fff;stroke-width:.5}\n"
".diagonal{stroke:#9ca3af;stroke-dasharray:4 4}\n"
".roc-curve{fill:none;stroke:var(--base);stroke-width:2}\n"
".legend{display:flex;gap:18px;color:var(--muted);font-size:12px;margin:6px 0 0 64px}\n"
".swatch{display:inline-block;width:12px;height:12px;border-radius:2px;"
"vertical-align:-2px;margin-right:6px;background:var(--base)}\n"
".swatch.flagged{background:var(--accent)}\n"
".swatch.limit{height:0;border-top:2px dashed var(--threshold);border-radius:0;vertical-align:3px}\n"
".pair{display:grid;grid-template-columns:1fr 1fr;gap:20px;margin:0 0 20px}\n"
".pair .card{margin:0}\n"
"table.confusion td{text-align:center;font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}\n"
"table.confusion td.hit{background:#eef3f9}\n"
"table.confusion td small{display:block;font-size:11px;font-weight:400;color:var(--muted)}\n"
"footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 24px}\n";

/* Append a NUL-terminated string. */
static void
put(an_writer *w, const char *s)
{
	an_write_bytes(w, s, strlen(s));
}

/* Append printf-formatted text. */
static void
putf(an_writer *w, const char *fmt,...)
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
;

static void
putf(an_writer *w, const char *fmt,...)
{
	char		buf[256];
	char	   *text = buf;
	va_list		ap;
	int			len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t) len >= sizeof(buf))
	{
		text = an_alloc(w->ctx, (size_t) len + 1);
		va_start(ap, fmt);
		vsnprintf(text, (size_t) len + 1, fmt, ap);
		va_end(ap);
	}
	an_write_bytes(w, text, (size_t) len);
}

/* Append s HTML-escaped (& < > " '); NULL appends nothing. */
static void
put_text(an_writer *w, const char *s)
{
	const char *run = s;

	if (s == NULL)
		return;
	for (; *s; s++)
	{
		const char *entity;

		switch (*s)
		{
			case '&':
				entity = "&amp;";
				break;
			case '<':
				entity = "&lt;";
				break;
			case '>':
				entity = "&gt;";
				break;
			case '"':
				entity = "&quot;";
				break;
			case '\'':
				entity = "&#39;";
				break;
			default:
				continue;
		}
		an_write_bytes(w, run, (size_t) (s - run));
		put(w, entity);
		run = s + 1;
	}
	an_write_bytes(w, run, (size_t) (s - run));
}

/* Append a score-like figure to four significant digits, or "n/a". */
static void
put_figure(an_writer *w, double v)
{
	char		buf[AN_READABLE_MAX];

	if (!isfinite(v))
		put(w, "n/a");
	else
		put(w, an_readable_number(v, 4, buf, sizeof(buf)));
}

/* Append a count with thousands separators, e.g. 1,234,567. */
static void
put_count(an_writer *w, int64_t v)
{
	char		digits[24];
	uint64_t	magnitude = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;
	int			n = 0;

	do
	{
		digits[n++] = (char) ('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	if (v < 0)
		put(w, "-");
	while (n > 0)
	{
		an_write_bytes(w, &digits[--n], 1);
		if (n > 0 && n % 3 == 0)
			put(w, ",");
	}
}

/* Append part as a percentage of whole, or "n/a" when it is not one. */
static void
put_share(an_writer *w, int64_t part, int64_t whole)
{
	double		percent;

	if (whole <= 0 || part < 0)
	{
		put(w, "n/a");
		return;
	}
	percent = 100.0 * (double) part / (double) whole;
	if (percent == 0)
		put(w, "0%");
	else if (percent < 0.01)
		put(w, "&lt;0.01%");
	else if (percent < 10)
		putf(w, "%.2f%%", percent);
	else
		putf(w, "%.1f%%", percent);
}

/* Append a "no data" note. */
static void
put_no_data(an_writer *w, const char *what)
{
	putf(w, "<p class=\"note\">No data: %s.</p>\n", what);
}

/* Open a card section with its id, heading and a caption (may be NULL). */
static void
open_section(an_writer *w, const char *id, const char *heading, const char *caption)
{
	putf(w, "<section id=\"%s\" class=\"card\">\n<h2>%s</h2>\n", id, heading);
	if (caption)
		putf(w, "<p class=\"caption\">%s</p>\n", caption);
}

/* ------------------------------------------------------------------ */
/* scales and axes */

/* A round step (1, 2 or 5 times a power of ten) near span / target. */
static double
nice_step(double span, int target)
{
	double		raw = span / target;
	double		magnitude;
	double		fraction;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	magnitude = pow(10, floor(log10(raw)));
	fraction = raw / magnitude;
	if (fraction <= 1)
		return magnitude;
	if (fraction <= 2)
		return 2 * magnitude;
	if (fraction <= 5)
		return 5 * magnitude;
	return 10 * magnitude;
}

/* Widen [*lo, *hi] to a non-empty interval with a margin on each side. */
static void
pad_domain(double *lo, double *hi, double margin)
{
	double		span = *hi - *lo;

	if (!(span > 0) || !isfinite(span))
	{
		span = fabs(*lo) > 0 ? fabs(*lo) * 0.2 : 1;
		*lo -= span / 2;
		*hi += span / 2;
	}
	*lo -= span * margin;
	*hi += span * margin;
}

/* The x coordinate of v, clamped to the frame. */
static double
plot_x(const plot_area *p, double v)
{
	double		f = (v - p->x_lo) / (p->x_hi - p->x_lo);

	if (!(f > 0))
		f = 0;
	if (f > 1)
		f = 1;
	return p->left + f * p->width;
}

/* The y coordinate of v, clamped to the frame. */
static double
plot_y(const plot_area *p, double v)
{
	double		f = (v - p->y_lo) / (p->y_hi - p->y_lo);

	if (!(f > 0))
		f = 0;
	if (f > 1)
		f = 1;
	return p->top + (1 - f) * p->height;
}

/* Open an SVG chart of the given size, described by label for readers. */
static void
open_svg(an_writer *w, const char *css_class, int width, int height, const char *label)
{
	putf(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" "
		 "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
		 css_class, width, height, width, height, label);
}

/* One point of a path's d attribute: a line to it, or a move when the pen is up. */
static void
put_path_point(an_writer *w, int pen_down, double x, double y)
{
	putf(w, "%c%.1f %.1f ", pen_down ? 'L' : 'M', x, y);
}

/*
 * The round values from lo to hi at step, at most MAX_TICKS of them, one
 * within rounding of zero made exactly 0; returns how many.
 */
static int
round_ticks(double lo, double hi, double step, double *v)
{
	double		first = ceil(lo / step) * step;
	int			n;

	for (n = 0; n < MAX_TICKS; n++)
	{
		v[n] = first + n * step;
		if (v[n] > hi + step * 1e-9)
			break;
		if (fabs(v[n]) < step * 1e-9)
			v[n] = 0;
	}
	return n;
}

/* Horizontal grid lines and labels at round values of the y domain. */
static void
draw_y_grid(an_writer *w, const plot_area *p, double step)
{
	double		v[MAX_TICKS];
	int			n = round_ticks(p->y_lo, p->y_hi, step, v);

	for (int i = 0; i < n; i++)
	{
		double		y = plot_y(p, v[i]);

		putf(w, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			 p->left, y, p->left + p->width, y, p->left - 8, y + 4);
		if (step >= 1 && fabs(v[i]) < 9e18)
			put_count(w, (int64_t) llround(v[i]));
		else
			put_figure(w, v[i]);
		put(w, "</text>\n");
	}
}

/* Tick marks and labels at round values of the x domain. */
static void
draw_x_ticks(an_writer *w, const plot_area *p, double step)
{
	double		v[MAX_TICKS];
	int			n = round_ticks(p->x_lo, p->x_hi, step, v);
	double		bottom = p->top + p->height;

	for (int i = 0; i < n; i++)
	{
		double		x = plot_x(p, v[i]);

		putf(w, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			 x, bottom, x, bottom + 5, x, bottom + 19);
		put_figure(w, v[i]);
		put(w, "</text>\n");
	}
}

/* The frame's bottom axis line and the axes' titles. */
static void
draw_axis_titles(an_writer *w, const plot_area *p, const char *x_title, const char *y_title)
{
	double		bottom = p->top + p->height;

	putf(w, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		 p->left, bottom, p->left + p->width, bottom);
	putf(w, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		 p->left + p->width / 2, bottom + 40);
	put_text(w, x_title);
	putf(w, "</text>\n<text class=\"title\" transform=\"rotate(-90)\" x=\"%.1f\" y=\"14\" "
		 "text-anchor=\"middle\">", -(p->top + p->height / 2));
	put_text(w, y_title);
	put(w, "</text>\n");
}

/* ------------------------------------------------------------------ */
/* calendar arithmetic for the time axis (proleptic Gregorian, UTC) */

/* Floor division for a positive divisor. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Days since 1970-01-01 of a civil date (month 1-12). */
static int64_t
days_from_civil(int64_t year, int month, int day)
{
	int64_t		era;
	int64_t		year_of_era;
	int64_t		day_of_year;
	int64_t		day_of_era;

	year -= month <= 2;
	era = floor_div(year, 400);
	year_of_era = year - era * 400;
	day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468;
}

/* The civil date of a day count since 1970-01-01. */
static void
civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t		z = days + 719468;
	int64_t		era = floor_div(z, 146097);
	int64_t		day_of_era = z - era * 146097;
	int64_t		year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524
							   - day_of_era / 146096) / 365;
	int64_t		day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4
											- year_of_era / 100);
	int64_t		shifted_month = (5 * day_of_year + 2) / 153;

	*day = (int) (day_of_year - (153 * shifted_month + 2) / 5 + 1);
	*month = (int) (shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
	*year = year_of_era + era * 400 + (*month <= 2);
}

/* The time of the first instant of a month counted as year * 12 + month - 1. */
static double
month_start(int64_t month_index)
{
	return SECONDS_PER_DAY * (double) days_from_civil(floor_div(month_index, 12),
													  (int) (month_index - floor_div(month_index, 12) * 12) + 1,
													  1);
}

/* Append time t (seconds since the epoch, UTC) in the form unit calls for. */
static void
put_time(an_writer *w, double t, time_unit unit)
{
	double		day_start = floor(t / SECONDS_PER_DAY);
	int64_t		seconds = (int64_t) floor(t - day_start * SECONDS_PER_DAY);
	int64_t		year;
	int			month;
	int			day;

	civil_from_days((int64_t) day_start, &year, &month, &day);
	switch (unit)
	{
		case TIME_SECONDS:
			putf(w, "%02d:%02d:%02d", (int) (seconds / 3600), (int) (seconds / 60 % 60),
				 (int) (seconds % 60));
			break;
		case TIME_MINUTES:
			putf(w, "%02d-%02d %02d:%02d", month, day, (int) (seconds / 3600),
				 (int) (seconds / 60 % 60));
			break;
		case TIME_DAYS:
			putf(w, "%04lld-%02d-%02d", (long long) year, month, day);
			break;
		case TIME_MONTHS:
			putf(w, "%04lld-%02d", (long long) year, month);
			break;
		case TIME_YEARS:
			putf(w, "%04lld", (long long) year);
			break;
	}
}

/* Append t as a full UTC timestamp, YYYY-MM-DD HH:MM:SS. */
static void
put_timestamp(an_writer *w, double t)
{
	put_time(w, t, TIME_DAYS);
	put(w, " ");
	put_time(w, t, TIME_SECONDS);
}

/* Readable ticks over [lo, hi]: round seconds, days, months or years. */
static void
choose_time_ticks(double lo, double hi, time_ticks *out)
{
	static const double uniform_steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
		21600, 43200, 86400, 172800, WEEK_SECONDS
	};
	static const int month_steps[] = {1, 2, 3, 6};
	double		span = hi - lo;
	int64_t		year;
	int			month;
	int			day;
	int64_t		step_years;
	int64_t		tick_year;

	out->n = 0;
	for (size_t i = 0; i < sizeof(uniform_steps) / sizeof(uniform_steps[0]); i++)
	{
		double		step = uniform_steps[i];
		double		offset = step == WEEK_SECONDS ? FIRST_MONDAY : 0;

		if (span / step > TARGET_TICKS + 1)
			continue;
		out->unit = step < 60 ? TIME_SECONDS : step < SECONDS_PER_DAY ? TIME_MINUTES : TIME_DAYS;
		for (double t = ceil((lo - offset) / step) * step + offset; t <= hi && out->n < MAX_TICKS;
			 t += step)
			out->at[out->n++] = t;
		return;
	}
	civil_from_days((int64_t) floor(lo / SECONDS_PER_DAY), &year, &month, &day);
	for (size_t i = 0; i < sizeof(month_steps) / sizeof(month_steps[0]); i++)
	{
		int64_t		step = month_steps[i];
		int64_t		index;

		if (span / (step * 30.44 * SECONDS_PER_DAY) > TARGET_TICKS + 1)
			continue;
		out->unit = TIME_MONTHS;
		index = floor_div(year * 12 + month - 1 + step, step) * step;
		for (; month_start(index) <= hi && out->n < MAX_TICKS; index += step)
			out->at[out->n++] = month_start(index);
		return;
	}
	out->unit = TIME_YEARS;
	step_years = (int64_t) nice_step(span / (365.2425 * SECONDS_PER_DAY), TARGET_TICKS);
	if (step_years < 1)
		step_years = 1;
	tick_year = floor_div(year, step_years) * step_years;
	for (; month_start(tick_year * 12) <= hi && out->n < MAX_TICKS; tick_year += step_years)
		if (month_start(tick_year * 12) >= lo)
			out->at[out->n++] = month_start(tick_year * 12);
}

/* ------------------------------------------------------------------ */
/* sections */

/* One summary tile: a label over a big value written by the caller next. */
static void
open_tile(an_writer *w, const char *css_class, const char *label)
{
	putf(w, "<div class=\"tile %s\"><div class=\"label\">%s</div><div class=\"value\">",
		 css_class, label);
}

/* The title, the headline figures and the model's facts. */
static void
render_summary(an_writer *w, const an_report *r)
{
	put(w, "<section id=\"summary\" class=\"card\">\n<h1>");
	put_text(w, r->title ? r->title : "Anomaly report");
	put(w, "</h1>\n<p class=\"sub\">Generated ");
	put_text(w, r->generated_at ? r->generated_at : "n/a");
	put(w, "</p>\n<div class=\"tiles\">\n");
	open_tile(w, "", "rows scored");
	put_count(w, r->rows);
	put(w, "</div></div>\n");
	open_tile(w, "flag", "flagged");
	put_count(w, r->flagged);
	put(w, "</div></div>\n");
	open_tile(w, "flag", "flagged share");
	put_share(w, r->flagged, r->rows);
	put(w, "</div></div>\n");
	open_tile(w, "limit", "threshold");
	put_figure(w, r->threshold);
	put(w, "</div></div>\n</div>\n");
	if (r->summary == NULL || r->n_summary <= 0)
		put_no_data(w, "no model facts were given");
	else
	{
		put(w, "<dl class=\"facts\">\n");
		for (int i = 0; i < r->n_summary; i++)
		{
			put(w, "<div><dt>");
			put_text(w, r->summary[i].key);
			put(w, "</dt><dd>");
			put_text(w, r->summary[i].value);
			put(w, "</dd></div>\n");
		}
		put(w, "</dl>\n");
	}
	put(w, "</section>\n");
}

/* Whether a histogram bin has finite, ordered edges. */
static int
bin_drawable(const an_report_bin *b)
{
	return isfinite(b->low) && isfinite(b->high) && b->high >= b->low;
}

/* A bar from the baseline up to count rows, at least a pixel when non-zero. */
static void
draw_bar(an_writer *w, const plot_area *p, const char *css_class, double x,
		 double width, int64_t count)
{
	double		baseline = plot_y(p, 0);
	double		height = baseline - plot_y(p, (double) count);

	if (count <= 0)
		return;
	if (height < 1.5)
		height = 1.5;
	putf(w, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>",
		 css_class, x, baseline - height, width, height);
}

/* The dashed threshold line across the frame, with its label. */
static void
draw_threshold(an_writer *w, const plot_area *p, double threshold, int vertical)
{
	if (vertical)
	{
		double		x = plot_x(p, threshold);
		int			label_left = x > p->left + 0.8 * p->width;

		putf(w, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
			 "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">threshold ",
			 x, p->top, x, p->top + p->height, label_left ? x - 6 : x + 6, p->top + 12,
			 label_left ? "end" : "start");
	}
	else
	{
		double		y = plot_y(p, threshold);

		putf(w, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
			 "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">threshold ",
			 p->left, y, p->left + p->width, y, p->left + p->width - 4, y - 6);
	}
	put_figure(w, threshold);
	put(w, "</text>\n");
}

/* The legend under a chart: rows, flagged rows and the threshold. */
static void
put_legend(an_writer *w, const char *base_label)
{
	putf(w, "<div class=\"legend\"><span><i class=\"swatch\"></i>%s</span>"
		 "<span><i class=\"swatch flagged\"></i>flagged (score &ge; threshold)</span>"
		 "<span><i class=\"swatch limit\"></i>threshold</span></div>\n", base_label);
}

/* The score distribution: stacked bars per bin and the threshold. */
static void
render_histogram(an_writer *w, const an_report *r)
{
	plot_area	p = {64, 24, 956, 260, INFINITY, -INFINITY, 0, 0};
	int64_t		max_rows = 0;
	int			drawable = 0;
	double		step;

	open_section(w, "histogram", "Score distribution",
				 "Rows per score bin; the part of each bar at or above the threshold is flagged.");
	for (int i = 0; r->bins != NULL && i < r->n_bins; i++)
	{
		const an_report_bin *b = &r->bins[i];

		if (!bin_drawable(b))
			continue;
		drawable++;
		p.x_lo = fmin(p.x_lo, b->low);
		p.x_hi = fmax(p.x_hi, b->high);
		if (b->rows > max_rows)
			max_rows = b->rows;
	}
	if (drawable == 0)
	{
		put_no_data(w, "no score histogram was given");
		put(w, "</section>\n");
		return;
	}
	if (isfinite(r->threshold))
	{
		p.x_lo = fmin(p.x_lo, r->threshold);
		p.x_hi = fmax(p.x_hi, r->threshold);
	}
	pad_domain(&p.x_lo, &p.x_hi, 0.01);
	step = nice_step((double) (max_rows > 0 ? max_rows : 1), 5);
	if (step < 1)
		step = 1;
	p.y_hi = ceil((double) (max_rows > 0 ? max_rows : 1) / step) * step;

	open_svg(w, "chart", 1040, 340, "histogram of anomaly scores");
	draw_y_grid(w, &p, step);
	draw_x_ticks(w, &p, nice_step(p.x_hi - p.x_lo, TARGET_TICKS + 3));
	for (int i = 0; i < r->n_bins; i++)
	{
		const an_report_bin *b = &r->bins[i];
		double		x0;
		double		width;
		int64_t		flagged;

		if (!bin_drawable(b) || b->rows <= 0)
			continue;
		flagged = b->flagged < 0 ? 0 : b->flagged > b->rows ? b->rows : b->flagged;
		x0 = plot_x(&p, b->low);
		width = plot_x(&p, b->high) - x0;
		if (width >= 4)
		{
			x0 += 0.5;
			width -= 1;
		}
		put(w, "<g>");
		draw_bar(w, &p, "bar", x0, width, b->rows);
		draw_bar(w, &p, "bar flagged", x0, width, flagged);
		put(w, "<title>");
		put_figure(w, b->low);
		put(w, " &ndash; ");
		put_figure(w, b->high);
		put(w, ": ");
		put_count(w, b->rows);
		put(w, " rows, ");
		put_count(w, flagged);
		put(w, " flagged</title></g>\n");
	}
	if (isfinite(r->threshold))
		draw_threshold(w, &p, r->threshold, 1);
	draw_axis_titles(w, &p, "anomaly score", "rows");
	put(w, "</svg>\n");
	put_legend(w, "rows");
	put(w, "</section>\n");
}

/* Whether a timeline point can be drawn. */
static int
point_drawable(const an_report_point *pt)
{
	return isfinite(pt->score) && isfinite(pt->t) && fabs(pt->t) <= MAX_ABS_TIME;
}

/* Whether a drawable point is at or above a finite threshold. */
static int
point_flagged(const an_report_point *pt, double threshold)
{
	return isfinite(threshold) && pt->score >= threshold;
}

/* The points of the timeline, the flagged ones or the others. */
static void
draw_points(an_writer *w, const plot_area *p, const an_report *r, int flagged)
{
	putf(w, "<g class=\"points%s\">\n", flagged ? " flagged" : "");
	for (int i = 0; i < r->n_timeline; i++)
	{
		const an_report_point *pt = &r->timeline[i];

		if (!point_drawable(pt) || point_flagged(pt, r->threshold) != flagged)
			continue;
		putf(w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"", plot_x(p, pt->t),
			 plot_y(p, pt->score), flagged ? "3" : "1.8");
		if (flagged)
		{
			put(w, "><title>");
			put_timestamp(w, pt->t);
			put(w, " UTC: ");
			put_figure(w, pt->score);
			put(w, "</title></circle>\n");
		}
		else
			put(w, "/>\n");
	}
	put(w, "</g>\n");
}

/* A faint line through the points in time order, broken at gaps. */
static void
draw_trace(an_writer *w, const plot_area *p, const an_report *r)
{
	int			pen_down = 0;

	put(w, "<path class=\"trace\" d=\"");
	for (int i = 0; i < r->n_timeline; i++)
	{
		const an_report_point *pt = &r->timeline[i];

		if (!point_drawable(pt))
		{
			pen_down = 0;
			continue;
		}
		put_path_point(w, pen_down, plot_x(p, pt->t), plot_y(p, pt->score));
		pen_down = 1;
	}
	put(w, "\"/>\n");
}

/* Score against time with the threshold; points above it highlighted. */
static void
render_timeline(an_writer *w, const an_report *r)
{
	plot_area	p = {64, 24, 956, 260, INFINITY, -INFINITY, INFINITY, -INFINITY};
	const char *column = r->time_column ? r->time_column : "time";
	size_t		column_len = strlen(column);
	char	   *x_title = an_alloc(w->ctx, column_len + sizeof(" (UTC)"));
	time_ticks	ticks;
	int			drawable = 0;

	open_section(w, "timeline", "Score over time", NULL);
	for (int i = 0; i < r->n_timeline; i++)
	{
		const an_report_point *pt = &r->timeline[i];

		if (!point_drawable(pt))
			continue;
		drawable++;
		p.x_lo = fmin(p.x_lo, pt->t);
		p.x_hi = fmax(p.x_hi, pt->t);
		p.y_lo = fmin(p.y_lo, pt->score);
		p.y_hi = fmax(p.y_hi, pt->score);
	}
	if (drawable == 0)
	{
		put_no_data(w, "no point with a finite time and score");
		put(w, "</section>\n");
		return;
	}
	put(w, "<p class=\"caption\">");
	put_count(w, drawable);
	put(w, " rows over <span class=\"key\">");
	put_text(w, column);
	put(w, "</span>, from ");
	put_timestamp(w, p.x_lo);
	put(w, " to ");
	put_timestamp(w, p.x_hi);
	put(w, " UTC.</p>\n");
	if (isfinite(r->threshold))
	{
		p.y_lo = fmin(p.y_lo, r->threshold);
		p.y_hi = fmax(p.y_hi, r->threshold);
	}
	pad_domain(&p.y_lo, &p.y_hi, 0.05);
	if (p.x_hi - p.x_lo < 60)
	{
		double		middle = p.x_lo / 2 + p.x_hi / 2;

		p.x_lo = middle - 30;
		p.x_hi = middle + 30;
	}
	choose_time_ticks(p.x_lo, p.x_hi, &ticks);
	memcpy(x_title, column, column_len);
	memcpy(x_title + column_len, " (UTC)", sizeof(" (UTC)"));

	open_svg(w, "chart", 1040, 340, "anomaly score over time");
	draw_y_grid(w, &p, nice_step(p.y_hi - p.y_lo, 5));
	for (int i = 0; i < ticks.n; i++)
	{
		double		x = plot_x(&p, ticks.at[i]);
		double		bottom = p.top + p.height;

		putf(w, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			 x, p.top, x, bottom, x, bottom + 19);
		put_time(w, ticks.at[i], ticks.unit);
		put(w, "</text>\n");
	}
	if (drawable <= TIMELINE_TRACE_MAX)
		draw_trace(w, &p, r);
	draw_points(w, &p, r, 0);
	draw_points(w, &p, r, 1);
	if (isfinite(r->threshold))
		draw_threshold(w, &p, r->threshold, 0);
	draw_axis_titles(w, &p, x_title, "anomaly score");
	put(w, "</svg>\n");
	put_legend(w, "row");
	put(w, "</section>\n");
}

/* A small horizontal meter filled to percent (0-100), inside a cell. */
static void
put_meter(an_writer *w, const char *css_class, double percent)
{
	if (!(percent > 0))
		percent = 0;
	if (percent > 100)
		percent = 100;
	putf(w, "<div class=\"%s\"><span style=\"width:%.1f%%\"></span></div>", css_class, percent);
}

/* The highest-scoring rows with their severity and reason. */
static void
render_top(an_writer *w, const an_report *r)
{
	open_section(w, "top-anomalies", "Top anomalies",
				 "Highest scores first; severity is the score's percentile among training scores.");
	if (r->top == NULL || r->n_top <= 0)
	{
		put_no_data(w, "no anomalies to list");
		put(w, "</section>\n");
		return;
	}
	put(w, "<table class=\"data\">\n<thead><tr><th class=\"num\">#</th><th>key</th>"
		"<th class=\"num\">score</th><th>severity</th><th>reason</th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_top; i++)
	{
		const an_report_anomaly *a = &r->top[i];
		int			flagged = isfinite(r->threshold) && isfinite(a->score) &&
			a->score >= r->threshold;

		putf(w, "<tr><td class=\"num\">%d</td><td class=\"key\">", i + 1);
		put_text(w, a->key);
		putf(w, "</td><td class=\"num%s\">", flagged ? " flag" : "");
		put_figure(w, a->score);
		put(w, "</td><td class=\"num\">");
		if (isfinite(a->severity))
		{
			put_meter(w, "meter", a->severity);
			put_figure(w, a->severity);
		}
		else
			put(w, "n/a");
		put(w, "</td><td>");
		put_text(w, a->reason);
		put(w, "</td></tr>\n");
	}
	put(w, "</tbody>\n</table>\n</section>\n");
}

/* Per feature, the rows outside the training range. */
static void
render_ranges(an_writer *w, const an_report *r)
{
	int64_t		most = 0;

	open_section(w, "out-of-range", "Out of training range",
				 "Rows per feature outside the range seen in training (or a category never seen); "
				 "bars are scaled to the largest count.");
	if (r->ranges == NULL || r->n_ranges <= 0)
	{
		put_no_data(w, "no features were given");
		put(w, "</section>\n");
		return;
	}
	for (int i = 0; i < r->n_ranges; i++)
		if (r->ranges[i].out_of_range > most)
			most = r->ranges[i].out_of_range;
	put(w, "<table class=\"data\">\n<thead><tr><th>feature</th><th class=\"num\">rows out of range</th>"
		"<th class=\"num\">share of rows</th><th></th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_ranges; i++)
	{
		const an_report_range *f = &r->ranges[i];

		put(w, "<tr><td class=\"key\">");
		put_text(w, f->feature);
		put(w, "</td><td class=\"num\">");
		put_count(w, f->out_of_range);
		put(w, "</td><td class=\"num\">");
		put_share(w, f->out_of_range, r->rows);
		put(w, "</td><td>");
		put_meter(w, "hbar", most > 0 ? 100.0 * (double) f->out_of_range / (double) most : 0);
		put(w, "</td></tr>\n");
	}
	put(w, "</tbody>\n</table>\n</section>\n");
}

/* One confusion matrix cell: the count and its name. */
static void
put_confusion_cell(an_writer *w, const char *css_class, int64_t count, const char *name)
{
	putf(w, "<td class=\"%s\">", css_class);
	put_count(w, count);
	putf(w, "<small>%s</small></td>", name);
}

/* The confusion matrix at the threshold and the label metrics. */
static void
render_confusion(an_writer *w, const an_report *r)
{
	open_section(w, "confusion", "Against the labels",
				 "Flags at the threshold against the labelled anomalies.");
	put(w, "<table class=\"confusion\">\n<tr><th></th><th>flagged</th><th>not flagged</th></tr>\n"
		"<tr><th>labelled anomaly</th>");
	put_confusion_cell(w, "hit", r->metrics.tp, "true positives");
	put_confusion_cell(w, "", r->metrics.fn, "false negatives");
	put(w, "</tr>\n<tr><th>labelled normal</th>");
	put_confusion_cell(w, "", r->metrics.fp, "false positives");
	put_confusion_cell(w, "hit", r->metrics.tn, "true negatives");
	put(w, "</tr>\n</table>\n<table class=\"kv metrics\">\n<tr><th>precision</th><td class=\"num\">");
	put_figure(w, r->metrics.precision);
	put(w, "</td></tr>\n<tr><th>recall</th><td class=\"num\">");
	put_figure(w, r->metrics.recall);
	put(w, "</td></tr>\n<tr><th>F1</th><td class=\"num\">");
	put_figure(w, r->metrics.f1);
	put(w, "</td></tr>\n<tr><th>ROC AUC</th><td class=\"num\">");
	put_figure(w, r->metrics.roc_auc);
	put(w, "</td></tr>\n<tr><th>average precision</th><td class=\"num\">");
	put_figure(w, r->metrics.average_precision);
	put(w, "</td></tr>\n</table>\n</section>\n");
}

/* The ROC curve over the chance diagonal. */
static void
render_roc(an_writer *w, const an_report *r)
{
	plot_area	p = {56, 16, 360, 360, 0, 1, 0, 1};
	int			pen_down = 0;

	open_section(w, "roc", "ROC curve", NULL);
	if (r->roc_fpr == NULL || r->roc_tpr == NULL || r->n_roc <= 0)
	{
		put_no_data(w, "no ROC curve was given");
		put(w, "</section>\n");
		return;
	}
	open_svg(w, "chart square", 440, 430, "ROC curve");
	draw_y_grid(w, &p, 0.2);
	draw_x_ticks(w, &p, 0.2);
	putf(w, "<line class=\"diagonal\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		 plot_x(&p, 0), plot_y(&p, 0), plot_x(&p, 1), plot_y(&p, 1));
	put(w, "<path class=\"roc-curve\" d=\"");
	for (int i = 0; i < r->n_roc; i++)
	{
		if (!isfinite(r->roc_fpr[i]) || !isfinite(r->roc_tpr[i]))
		{
			pen_down = 0;
			continue;
		}
		put_path_point(w, pen_down, plot_x(&p, r->roc_fpr[i]), plot_y(&p, r->roc_tpr[i]));
		pen_down = 1;
	}
	put(w, "\"/>\n");
	draw_axis_titles(w, &p, "false positive rate", "true positive rate");
	put(w, "</svg>\n<p class=\"caption\">ROC AUC = ");
	put_figure(w, r->metrics.roc_auc);
	put(w, "; the dashed diagonal is a random ranking.</p>\n</section>\n");
}

/* Render r as a NUL-terminated self-contained HTML page. */
char *
an_report_html(an_ctx *ctx, const an_report *r)
{
	an_writer	w;

	an_writer_init(&w, ctx, 64 * 1024);
	put(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	put_text(&w, r->title ? r->title : "Anomaly report");
	put(&w, " &middot; anomaly report</title>\n<style>\n");
	put(&w, page_style);
	put(&w, "</style>\n</head>\n<body>\n<main>\n");
	render_summary(&w, r);
	render_histogram(&w, r);
	if (r->timeline != NULL)
		render_timeline(&w, r);
	render_top(&w, r);
	render_ranges(&w, r);
	if (r->has_labels)
	{
		put(&w, "<div class=\"pair\">\n");
		render_confusion(&w, r);
		render_roc(&w, r);
		put(&w, "</div>\n");
	}
	put(&w, "</main>\n<footer>anomaly " AN_VERSION_STRING "</footer>\n</body>\n</html>\n");
	an_write_u8(&w, 0);
	return (char *) w.data;
}
