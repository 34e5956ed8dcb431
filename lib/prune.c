/* prune.c - old bronze payload versions out (see prune.h). */
#include <stdio.h>
#include <string.h>

#include "prune.h"
#include "schema.h"

/* What must stay: every payload a row still names (KEEP4: the tables a
 * database before schema 5 has; trades and books came with it). */
#define KEEP4(sha_of_record) \
	"sha256 NOT IN (SELECT raw_sha256 FROM markets WHERE raw_sha256 " \
	"IS NOT NULL) AND sha256 NOT IN (SELECT raw_sha256 FROM events " \
	"WHERE raw_sha256 IS NOT NULL) AND sha256 NOT IN (SELECT " \
	"raw_sha256 FROM price_history WHERE raw_sha256 IS NOT NULL) AND " \
	"sha256 NOT IN (SELECT " sha_of_record " FROM processed_markets " \
	"WHERE " sha_of_record " IS NOT NULL)"
#define KEEP(sha_of_record) KEEP4(sha_of_record) " AND " \
	"sha256 NOT IN (SELECT raw_sha256 FROM trades WHERE raw_sha256 " \
	"IS NOT NULL) AND sha256 NOT IN (SELECT raw_sha256 FROM books " \
	"WHERE raw_sha256 IS NOT NULL)"
#define OLD "COALESCE(fetched_at, stored_at) < ?1 AND "
#define SQLITE_SHA "json_extract(record, '$.raw_sha256')"
#define PG_SHA "(record::json->>'raw_sha256')"

/* The fetches (raw_observations) before the cut that no row needs go;
 * then the payloads no fetch names any more. */
static const char *const sql[][2] = {
	/* [engine][dry] */
	[DB_SQLITE] = {
	    "DELETE FROM raw_observations WHERE " OLD KEEP(SQLITE_SHA),
	    "SELECT count(*) FROM raw_observations WHERE " OLD
	    KEEP(SQLITE_SHA) },
	[DB_PG] = {
	    "DELETE FROM raw_observations WHERE " OLD KEEP(PG_SHA),
	    "SELECT count(*) FROM raw_observations WHERE " OLD KEEP(PG_SHA) },
};
/*
 * The count of a dry run on a database of an older schema, which a dry
 * run does not upgrade: [engine][schema 4, before 4].  Before 4 a fetch
 * and its payload were one raw_responses row, which the upgrade makes an
 * observation, so the rows that would go are the same.
 */
static const char *const sql_old[][2] = {
	[DB_SQLITE] = {
	    "SELECT count(*) FROM raw_observations WHERE " OLD
	    KEEP4(SQLITE_SHA),
	    "SELECT count(*) FROM raw_responses WHERE " OLD KEEP4(SQLITE_SHA) },
	[DB_PG] = {
	    "SELECT count(*) FROM raw_observations WHERE " OLD KEEP4(PG_SHA),
	    "SELECT count(*) FROM raw_responses WHERE " OLD KEEP4(PG_SHA) },
};
static const char orphans[] = "DELETE FROM raw_payloads WHERE sha256 NOT IN "
    "(SELECT sha256 FROM raw_observations)";

/*
 * What stays is what this schema's tables name: a database a newer
 * pm-store wrote may name payloads from tables this one does not know,
 * and is refused, as a store refuses it.  An older one is upgraded
 * first, as a store upgrades it, unless this is a dry run: that reads it
 * as it is.  The version it is at then; 0: no tables, nothing to prune.
 */
static int
prune_schema(struct db *db, int dry, char *err, size_t errlen)
{
	int v = schema_version(db);

	if (v == -1)
		snprintf(err, errlen, "schema version: %s", db_errmsg(db));
	else if (schema_newer(v, err, errlen))
		return -1;
	else if (v == 0 || dry || v == schema_latest())
		return v;
	else if (schema_migrate(db, 0, err, errlen) == 0)
		return schema_latest();
	return -1;
}

int
prune_raw(struct db *db, const char *before, int dry, unsigned long *n,
    char *err, size_t errlen)
{
	int e = db_engine(db), rc, v;
	struct db_stmt *st = NULL;
	char when[40];

	*n = 0;
	if (e != DB_SQLITE && e != DB_PG) {
		snprintf(err, errlen, "--prune-before: not on this engine");
		return -1;
	}
	if ((v = prune_schema(db, dry, err, errlen)) <= 0)
		return v;
	/* a date is its midnight; times compare as RFC 3339 text */
	snprintf(when, sizeof when, strlen(before) == 10 ? "%sT00:00:00Z" :
	    "%s", before);
	/*
	 * On PostgreSQL a store at work beside the prune writes a fetch of
	 * a payload already kept by INSERT ... ON CONFLICT DO NOTHING, which
	 * locks no row: the payload, its last fetch pruned, went while the
	 * store's new fetch of it, not committed yet, was not seen, and the
	 * store committed a fetch whose payload was gone (its record said
	 * stored).  The writers' own lock on the two tables, in their order,
	 * taken first: the prune waits for the stores at work to commit,
	 * and one that comes meanwhile waits for the prune, then finds the
	 * payload gone and writes it again.  SQLite has one writer at a
	 * time already.
	 */
	if ((rc = db_begin(db)) != DB_DONE || (!dry && e == DB_PG &&
	    (rc = db_exec(db, "LOCK TABLE raw_payloads, raw_observations IN "
	    "SHARE ROW EXCLUSIVE MODE")) != DB_DONE) ||
	    (st = db_prepare(db, v >= 5 ? sql[e][dry ? 1 : 0] :
	    sql_old[e][v < 4])) == NULL ||
	    db_bind_str(st, 1, when) == -1)
		goto fail;
	rc = db_step(st);
	if (dry && rc == DB_ROW)
		*n = (unsigned long)db_col_int(st, 0);
	else if (!dry && rc == DB_DONE)
		*n = (unsigned long)db_changes(st);
	else
		goto fail;
	db_finalize(st);
	st = NULL;
	if (!dry && ((st = db_prepare(db, orphans)) == NULL ||
	    db_step(st) != DB_DONE))
		goto fail;
	db_finalize(st);
	st = NULL;
	if (db_commit(db) != DB_DONE)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	db_finalize(st);
	db_rollback(db);
	return -1;
}
