/* prune.c - old bronze payload versions out (see prune.h). */
#include <stdio.h>

#include "prune.h"
#include "schema.h"
#include "timefmt.h"

/*
 * What must stay: every payload a row still names (KEEP4: the tables a
 * database before schema 5 has; trades and books came with it), each
 * table's test spelled by FREE(table, column).  SQLite builds a NOT IN
 * list once (an ephemeral index).  PostgreSQL hashes one only while it
 * fits work_mem, and otherwise scans the list again for every fetch: a
 * year of price history made the monthly prune run for hours (while the
 * stores, locked out, failed).  NOT EXISTS is an anti-join at any size.
 */
#define KEEP4(FREE, sha_of_record) \
	FREE("markets", "raw_sha256") " AND " FREE("events", "raw_sha256") \
	" AND " FREE("price_history", "raw_sha256") " AND " \
	FREE("processed_markets", sha_of_record) " AND " NOT_OPEN
#define KEEP(FREE, sha_of_record) KEEP4(FREE, sha_of_record) " AND " \
	FREE("trades", "raw_sha256") " AND " FREE("books", "raw_sha256")
#define SQ_FREE(t, col) \
	"sha256 NOT IN (SELECT " col " FROM " t " WHERE " col " IS NOT NULL)"
#define PG_FREE(t, col) \
	"NOT EXISTS (SELECT 1 FROM " t " k WHERE k." col " = o.sha256)"
/*
 * Nor a fetch of a run still open (running, not ended nor abandoned):
 * its store may not have written yet the rows that name the payload (the
 * market of a raw record comes in the next batch, committed apart), and
 * a prune between the two left the market naming a payload gone.
 */
#define NOT_OPEN "NOT EXISTS (SELECT 1 FROM processing_runs r WHERE " \
	"r.run_id = o.run_id AND (r.status IS NULL OR r.status = 'running'))"
#define OLD TS_SQL_BEFORE("COALESCE(fetched_at, stored_at)", \
	"CAST(?1 AS TEXT)") " AND "
#define SQ_REC "json_extract(record, '$.raw_sha256')"
#define PG_REC "record::json->>'raw_sha256'"

/* The fetches (raw_observations) before the cut that no row needs go;
 * then the payloads no fetch names any more. */
static const char *const sql[][2] = {
	/* [engine][dry] */
	[DB_SQLITE] = {
	    "DELETE FROM raw_observations AS o WHERE " OLD
	    KEEP(SQ_FREE, SQ_REC),
	    "SELECT count(*) FROM raw_observations o WHERE " OLD
	    KEEP(SQ_FREE, SQ_REC) },
	[DB_PG] = {
	    "DELETE FROM raw_observations o WHERE " OLD KEEP(PG_FREE, PG_REC),
	    "SELECT count(*) FROM raw_observations o WHERE " OLD
	    KEEP(PG_FREE, PG_REC) },
};
/*
 * The count of a dry run on a database of an older schema, which a dry
 * run does not upgrade: [engine][schema 4, before 4].  Before 4 a fetch
 * and its payload were one raw_responses row, which the upgrade makes an
 * observation, so the rows that would go are the same.
 */
static const char *const sql_old[][2] = {
	[DB_SQLITE] = {
	    "SELECT count(*) FROM raw_observations o WHERE " OLD
	    KEEP4(SQ_FREE, SQ_REC),
	    "SELECT count(*) FROM raw_responses o WHERE " OLD
	    KEEP4(SQ_FREE, SQ_REC) },
	[DB_PG] = {
	    "SELECT count(*) FROM raw_observations o WHERE " OLD
	    KEEP4(PG_FREE, PG_REC),
	    "SELECT count(*) FROM raw_responses o WHERE " OLD
	    KEEP4(PG_FREE, PG_REC) },
};
/* the index raw_observations_key leads with sha256: one look-up each */
static const char orphans[] = "DELETE FROM raw_payloads WHERE NOT EXISTS "
    "(SELECT 1 FROM raw_observations o WHERE o.sha256 = "
    "raw_payloads.sha256)";

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
	char when[TS_MAX];

	*n = 0;
	if (e != DB_SQLITE && e != DB_PG) {
		snprintf(err, errlen, "--prune-before: not on this engine");
		return -1;
	}
	if ((v = prune_schema(db, dry, err, errlen)) <= 0)
		return v;
	/* a date is its midnight; times compare as RFC 3339 text, exactly */
	ts_bound(before, when);
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
	/* a dry run is one SELECT, in no transaction of its own: pm-store
	 * opens the database read-only for it, where SQLite's BEGIN
	 * IMMEDIATE would fail */
	if ((!dry && ((rc = db_begin(db)) != DB_DONE || (e == DB_PG &&
	    (rc = db_exec(db, "LOCK TABLE raw_payloads, raw_observations IN "
	    "SHARE ROW EXCLUSIVE MODE")) != DB_DONE))) ||
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
	if (!dry && db_commit(db) != DB_DONE)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	db_finalize(st);
	if (!dry)
		db_rollback(db);
	return -1;
}
