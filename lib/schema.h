/*
 * schema.h - the versioned schema pm-store keeps, the same on SQLite and
 * PostgreSQL.  Each migration runs once, in its own transaction, and is
 * recorded in schema_migrations; an older database is brought up to date
 * in place the first time a newer pm-store opens it.  Concurrent openers
 * serialise on the writer lock (SQLite) or an advisory lock (PostgreSQL).
 *
 * Types are chosen so both engines hold the same values: TEXT (times are
 * RFC 3339 UTC strings, JSON is compact text), BIGINT (booleans 0/1) and
 * DOUBLE PRECISION.
 *
 * No ownership: the database is borrowed.
 */
#ifndef PM_SCHEMA_H
#define PM_SCHEMA_H

#include <stddef.h>

#include "buf.h"
#include "db.h"

/* The version this build writes. */
int schema_latest(void);

/* Bring db up to version `to` (0: the latest): every migration up to it
 * that schema_migrations does not hold runs, in order, also one below a
 * version that it holds.  Returns 0, or -1 with the reason in err.  A
 * database newer than this build is refused. */
int schema_migrate(struct db *db, int to, char *err, size_t errlen);

/* The version db is at: the one up to which every migration has run (a
 * database at [1,2,3,7] is at 3), or the highest there when it is newer
 * than this build; 0: empty, no schema_migrations table; -1 when it
 * cannot be read (a lock, a lost server, a damaged file).  On ClickHouse
 * (read-only, lib/db_ch.c) the version of lib/schema_ch.c's numbering. */
int schema_version(struct db *db);

/* 1 when version v is newer than this build knows, said in err (a
 * database a newer pm-store wrote: neither stored into, pruned, nor
 * written by pm-summary --hold or --notify); else 0. */
int schema_newer(int v, char *err, size_t errlen);

/* Is there a table or view of that name (in the search path): 1 or 0;
 * -1 when the catalog cannot be read. */
int schema_has_table(struct db *db, const char *name);

/* A statement taking an event_key (?1) that returns a row when that
 * group was processed; NULL when there is no processed_events table yet
 * (nothing processed either).  The caller finalizes it. */
struct db_stmt *schema_processed(struct db *db);

/* Migration 6 in C (schema_keys.c): long keys to their stored form. */
int schema_long_keys(struct db *db);

/* The migrations as SQL text for one engine, for examples/schema.sql. */
int schema_text(int engine, struct buf *out);

#endif
