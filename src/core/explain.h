/*
 * explain.h - why a row scored as it did: one attribution per feature,
 * with its share of the blame, the direction of the deviation, and whether
 * the value lies outside what training saw.
 */
#ifndef AN_EXPLAIN_H
#define AN_EXPLAIN_H

#include "an_core.h"
#include "model.h"

typedef enum an_direction
{
	AN_DIR_HIGH = 0,			/* above the training median */
	AN_DIR_LOW,					/* at or below the training median */
	AN_DIR_RARE,				/* a category rarer than average, or unseen */
	AN_DIR_MISSING,				/* NULL, scored as the training median */
	AN_DIR_COMMON				/* a category at least as frequent as average */
} an_direction;

typedef struct an_attribution
{
	uint32_t	feature;		/* index into the model's features */
	double		contribution;	/* >= 0, in the detector's own units */
	double		share;			/* contribution / total; shares sum to 1 */
	uint8_t		direction;		/* an_direction */
	uint8_t		out_of_range;	/* outside the training range, or unseen */
} an_attribution;

/* Whether an encoded value lies outside f's training range (or is unseen). */
int			an_feature_out_of_range(const an_feature *f, double x);

/* The word for a direction: high, low, rare, missing or common. */
const char *an_direction_name(an_direction dir);

/*
 * Explain an encoded vector (NaN for missing; imputed in place): fills one
 * attribution per feature into out, sorted by contribution, largest first.
 */
an_status	an_model_explain(an_ctx *ctx, const an_model *m, double *x,
							 an_attribution *out);

/*
 * What each of m members adds to a combined score, into part (m values
 * summing to the combined score when it is positive): value[i] is member i's
 * term (its severity, or its tail surprise) and weight[i] its weight.  With
 * by_max, the score is the largest value and each member gets its Shapley
 * value in that game; otherwise the score is the weighted mean and each
 * member gets its own weighted term.
 */
void		an_member_parts(size_t m, const double *value, const double *weight,
							int by_max, double *part);

#endif
