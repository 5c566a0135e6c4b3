/*
 * report_features.c - the report's feature sections (see
 * report_features.h): the importance table, a small chart per feature of
 * its distribution in the flagged rows against the others (a histogram
 * for numbers, bars for categories), each bar the share of its group's rows,
 * and the scatter of the two most important numeric features.
 */
#include "report_features.h"
#include "html.h"

#include <math.h>

#define MAX_DISTRIBUTIONS 12	/* charts for the most important features only */

/* The importance table: shares, leads and typical values per feature. */
static void
render_importance(an_writer *w, const an_report *r)
{
	an_html_open_section(w, "importance", "Feature importance", NULL);
	an_html_put(w, "<p class=\"caption\">Per feature: its mean share of the explanations of the ");
	an_html_put_count(w, r->group_rows);
	an_html_put(w, " ");
	an_html_put_text(w, r->group);
	an_html_put(w, " rows and of all rows, how many of those rows it explains most of, and their "
				"mean (or most common) value against the other rows&#39;.</p>\n");
	an_html_put(w, "<table class=\"data\">\n<thead><tr><th>feature</th><th class=\"num\">share, ");
	an_html_put_text(w, r->group);
	an_html_put(w, "</th><th class=\"num\">share, all rows</th><th class=\"num\">leads</th><th>");
	an_html_put_text(w, r->group);
	an_html_put(w, " value</th><th>other rows</th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_features; i++)
	{
		const an_report_feature *f = &r->features[i];

		an_html_put(w, "<tr><td class=\"key\">");
		an_html_put_text(w, f->feature);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_meter(w, "meter", isfinite(f->flagged_share) ? 100 * f->flagged_share : 0);
		an_html_put_percent(w, f->flagged_share);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_percent(w, f->all_share);
		an_html_put(w, "</td><td class=\"num\">");
		an_html_put_count(w, f->leads);
		an_html_put(w, " (");
		an_html_put_share(w, f->leads, r->group_rows);
		an_html_put(w, ")</td><td class=\"flag\">");
		an_html_put_text(w, f->flagged_value ? f->flagged_value : "n/a");
		an_html_put(w, "</td><td>");
		an_html_put_text(w, f->normal_value ? f->normal_value : "n/a");
		an_html_put(w, "</td></tr>\n");
	}
	an_html_put(w, "</tbody>\n</table>\n</section>\n");
}

/* The rows of each group, summed over a feature's bins. */
static void
group_totals(const an_report_feature *f, int64_t *flagged, int64_t *normal)
{
	*flagged = *normal = 0;
	for (int b = 0; b < f->n_dist; b++)
	{
		*flagged += f->dist[b].flagged > 0 ? f->dist[b].flagged : 0;
		*normal += f->dist[b].normal > 0 ? f->dist[b].normal : 0;
	}
}

/* A bar whose height is a share (0-1) of its group, as a percentage. */
static void
draw_share_bar(an_writer *w, const plot_area *p, const char *css_class, double x,
			   double width, int64_t count, int64_t total)
{
	double		percent = total > 0 && count > 0 ? 100.0 * (double) count / (double) total : 0;
	double		baseline = an_html_plot_y(p, 0);
	double		height = baseline - an_html_plot_y(p, percent);

	if (percent <= 0)
		return;
	if (height < 1.5)
		height = 1.5;
	an_html_putf(w, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
				 "<title>", css_class, x, baseline - height, width, height);
	an_html_put_count(w, count);
	an_html_put(w, " rows, ");
	an_html_put_share(w, count, total);
	an_html_put(w, "</title></rect>");
}

/* The x axis of a number histogram: round values, or dates for a time feature. */
static void
draw_value_ticks(an_writer *w, const plot_area *p, int time_axis)
{
	time_ticks	ticks;
	double		bottom = p->top + p->height;

	if (!time_axis)
	{
		an_html_draw_x_ticks(w, p, an_html_nice_step(p->x_hi - p->x_lo, 5));
		return;
	}
	an_html_choose_time_ticks(p->x_lo, p->x_hi, &ticks);
	for (int i = 0; i < ticks.n && i < 6; i++)
	{
		double		x = an_html_plot_x(p, ticks.at[i]);

		an_html_putf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, bottom + 19);
		an_html_put_time(w, ticks.at[i], ticks.unit);
		an_html_put(w, "</text>\n");
	}
}

/* One feature's chart: per bin, the normal rows' share beside the flagged rows'. */
static void
render_distribution(an_writer *w, const an_report *r, const an_report_feature *f)
{
	plot_area	p = {48, 12, 440, 130, INFINITY, -INFINITY, 0, 0};
	int64_t		flagged_total,
				normal_total;
	double		most = 0;
	int			categorical = f->n_dist > 0 && f->dist[0].label != NULL;

	an_html_put(w, "<div><h3 class=\"key\">");
	an_html_put_text(w, f->feature);
	an_html_put(w, "</h3>\n");
	group_totals(f, &flagged_total, &normal_total);
	for (int b = 0; b < f->n_dist; b++)
	{
		const an_report_dist_bin *bin = &f->dist[b];

		if (flagged_total > 0)
			most = fmax(most, 100.0 * (double) bin->flagged / (double) flagged_total);
		if (normal_total > 0)
			most = fmax(most, 100.0 * (double) bin->normal / (double) normal_total);
		if (!categorical && isfinite(bin->low) && isfinite(bin->high))
		{
			p.x_lo = fmin(p.x_lo, bin->low);
			p.x_hi = fmax(p.x_hi, bin->high);
		}
	}
	if (f->n_dist <= 0 || !(most > 0) || (!categorical && !(p.x_hi >= p.x_lo)))
	{
		an_html_put_no_data(w, "no values");
		an_html_put(w, "</div>\n");
		return;
	}
	if (categorical)
	{
		p.x_lo = 0;
		p.x_hi = f->n_dist;
	}
	else if (!(p.x_hi > p.x_lo))
		an_html_pad_domain(&p.x_lo, &p.x_hi, 0);
	p.y_hi = ceil(most / an_html_nice_step(most, 4)) * an_html_nice_step(most, 4);
	an_html_open_svg(w, "chart", 500, 180, "distribution of a feature among flagged and other rows");
	an_html_draw_y_grid(w, &p, an_html_nice_step(p.y_hi, 4));
	for (int b = 0; b < f->n_dist; b++)
	{
		const an_report_dist_bin *bin = &f->dist[b];
		double		x0 = categorical ? an_html_plot_x(&p, b) : an_html_plot_x(&p, bin->low);
		double		x1 = categorical ? an_html_plot_x(&p, b + 1) : an_html_plot_x(&p, bin->high);
		double		half = (x1 - x0) / 2;

		if (!categorical && !(isfinite(bin->low) && isfinite(bin->high)))
			continue;
		an_html_put(w, "<g>");
		draw_share_bar(w, &p, "bar normal", x0 + half * 0.1, half * 0.9, bin->normal, normal_total);
		draw_share_bar(w, &p, "bar flagged", x0 + half, half * 0.9, bin->flagged, flagged_total);
		an_html_put(w, "</g>\n");
		if (categorical)
		{
			an_html_putf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
						 x0 + half, p.top + p.height + 16);
			an_html_put_text(w, bin->label);
			an_html_put(w, "</text>\n");
		}
	}
	if (!categorical)
		draw_value_ticks(w, &p, f->time_axis);
	an_html_draw_axis_titles(w, &p, "", "% of group");
	an_html_put(w, "</svg>\n<p class=\"caption\">");
	an_html_put_text(w, r->group);
	an_html_put(w, ": ");
	an_html_put_text(w, f->flagged_value ? f->flagged_value : "n/a");
	an_html_put(w, "; other rows: ");
	an_html_put_text(w, f->normal_value ? f->normal_value : "n/a");
	an_html_put(w, "</p></div>\n");
}

/* A chart per feature, the most important first. */
static void
render_distributions(an_writer *w, const an_report *r)
{
	an_html_open_section(w, "distributions", "Feature distributions", NULL);
	an_html_put(w, "<p class=\"caption\">Each bar is the share of its group&#39;s rows in the bin: "
				"the other rows in blue, the ");
	an_html_put_text(w, r->group);
	an_html_put(w, " rows in orange.</p>\n<div class=\"minis\">\n");
	for (int i = 0; i < r->n_features && i < MAX_DISTRIBUTIONS; i++)
		render_distribution(w, r, &r->features[i]);
	an_html_put(w, "</div>\n</section>\n");
}

/* The points of the scatter, the flagged ones or the others. */
static void
draw_scatter_points(an_writer *w, const plot_area *p, const an_report_scatter *s, int flagged)
{
	an_html_putf(w, "<g class=\"points%s\">\n", flagged ? " flagged" : "");
	for (int i = 0; i < s->n; i++)
	{
		if ((s->flagged[i] != 0) != flagged || !isfinite(s->x[i]) || !isfinite(s->y[i]))
			continue;
		an_html_putf(w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"/>\n", an_html_plot_x(p, s->x[i]),
					 an_html_plot_y(p, s->y[i]), flagged ? "3" : "1.8");
	}
	an_html_put(w, "</g>\n");
}

/* The two most important numeric features against each other. */
static void
render_scatter(an_writer *w, const an_report *r)
{
	const an_report_scatter *s = &r->scatter;
	plot_area	p = {64, 16, 956, 300, INFINITY, -INFINITY, INFINITY, -INFINITY};
	int			drawable = 0;

	an_html_open_section(w, "scatter", "The two leading features", NULL);
	for (int i = 0; s->x_feature && s->y_feature && i < s->n; i++)
	{
		if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
			continue;
		drawable++;
		p.x_lo = fmin(p.x_lo, s->x[i]);
		p.x_hi = fmax(p.x_hi, s->x[i]);
		p.y_lo = fmin(p.y_lo, s->y[i]);
		p.y_hi = fmax(p.y_hi, s->y[i]);
	}
	if (drawable == 0)
	{
		an_html_put_no_data(w, "fewer than two numeric features, or no finite values");
		an_html_put(w, "</section>\n");
		return;
	}
	an_html_put(w, "<p class=\"caption\">");
	an_html_put_count(w, drawable);
	an_html_put(w, " rows (every flagged row and an even sample of the others); the ");
	an_html_put_text(w, r->group);
	an_html_put(w, " rows in orange.</p>\n");
	an_html_pad_domain(&p.x_lo, &p.x_hi, 0.03);
	an_html_pad_domain(&p.y_lo, &p.y_hi, 0.05);
	an_html_open_svg(w, "chart", 1040, 370, "scatter of the two most important features");
	an_html_draw_y_grid(w, &p, an_html_nice_step(p.y_hi - p.y_lo, 5));
	an_html_draw_x_ticks(w, &p, an_html_nice_step(p.x_hi - p.x_lo, TARGET_TICKS));
	draw_scatter_points(w, &p, s, 0);
	draw_scatter_points(w, &p, s, 1);
	an_html_draw_axis_titles(w, &p, s->x_feature, s->y_feature);
	an_html_put(w, "</svg>\n</section>\n");
}

/* Append the importance, distributions and scatter sections of r. */
void
an_report_render_features(an_writer *w, const an_report *r)
{
	if (r->features == NULL || r->n_features <= 0)
		return;
	render_importance(w, r);
	render_distributions(w, r);
	render_scatter(w, r);
}
