/*
 * detector_bench.c - accuracy and speed of one detector on the labelled
 * benchmark datasets, through the same path the extension takes: rows go
 * into an anomaly_fit state, a model is trained from it, serialized, read
 * back, and every row is scored by the model read back.
 *
 * Transductive, as the issue asks: fit on all rows, score all rows; the
 * labels are used only for the metrics.
 *
 * Usage: detector_bench ALGORITHM [name=value ...] [--data DIR] [--only a,b]
 *                       [--dump OUT]
 *   DIR defaults to $ANOMALY_DATASETS, else ../shared/datasets; --only names
 *   the datasets (DIR/<name>.csv) instead of the twelve benchmark ones;
 *   --dump writes each row's score and label to OUT/<dataset>.txt (for
 *   trying combinations of detectors offline).
 *   A value that is not a number is taken as a word (a choice option).
 * Prints one line per dataset and a line of means:
 *   algorithm dataset rows dims roc_auc avg_prec fit_ms score_ns_per_row model_kb
 */
#include "an_core.h"
#include "fitstate.h"
#include "metrics.h"
#include "model.h"
#include "bench_alloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const datasets[] = {
	"annthyroid", "breastw", "cardio", "ionosphere", "mammography", "musk",
	"pendigits", "satimage-2", "shuttle", "smtp", "thyroid", "vowels",
};

#define N_DATASETS (sizeof(datasets) / sizeof(datasets[0]))
#define MAX_SETS 64

/* Split a comma-separated list of names in place into at most max names. */
static size_t
split_names(const char *list, const char **names, size_t max)
{
	static char copy[4096];
	size_t		n = 0;

	snprintf(copy, sizeof(copy), "%s", list);
	for (char *tok = strtok(copy, ","); tok != NULL && n < max; tok = strtok(NULL, ","))
		names[n++] = tok;
	return n;
}

/* Every block handed out for the current dataset, freed together. */
static void **blocks;
static size_t n_blocks,
			cap_blocks;

/* Read a dataset CSV (header f1..fd,is_anomaly) into X and labels. */
static int
load_csv(const char *path, double **X, uint8_t **labels, size_t *n, size_t *d)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		len = 0;
	size_t		cap = 0;
	ssize_t		got;

	if (f == NULL)
	{
		fprintf(stderr, "detector_bench: cannot open %s: %s\n", path, strerror(errno));
		return 0;
	}
	*n = 0;
	*d = 0;
	*X = NULL;
	*labels = NULL;
	if ((got = getline(&line, &len, f)) <= 0)
		return 0;
	for (ssize_t i = 0; i < got; i++)
		if (line[i] == ',')
			(*d)++;
	while ((got = getline(&line, &len, f)) > 0)
	{
		char	   *p = line;

		if (*n == cap)
		{
			cap = cap ? cap * 2 : 4096;
			*X = realloc(*X, sizeof(double) * cap * *d);
			*labels = realloc(*labels, cap);
		}
		for (size_t j = 0; j < *d; j++)
		{
			(*X)[*n * *d + j] = strtod(p, &p);
			if (*p == ',')
				p++;
		}
		(*labels)[*n] = (uint8_t) strtol(p, NULL, 10);
		(*n)++;
	}
	free(line);
	fclose(f);
	return 1;
}

/* Apply name=value options to p; exits on a bad one. */
static void
apply_options(an_ctx *ctx, an_params *p, const an_detector_ops *ops, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
	{
		char		name[128];
		const char *eq = strchr(argv[i], '=');
		char	   *end;
		double		v;
		an_status	st;

		if (eq == NULL || (size_t) (eq - argv[i]) >= sizeof(name))
		{
			fprintf(stderr, "detector_bench: bad option \"%s\"\n", argv[i]);
			exit(2);
		}
		memcpy(name, argv[i], eq - argv[i]);
		name[eq - argv[i]] = '\0';
		v = strtod(eq + 1, &end);
		if (*end == '\0' && end != eq + 1)
			st = an_params_set(ctx, p, ops, name, v);
		else if (strcmp(eq + 1, "null") == 0)
			st = an_params_set(ctx, p, ops, name, NAN);
		else
			st = an_params_set_word(ctx, p, ops, name, eq + 1);
		if (st != AN_OK)
		{
			fprintf(stderr, "detector_bench: %s (%s)\n", ctx->message, ctx->hint);
			exit(2);
		}
	}
}

/* Write each row's score and label to out/<name>.txt. */
static void
dump_scores(const char *out, const char *name, const double *scores,
			const uint8_t *labels, size_t n)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s.txt", out, name);
	f = fopen(path, "w");
	if (f == NULL)
	{
		fprintf(stderr, "detector_bench: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.17g %d\n", scores[i], labels[i]);
	fclose(f);
}

/* Train on one dataset and score it; prints its line, returns its metrics. */
static int
run_dataset(an_ctx *ctx, const an_params *p, const char *dir, const char *name,
			const char *dump, double *auc, double *ap, double *fit_ms, double *score_ns)
{
	char		path[4096];
	double	   *X;
	uint8_t    *labels;
	size_t		n,
				d,
				len;
	char	  **names;
	an_kind    *kinds;
	an_state   *st;
	an_model   *m = NULL,
			   *back = NULL;
	char		dropped[4096];
	unsigned char *bytes;
	double	   *scores,
			   *x,
				t0;
	an_metrics	mt;
	an_params	params = *p;

	snprintf(path, sizeof(path), "%s/%s.csv", dir, name);
	if (!load_csv(path, &X, &labels, &n, &d))
		return 0;
	names = an_alloc(ctx, sizeof(char *) * d);
	kinds = an_alloc(ctx, sizeof(an_kind) * d);
	for (size_t j = 0; j < d; j++)
	{
		names[j] = an_alloc(ctx, 24);
		snprintf(names[j], 24, "f%zu", j + 1);
		kinds[j] = AN_KIND_NUMERIC;
	}
	if (params.common[AN_P_SAMPLE_ROWS] < (double) n)
		fprintf(stderr, "note: %s has %zu rows, more than sample_rows %.0f\n",
				name, n, params.common[AN_P_SAMPLE_ROWS]);
	len = an_state_size((uint32_t) d, 0, (uint32_t) n);
	st = an_alloc(ctx, len);
	an_state_init(st, (uint32_t) d, (const char *const *) names, kinds, &params, (uint32_t) n);
	st->host_len = (uint32_t) len;

	t0 = cpu_seconds();
	for (size_t i = 0; i < n; i++)
		an_state_add_row(st, (const an_cell *) &X[i * d]);
	if (an_model_train(ctx, st, &m, dropped, sizeof(dropped)) != AN_OK)
	{
		printf("%s %s %zu %zu error: %s (%s)\n", params.algorithm ? an_detector_by_id(params.algorithm)->name : "?",
			   name, n, d, ctx->message, ctx->hint);
		free(X);
		free(labels);
		return 0;
	}
	*fit_ms = (cpu_seconds() - t0) * 1000;
	if (an_model_write(ctx, m, &bytes, &len) != AN_OK ||
		an_model_read(ctx, bytes, len, &back) != AN_OK)
	{
		printf("%s %s model does not round-trip: %s\n", m->ops->name, name, ctx->message);
		exit(1);
	}
	scores = an_alloc(ctx, sizeof(double) * n);
	x = an_alloc(ctx, sizeof(double) * d);
	t0 = cpu_seconds();
	for (size_t i = 0; i < n; i++)
	{
		memcpy(x, &X[i * d], sizeof(double) * d);
		scores[i] = an_model_score(back, x);
	}
	*score_ns = (cpu_seconds() - t0) * 1e9 / (double) n;
	if (dump != NULL)
		dump_scores(dump, name, scores, labels, n);
	an_metrics_compute(ctx, scores, labels, n, back->threshold, &mt);
	*auc = mt.roc_auc;
	*ap = mt.average_precision;
	printf("%-12s %-12s %6zu %4zu %7.4f %7.4f %9.1f %10.0f %9.1f\n", back->ops->name, name,
		   n, d, *auc, *ap, *fit_ms, *score_ns, (double) len / 1024);
	fflush(stdout);
	free(X);
	free(labels);
	return 1;
}

int
main(int argc, char **argv)
{
	an_ctx		ctx;
	const an_detector_ops *ops;
	an_params	p;
	const char *dir = getenv("ANOMALY_DATASETS");
	const char *only = NULL;
	const char *dump = NULL;
	char	   *opts[64];
	int			n_opts = 0;
	double		sum_auc = 0,
				sum_ap = 0,
				sum_fit = 0,
				sum_score = 0;
	int			done = 0;
	const char *sets[MAX_SETS];
	size_t		n_sets = N_DATASETS;

	memcpy(sets, datasets, sizeof(datasets));
	if (argc < 2)
	{
		fprintf(stderr, "usage: detector_bench ALGORITHM [name=value ...] [--data DIR] [--only a,b] [--dump OUT]\n"
				"algorithms: %s\n", an_detector_names());
		return 2;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = bench_alloc;
	ops = an_detector_by_name(argv[1]);
	if (ops == NULL)
	{
		fprintf(stderr, "detector_bench: unknown algorithm \"%s\" (known: %s)\n",
				argv[1], an_detector_names());
		return 2;
	}
	for (int i = 2; i < argc; i++)
	{
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
			dump = argv[++i];
		else if (n_opts < 64)
			opts[n_opts++] = argv[i];
	}
	if (dir == NULL)
		dir = "../shared/datasets";
	an_params_defaults(&p, ops);
	apply_options(&ctx, &p, ops, n_opts, opts);
	printf("%-12s %-12s %6s %4s %7s %7s %9s %10s %9s\n", "algorithm", "dataset", "rows",
		   "dims", "roc_auc", "avg_prec", "fit_ms", "score_ns", "model_kb");
	if (only != NULL)
		n_sets = split_names(only, sets, MAX_SETS);
	for (size_t k = 0; k < n_sets; k++)
	{
		double		auc,
					ap,
					fit_ms,
					score_ns;

		if (run_dataset(&ctx, &p, dir, sets[k], dump, &auc, &ap, &fit_ms, &score_ns))
		{
			sum_auc += auc;
			sum_ap += ap;
			sum_fit += fit_ms;
			sum_score += score_ns;
			done++;
		}
		free_blocks();
	}
	if (done > 0)
		printf("%-12s %-12s %6s %4s %7.4f %7.4f %9.1f %10.0f\n", ops->name, "mean", "", "",
			   sum_auc / done, sum_ap / done, sum_fit / done, sum_score / done);
	free(blocks);
	return done == (int) n_sets ? 0 : 1;
}
