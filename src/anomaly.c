/*
 * anomaly.c - module entry point and the bridge between core contexts and
 * PostgreSQL memory contexts, interrupts and errors.
 */
#include "glue.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Module load: define the extension's settings (and, preloaded, its shared
 * memory), and resolve model names when statements are planned on Citus. */
void
_PG_init(void)
{
	an_cache_define_guc();
	an_progress_init();
	an_citus_names_init();
}

/* Allocate zeroed memory in the memory context given as arg. */
static void *
glue_alloc(void *arg, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) arg, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* Let a query cancel or a shutdown interrupt a long core loop. */
static void
glue_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* Set up a core context that allocates in mcxt. */
void
an_glue_ctx(an_ctx *ctx, MemoryContext mcxt)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->alloc = glue_alloc;
	ctx->alloc_arg = mcxt;
	ctx->check_interrupts = glue_check_interrupts;
}

/* Raise the core error recorded in ctx as a PostgreSQL ERROR. */
void
an_glue_raise(an_ctx *ctx, an_status status)
{
	int			code;

	switch (status)
	{
		case AN_ERR_PARAM:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case AN_ERR_CORRUPT:
			code = ERRCODE_DATA_CORRUPTED;
			break;
		default:
			code = ERRCODE_DATA_EXCEPTION;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", ctx->message),
			 ctx->hint[0] ? errhint("%s", ctx->hint) : 0));
	pg_unreachable();
}

/* Raise the core error in ctx unless status is AN_OK. */
void
an_glue_check(an_ctx *ctx, an_status status)
{
	if (status != AN_OK)
		an_glue_raise(ctx, status);
}

/* The oid of the schema the extension lives in, or InvalidOid if absent. */
Oid
an_glue_schema_oid(void)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("anomaly"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}

/* The quoted name of the schema the extension lives in (it is not relocatable). */
const char *
an_glue_schema(void)
{
	Oid			nsp = an_glue_schema_oid();

	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"anomaly\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION anomaly.")));
	return quote_identifier(get_namespace_name(nsp));
}
