/*
 * model_name.c - who holds a model name, seen or not.
 *
 * Every version of a name belongs to the role that trained its first one,
 * and is retrained only by that role's members.  Row-level security hides
 * other roles' models from SQL, but a name is unique across the catalog
 * (as the unique index on (name, version) is), so the trainer must learn
 * whether a name is taken even when its versions are hidden.  This reads
 * the catalog directly, and returns only the facts a new version needs:
 * the next version number, the owner, and the readers to carry over.
 */
#include "glue.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* Attribute number of column in rel, erroring if it is missing. */
static AttrNumber
column_number(Oid relid, const char *column)
{
	AttrNumber	attno = get_attnum(relid, column);

	if (attno == InvalidAttrNumber)
		elog(ERROR, "anomaly_models has no column \"%s\"", column);
	return attno;
}

/*
 * Fill holder with the facts of name's latest version in the catalog, read
 * with the latest snapshot (callers hold the name's training lock).  Stops
 * with insufficient_privilege if the name belongs to a role the current
 * user is not a member of.
 */
void
an_model_name_holder(const char *name, an_name_holder *holder)
{
	Oid			relid = get_relname_relid("anomaly_models", an_glue_schema_oid());
	AttrNumber	name_att = column_number(relid, "name");
	AttrNumber	version_att = column_number(relid, "version");
	AttrNumber	owner_att = column_number(relid, "owner");
	AttrNumber	readers_att = get_attnum(relid, "readers");
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Snapshot	snapshot;
	Oid			owner_role;

	memset(holder, 0, sizeof(*holder));
	holder->has_readers = readers_att != InvalidAttrNumber;
	rel = table_open(relid, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyInit(&key, name_att, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(name));
	scan = systable_beginscan(rel, InvalidOid, false, snapshot, 1, &key);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		int32		version = DatumGetInt32(heap_getattr(tuple, version_att, RelationGetDescr(rel), &isnull));

		if (version <= holder->latest_version)
			continue;
		holder->latest_version = version;
		namestrcpy(&holder->owner,
				   NameStr(*DatumGetName(heap_getattr(tuple, owner_att, RelationGetDescr(rel), &isnull))));
		if (holder->has_readers)
			holder->readers = datumCopy(heap_getattr(tuple, readers_att, RelationGetDescr(rel), &isnull),
										false, -1);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);

	if (holder->latest_version == 0)
	{
		namestrcpy(&holder->owner, GetUserNameFromId(GetUserId(), false));
		return;
	}
	owner_role = get_role_oid(NameStr(holder->owner), true);
	if (OidIsValid(owner_role) ? !is_member_of_role(GetUserId(), owner_role) : !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("anomaly model name \"%s\" belongs to another role", name),
				 errhint("Train under another name, or as a member of the role that owns it.")));
}
