/*
 * store.h - what pm-store does with records: the per-kind storage logic
 * over db.h, the store annotation, runs, --new-only and --export.
 *
 * The promise: storing a stream is idempotent.  Rows are keyed on what
 * identifies them upstream (sha256, (source, id), event_key...); upserts
 * change a row only when its content changed; a group is written in one
 * transaction guarded by the unique processed_events.event_key.  Records
 * are written in batches (one transaction each); a transient error rolls
 * the batch back and runs it again, a permanent one is pinned on its
 * record by running the batch's records one at a time.
 *
 * Ownership: a struct store borrows its db (NULL for a dry run) and owns
 * copies of the records of the open batch; store_free() releases them.
 * Output goes to standard output through out.h, messages through msg.h.
 */
#ifndef PM_STORE_H
#define PM_STORE_H

#include "db.h"
#include "ndjson.h"

struct store_counts {
	unsigned long	records, inserted, updated, unchanged, duplicates,
			skipped, failed;
};

struct store;

/*
 * The longest input line pm-store takes, into nd (max_line, and max_why
 * for the bad line's detail): PM_MAX_LINE less the most the "stored"
 * annotation adds, so that every record it stores is written out; a
 * longer one is a bad line, reported, not stored.
 */
void store_line_cap(struct ndjson *nd);

/* target: the redacted database name for messages; NULL db: dry run. */
struct store *store_new(struct db *db, const char *target, size_t max_line);
void store_free(struct store *s);
/* A dry run for a store that keeps no group (ClickHouse): each group
 * record fails (bad_record) with why, as storing it would. */
void store_refuse_groups(struct store *s, const char *why);

/* One input record (the ndjson loop's fn); -1 when the database is gone
 * for good and the input should stop. */
int store_record(struct rec *r, void *arg);
/* A line the input loop rejected: remembered in processing_failures. */
void store_badline(void *arg, const char *file, unsigned long line,
    const char *detail);
/* No input for 100 ms and the loop is about to wait for it: the open batch
 * is committed and written out, so no lock or transaction is held while
 * a slow producer (pm-fetch, a FIFO) takes its time. */
void store_idle(void *arg);
/* End of input: the last batch, the open run's end.  whole: 0 when the
 * input was not read to its end (a file that could not be read, an
 * output that failed): the open run is then partial.  0, or -1 when the
 * database failed (reported). */
int store_finish(struct store *s, int whole);
void store_get_counts(const struct store *s, struct store_counts *c);
int store_fatal(const struct store *s);

/*
 * --new-only: a group never processed passes as it is; one processed
 * before passes with "stored_results", what is stored for it per
 * experiment, fingerprint and markets (results that did not fail, and
 * research output), for pm-experiment to run only what is not done.
 */
int store_new_only(struct rec *r, void *arg);
struct store_filter {
	struct db	*db;
	struct db_stmt	*seen;	/* NULL: nothing processed yet */
	struct db_stmt	*stored;	/* what is stored for an event_key */
	unsigned long	 passed, revisited, skipped, failed;
};
/* Prepare f's statements on f->db (a database of any schema version);
 * a database without tables leaves them NULL.  -1 when the database
 * cannot be read (db_errmsg() says why). */
int store_filter_prepare(struct store_filter *f);

/* --export raw|market|group: rows back to records on standard output.
 * where: a compiled jq filter or NULL; run_id: NULL for all; limit: at
 * most that many records, 0 for all. */
struct jqf;
/* started_at of the newest completed run of one of flows (comma-separated)
 * that started before before (a bound as ts_bound() makes it) into out,
 * "" when there is none; -1 on error. */
int store_last_run(struct db *db, const char *flows, const char *before,
    char *out, size_t outlen);
/* 1 when name is a flow a run record may have (pm-records(5)). */
int store_flow_known(const char *name);
/* Those flows, ", " between them, for a message naming one that is not
 * (a static string). */
const char *store_flows(void);
/* what: the kind as the user named it (market, markets, event, events,
 * raw, ...), all: --all (every market, as markets) */
int store_export(struct db *db, const char *what, int all,
    struct jqf *where, const char *run_id, const char *closed_since,
    unsigned long limit, unsigned long *n);

#endif
