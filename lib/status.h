/*
 * status.h - how fresh the stored data is (pm-summary --status): the last
 * update, its age against freshness thresholds, market counts, the last
 * runs and the recent failures, read from a pm-store database.
 *
 * Read-only: only SELECTs, on a database opened with DB_READONLY.
 * Ownership: the database and the output buffer are borrowed.
 */
#ifndef PM_STATUS_H
#define PM_STATUS_H

#include <stdint.h>

#include "buf.h"
#include "db.h"

/* Freshness levels, worst last. */
enum { FRESH = 0, STALE, VERY_STALE, NO_DATA };

struct status_opts {
	const char	*flow;		/* only runs of this flow; NULL: all */
	int64_t		 fresh;		/* seconds: fresh below this age */
	int64_t		 stale;		/* stale below this, very stale beyond */
	int64_t		 now;		/* epoch seconds the age is taken at */
	int		 runs;		/* last runs listed */
	int		 failures;	/* recent failures listed */
	int		 json;		/* JSON instead of text */
};

/* Default thresholds for a flow (a daily flow is fresh for a day). */
void status_defaults(const char *flow, int64_t *fresh, int64_t *stale);

/* "90", "90s", "20m", "1h", "1d": seconds into *secs; 0 or -1. */
int status_duration(const char *s, int64_t *secs);

/* Append the report to out and set *level.  0, or -1 when the database
 * failed (the reason in err). */
int status_report(struct db *db, const struct status_opts *o,
    struct buf *out, int *level, char *err, size_t errlen);

#endif
