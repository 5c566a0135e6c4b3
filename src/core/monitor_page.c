/*
 * monitor_page.c - the monitoring page (see monitor_page.h), drawn with the
 * report's pieces (html.h) so that both pages look alike.
 */
#include "monitor_page.h"
#include "html.h"

#include <math.h>

#define GRID_BATCHES 24			/* the range grid shows the latest batches */
#define LATEST_BATCHES 10		/* rows of the latest batches' table */

/* Whether a batch holds more anomalies than the expected rate explains. */
int
an_monitor_batch_alarming(const an_monitor_batch *b, double expected_rate)
{
	double		p = isfinite(expected_rate) ? fmin(fmax(expected_rate, 0), 1) : 0;
	double		expected = (double) b->rows * p;

	if (b->rows <= 0)
		return 0;
	return (double) b->anomalies > expected + 3 * sqrt(expected * (1 - p)) + 1e-9;
}

/* a + b for non-negative counts, held at INT64_MAX rather than overflowing. */
static int64_t
add_counts(int64_t a, int64_t b)
{
	if (b < 0)
		b = 0;
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The first batch the grid and the latest table show. */
static int
first_shown(const an_monitor_page *p, int how_many)
{
	return p->n_batches > how_many ? p->n_batches - how_many : 0;
}

/* The title, headline tiles and how the marks are set. */
static void
render_summary(an_writer *w, const an_monitor_page *p)
{
	int64_t		rows = 0,
				anomalies = 0;
	int			alarms = 0;

	for (int i = 0; i < p->n_batches; i++)
	{
		rows = add_counts(rows, p->batches[i].rows);
		anomalies = add_counts(anomalies, p->batches[i].anomalies);
		alarms += an_monitor_batch_alarming(&p->batches[i], p->expected_rate);
	}
	an_html_put(w, "<section id=\"summary\" class=\"card\">\n<h1>");
	an_html_put_text(w, p->title ? p->title : "Monitoring");
	an_html_put(w, "</h1>\n<p class=\"sub\">Monitoring since ");
	an_html_put_text(w, p->since ? p->since : "n/a");
	an_html_put(w, "; generated ");
	an_html_put_text(w, p->generated_at ? p->generated_at : "n/a");
	an_html_put(w, "</p>\n<div class=\"tiles\">\n");
	an_html_open_tile(w, "", "batches");
	an_html_put_count(w, p->n_batches);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "", "rows in batches");
	an_html_put_count(w, rows);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "flag", "anomaly share");
	an_html_put_share(w, anomalies, rows);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "", "expected");
	an_html_put_percent(w, p->expected_rate);
	an_html_put(w, "</div></div>\n");
	an_html_open_tile(w, "limit", "batches over");
	an_html_put_count(w, alarms);
	an_html_put(w, "</div></div>\n</div>\n<p class=\"caption\">The expected rate comes from ");
	an_html_put_text(w, p->expected_from ? p->expected_from : "n/a");
	an_html_put(w, "; a batch is marked red when its anomalies exceed that rate by more than three "
				"binomial standard deviations, green otherwise.</p>\n");
	if (p->n_batches == 0 && p->n_events == 0)
		an_html_put(w, "<p class=\"note\" id=\"empty\">No monitoring history in this period: "
					"anomaly_monitor recorded no batch and no event.</p>\n");
	an_html_put(w, "</section>\n");
}

/* Each batch's anomaly share over time, marked against the expected rate. */
static void
render_batches(an_writer *w, const an_monitor_page *p)
{
	plot_area	a = {64, 16, 956, 240, INFINITY, -INFINITY, 0, 0};
	double		most = isfinite(p->expected_rate) ? p->expected_rate : 0;
	int			pen_down = 0;
	int			drawable = 0;

	an_html_open_section(w, "batches", "Anomaly share per batch",
						 "One point per statement anomaly_monitor scored; the dashed green line is "
						 "the expected rate.");
	for (int i = 0; i < p->n_batches; i++)
	{
		const an_monitor_batch *b = &p->batches[i];

		if (b->rows <= 0 || !isfinite(b->at) || fabs(b->at) > MAX_ABS_TIME)
			continue;
		drawable++;
		a.x_lo = fmin(a.x_lo, b->at);
		a.x_hi = fmax(a.x_hi, b->at);
		most = fmax(most, (double) b->anomalies / (double) b->rows);
	}
	if (drawable == 0)
	{
		an_html_put_no_data(w, "no batch was recorded");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_widen_time(&a);
	an_html_pad_domain(&a.x_lo, &a.x_hi, 0.02);
	a.y_hi = most > 0 ? fmin(1, most * 1.15) : 0.01;
	an_html_open_svg(w, "chart", 1040, 310, "anomaly share per batch over time");
	an_html_draw_y_grid(w, &a, an_html_nice_step(a.y_hi, 5));
	an_html_draw_time_axis(w, &a);
	an_html_put(w, "<path class=\"trace\" d=\"");
	for (int i = 0; i < p->n_batches; i++)
	{
		const an_monitor_batch *b = &p->batches[i];

		if (b->rows <= 0 || !isfinite(b->at) || fabs(b->at) > MAX_ABS_TIME)
			continue;
		an_html_put_path_point(w, pen_down, an_html_plot_x(&a, b->at),
							   an_html_plot_y(&a, (double) b->anomalies / (double) b->rows));
		pen_down = 1;
	}
	an_html_put(w, "\"/>\n");
	if (isfinite(p->expected_rate))
		an_html_putf(w, "<line class=\"expected\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
					 a.left, an_html_plot_y(&a, p->expected_rate), a.left + a.width,
					 an_html_plot_y(&a, p->expected_rate));
	for (int i = 0; i < p->n_batches; i++)
	{
		const an_monitor_batch *b = &p->batches[i];
		int			bad = an_monitor_batch_alarming(b, p->expected_rate);

		if (b->rows <= 0 || !isfinite(b->at) || fabs(b->at) > MAX_ABS_TIME)
			continue;
		an_html_putf(w, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
					 bad ? "bad" : "ok", an_html_plot_x(&a, b->at),
					 an_html_plot_y(&a, (double) b->anomalies / (double) b->rows));
		an_html_put_timestamp(w, b->at);
		an_html_put(w, " UTC: ");
		an_html_put_count(w, b->anomalies);
		an_html_put(w, " of ");
		an_html_put_count(w, b->rows);
		an_html_put(w, " rows</title></circle>\n");
	}
	an_html_draw_axis_titles(w, &a, "batch time (UTC)", "anomaly share");
	an_html_put(w, "</svg>\n</section>\n");
}

/* Features by the latest batches: the share of each batch's rows outside the training range. */
static void
render_range_grid(an_writer *w, const an_monitor_page *p)
{
	int			first = first_shown(p, GRID_BATCHES);

	an_html_open_section(w, "range-grid", "Range check per batch",
						 "Share of each batch&#39;s rows outside the training range (or an unseen "
						 "category), per feature; the latest batches, oldest on the left.");
	if (p->n_batches == 0 || p->n_features <= 0)
	{
		an_html_put_no_data(w, "no batch was recorded");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<table class=\"heat\">\n<thead><tr><th>feature</th>");
	for (int i = first; i < p->n_batches; i++)
	{
		an_html_put(w, "<th class=\"cell\">");
		an_html_put_time(w, p->batches[i].at, TIME_MINUTES);
		an_html_put(w, "</th>");
	}
	an_html_put(w, "</tr></thead>\n<tbody>\n");
	for (int j = 0; j < p->n_features; j++)
	{
		an_html_put(w, "<tr><td class=\"key\">");
		an_html_put_text(w, p->features[j]);
		an_html_put(w, "</td>");
		for (int i = first; i < p->n_batches; i++)
		{
			const an_monitor_batch *b = &p->batches[i];
			int64_t		out = b->out_of_range ? b->out_of_range[j] : 0;
			double		share = b->rows > 0 ? (double) out / (double) b->rows : 0;

			/* the cell's red deepens with the share, up to a half of the rows */
			an_html_putf(w, "<td class=\"cell\" style=\"background:rgba(214,39,40,%.2f)\">",
						 fmin(1, share * 2) * 0.85);
			an_html_put_share(w, out, b->rows);
			an_html_put(w, "</td>");
		}
		an_html_put(w, "</tr>\n");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/* The latest batches' figures, newest first. */
static void
render_latest(an_writer *w, const an_monitor_page *p)
{
	an_html_open_section(w, "latest", "Latest batches", NULL);
	if (p->n_batches == 0)
	{
		an_html_put_no_data(w, "no batch was recorded");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<table class=\"data\">\n<thead><tr><th>at (UTC)</th><th class=\"num\">rows</th>"
				"<th class=\"num\">anomalies</th><th class=\"num\">share</th><th class=\"num\">min score</th>"
				"<th class=\"num\">mean score</th><th class=\"num\">max score</th><th>check</th></tr></thead>\n"
				"<tbody>\n");
	for (int i = p->n_batches - 1; i >= first_shown(p, LATEST_BATCHES); i--)
	{
		const an_monitor_batch *b = &p->batches[i];
		int			bad = an_monitor_batch_alarming(b, p->expected_rate);

		an_html_put(w, "<tr><td class=\"key\">");
		an_html_put_timestamp(w, b->at);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_count(w, b->rows);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_count(w, b->anomalies);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_share(w, b->anomalies, b->rows);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, b->min_score);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, b->mean_score);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, b->max_score);
		an_html_putf(w, "</td><td class=\"%s\">%s</td></tr>\n", bad ? "bad" : "ok",
					 bad ? "over the expected rate" : "ok");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/* Every logged row's score over time, with the threshold. */
static void
render_events(an_writer *w, const an_monitor_page *p)
{
	plot_area	a = {64, 16, 956, 260, INFINITY, -INFINITY, INFINITY, -INFINITY};
	int			drawable;

	an_html_open_section(w, "events", "Scores of the logged rows", NULL);
	drawable = an_html_points_domain(&a, p->events, p->n_events);
	if (drawable == 0)
	{
		an_html_put_no_data(w, "no row was logged in anomaly_events");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<p class=\"caption\">");
	an_html_put_count(w, drawable);
	an_html_put(w, " of ");
	an_html_put_count(w, p->events_logged);
	an_html_put(w, " logged rows (every anomaly; with log=all every row).</p>\n");
	an_html_fit_score_domain(&a, p->threshold);
	an_html_open_svg(w, "chart", 1040, 330, "score of every logged row over time");
	an_html_draw_y_grid(w, &a, an_html_nice_step(a.y_hi - a.y_lo, 5));
	an_html_draw_time_axis(w, &a);
	an_html_draw_points(w, &a, p->events, p->n_events, p->threshold, 0);
	an_html_draw_points(w, &a, p->events, p->n_events, p->threshold, 1);
	if (isfinite(p->threshold))
		an_html_draw_threshold(w, &a, p->threshold, 0);
	an_html_draw_axis_titles(w, &a, "logged at (UTC)", "anomaly score");
	an_html_put(w, "</svg>\n");
	an_html_put_legend(w, "row");
	an_html_put(w, "</section>\n");
}

/* Drift per feature between training and the source. */
static void
render_drift(an_writer *w, const an_monitor_page *p)
{
	an_html_open_section(w, "drift", "Drift per feature", NULL);
	an_html_put(w, "<p class=\"caption\">Training against <span class=\"key\">");
	an_html_put_text(w, p->drift_source);
	an_html_put(w, "</span>: population stability index and Kolmogorov&ndash;Smirnov statistic; "
				"drifted when PSI reaches 0.2 or KS exceeds its critical value (anomaly_drift).</p>\n");
	if (p->n_drift <= 0)
	{
		an_html_put_no_data(w, "the source has no rows");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<table class=\"data\">\n<thead><tr><th>feature</th><th class=\"num\">PSI</th>"
				"<th class=\"num\">KS</th><th class=\"num\">KS critical</th><th>drift</th></tr></thead>\n"
				"<tbody>\n");
	for (int i = 0; i < p->n_drift; i++)
	{
		const an_monitor_drift *d = &p->drift[i];

		an_html_put(w, "<tr><td class=\"key\">");
		an_html_put_text(w, d->feature);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, d->psi);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, d->ks);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_figure(w, d->ks_critical);
		an_html_putf(w, "</td><td class=\"%s\">%s</td></tr>\n", d->drifted ? "bad" : "ok",
					 d->drifted ? "drifted" : "stable");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/* Render p as a NUL-terminated self-contained HTML page. */
char *
an_monitor_page_html(an_ctx *ctx, const an_monitor_page *p)
{
	an_writer	w;

	an_writer_init(&w, ctx, 64 * 1024);
	an_html_open_page(&w, p->title ? p->title : "Monitoring", "anomaly monitoring");
	render_summary(&w, p);
	render_batches(&w, p);
	render_range_grid(&w, p);
	render_latest(&w, p);
	render_events(&w, p);
	if (p->drift != NULL)
		render_drift(&w, p);
	return an_html_close_page(&w);
}
