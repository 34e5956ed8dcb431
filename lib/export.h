/*
 * export.h - pm-store --export of stored data for looking at it: markets,
 * events, prices and results as NDJSON, CSV or TSV (pm-schema(5),
 * EXPORTS).
 *
 * NDJSON of market and event is the stored record (pm-records(5)); of
 * price a price record; of result one object per stored result.  CSV
 * (RFC 4180, a header line, CRLF never: \n ends a row) and TSV (a header
 * line; tab, newline, CR and backslash written \t \n \r \\) have one row
 * per market outcome for markets, nested values (tags, probabilities,
 * output) as JSON text, true/false for flags and empty for null.
 *
 * Ownership: nothing is kept; the db and the where filter are borrowed.
 * Rows go to standard output through out.h, messages through msg.h.
 */
#ifndef PM_EXPORT_H
#define PM_EXPORT_H

#include "buf.h"
#include "db.h"

enum { EXPORT_NDJSON, EXPORT_CSV, EXPORT_TSV };

struct jqf;

/* EXPORT_*, or -1 for a name that is none. */
int export_format(const char *name);

/* 1 when what (market, event, price, result) is a table export_rows()
 * writes. */
int export_known(const char *what);

/* Write what's rows: all: every market, not only the active ones;
 * where: a jq filter on each row's NDJSON object, or NULL; run_id: only
 * that run's rows, or NULL; limit: at most that many records (after
 * where; the rows of a market, one per outcome, are one), 0 for all.  0,
 * or -1 after a message. */
int export_rows(struct db *db, const char *what, int format, int all,
    struct jqf *where, const char *run_id, unsigned long limit,
    unsigned long *count);

/* The same for a store read without struct db (ClickHouse): the header
 * line of what in format (none for NDJSON), and one row given as the
 * texts of its ncells columns in export order (NULL: null), written when
 * where keeps it, the records counted in *count up to limit (0: none)
 * with the caller's last (an empty buf at first) keeping the key of the
 * row before.  0, or 1 when the row would pass the limit (not written:
 * the export is done); -1 when what is unknown, -2 when ncells is not
 * what's number of columns (nothing written). */
int export_header(const char *what, int format);
int export_cells(const char *what, int format, struct jqf *where,
    const char *const *p, const size_t *n, size_t ncells,
    unsigned long limit, struct buf *last, unsigned long *count);

#endif
