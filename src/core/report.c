/*
 * report.c - the visual report as one self-contained HTML page: inline CSS
 * and inline SVG, no script and no external resource.  The page depends only
 * on the figures given (no clock, no locale), so the same report always
 * renders to the same bytes.
 */
#include "report.h"
#include "html.h"
#include "report_features.h"

#include <math.h>
#include <string.h>

#define TIMELINE_TRACE_MAX 1000 /* join the points by a line up to this many */

/* ------------------------------------------------------------------ */
/* sections */

/* The title, the headline figures and the model's facts. */
static void
render_summary(an_writer *w, const an_report *r)
{
	an_html_put(w, "<section id=\"summary\" class=\"card\">\n<h1>");
	an_html_put_text(w, r->title ? r->title : "Anomaly report");
	an_html_put(w, "</h1>\n<p class=\"sub\">Generated ");
	an_html_put_text(w, r->generated_at ? r->generated_at : "n/a");
	an_html_put(w, "</p>\n<div class=\"tiles\">\n");
	an_html_open_tile(w, "", "rows scored");
	an_html_put_count(w, r->rows);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "flag", "flagged");
	an_html_put_count(w, r->flagged);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "flag", "flagged share");
	an_html_put_share(w, r->flagged, r->rows);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "limit", "threshold");
	an_html_put_figure(w, r->threshold);
	an_html_put(w, "</div></div>\n</div>\n");
	if (r->summary == NULL || r->n_summary <= 0)
		an_html_put_no_data(w, "no model facts were given");
	else
	{
		an_html_put(w, "<dl class=\"facts\">\n");
		for (int i = 0; i < r->n_summary; i++)
		{
			an_html_put(w, "<div><dt>");
			an_html_put_text(w, r->summary[i].key);
			an_html_put(w, "</dt><dd>");
			an_html_put_text(w, r->summary[i].value);
			an_html_put(w, "</dd></div>\n");
		}
		an_html_put(w, "</dl>\n");
	}
	an_html_put(w, "</section>\n");
}

/* Whether a histogram bin has finite, ordered edges. */
static int
bin_drawable(const an_report_bin *b)
{
	return isfinite(b->low) && isfinite(b->high) && b->high >= b->low;
}

/* The score distribution: stacked bars per bin and the threshold. */
static void
render_histogram(an_writer *w, const an_report *r)
{
	plot_area	p = {64, 24, 956, 260, INFINITY, -INFINITY, 0, 0};
	int64_t		max_rows = 0;
	int			drawable = 0;
	double		step;

	an_html_open_section(w, "histogram", "Score distribution",
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
		an_html_put_no_data(w, "no score histogram was given");
		an_html_put(w, "</section>\n");
		return;
	}
	if (isfinite(r->threshold))
	{
		p.x_lo = fmin(p.x_lo, r->threshold);
		p.x_hi = fmax(p.x_hi, r->threshold);
	}
	an_html_pad_domain(&p.x_lo, &p.x_hi, 0.01);
	step = an_html_nice_step((double) (max_rows > 0 ? max_rows : 1), 5);
	if (step < 1)
		step = 1;
	p.y_hi = ceil((double) (max_rows > 0 ? max_rows : 1) / step) * step;

	an_html_open_svg(w, "chart", 1040, 340, "histogram of anomaly scores");
	an_html_draw_y_grid(w, &p, step);
	an_html_draw_x_ticks(w, &p, an_html_nice_step(p.x_hi - p.x_lo, TARGET_TICKS + 3));
	for (int i = 0; i < r->n_bins; i++)
	{
		const an_report_bin *b = &r->bins[i];
		double		x0;
		double		width;
		int64_t		flagged;

		if (!bin_drawable(b) || b->rows <= 0)
			continue;
		flagged = b->flagged < 0 ? 0 : b->flagged > b->rows ? b->rows : b->flagged;
		x0 = an_html_plot_x(&p, b->low);
		width = an_html_plot_x(&p, b->high) - x0;
		if (width >= 4)
		{
			x0 += 0.5;
			width -= 1;
		}
		an_html_put(w, "<g>");
		an_html_draw_bar(w, &p, "bar", x0, width, b->rows);
		an_html_draw_bar(w, &p, "bar flagged", x0, width, flagged);
		an_html_put(w, "<title>");
		an_html_put_figure(w, b->low);
		an_html_put(w, " &ndash; ");
		an_html_put_figure(w, b->high);
		an_html_put(w, ": ");
		an_html_put_count(w, b->rows);
		an_html_put(w, " rows, ");
		an_html_put_count(w, flagged);
		an_html_put(w, " flagged</title></g>\n");
	}
	if (isfinite(r->threshold))
		an_html_draw_threshold(w, &p, r->threshold, 1);
	an_html_draw_axis_titles(w, &p, "anomaly score", "rows");
	an_html_put(w, "</svg>\n");
	an_html_put_legend(w, "rows");
	an_html_put(w, "</section>\n");
}

/* A faint line through the points in time order, broken at gaps. */
static void
draw_trace(an_writer *w, const plot_area *p, const an_report *r)
{
	int			pen_down = 0;

	an_html_put(w, "<path class=\"trace\" d=\"");
	for (int i = 0; i < r->n_timeline; i++)
	{
		const an_report_point *pt = &r->timeline[i];

		if (!an_html_point_drawable(pt))
		{
			pen_down = 0;
			continue;
		}
		an_html_put_path_point(w, pen_down, an_html_plot_x(p, pt->t), an_html_plot_y(p, pt->score));
		pen_down = 1;
	}
	an_html_put(w, "\"/>\n");
}

/* Score against time with the threshold; points above it highlighted. */
static void
render_timeline(an_writer *w, const an_report *r)
{
	plot_area	p = {64, 24, 956, 260, INFINITY, -INFINITY, INFINITY, -INFINITY};
	const char *column = r->time_column ? r->time_column : "time";
	size_t		column_len = strlen(column);
	char	   *x_title = an_alloc(w->ctx, column_len + sizeof(" (UTC)"));
	int			drawable;

	an_html_open_section(w, "timeline", "Score over time", NULL);
	drawable = an_html_points_domain(&p, r->timeline, r->n_timeline);
	if (drawable == 0)
	{
		an_html_put_no_data(w, "no point with a finite time and score");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<p class=\"caption\">");
	an_html_put_count(w, drawable);
	an_html_put(w, " rows over <span class=\"key\">");
	an_html_put_text(w, column);
	an_html_put(w, "</span>, from ");
	an_html_put_timestamp(w, p.x_lo);
	an_html_put(w, " to ");
	an_html_put_timestamp(w, p.x_hi);
	an_html_put(w, " UTC.</p>\n");
	an_html_fit_score_domain(&p, r->threshold);
	memcpy(x_title, column, column_len);
	memcpy(x_title + column_len, " (UTC)", sizeof(" (UTC)"));

	an_html_open_svg(w, "chart", 1040, 340, "anomaly score over time");
	an_html_draw_y_grid(w, &p, an_html_nice_step(p.y_hi - p.y_lo, 5));
	an_html_draw_time_axis(w, &p);
	if (drawable <= TIMELINE_TRACE_MAX)
		draw_trace(w, &p, r);
	an_html_draw_points(w, &p, r->timeline, r->n_timeline, r->threshold, 0);
	an_html_draw_points(w, &p, r->timeline, r->n_timeline, r->threshold, 1);
	if (isfinite(r->threshold))
		an_html_draw_threshold(w, &p, r->threshold, 0);
	an_html_draw_axis_titles(w, &p, x_title, "anomaly score");
	an_html_put(w, "</svg>\n");
	an_html_put_legend(w, "row");
	an_html_put(w, "</section>\n");
}

/* The highest-scoring rows with their severity and reason. */
static void
render_top(an_writer *w, const an_report *r)
{
	an_html_open_section(w, "top-anomalies", "Top anomalies",
				 "Highest scores first; severity is the score's percentile among training scores.");
	if (r->top == NULL || r->n_top <= 0)
	{
		an_html_put_no_data(w, "no anomalies to list");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<table class=\"data\">\n<thead><tr><th class=\"num\">#</th><th>key</th>"
		"<th class=\"num\">score</th><th>severity</th><th>reason</th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_top; i++)
	{
		const an_report_anomaly *a = &r->top[i];
		int			flagged = isfinite(r->threshold) && isfinite(a->score) &&
			a->score >= r->threshold;

		an_html_putf(w, "<tr><td class=\"num\">%d</td><td class=\"key\">", i + 1);
		an_html_put_text(w, a->key);
		an_html_putf(w, "</td><td class=\"num%s\">", flagged ? " flag" : "");
		an_html_put_figure(w, a->score);
		an_html_put(w, "</td><td class=\"num\">");
		if (isfinite(a->severity))
		{
			an_html_put_meter(w, "meter", a->severity);
			an_html_put_figure(w, a->severity);
		}
		else
			an_html_put(w, "n/a");
		an_html_put(w, "</td><td>");
		an_html_put_text(w, a->reason);
		an_html_put(w, "</td></tr>\n");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/* Per feature, the rows outside the training range. */
static void
render_ranges(an_writer *w, const an_report *r)
{
	int64_t		most = 0;

	an_html_open_section(w, "out-of-range", "Out of training range",
				 "Rows per feature outside the range seen in training (or a category never seen); "
				 "bars are scaled to the largest count.");
	if (r->ranges == NULL || r->n_ranges <= 0)
	{
		an_html_put_no_data(w, "no features were given");
		an_html_put(w, "</section>\n");
		return;
	}
	for (int i = 0; i < r->n_ranges; i++)
		if (r->ranges[i].out_of_range > most)
			most = r->ranges[i].out_of_range;
	an_html_put(w, "<table class=\"data\">\n<thead><tr><th>feature</th><th class=\"num\">rows out of range</th>"
		"<th class=\"num\">share of rows</th><th></th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_ranges; i++)
	{
		const an_report_range *f = &r->ranges[i];

		an_html_put(w, "<tr><td class=\"key\">");
		an_html_put_text(w, f->feature);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_count(w, f->out_of_range);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_share(w, f->out_of_range, r->rows);
		an_html_put(w, "</td><td>");
		an_html_put_meter(w, "hbar", most > 0 ? 100.0 * (double) f->out_of_range / (double) most : 0);
		an_html_put(w, "</td></tr>\n");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/*
 * A segmented model's segments: rows, flagged rows and their share, the
 * threshold of the model that scored them and, with labels, its ROC AUC.
 */
static void
render_segments(an_writer *w, const an_report *r)
{
	an_html_open_section(w, "segments", "Segments", NULL);
	an_html_put(w, "<p class=\"caption\">");
	if (r->n_all_segments > r->n_segments)
	{
		an_html_put(w, "The ");
		an_html_put_count(w, r->n_segments);
		an_html_put(w, " of ");
		an_html_put_count(w, r->n_all_segments);
		an_html_put(w, " segments with the most flagged rows");
	}
	else
	{
		an_html_put_count(w, r->n_all_segments);
		an_html_put(w, r->n_all_segments == 1 ? " segment" : " segments");
	}
	an_html_put(w, "; each row is flagged against the threshold of the model that scored it, "
		"its segment's own or the global one.</p>\n");
	if (r->n_segments <= 0)
	{
		an_html_put_no_data(w, "the source has no rows");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<table class=\"data\">\n<thead><tr><th>segment</th><th>scored by</th>"
		"<th class=\"num\">rows</th><th class=\"num\">flagged</th><th class=\"num\">share</th>"
		"<th class=\"num\">threshold</th>");
	if (r->has_labels)
		an_html_put(w, "<th class=\"num\">ROC AUC</th>");
	an_html_put(w, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_segments; i++)
	{
		const an_report_segment *g = &r->segments[i];

		an_html_put(w, "<tr><td class=\"key\">");
		an_html_put_text(w, g->segment);
		an_html_put(w, "</td><td>");
		an_html_put_text(w, g->scored_by);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_count(w, g->rows);
		an_html_putf(w, "</td><td class=\"num%s\">", g->flagged > 0 ? " flag" : "");
		an_html_put_count(w, g->flagged);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_share(w, g->flagged, g->rows);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, g->threshold);
		if (r->has_labels)
		{
			an_html_put(w, "</td><td class=\"num\">");
			an_html_put_figure(w, g->roc_auc);
		}
		an_html_put(w, "</td></tr>\n");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/* One confusion matrix cell: the count and its name. */
static void
put_confusion_cell(an_writer *w, const char *css_class, int64_t count, const char *name)
{
	an_html_putf(w, "<td class=\"%s\">", css_class);
	an_html_put_count(w, count);
	an_html_putf(w, "<small>%s</small></td>", name);
}

/* The confusion matrix at the threshold and the label metrics. */
static void
render_confusion(an_writer *w, const an_report *r)
{
	an_html_open_section(w, "confusion", "Against the labels",
				 "Flags at the threshold against the labelled anomalies.");
	an_html_put(w, "<table class=\"confusion\">\n<tr><th></th><th>flagged</th><th>not flagged</th></tr>\n"
		"<tr><th>labelled anomaly</th>");
	put_confusion_cell(w, "hit", r->metrics.tp, "true positives");
	put_confusion_cell(w, "", r->metrics.fn, "false negatives");
	an_html_put(w, "</tr>\n<tr><th>labelled normal</th>");
	put_confusion_cell(w, "", r->metrics.fp, "false positives");
	put_confusion_cell(w, "hit", r->metrics.tn, "true negatives");
	an_html_put(w, "</tr>\n</table>\n<table class=\"kv metrics\">\n<tr><th>precision</th><td class=\"num\">");
	an_html_put_figure(w, r->metrics.precision);
	an_html_put(w, "</td></tr>\n<tr><th>recall</th><td class=\"num\">");
	an_html_put_figure(w, r->metrics.recall);
	an_html_put(w, "</td></tr>\n<tr><th>F1</th><td class=\"num\">");
	an_html_put_figure(w, r->metrics.f1);
	an_html_put(w, "</td></tr>\n<tr><th>ROC AUC</th><td class=\"num\">");
	an_html_put_figure(w, r->metrics.roc_auc);
	an_html_put(w, "</td></tr>\n<tr><th>average precision</th><td class=\"num\">");
	an_html_put_figure(w, r->metrics.average_precision);
	an_html_put(w, "</td></tr>\n</table>\n</section>\n");
}

/* The ROC curve over the chance diagonal. */
static void
render_roc(an_writer *w, const an_report *r)
{
	plot_area	p = {56, 16, 360, 360, 0, 1, 0, 1};
	int			pen_down = 0;

	an_html_open_section(w, "roc", "ROC curve", NULL);
	if (r->roc_fpr == NULL || r->roc_tpr == NULL || r->n_roc <= 0)
	{
		an_html_put_no_data(w, "no ROC curve was given");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_open_svg(w, "chart square", 440, 430, "ROC curve");
	an_html_draw_y_grid(w, &p, 0.2);
	an_html_draw_x_ticks(w, &p, 0.2);
	an_html_putf(w, "<line class=\"diagonal\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		 an_html_plot_x(&p, 0), an_html_plot_y(&p, 0), an_html_plot_x(&p, 1), an_html_plot_y(&p, 1));
	an_html_put(w, "<path class=\"roc-curve\" d=\"");
	for (int i = 0; i < r->n_roc; i++)
	{
		if (!isfinite(r->roc_fpr[i]) || !isfinite(r->roc_tpr[i]))
		{
			pen_down = 0;
			continue;
		}
		an_html_put_path_point(w, pen_down, an_html_plot_x(&p, r->roc_fpr[i]), an_html_plot_y(&p, r->roc_tpr[i]));
		pen_down = 1;
	}
	an_html_put(w, "\"/>\n");
	an_html_draw_axis_titles(w, &p, "false positive rate", "true positive rate");
	an_html_put(w, "</svg>\n<p class=\"caption\">ROC AUC = ");
	an_html_put_figure(w, r->metrics.roc_auc);
	an_html_put(w, "; the dashed diagonal is a random ranking.</p>\n</section>\n");
}

/* Render r as a NUL-terminated self-contained HTML page. */
char *
an_report_html(an_ctx *ctx, const an_report *r)
{
	an_writer	w;

	an_writer_init(&w, ctx, 64 * 1024);
	an_html_open_page(&w, r->title ? r->title : "Anomaly report", "anomaly report");
	render_summary(&w, r);
	if (r->segments != NULL)
		render_segments(&w, r);
	render_histogram(&w, r);
	if (r->timeline != NULL)
		render_timeline(&w, r);
	render_top(&w, r);
	render_ranges(&w, r);
	an_report_render_features(&w, r);
	if (r->has_labels)
	{
		an_html_put(&w, "<div class=\"pair\">\n");
		render_confusion(&w, r);
		render_roc(&w, r);
		an_html_put(&w, "</div>\n");
	}
	return an_html_close_page(&w);
}
