/*
 * status.h - how fresh the stored data is (pm-summary --status): the last
 * update, its age against freshness thresholds, market counts, the last
 * runs and the recent failures, read from a pm-store database.
 *
 * Read-only: only SELECTs, on a database opened with DB_READONLY;
 * status_alert_due() alone writes, on a connection of its own.
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
	int		 now_given;	/* now is --now's, not the clock: the
					 * runs and failures after it are not
					 * yet there; else they are listed */
	int		 runs;		/* last runs listed */
	int		 failures;	/* recent failures listed */
	int		 json;		/* JSON instead of text */
	int		 fresh_given;	/* fresh, stale: for every flow, the */
	int		 stale_given;	/* other one each flow's own */
};

/* The thresholds flow is judged by: those given in o, the other one the
 * flow's default, twice a --fresh at or above the default stale age,
 * half a --stale below the default fresh age. */
void status_thresholds(const struct status_opts *o, const char *flow,
    int64_t *fresh, int64_t *stale);

/* Whether flow stores data of its own that a status checks (replay
 * stores other runs'), and the names of those flows, ", " between. */
int status_flow_known(const char *flow);
const char *status_flows(void);

/* "90", "90s", "20m", "1h", "1d": seconds into *secs; 0, -1 (not
 * one), or -2 (over STATUS_DURATION_MAX seconds: 100 years). */
#define STATUS_DURATION_MAX	(100LL * 365 * 86400)
int status_duration(const char *s, int64_t *secs);

/* Append the report to out (JSON with o->json, else text), and the
 * JSON report to json unless it is NULL; set *level, and *ran to
 * whether the flow whose level it is has runs (no data then is a flow
 * that ran and stored nothing, not a database never written).  0, or
 * -1 when the database failed (the reason in err). */
int status_report(struct db *db, const struct status_opts *o,
    struct buf *out, struct buf *json, int *level, int *ran, char *err,
    size_t errlen);

/*
 * --notify: whether this check turns the data of flow (NULL: all) from
 * fresh to stale, very stale or none (level not FRESH: the caller asks
 * only when a flow ran) since the last check that told a webhook,
 * kept in status_alerts (the database opened for writing, migrated).  1
 * once per such change, 0 otherwise (back to fresh re-arms it), -1 with
 * the reason in err.
 */
int status_alert_due(const char *url, int dbflags, const char *flow,
    int level, char *err, size_t errlen);

#endif
