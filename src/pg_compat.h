/*
 * pg_compat.h - the differences between the PostgreSQL majors the extension
 * builds on (15, 17, 18), in one place: the glue calls these names only.
 */
#ifndef AN_PG_COMPAT_H
#define AN_PG_COMPAT_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/regproc.h"

/* A qualified name parsed into a list; from 16 on the parser takes an error
 * context (NULL: errors are thrown, as in 15). */
#if PG_VERSION_NUM >= 160000
#define an_qualified_name_list(s) stringToQualifiedNameList((s), NULL)
#else
#define an_qualified_name_list(s) stringToQualifiedNameList(s)
#endif

#endif							/* AN_PG_COMPAT_H */
