/*
 * prune.h - pm-store --prune-before DATE: drop the bronze payload versions
 * fetched before DATE that nothing needs any more (pm-schema(5), PRUNING).
 *
 * Kept whatever their age: the payload a market or an event row was last
 * normalized from (markets.raw_sha256, events.raw_sha256: every market's
 * latest payload), the one each market was processed from
 * (processed_markets.record's raw_sha256: what a stored result refers
 * to), and the payloads of stored prices (price_history.raw_sha256).
 *
 * All the SQL is here, in one statement per engine (and one per older
 * schema for a dry run, which does not upgrade), so a change of how
 * raw payloads are stored changes this file only.  One transaction; a
 * dry run is one SELECT, which a db opened read-only takes.
 * Ownership: the db is borrowed.
 */
#ifndef PM_PRUNE_H
#define PM_PRUNE_H

#include "db.h"

/* before: an RFC 3339 time or a date (YYYY-MM-DD, its midnight UTC).
 * dry: count, delete nothing.  0 and *n the rows (to be) removed, or -1
 * with the reason in err. */
int prune_raw(struct db *db, const char *before, int dry, unsigned long *n,
    char *err, size_t errlen);

#endif
