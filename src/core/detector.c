/*
 * detector.c - the registry of detectors.
 */
#include "detector.h"

#include <stdio.h>
#include <string.h>

static const an_detector_ops *const registry[] = {
	&an_auto_ops,
	&an_iforest_ops,
	&an_lof_ops,
	&an_knn_ops,
	&an_ocsvm_ops,
	&an_hbos_ops,
	&an_ecod_ops,
	&an_copod_ops,
	&an_zscore_ops,
	&an_mahalanobis_ops,
	&an_ensemble_ops,
	&an_fcforest_ops,
};

#define N_DETECTORS (sizeof(registry) / sizeof(registry[0]))

/* The layout version model, fitted or read by ops, writes. */
uint16_t
an_detector_layout(const an_detector_ops *ops, const void *model)
{
	return ops->layout != NULL ? ops->layout(model) : ops->version;
}

/* The detector named name, or NULL. */
const an_detector_ops *
an_detector_by_name(const char *name)
{
	for (size_t i = 0; i < N_DETECTORS; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

/* The detector with id, or NULL. */
const an_detector_ops *
an_detector_by_id(uint16_t id)
{
	for (size_t i = 0; i < N_DETECTORS; i++)
		if (registry[i]->id == id)
			return registry[i];
	return NULL;
}

/* Comma-separated names of all detectors, for hints. */
const char *
an_detector_names(void)
{
	static char names[AN_MSG_MAX];

	if (names[0] == '\0')
		for (size_t i = 0; i < N_DETECTORS; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 i ? ", " : "", registry[i]->name);
	return names;
}
