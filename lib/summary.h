/*
 * summary.h - the run summary: what a stream of records says about one
 * run, tallied record by record (pm-summary's stream mode).
 *
 * Counted from the records themselves, so any stream works, annotated by
 * pm-store or not: run start/end records give the run's identity and
 * status, raw/market/event/price/group records the totals, the store
 * annotation ("stored") the database counts, failure and skip records
 * the failures and skips (pm-store writes one after each record it
 * annotates failed or skipped, so those annotations are not counted
 * again), and the results[] of group records the per suite:stage:variant
 * counts and latencies.
 *
 * Ownership: a struct summary owns copies of every string it keeps;
 * summary_add() borrows its record only for the call.  Memory grows with
 * the number of failures (at most SUMMARY_MAX_FAILURES are kept, the rest
 * only counted), of distinct variants and of results (one latency each).
 */
#ifndef PM_SUMMARY_H
#define PM_SUMMARY_H

#include <stdio.h>

#include "buf.h"
#include "ndjson.h"

#define SUMMARY_MAX_FAILURES 10000

struct summary_totals {
	unsigned long	records, fetched, normalized, grouped, processed,
			skipped, failed, inserted, updated, unchanged,
			duplicates;
};

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);

/* Tally one record; 0, or -1 when out of memory (reported). */
int summary_add(struct summary *s, const struct rec *r);
/* A line the input loop rejected (it wrote the failure record): a
 * bad_record failure at file:line, counted among the records. */
void summary_badline(struct summary *s, const char *file, unsigned long line,
    const char *detail);

void summary_get_totals(const struct summary *s, struct summary_totals *t);

/* The machine-readable summary, one JSON object with a newline. */
int summary_json(const struct summary *s, struct buf *out);
/* The run's status as the last end record said ("failed", ...), NULL
 * when none was seen.  Borrowed from s. */
const char *summary_run_status(const struct summary *s);
/* One line for an alert's text, NUL-terminated in b.  0 or -1. */
int summary_alert_text(const struct summary *s, struct buf *b);
/* The summary for a person, written to f.  0, or -1 when it could not
 * be (out of memory: said; a write error: not said, f may be stderr). */
int summary_text(const struct summary *s, FILE *f);

/* Write data to path through a temporary file renamed into place,
 * creating path's parent directories.  0, or -1 (reported). */
int summary_write_file(const char *path, const char *data, size_t len);

#endif
