/*
 * html.c - the pieces the HTML pages are drawn with (see html.h).  Output
 * depends only on the figures given (no clock, no locale).
 */
#include "html.h"
#include "readable.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WEEK_SECONDS 604800.0
#define FIRST_MONDAY (4 * SECONDS_PER_DAY)	/* 1970-01-05; weeks start on Mondays */

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
"footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 24px}\n"
".minis{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px}\n"
".minis h3{font-size:13px;margin:8px 0 0}\n"
".bar.normal{fill:var(--base);fill-opacity:.75}\n"
".mark.ok{fill:#2ca02c}\n"
".mark.bad{fill:var(--threshold)}\n"
".expected{stroke:#2ca02c;stroke-width:1.5;stroke-dasharray:4 3}\n"
"table.heat{table-layout:fixed;font-size:11px}\n"
"table.heat th,table.heat td{padding:4px 2px;overflow-wrap:normal}\n"
"table.heat th:first-child{width:150px}\n"
"table.heat th.cell{font-size:10px;text-align:center}\n"
"table.heat td.cell{text-align:center;font-variant-numeric:tabular-nums}\n"
"td.ok{color:#2ca02c;font-weight:600}\n"
"td.bad{color:var(--threshold);font-weight:600}\n";

/* Append a NUL-terminated string. */
void
an_html_put(an_writer *w, const char *s)
{
	an_write_bytes(w, s, strlen(s));
}

/* Append printf-formatted text. */
void
an_html_putf(an_writer *w, const char *fmt,...)
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
void
an_html_put_text(an_writer *w, const char *s)
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
		an_html_put(w, entity);
		run = s + 1;
	}
	an_write_bytes(w, run, (size_t) (s - run));
}

/* Append a score-like figure to four significant digits, or "n/a". */
void
an_html_put_figure(an_writer *w, double v)
{
	char		buf[AN_READABLE_MAX];

	if (!isfinite(v))
		an_html_put(w, "n/a");
	else
		an_html_put(w, an_readable_number(v, 4, buf, sizeof(buf)));
}

/* Append a count with thousands separators, e.g. 1,234,567. */
void
an_html_put_count(an_writer *w, int64_t v)
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
		an_html_put(w, "-");
	while (n > 0)
	{
		an_write_bytes(w, &digits[--n], 1);
		if (n > 0 && n % 3 == 0)
			an_html_put(w, ",");
	}
}

/* Append part as a percentage of whole, or "n/a" when it is not one. */
void
an_html_put_share(an_writer *w, int64_t part, int64_t whole)
{
	double		percent;

	if (whole <= 0 || part < 0)
	{
		an_html_put(w, "n/a");
		return;
	}
	percent = 100.0 * (double) part / (double) whole;
	if (percent == 0)
		an_html_put(w, "0%");
	else if (percent < 0.01)
		an_html_put(w, "&lt;0.01%");
	else if (percent < 10)
		an_html_putf(w, "%.2f%%", percent);
	else
		an_html_putf(w, "%.1f%%", percent);
}

/* Append a fraction (0-1) as a percentage, or "n/a" when it is not finite. */
void
an_html_put_percent(an_writer *w, double fraction)
{
	char		buf[AN_READABLE_MAX];

	if (!isfinite(fraction))
		an_html_put(w, "n/a");
	else
	{
		an_html_put(w, an_readable_number(100.0 * fraction, 3, buf, sizeof(buf)));
		an_html_put(w, "%");
	}
}

/* Append a "no data" note. */
void
an_html_put_no_data(an_writer *w, const char *what)
{
	an_html_putf(w, "<p class=\"note\">No data: %s.</p>\n", what);
}

/* Open a card section with its id, heading and a caption (may be NULL). */
void
an_html_open_section(an_writer *w, const char *id, const char *heading, const char *caption)
{
	an_html_putf(w, "<section id=\"%s\" class=\"card\">\n<h2>%s</h2>\n", id, heading);
	if (caption)
		an_html_putf(w, "<p class=\"caption\">%s</p>\n", caption);
}

/* ------------------------------------------------------------------ */
/* scales and axes */

/* A round step (1, 2 or 5 times a power of ten) near span / target. */
double
an_html_nice_step(double span, int target)
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
void
an_html_pad_domain(double *lo, double *hi, double margin)
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
double
an_html_plot_x(const plot_area *p, double v)
{
	double		f = (v - p->x_lo) / (p->x_hi - p->x_lo);

	if (!(f > 0))
		f = 0;
	if (f > 1)
		f = 1;
	return p->left + f * p->width;
}

/* The y coordinate of v, clamped to the frame. */
double
an_html_plot_y(const plot_area *p, double v)
{
	double		f = (v - p->y_lo) / (p->y_hi - p->y_lo);

	if (!(f > 0))
		f = 0;
	if (f > 1)
		f = 1;
	return p->top + (1 - f) * p->height;
}

/* Open an SVG chart of the given size, described by label for readers. */
void
an_html_open_svg(an_writer *w, const char *css_class, int width, int height, const char *label)
{
	an_html_putf(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" "
		 "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
		 css_class, width, height, width, height, label);
}

/* One point of a path's d attribute: a line to it, or a move when the pen is up. */
void
an_html_put_path_point(an_writer *w, int pen_down, double x, double y)
{
	an_html_putf(w, "%c%.1f %.1f ", pen_down ? 'L' : 'M', x, y);
}

/*
 * The round values from lo to hi at step, at most MAX_TICKS of them, one
 * within rounding of zero made exactly 0; returns how many.
 */
int
an_html_round_ticks(double lo, double hi, double step, double *v)
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
void
an_html_draw_y_grid(an_writer *w, const plot_area *p, double step)
{
	double		v[MAX_TICKS];
	int			n = an_html_round_ticks(p->y_lo, p->y_hi, step, v);

	for (int i = 0; i < n; i++)
	{
		double		y = an_html_plot_y(p, v[i]);

		an_html_putf(w, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			 p->left, y, p->left + p->width, y, p->left - 8, y + 4);
		if (step >= 1 && fabs(v[i]) < 9e18)
			an_html_put_count(w, (int64_t) llround(v[i]));
		else
			an_html_put_figure(w, v[i]);
		an_html_put(w, "</text>\n");
	}
}

/* Tick marks and labels at round values of the x domain. */
void
an_html_draw_x_ticks(an_writer *w, const plot_area *p, double step)
{
	double		v[MAX_TICKS];
	int			n = an_html_round_ticks(p->x_lo, p->x_hi, step, v);
	double		bottom = p->top + p->height;

	for (int i = 0; i < n; i++)
	{
		double		x = an_html_plot_x(p, v[i]);

		an_html_putf(w, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			 x, bottom, x, bottom + 5, x, bottom + 19);
		an_html_put_figure(w, v[i]);
		an_html_put(w, "</text>\n");
	}
}

/* The frame's bottom axis line and the axes' titles. */
void
an_html_draw_axis_titles(an_writer *w, const plot_area *p, const char *x_title, const char *y_title)
{
	double		bottom = p->top + p->height;

	an_html_putf(w, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		 p->left, bottom, p->left + p->width, bottom);
	an_html_putf(w, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		 p->left + p->width / 2, bottom + 40);
	an_html_put_text(w, x_title);
	an_html_putf(w, "</text>\n<text class=\"title\" transform=\"rotate(-90)\" x=\"%.1f\" y=\"14\" "
		 "text-anchor=\"middle\">", -(p->top + p->height / 2));
	an_html_put_text(w, y_title);
	an_html_put(w, "</text>\n");
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
void
an_html_put_time(an_writer *w, double t, time_unit unit)
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
			an_html_putf(w, "%02d:%02d:%02d", (int) (seconds / 3600), (int) (seconds / 60 % 60),
				 (int) (seconds % 60));
			break;
		case TIME_MINUTES:
			an_html_putf(w, "%02d-%02d %02d:%02d", month, day, (int) (seconds / 3600),
				 (int) (seconds / 60 % 60));
			break;
		case TIME_DAYS:
			an_html_putf(w, "%04lld-%02d-%02d", (long long) year, month, day);
			break;
		case TIME_MONTHS:
			an_html_putf(w, "%04lld-%02d", (long long) year, month);
			break;
		case TIME_YEARS:
			an_html_putf(w, "%04lld", (long long) year);
			break;
	}
}

/* Append t as a full UTC timestamp, YYYY-MM-DD HH:MM:SS. */
void
an_html_put_timestamp(an_writer *w, double t)
{
	an_html_put_time(w, t, TIME_DAYS);
	an_html_put(w, " ");
	an_html_put_time(w, t, TIME_SECONDS);
}

/* Readable ticks over [lo, hi]: round seconds, days, months or years. */
void
an_html_choose_time_ticks(double lo, double hi, time_ticks *out)
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
	step_years = (int64_t) an_html_nice_step(span / (365.2425 * SECONDS_PER_DAY), TARGET_TICKS);
	if (step_years < 1)
		step_years = 1;
	tick_year = floor_div(year, step_years) * step_years;
	for (; month_start(tick_year * 12) <= hi && out->n < MAX_TICKS; tick_year += step_years)
		if (month_start(tick_year * 12) >= lo)
			out->at[out->n++] = month_start(tick_year * 12);
}

/* ------------------------------------------------------------------ */
/* shared pieces of the pages */

/* One summary tile: a label over a big value written by the caller next. */
void
an_html_open_tile(an_writer *w, const char *css_class, const char *label)
{
	an_html_putf(w, "<div class=\"tile %s\"><div class=\"label\">%s</div><div class=\"value\">",
		 css_class, label);
}

/* A bar from the baseline up to count rows, at least a pixel when non-zero. */
void
an_html_draw_bar(an_writer *w, const plot_area *p, const char *css_class, double x,
		 double width, int64_t count)
{
	double		baseline = an_html_plot_y(p, 0);
	double		height = baseline - an_html_plot_y(p, (double) count);

	if (count <= 0)
		return;
	if (height < 1.5)
		height = 1.5;
	an_html_putf(w, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>",
		 css_class, x, baseline - height, width, height);
}

/* The dashed threshold line across the frame, with its label. */
void
an_html_draw_threshold(an_writer *w, const plot_area *p, double threshold, int vertical)
{
	if (vertical)
	{
		double		x = an_html_plot_x(p, threshold);
		int			label_left = x > p->left + 0.8 * p->width;

		an_html_putf(w, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
			 "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">threshold ",
			 x, p->top, x, p->top + p->height, label_left ? x - 6 : x + 6, p->top + 12,
			 label_left ? "end" : "start");
	}
	else
	{
		double		y = an_html_plot_y(p, threshold);

		an_html_putf(w, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
			 "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">threshold ",
			 p->left, y, p->left + p->width, y, p->left + p->width - 4, y - 6);
	}
	an_html_put_figure(w, threshold);
	an_html_put(w, "</text>\n");
}

/* The legend under a chart: rows, flagged rows and the threshold. */
void
an_html_put_legend(an_writer *w, const char *base_label)
{
	an_html_putf(w, "<div class=\"legend\"><span><i class=\"swatch\"></i>%s</span>"
		 "<span><i class=\"swatch flagged\"></i>flagged (score &ge; threshold)</span>"
		 "<span><i class=\"swatch limit\"></i>threshold</span></div>\n", base_label);
}

/* A small horizontal meter filled to percent (0-100), inside a cell. */
void
an_html_put_meter(an_writer *w, const char *css_class, double percent)
{
	if (!(percent > 0))
		percent = 0;
	if (percent > 100)
		percent = 100;
	an_html_putf(w, "<div class=\"%s\"><span style=\"width:%.1f%%\"></span></div>", css_class, percent);
}

/* Widen a time domain to at least a minute around its middle. */
void
an_html_widen_time(plot_area *p)
{
	if (p->x_hi - p->x_lo < 60)
	{
		double		middle = p->x_lo / 2 + p->x_hi / 2;

		p->x_lo = middle - 30;
		p->x_hi = middle + 30;
	}
}

/* Grid lines and time labels at readable ticks of the x domain. */
void
an_html_draw_time_axis(an_writer *w, const plot_area *p)
{
	time_ticks	ticks;
	double		bottom = p->top + p->height;

	an_html_choose_time_ticks(p->x_lo, p->x_hi, &ticks);
	for (int i = 0; i < ticks.n; i++)
	{
		double		x = an_html_plot_x(p, ticks.at[i]);

		an_html_putf(w, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
					 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
					 x, p->top, x, bottom, x, bottom + 19);
		an_html_put_time(w, ticks.at[i], ticks.unit);
		an_html_put(w, "</text>\n");
	}
}

/* Whether a timeline point has a finite score and a drawable time. */
int
an_html_point_drawable(const an_report_point *pt)
{
	return isfinite(pt->score) && isfinite(pt->t) && fabs(pt->t) <= MAX_ABS_TIME;
}

/* Whether a drawable point is at or above a finite threshold. */
static int
point_flagged(const an_report_point *pt, double threshold)
{
	return isfinite(threshold) && pt->score >= threshold;
}

/* Set p's domain to the drawable points' times and scores; returns how many there are. */
int
an_html_points_domain(plot_area *p, const an_report_point *points, int n)
{
	int			drawable = 0;

	for (int i = 0; i < n; i++)
	{
		const an_report_point *pt = &points[i];

		if (!an_html_point_drawable(pt))
			continue;
		drawable++;
		p->x_lo = fmin(p->x_lo, pt->t);
		p->x_hi = fmax(p->x_hi, pt->t);
		p->y_lo = fmin(p->y_lo, pt->score);
		p->y_hi = fmax(p->y_hi, pt->score);
	}
	return drawable;
}

/* Stretch a score-over-time domain to show the threshold, with margins. */
void
an_html_fit_score_domain(plot_area *p, double threshold)
{
	if (isfinite(threshold))
	{
		p->y_lo = fmin(p->y_lo, threshold);
		p->y_hi = fmax(p->y_hi, threshold);
	}
	an_html_pad_domain(&p->y_lo, &p->y_hi, 0.05);
	an_html_widen_time(p);
}

/* The points of a score timeline, the flagged ones or the others; flagged ones carry a title. */
void
an_html_draw_points(an_writer *w, const plot_area *p, const an_report_point *points, int n,
					double threshold, int flagged)
{
	an_html_putf(w, "<g class=\"points%s\">\n", flagged ? " flagged" : "");
	for (int i = 0; i < n; i++)
	{
		const an_report_point *pt = &points[i];

		if (!an_html_point_drawable(pt) || point_flagged(pt, threshold) != flagged)
			continue;
		an_html_putf(w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"", an_html_plot_x(p, pt->t),
			 an_html_plot_y(p, pt->score), flagged ? "3" : "1.8");
		if (flagged)
		{
			an_html_put(w, "><title>");
			an_html_put_timestamp(w, pt->t);
			an_html_put(w, " UTC: ");
			an_html_put_figure(w, pt->score);
			an_html_put(w, "</title></circle>\n");
		}
		else
			an_html_put(w, "/>\n");
	}
	an_html_put(w, "</g>\n");
}

/* Open the page: doctype, head with the style sheet, title "title · kind". */
void
an_html_open_page(an_writer *w, const char *title, const char *kind)
{
	an_html_put(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
				"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
				"style-src 'unsafe-inline'\">\n"
				"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	an_html_put_text(w, title);
	an_html_put(w, " &middot; ");
	an_html_put_text(w, kind);
	an_html_put(w, "</title>\n<style>\n");
	an_html_put(w, page_style);
	an_html_put(w, "</style>\n</head>\n<body>\n<main>\n");
}

/* Close the page with its footer and a NUL, and return it. */
char *
an_html_close_page(an_writer *w)
{
	an_html_put(w, "</main>\n<footer>anomaly " AN_VERSION_STRING "</footer>\n</body>\n</html>\n");
	an_write_u8(w, 0);
	return (char *) w->data;
}
