/*
 * report_features.h - the report's sections about features: their global
 * importance, each one's distribution among flagged and other rows, and a
 * scatter of the two leading numeric features.
 */
#ifndef AN_REPORT_FEATURES_H
#define AN_REPORT_FEATURES_H

#include "bytes.h"
#include "report.h"

/* Append the importance, distributions and scatter sections of r. */
void		an_report_render_features(an_writer *w, const an_report *r);

#endif
