/*
 * html.h - the pieces the HTML pages (the model report and the monitoring
 * page) are drawn with: escaped text and readable figures written to an
 * an_writer, cards, SVG frames, axes, time ticks, bars, meters, and the page
 * head with its one style sheet.  No script and no external resource.
 */
#ifndef AN_HTML_H
#define AN_HTML_H

#include "an_core.h"
#include "bytes.h"
#include "report.h"

#define MAX_TICKS 24			/* a bound on any axis's tick loop */
#define TARGET_TICKS 7			/* about this many ticks on a long axis */
#define MAX_ABS_TIME 1e15		/* seconds; further times are not drawn */
#define SECONDS_PER_DAY 86400.0

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

/* Append a NUL-terminated string. */
void an_html_put(an_writer *w, const char *s);
/* Append printf-formatted text. */
void an_html_putf(an_writer *w, const char *fmt,...)
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
;
/* Append s HTML-escaped (& < > " '); NULL appends nothing. */
void an_html_put_text(an_writer *w, const char *s);
/* Append a score-like figure to four significant digits, or "n/a". */
void an_html_put_figure(an_writer *w, double v);
/* Append a count with thousands separators, e.g. 1,234,567. */
void an_html_put_count(an_writer *w, int64_t v);
/* Append part as a percentage of whole, or "n/a" when it is not one. */
void an_html_put_share(an_writer *w, int64_t part, int64_t whole);
/* Append a fraction (0-1) as a percentage, or "n/a" when it is not finite. */
void an_html_put_percent(an_writer *w, double fraction);
/* Append a "no data" note. */
void an_html_put_no_data(an_writer *w, const char *what);
/* Open a card section with its id, heading and a caption (may be NULL). */
void an_html_open_section(an_writer *w, const char *id, const char *heading, const char *caption);
/* A round step (1, 2 or 5 times a power of ten) near span / target. */
double an_html_nice_step(double span, int target);
/* Widen [*lo, *hi] to a non-empty interval with a margin on each side. */
void an_html_pad_domain(double *lo, double *hi, double margin);
/* The x coordinate of v, clamped to the frame. */
double an_html_plot_x(const plot_area *p, double v);
/* The y coordinate of v, clamped to the frame. */
double an_html_plot_y(const plot_area *p, double v);
/* Open an SVG chart of the given size, described by label for readers. */
void an_html_open_svg(an_writer *w, const char *css_class, int width, int height, const char *label);
/* One point of a path's d attribute: a line to it, or a move when the pen is up. */
void an_html_put_path_point(an_writer *w, int pen_down, double x, double y);
/*
 * The round values from lo to hi at step, at most MAX_TICKS of them, one
 * within rounding of zero made exactly 0; returns how many.
 */
int an_html_round_ticks(double lo, double hi, double step, double *v);
/* Horizontal grid lines and labels at round values of the y domain. */
void an_html_draw_y_grid(an_writer *w, const plot_area *p, double step);
/* Tick marks and labels at round values of the x domain. */
void an_html_draw_x_ticks(an_writer *w, const plot_area *p, double step);
/* The frame's bottom axis line and the axes' titles. */
void an_html_draw_axis_titles(an_writer *w, const plot_area *p, const char *x_title, const char *y_title);
/* Append time t (seconds since the epoch, UTC) in the form unit calls for. */
void an_html_put_time(an_writer *w, double t, time_unit unit);
/* Append t as a full UTC timestamp, YYYY-MM-DD HH:MM:SS. */
void an_html_put_timestamp(an_writer *w, double t);
/* Readable ticks over [lo, hi]: round seconds, days, months or years. */
void an_html_choose_time_ticks(double lo, double hi, time_ticks *out);
/* One summary tile: a label over a big value written by the caller next. */
void an_html_open_tile(an_writer *w, const char *css_class, const char *label);
/* A bar from the baseline up to count rows, at least a pixel when non-zero. */
void an_html_draw_bar(an_writer *w, const plot_area *p, const char *css_class, double x, double width, int64_t count);
/* The dashed threshold line across the frame, with its label. */
void an_html_draw_threshold(an_writer *w, const plot_area *p, double threshold, int vertical);
/* The legend under a chart: rows, flagged rows and the threshold. */
void an_html_put_legend(an_writer *w, const char *base_label);
/* A small horizontal meter filled to percent (0-100), inside a cell. */
void an_html_put_meter(an_writer *w, const char *css_class, double percent);
/* Widen a time domain to at least a minute around its middle. */
void an_html_widen_time(plot_area *p);
/* Grid lines and time labels at readable ticks of the x domain. */
void an_html_draw_time_axis(an_writer *w, const plot_area *p);
/* Whether a timeline point has a finite score and a drawable time. */
int an_html_point_drawable(const an_report_point *pt);
/* Set p's domain to the drawable points' times and scores; returns how many there are. */
int an_html_points_domain(plot_area *p, const an_report_point *points, int n);
/* Stretch a score-over-time domain to show the threshold, with margins. */
void an_html_fit_score_domain(plot_area *p, double threshold);
/* The points of a score timeline, the flagged ones or the others; flagged ones carry a title. */
void an_html_draw_points(an_writer *w, const plot_area *p, const an_report_point *points, int n,
						 double threshold, int flagged);
/* Open the page: doctype, head with the style sheet, title "title · kind". */
void an_html_open_page(an_writer *w, const char *title, const char *kind);
/* Close the page with its footer and a NUL, and return it. */
char *an_html_close_page(an_writer *w);

#endif
