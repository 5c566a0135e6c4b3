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

/* A function that does not return, written before its declaration: 18 has
 * pg_noreturn (C11 _Noreturn) in place of pg_attribute_noreturn(). */
#if PG_VERSION_NUM >= 180000
#define an_noreturn pg_noreturn
#else
#define an_noreturn pg_attribute_noreturn()
#endif

/* The number of a PGPROC, which indexes per-backend shared arrays: 17
 * replaced its pgprocno field with GetNumberFromPGProc(). */
#if PG_VERSION_NUM >= 170000
#define an_proc_number(proc) GetNumberFromPGProc(proc)
#else
#define an_proc_number(proc) ((proc)->pgprocno)
#endif

#endif							/* AN_PG_COMPAT_H */
