/* status.c - data freshness from the database (see status.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jw.h"
#include "msg.h"
#include "schema.h"
#include "status.h"
#include "timefmt.h"

static const char *const level_names[] = { "fresh", "stale", "very_stale",
	"no_data" };

/* A time newest_of() read, kept for the flows that ask the same again:
 * static and delta (the markets, Gamma's markets), daily and
 * retry-failures (the events processed). */
#define NMEMO 16
struct memo {
	char		 key[640];	/* SQL, endpoint and source */
	char		 last[TS_MAX * 2];
	int64_t		 t;
	int		 found;
};

/* The report is built twice over, as JSON and as text, and one is kept:
 * each query then fills both in one place. */
struct rep {
	struct db		*db;
	const struct status_opts *o;
	struct buf		 j, t;
	json_parser		*jp;
	int			 version;	/* schema_version() */
	struct memo		 memo[NMEMO];
	size_t			 nmemo;
	char			 below[TS_MAX + 1];	/* above every
					 * time at or before now, as text */
	const char		*until;		/* above the runs and
					 * failures listed (below, or every
					 * time without --now) */
	char			*err;
	size_t			 errlen;
};

/* The daily flow's data ages a day between runs; so does that of
 * retry-failures, which is the daily's (the events processed). */
static void
status_defaults(const char *flow, int64_t *fresh, int64_t *stale)
{
	if (flow && (strcmp(flow, "daily") == 0 ||
	    strcmp(flow, "retry-failures") == 0)) {
		*fresh = 86400;
		*stale = 2 * 86400;
	} else {
		*fresh = 20 * 60;
		*stale = 60 * 60;
	}
}

void
status_thresholds(const struct status_opts *o, const char *flow,
    int64_t *fresh, int64_t *stale)
{
	int64_t f, s;

	status_defaults(flow, &f, &s);
	*fresh = o->fresh_given ? o->fresh : o->stale_given && o->stale < f ?
	    o->stale / 2 : f;
	*stale = o->stale_given ? o->stale : o->fresh_given && o->fresh >= s ?
	    o->fresh * 2 : s;
}

int
status_duration(const char *s, int64_t *secs)
{
	char *e;
	long long v;
	int64_t unit = 1;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &e, 10);
	if (*e == 's')
		e++;
	else if (*e == 'm')
		unit = 60, e++;
	else if (*e == 'h')
		unit = 3600, e++;
	else if (*e == 'd')
		unit = 86400, e++;
	if (*e || v < 0)
		return -1;
	if (v > STATUS_DURATION_MAX / unit)
		return -2;
	*secs = (int64_t)v * unit;
	return 0;
}

/* "3d 4h", "2h 5m", "7m", "12s": an age for a person. */
static void
human_age(int64_t s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, n, "%" PRId64 "d %" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, n, "%" PRId64 "h %" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, n, "%" PRId64 "m", s / 60);
	else
		snprintf(out, n, "%" PRId64 "s", s);
}

static int
dberr(struct rep *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s: %s", what, db_errmsg(r->db));
	return -1;
}

/* A column as a JSON string or null. */
static void
jcol(struct rep *r, struct db_stmt *st, int i, const char *key)
{
	size_t n;
	const char *s = db_col_text(st, i, &n);

	jw_key(&r->j, key);
	if (s)
		jw_str(&r->j, s, n);
	else
		jw_null(&r->j);
}

/*
 * The runs on ClickHouse from its schema 3: a run still marked running
 * whose holder's lease (run_leases, lib/lease.c) is there but not live is
 * read as abandoned, as the next run of its flow marks it: its lease
 * expired (its holder died with it, its machine went off) or was given
 * back (its end could not be stored).  A run without a lease (stored by
 * pm-store alone, or by a driver of before) is read as stored.
 */
#define CH_RUNS "(SELECT run_id, flow, started_at, finished_at, counts, " \
	"stored_at, if(ifNull(status, 'running') = 'running' AND run_id " \
	"GLOBAL IN (SELECT run_id FROM run_leases FINAL GROUP BY run_id " \
	"HAVING max(expires_at) <= toInt64(now())), 'abandoned', status) " \
	"AS status FROM processing_runs FINAL)"

/*
 * The failures on ClickHouse: one row per failure, as FINAL reads it, but
 * with the time it was first recorded, as SQLite and PostgreSQL keep it
 * (the row stored again is left as it was there), not the latest
 * version's: a dump stored again a day later (a replay) would make its
 * failures the last day's, and list them as the newest.
 */
#define CH_FAILURES "(SELECT failure_sha256, any(run_id) AS run_id, " \
	"any(stage) AS stage, any(reason) AS reason, any(retriable) AS " \
	"retriable, any(market_id) AS market_id, any(event_key) AS " \
	"event_key, any(detail) AS detail, min(recorded_at) AS recorded_at, " \
	"min(row_version) AS row_version FROM processing_failures GROUP BY " \
	"failure_sha256)"

/*
 * A table as a count or a list reads it.  On ClickHouse its rows are
 * versions, merged in the background (ReplacingMergeTree), and FINAL
 * reads one row per key, the latest (a MAX over times needs none); in a
 * subquery, as 18.16 refuses FINAL of a cluster's Distributed table
 * under an ORDER BY without WHERE ("Cannot find column row_version").
 * The server reads only the columns used.
 */
static const char *
table(const struct rep *r, const char *name, char *buf, size_t n)
{
	if (db_engine(r->db) != DB_CLICKHOUSE)
		return name;
	if (r->version >= 3 && strcmp(name, "processing_runs") == 0)
		return CH_RUNS;
	if (strcmp(name, "processing_failures") == 0)
		return CH_FAILURES;
	snprintf(buf, n, "(SELECT * FROM %s FINAL)", name);
	return buf;
}

static const char *
tcol(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i, NULL);

	return s ? s : "-";
}

/*
 * Where each flow's data lands, and the column that says when: the
 * freshness of a flow is that of the newest row it stored, not the end
 * of its last run (a run can end without storing anything); of markets
 * and events, when that row was fetched (a dump replayed today brings
 * no fresh data), when it was stored for a record that does not say.
 * A table that does not exist (trades before its flow ran) has no data.
 *
 * A fetch whose answer did not change stores no row (its market is
 * unchanged and keeps the fetch time of the content), but it does leave
 * its observation (raw_observations, one row per answer fetched): so
 * markets, events and trades are as fresh as the newest of their rows
 * and of the fetches of the endpoints that feed them, by the same rules
 * (fetched_at, else stored_at; never after now).  The endpoints are the
 * data's, not a run's: static and delta both list Gamma's markets into
 * markets, and a delta keeps the markets that static made fresh, as a
 * changed market did before; the events flow lists events (the static
 * flow too); the trades flow pages the Data API's trades, an empty page
 * included.  The prices flow's own data is the history of each token:
 * the static and delta flows fetch current prices too, so a quote (buy,
 * sell, mid, last) would keep a dead prices flow fresh; its rows are
 * the history points, and its fetches the CLOB's prices-history.  Daily
 * needs none: its data is the events processed, not what was fetched.
 *
 * An event is processed when pm-store stores its group (processed_at),
 * but a dump replayed today stores yesterday's groups today: so an
 * event is no fresher than the newest of its results (finished_at,
 * which the dump carries as the run wrote it), when it has one.  A
 * result stored later (a retry) leaves the event its processed_at.  The
 * events are read whole, and each one's results once, by their key, in
 * a join grouped by event: as a correlated subquery each row's time was
 * asked for three times and the bounds six more, both engines inlining
 * it, and nine walks per event made PostgreSQL's plan cost enough for
 * JIT with inlining and optimization (its compiling, most of the time).
 */
#define FETCHED	"COALESCE(fetched_at, stored_at)"
#define PROCESSED "(SELECT CASE WHEN MAX(r.finished_at) IS NOT NULL AND " \
	"MAX(r.finished_at) < e.processed_at THEN MAX(r.finished_at) ELSE " \
	"e.processed_at END AS t FROM processed_events e LEFT JOIN " \
	"experiment_results r ON r.event_key = e.event_key GROUP BY " \
	"e.event_key, e.processed_at) d"
static const char *const markets_eps[] = { "markets/keyset", "markets",
	NULL };
static const char *const events_eps[] = { "events/keyset", "events", NULL };
static const char *const trades_eps[] = { "trades", NULL };
static const char *const history_eps[] = { "prices-history", NULL };
#define HISTORY "(SELECT ts FROM price_history WHERE side = 'history') AS h"
static const struct source {
	const char	*flow, *table, *col;
	const char	*from;		/* the rows read, NULL: table's */
	const char	*api;		/* the observations' source */
	const char *const *eps;		/* and endpoints, NULL: none */
} sources[] = {
	{ "daily", "processed_events", "t", PROCESSED, NULL, NULL },
	{ "static", "markets", FETCHED, NULL, "gamma", markets_eps },
	{ "delta", "markets", FETCHED, NULL, "gamma", markets_eps },
	{ "events", "events", FETCHED, NULL, "gamma", events_eps },
	{ "prices", "price_history", "ts", HISTORY, "clob", history_eps },
	{ "trades", "trades", "ts", NULL, "data", trades_eps },
	{ "retry-failures", "processed_events", "t", PROCESSED, NULL, NULL },
};
#define NSOURCES (sizeof sources / sizeof sources[0])

int
status_flow_known(const char *flow)
{
	size_t i;

	for (i = 0; i < NSOURCES; i++)
		if (strcmp(flow, sources[i].flow) == 0)
			return 1;
	return 0;
}

const char *
status_flows(void)
{
	static char list[128];
	size_t i, n = 0;

	if (list[0] == 0)
		for (i = 0; i < NSOURCES; i++)
			n += (size_t)snprintf(list + n, sizeof list - n,
			    "%s%s", i ? ", " : "", sources[i].flow);
	return list;
}

struct fresh {
	const struct source *src;
	const char	*from;		/* the table last came from */
	char		 last[TS_MAX * 2];
	int64_t		 age, fresh, stale, runs, failed, in_a_row, ahead;
	int		 level;
	char		 last_status[32];
};

/* Times in the flow's table, newest first as text, looked at before the
 * flow counts as having stored nothing readable. */
#define NEWEST_TRIES 16

/*
 * The newest time sql gives (?1 now, ?2 the bound below, ?3 and ?4 the
 * endpoint and source when ep is not NULL) into last and *t: 1, or 0
 * when there is none, -1 when it could not be read.  Times after now are
 * ignored (a clock that ran ahead must not keep a dead flow fresh for
 * ever).  Text order is time order only for UTC times: "12:00:00-10:00"
 * is 22:00Z, after a now of 18:00Z, yet sorts before it.  So each time
 * is read, and one after now (or no time at all) gives way to the next
 * lower one.  A question asked before is answered as it was.
 */
static int
newest_of(struct rep *r, const char *sql, const char *what,
    const char *ep, const char *api, char *last, size_t lastn, int64_t *t)
{
	char now[TS_MAX], below[TS_MAX * 2 + 1], key[sizeof r->memo[0].key];
	struct memo *m;
	struct db_stmt *st;
	const char *v;
	int i, found = 0;

	last[0] = 0;
	if (snprintf(key, sizeof key, "%s\n%s\n%s", sql, ep ? ep : "",
	    api ? api : "") >= (int)sizeof key)
		key[0] = 0;	/* too long to keep: asked each time */
	for (m = r->memo; key[0] && m < r->memo + r->nmemo; m++)
		if (strcmp(m->key, key) == 0) {
			snprintf(last, lastn, "%s", m->last);
			*t = m->t;
			return m->found;
		}
	ts_format((time_t)r->o->now, NULL, 0, now);
	snprintf(below, sizeof below, "%s", r->below);
	if ((st = db_prepare(r->db, sql)) == NULL)
		return dberr(r, what);
	for (i = 0; i < NEWEST_TRIES && !found; i++) {
		db_bind_str(st, 1, now);
		db_bind_str(st, 2, below);
		if (ep) {
			db_bind_str(st, 3, ep);
			db_bind_str(st, 4, api);
		}
		if (db_step(st) != DB_ROW) {
			db_finalize(st);
			return dberr(r, what);
		}
		/* ClickHouse's MAX of no String is "", not NULL */
		if ((v = db_col_text(st, 0, NULL)) == NULL || *v == 0) {
			db_reset(st);
			break;
		}
		snprintf(last, lastn, "%s", v);
		snprintf(below, sizeof below, "%s", v);
		db_reset(st);
		found = ts_sec(last, strlen(last), t) == 0 && *t <= r->o->now;
	}
	db_finalize(st);
	if (key[0] && r->nmemo < NMEMO) {
		m = &r->memo[r->nmemo++];
		snprintf(m->key, sizeof m->key, "%s", key);
		snprintf(m->last, sizeof m->last, "%s", last);
		m->t = *t;
		m->found = found;
	}
	return found;
}

/*
 * Where the fetches are: raw_observations, or before schema 4 the table
 * raw_responses with the same columns (a database read as it is, not
 * upgraded); NULL when neither (or it could not be told: *err).  Since
 * schema 12 the index raw_observations_fetched on (endpoint, FETCHED)
 * makes the newest fetch of an endpoint one step down from the bound;
 * a database before it, read as it is, is read whole.  ClickHouse, whose
 * versions number apart, has raw_responses: each fetch a row version
 * until merged, then the one stored last (in its order: its endpoint and
 * time); its MAX needs no FINAL.
 */
static const char *
fetches(struct rep *r, int *err)
{
	int i;

	*err = 0;
	if (db_engine(r->db) == DB_CLICKHOUSE) {
		if ((i = schema_has_table(r->db, "raw_responses")) == -1)
			*err = 1;
		return i == 1 ? "raw_responses" : NULL;
	}
	if ((i = schema_has_table(r->db, "raw_observations")) != 0) {
		*err = i == -1;
		return i == 1 ? "raw_observations" : NULL;
	}
	if (r->version >= 4)
		return NULL;
	if ((i = schema_has_table(r->db, "raw_responses")) == -1)
		*err = 1;
	return i == 1 ? "raw_responses" : NULL;
}

/* The flow's freshness: the newest time of its table, or of the fetches
 * of its endpoints when one is newer. */
static int
newest(struct rep *r, struct fresh *f)
{
	char sql[512], last[TS_MAX * 2];
	const char *const *ep, *obs;
	int64_t best = 0, t = 0;
	int i, bad = 0;

	f->last[0] = 0;
	f->level = NO_DATA;
	f->from = f->src->table;
	/* no such table (trades before its flow ran): nothing stored; one
	 * that cannot be read is not "no data" */
	if ((i = schema_has_table(r->db, f->src->table)) == -1)
		return dberr(r, f->src->table);
	if (i == 1) {
		snprintf(sql, sizeof sql, "SELECT MAX(%s) FROM %s WHERE %s <= ?1 "
		    "AND %s < ?2", f->src->col, f->src->from ? f->src->from :
		    f->src->table, f->src->col, f->src->col);
		if ((i = newest_of(r, sql, f->src->table, NULL, NULL, f->last,
		    sizeof f->last, &best)) == -1)
			return -1;
		if (i == 0)
			f->last[0] = 0;
	}
	if (f->src->eps && (obs = fetches(r, &bad)) != NULL) {
		/* one endpoint at a time: each is one walk down the index */
		snprintf(sql, sizeof sql, "SELECT MAX(" FETCHED ") FROM %s "
		    "WHERE endpoint = ?3 AND source = ?4 AND " FETCHED " <= ?1 "
		    "AND " FETCHED " < ?2", obs);
		for (ep = f->src->eps; *ep; ep++) {
			if ((i = newest_of(r, sql, obs, *ep, f->src->api, last,
			    sizeof last, &t)) == -1)
				return -1;
			/* the table's own time when they are the same */
			if (i == 1 && (f->last[0] == 0 || t > best)) {
				memcpy(f->last, last, sizeof f->last);
				best = t;
				f->from = obs;
			}
		}
	} else if (f->src->eps && bad)
		return dberr(r, "raw_observations");
	if (f->last[0] == 0)
		return 0;
	f->age = r->o->now - best;
	f->level = f->age < f->fresh ? FRESH : f->age < f->stale ? STALE :
	    VERY_STALE;
	return 0;
}

/*
 * When a run started, as the runs are listed: a report at --now sees no
 * run started after it, nor a failure recorded after it (r->until).
 * Without --now they are all there: a run dated after the clock (by a
 * machine whose clock is ahead) is listed and counted, and said to be
 * dated ahead of it, or a run that failed went unseen, a status fine,
 * until the clock caught up.
 */
#define STARTED "COALESCE(started_at, stored_at)"
#define EVER "9999-12-31T23:59:59Z~"	/* above every time, as text */

/* Whether the time s (a column, NULL) is after the report's now. */
static int
ahead(const struct rep *r, const char *s)
{
	int64_t t;

	return s && ts_sec(s, strlen(s), &t) == 0 && t > r->o->now;
}

/* The order of the runs, newest first, and of runs started at once (two
 * flows run with one --now, runs stored by hand) by run_id in byte order,
 * as SQLite and ClickHouse compare it: on PostgreSQL in the database's
 * locale (en_US: 'B' after 'a') the latest run, its status and the
 * failures in a row were another run's. */
static const char *
runs_order(const struct rep *r)
{
	return db_engine(r->db) == DB_PG ? STARTED " DESC, run_id COLLATE "
	    "\"C\" DESC" : STARTED " DESC, run_id DESC";
}

/* The flow's runs: how many, how many failed (or were abandoned), and
 * how many of the latest failed in a row. */
static int
run_counts(struct rep *r, struct fresh *f)
{
	struct db_stmt *st;
	const char *v;
	char sql[1024], t[64];
	int rc, streak = 1;

	snprintf(sql, sizeof sql, "SELECT status, " STARTED " FROM %s WHERE "
	    "flow = ?1 AND " STARTED " < ?2 ORDER BY %s",
	    table(r, "processing_runs", t, sizeof t), runs_order(r));
	st = db_prepare(r->db, sql);
	if (st == NULL)
		return dberr(r, "runs");
	db_bind_str(st, 1, f->src->flow);
	db_bind_str(st, 2, r->until);
	f->last_status[0] = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		v = db_col_text(st, 0, NULL);
		f->ahead += ahead(r, db_col_text(st, 1, NULL));
		if (f->runs++ == 0)
			snprintf(f->last_status, sizeof f->last_status, "%s",
			    v ? v : "running");
		if (v && (!strcmp(v, "failed") || !strcmp(v, "abandoned"))) {
			f->failed++;
			f->in_a_row += streak;
		} else if (v && strcmp(v, "running"))
			streak = 0;	/* a run still going (running, or no
					 * status yet: no end stored) does not
					 * break it */
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : dberr(r, "runs");
}

static void
flow_json(struct rep *r, const struct fresh *f)
{
	jw_open(&r->j, '{');
	jw_key(&r->j, "flow");
	jw_strz(&r->j, f->src->flow);
	jw_key(&r->j, "level");
	jw_strz(&r->j, level_names[f->level]);
	jw_key(&r->j, "data_from");
	jw_strz(&r->j, f->from);
	jw_key(&r->j, "last_update");
	jw_strz(&r->j, f->level == NO_DATA ? NULL : f->last);
	jw_key(&r->j, "age_seconds");
	if (f->level == NO_DATA)
		jw_null(&r->j);
	else
		jw_int(&r->j, f->age);
	jw_key(&r->j, "fresh_seconds");
	jw_int(&r->j, f->fresh);
	jw_key(&r->j, "stale_seconds");
	jw_int(&r->j, f->stale);
	jw_key(&r->j, "runs");
	jw_int(&r->j, f->runs);
	jw_key(&r->j, "failed_runs");
	jw_int(&r->j, f->failed);
	jw_key(&r->j, "consecutive_failed_runs");
	jw_int(&r->j, f->in_a_row);
	jw_key(&r->j, "runs_ahead_of_clock");
	jw_int(&r->j, f->ahead);
	jw_key(&r->j, "last_run_status");
	jw_strz(&r->j, f->runs ? f->last_status : NULL);
	jw_close(&r->j, '}');
}

static void
flow_text(struct rep *r, const struct fresh *f, struct buf *t)
{
	char age[64];

	buf_printf(t, "  %-14s %-10s", f->src->flow, level_names[f->level]);
	if (f->level != NO_DATA) {
		human_age(f->age, age, sizeof age);
		buf_printf(t, " %s in %s, %s ago", f->last, f->from, age);
	} else
		buf_printf(t, " nothing in %s", f->src->table);
	buf_printf(t, "; %" PRId64 " runs, %" PRId64 " failed, %" PRId64
	    " failed in a row", f->runs, f->failed, f->in_a_row);
	if (f->ahead > 0)
		buf_printf(t, " (%" PRId64 " dated ahead of the clock)",
		    f->ahead);
	buf_addc(t, '\n');
	(void)r;
}

/* The report's thresholds, those its level was judged by: members of
 * the open report, after now and flow. */
static void
thresholds(struct rep *r, int64_t fresh, int64_t stale)
{
	jw_key(&r->j, "fresh_seconds");
	jw_int(&r->j, fresh);
	jw_key(&r->j, "stale_seconds");
	jw_int(&r->j, stale);
}

/* level, last_update, last_update_from, age_seconds: those of the flow
 * f, or of no data (f NULL); members of the open report. */
static void
level_json(struct rep *r, const struct fresh *f)
{
	jw_key(&r->j, "level");
	jw_strz(&r->j, level_names[f ? f->level : NO_DATA]);
	jw_key(&r->j, "last_update");
	jw_strz(&r->j, f ? f->last : NULL);
	jw_key(&r->j, "last_update_from");
	jw_strz(&r->j, f ? f->from : NULL);
	jw_key(&r->j, "age_seconds");
	if (f)
		jw_int(&r->j, f->age);
	else
		jw_null(&r->j);
}

/* One flow's freshness (--flow), or every flow's: the level is the worst
 * of the flows that have run (each against its own thresholds but for
 * a --fresh or --stale given, status_thresholds()), or, when none has,
 * that of the newest data stored by any. */
static int
freshness(struct rep *r, int *level, int *ran)
{
	const struct status_opts *o = r->o;
	struct fresh fl[NSOURCES], *worst = NULL, *any = NULL;
	struct buf lines;
	char age[64], f[32], s[32];
	size_t i, n = 0;

	for (i = 0; i < NSOURCES; i++) {
		if (o->flow && strcmp(o->flow, sources[i].flow))
			continue;
		memset(&fl[n], 0, sizeof fl[n]);
		fl[n].src = &sources[i];
		status_thresholds(o, sources[i].flow, &fl[n].fresh,
		    &fl[n].stale);
		if (newest(r, &fl[n]) == -1 || run_counts(r, &fl[n]) == -1)
			return -1;
		if (fl[n].level != NO_DATA && (any == NULL ||
		    strcmp(fl[n].last, any->last) > 0))
			any = &fl[n];
		if ((fl[n].runs > 0 || o->flow) && (worst == NULL ||
		    fl[n].level > worst->level))
			worst = &fl[n];
		n++;
	}
	if (worst == NULL)
		worst = any;
	*level = worst ? worst->level : NO_DATA;
	*ran = worst && worst->runs > 0;
	/* the flow's own, as the text says them: without --flow each flow
	 * has its own (the daily flow a day), not those of none */
	thresholds(r, worst ? worst->fresh : o->fresh, worst ? worst->stale :
	    o->stale);
	level_json(r, *level == NO_DATA ? NULL : worst);
	jw_key(&r->j, "flows");
	jw_open(&r->j, '[');
	buf_init(&lines, 0);
	for (i = 0; i < n; i++) {
		if (!o->flow && fl[i].runs == 0 && fl[i].level == NO_DATA)
			continue;	/* never ran, nothing stored */
		flow_json(r, &fl[i]);
		flow_text(r, &fl[i], &lines);
	}
	jw_close(&r->j, ']');
	if (*level == NO_DATA && any)	/* another flow's data is there */
		buf_printf(&r->t, "status: no data (the %s flow ran and "
		    "stored nothing)\n", worst->src->flow);
	else if (*level == NO_DATA)
		buf_printf(&r->t, "status: no data (nothing stored%s)\n",
		    o->flow ? " by this flow" : "");
	else {
		human_age(worst->age, age, sizeof age);
		human_age(worst->fresh, f, sizeof f);
		human_age(worst->stale, s, sizeof s);
		buf_printf(&r->t, "status: %s: last update %s (%s), %s ago; "
		    "fresh under %s, stale under %s\n", level_names[*level],
		    worst->last, worst->from, age, f, s);
	}
	if (lines.len)
		buf_printf(&r->t, "flows:\n%.*s", (int)lines.len, lines.data);
	buf_release(&lines);
	return 0;
}

static void
markets_json(struct rep *r, int64_t total, int64_t active, int64_t resolved)
{
	jw_key(&r->j, "markets");
	jw_open(&r->j, '{');
	jw_key(&r->j, "total");
	jw_int(&r->j, total);
	jw_key(&r->j, "active");
	jw_int(&r->j, active);
	jw_key(&r->j, "resolved");
	jw_int(&r->j, resolved);
	jw_close(&r->j, '}');
}

static int
markets(struct rep *r)
{
	struct db_stmt *st;
	int64_t total = 0, active = 0, resolved = 0;
	char sql[256], t[64];
	int rc;

	snprintf(sql, sizeof sql, "SELECT COUNT(*), "
	    "COALESCE(SUM(CASE WHEN active = 1 AND closed = 0 THEN 1 ELSE 0 "
	    "END), 0), COALESCE(SUM(CASE WHEN closed = 1 THEN 1 ELSE 0 END), 0) "
	    "FROM %s", table(r, "markets", t, sizeof t));
	st = db_prepare(r->db, sql);
	if (st == NULL)
		return dberr(r, "markets");
	if ((rc = db_step(st)) == DB_ROW) {
		total = db_col_int(st, 0);
		active = db_col_int(st, 1);
		resolved = db_col_int(st, 2);
		db_reset(st);
	}
	db_finalize(st);
	if (rc != DB_ROW)
		return dberr(r, "markets");
	markets_json(r, total, active, resolved);
	buf_printf(&r->t, "markets: %" PRId64 " total, %" PRId64 " active, %"
	    PRId64 " resolved\n", total, active, resolved);
	return 0;
}

/* counts as stored: JSON text, copied when it parses as an object. */
static void
jcounts(struct rep *r, struct db_stmt *st, int i)
{
	size_t n;
	const char *s = db_col_text(st, i, &n), *e;
	json_val root;

	jw_key(&r->j, "counts");
	if (s && json_parse(r->jp, s, n, 0, &root, &e) == 0 &&
	    root.type == JSON_OBJECT)
		jw_raw(&r->j, s, n);
	else
		jw_null(&r->j);
}

/* The text line added to t from start, one line whatever the data in
 * it: a newline in a stored detail (an HTML error page) or id is a
 * space, or its lines stood as the report's own, "status: fresh" among
 * them.  msg_clean() of the whole report keeps newlines. */
static void
one_line(struct buf *t, size_t start)
{
	if (t->len > start + 1)
		msg_clean(t->data + start, t->len - start - 1, 0);
}

/* One run: JSON element and text line; returns its status class:
 * 0 completed, 1 partial, 2 failed, 3 anything else (running). */
static int
one_run(struct rep *r, struct db_stmt *st)
{
	const char *status = db_col_text(st, 2, NULL);
	size_t start = r->t.len;
	int late = ahead(r, db_col_text(st, 6, NULL));

	jw_open(&r->j, '{');
	jcol(r, st, 0, "run_id");
	jcol(r, st, 1, "flow");
	jcol(r, st, 2, "status");
	jcol(r, st, 3, "started_at");
	jcol(r, st, 4, "finished_at");
	jcounts(r, st, 5);
	jw_key(&r->j, "ahead_of_clock");
	jw_bool(&r->j, late);
	jw_close(&r->j, '}');
	buf_printf(&r->t, "  %s%*s %-8s %-10s %s .. %s%s\n", tcol(st, 0),
	    utf8_pad(tcol(st, 0), 34), "", tcol(st, 1),
	    status ? status : "running", tcol(st, 3), tcol(st, 4),
	    late ? " (dated ahead of the clock)" : "");
	one_line(&r->t, start);
	if (status == NULL)
		return 3;
	return !strcmp(status, "completed") ? 0 : !strcmp(status, "partial") ?
	    1 : !strcmp(status, "failed") || !strcmp(status, "abandoned") ?
	    2 : 3;
}

static void
runs_totals(struct rep *r, const int *k, int n)
{
	jw_key(&r->j, "listed");
	jw_int(&r->j, n);
	jw_key(&r->j, "completed");
	jw_int(&r->j, k[0]);
	jw_key(&r->j, "partial");
	jw_int(&r->j, k[1]);
	jw_key(&r->j, "failed");
	jw_int(&r->j, k[2]);
	jw_key(&r->j, "running");
	jw_int(&r->j, k[3]);
	jw_key(&r->j, "success_rate");
	if (n > 0)
		jw_double(&r->j, (double)k[0] / n);
	else
		jw_null(&r->j);
	jw_close(&r->j, '}');
}

static int
runs(struct rep *r)
{
	struct db_stmt *st;
	struct buf main = r->t;
	char sql[1024], t[64];
	int rc, n = 0, k[4] = { 0 };

	snprintf(sql, sizeof sql, "SELECT run_id, flow, status, started_at, "
	    "finished_at, counts, " STARTED " FROM %s WHERE " STARTED " < ?2 "
	    "%s ORDER BY %s LIMIT ?1", table(r, "processing_runs", t, sizeof t),
	    r->o->flow ? "AND flow = ?3" : "", runs_order(r));
	st = db_prepare(r->db, sql);
	if (st == NULL)
		return dberr(r, "runs");
	db_bind_int(st, 1, r->o->runs);
	db_bind_str(st, 2, r->until);
	if (r->o->flow)
		db_bind_str(st, 3, r->o->flow);
	/* the run lines follow their totals: gather them apart */
	buf_init(&r->t, 0);
	jw_key(&r->j, "runs");
	jw_open(&r->j, '{');
	jw_key(&r->j, "last");
	jw_open(&r->j, '[');
	while ((rc = db_step(st)) == DB_ROW)
		k[one_run(r, st)]++, n++;
	jw_close(&r->j, ']');
	db_finalize(st);
	runs_totals(r, k, n);
	buf_printf(&main, "runs: last %d: %d completed, %d partial, %d failed, "
	    "%d running", n, k[0], k[1], k[2], k[3]);
	if (n > 0)
		buf_printf(&main, "; success rate %.0f%%", 100.0 * k[0] / n);
	buf_addc(&main, '\n');
	if (r->t.len)
		buf_add(&main, r->t.data, r->t.len);
	buf_release(&r->t);
	r->t = main;
	return rc == DB_DONE ? 0 : dberr(r, "runs");
}

static void
one_failure(struct rep *r, struct db_stmt *st)
{
	const char *mid = db_col_text(st, 5, NULL), *key = db_col_text(st, 6,
	    NULL);
	size_t start = r->t.len;
	int late = ahead(r, db_col_text(st, 0, NULL));

	jw_open(&r->j, '{');
	jcol(r, st, 0, "recorded_at");
	jcol(r, st, 1, "run_id");
	jcol(r, st, 2, "stage");
	jcol(r, st, 3, "reason");
	jw_key(&r->j, "retriable");
	jw_bool(&r->j, db_col_int(st, 4) != 0);
	jcol(r, st, 5, "market_id");
	jcol(r, st, 6, "event_key");
	jcol(r, st, 7, "detail");
	jw_key(&r->j, "ahead_of_clock");
	jw_bool(&r->j, late);
	jw_close(&r->j, '}');
	buf_printf(&r->t, "  %s%s %s %s%s%s%s: %s\n", tcol(st, 0),
	    late ? " (dated ahead of the clock)" : "", tcol(st, 2),
	    tcol(st, 3), mid ? " market " : key ? " event " : "",
	    mid ? mid : key ? key : "", db_col_int(st, 4) ? " (retriable)" : "",
	    tcol(st, 7));
	one_line(&r->t, start);
}

/* How many failures the last day recorded, then the latest few. */
static int
failures(struct rep *r)
{
	struct db_stmt *st;
	char since[TS_MAX], sql[1024], t[64];
	int64_t day = 0;
	int rc;

	/* without its 'Z': as text it is then at or below every time of
	 * that second, "...:00.250Z" (stored with its milliseconds, as
	 * pm-store records a failure) as "...:00Z"; with it, a failure
	 * recorded a quarter second into the first second of the day
	 * sorted below it and was not counted */
	if (ts_format((time_t)(r->o->now - 86400), NULL, 0, since) == 0)
		since[strlen(since) - 1] = 0;
	else
		since[0] = 0;	/* before year 0: every failure */
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE recorded_at "
	    ">= ?1 AND recorded_at < ?2", table(r, "processing_failures", t,
	    sizeof t));
	if ((st = db_prepare(r->db, sql)) == NULL)
		return dberr(r, "failures");
	db_bind_str(st, 1, since);
	db_bind_str(st, 2, r->until);
	if ((rc = db_step(st)) == DB_ROW) {
		day = db_col_int(st, 0);
		db_reset(st);
	}
	db_finalize(st);
	if (rc != DB_ROW)
		return dberr(r, "failures");
	jw_key(&r->j, "failures");
	jw_open(&r->j, '{');
	jw_key(&r->j, "last_day");
	jw_int(&r->j, day);
	buf_printf(&r->t, "failures: %" PRId64 " in the last day\n", day);
	/* the last stored first among equal times: ClickHouse has no id,
	 * its row versions grow as pm-store stores */
	snprintf(sql, sizeof sql, "SELECT recorded_at, run_id, stage, reason, "
	    "retriable, market_id, event_key, detail FROM %s WHERE "
	    "recorded_at < ?2 ORDER BY recorded_at DESC, %s DESC LIMIT ?1",
	    table(r, "processing_failures", t, sizeof t),
	    db_engine(r->db) == DB_CLICKHOUSE ? "row_version" : "id");
	if ((st = db_prepare(r->db, sql)) == NULL)
		return dberr(r, "failures");
	db_bind_int(st, 1, r->o->failures);
	db_bind_str(st, 2, r->until);
	jw_key(&r->j, "recent");
	jw_open(&r->j, '[');
	while ((rc = db_step(st)) == DB_ROW)
		one_failure(r, st);
	db_finalize(st);
	jw_close(&r->j, ']');
	jw_close(&r->j, '}');
	return rc == DB_DONE ? 0 : dberr(r, "failures");
}

/* A database without pm-store's tables (a file or a database made but
 * never written): no data, in the members a database pm-store made and
 * left empty gives, every one, so that a probe reads them alike. */
static void
no_tables(struct rep *r)
{
	static const int none[4];

	thresholds(r, r->o->fresh, r->o->stale);
	level_json(r, NULL);
	jw_key(&r->j, "flows");
	jw_open(&r->j, '[');
	jw_close(&r->j, ']');
	markets_json(r, 0, 0, 0);
	jw_key(&r->j, "runs");
	jw_open(&r->j, '{');
	jw_key(&r->j, "last");
	jw_open(&r->j, '[');
	jw_close(&r->j, ']');
	runs_totals(r, none, 0);
	jw_key(&r->j, "failures");
	jw_open(&r->j, '{');
	jw_key(&r->j, "last_day");
	jw_int(&r->j, 0);
	jw_key(&r->j, "recent");
	jw_open(&r->j, '[');
	jw_close(&r->j, ']');
	jw_close(&r->j, '}');
	buf_printf(&r->t, "status: no data (no pm-store tables)\n");
}

static void
header(struct rep *r)
{
	char now[TS_MAX];

	ts_format((time_t)r->o->now, NULL, 0, now);
	/* every text at or before now sorts before now + "~" */
	snprintf(r->below, sizeof r->below, "%s~", now);
	r->until = r->o->now_given ? r->below : EVER;
	jw_open(&r->j, '{');
	jw_key(&r->j, "now");
	jw_strz(&r->j, now);
	jw_key(&r->j, "flow");
	jw_strz(&r->j, r->o->flow);
}

/*
 * On PostgreSQL the report is read in one transaction (one snapshot) and
 * without JIT: its statements are quick, and the planner's cost of a
 * year of rows (an aggregate over every market) is above jit_above_cost,
 * where compiling them took longer than running them, at every check.
 * SET LOCAL, as a setting made for the session would stay on a pooler's
 * server connection for its other clients (PgBouncer in transaction
 * mode); the transaction goes through it as one.
 */
int
status_report(struct db *db, const struct status_opts *o, struct buf *out,
    struct buf *json, int *level, int *ran, char *err, size_t errlen)
{
	struct rep r = { 0 };
	int rc = -1, v, tx = 0;

	r.db = db;
	r.o = o;
	r.err = err;
	r.errlen = errlen;
	buf_init(&r.j, 0);
	buf_init(&r.t, 0);
	*level = NO_DATA;
	*ran = 0;
	if ((r.jp = json_parser_new(1 << 20)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	header(&r);
	if (db_engine(db) == DB_PG) {
		if (db_begin(db) != DB_DONE) {
			dberr(&r, "begin");
			goto out;
		}
		tx = 1;
		if (db_exec(db, "SET LOCAL jit = off") != DB_DONE) {
			dberr(&r, "jit");
			goto out;
		}
	}
	if ((r.version = v = schema_version(db)) == -1) {
		/* not "no data": what is there could not be read */
		dberr(&r, "schema version");
		goto out;
	} else if (v == 0) {
		/* nothing ever stored here: no data, not an error */
		no_tables(&r);
	} else if (freshness(&r, level, ran) || markets(&r) || runs(&r) ||
	    failures(&r))
		goto out;
	if (tx) {
		tx = 0;
		if (db_commit(db) != DB_DONE) {
			dberr(&r, "commit");
			goto out;
		}
	}
	jw_close(&r.j, '}');
	buf_addc(&r.j, '\n');
	/* stored ids, reasons and details, safe for a terminal */
	msg_clean(r.t.data, r.t.len, 1);
	rc = o->json ? buf_add(out, r.j.data, r.j.len) :
	    buf_add(out, r.t.data, r.t.len);
	if (rc == 0 && json)
		rc = buf_add(json, r.j.data, r.j.len);
out:
	if (tx)
		db_rollback(db);
	json_parser_free(r.jp);
	buf_release(&r.j);
	buf_release(&r.t);
	return rc;
}

/* The level last told, as the row says; "fresh" when there is none yet
 * (so the first stale check is told). */
static int
alert_step(struct db *db, const char *key, int stale, int *due)
{
	struct db_stmt *st;
	char now[TS_MAX];
	int rc;

	ts_now(now);
	st = db_prepare(db, "INSERT INTO status_alerts (alert_key, level, "
	    "changed_at) VALUES (?1, 'fresh', ?2) ON CONFLICT (alert_key) "
	    "DO NOTHING");
	if (st == NULL)
		return DB_ERR;
	db_bind_str(st, 1, key);
	db_bind_str(st, 2, now);
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_DONE)
		return rc;
	/* one statement decides, so two checks at once tell it once */
	st = db_prepare(db, stale ?
	    "UPDATE status_alerts SET level = 'stale', changed_at = ?2 "
	    "WHERE alert_key = ?1 AND level = 'fresh'" :
	    "UPDATE status_alerts SET level = 'fresh', changed_at = ?2 "
	    "WHERE alert_key = ?1 AND level <> 'fresh'");
	if (st == NULL)
		return DB_ERR;
	db_bind_str(st, 1, key);
	db_bind_str(st, 2, now);
	if ((rc = db_step(st)) == DB_DONE)
		*due = stale && db_changes(st) > 0;
	db_finalize(st);
	return rc;
}

int
status_alert_due(const char *url, int dbflags, const char *flow, int level,
    char *err, size_t errlen)
{
	struct db *db;
	char why[300];
	int attempt, rc = DB_ERR, due = 0;

	if ((db = db_open(url, dbflags, err, errlen)) == NULL)
		return -1;
	/* status_alerts alone is written: a check never upgrades the
	 * schema (an older pm-store would then refuse the database) */
	if (schema_newer(schema_version(db), why, sizeof why)) {
		/* a newer pm-store's table, not this build's to write */
		snprintf(err, errlen, "alert state: %s", why);
		db_close(db);
		return -1;
	}
	if ((rc = schema_has_table(db, "status_alerts")) != 1) {
		snprintf(err, errlen, "alert state: %s", rc == 0 ?
		    "no status_alerts table (a schema before version 7, "
		    "which pm-store upgrades)" : db_errmsg(db));
		db_close(db);
		return -1;
	}
	for (attempt = 0; attempt < DB_RETRIES; attempt++) {
		if ((rc = alert_step(db, flow ? flow : "*", level != FRESH,
		    &due)) != DB_BUSY)
			break;
		db_backoff(attempt);
	}
	if (rc != DB_DONE)
		snprintf(err, errlen, "alert state: %s", db_errmsg(db));
	db_close(db);
	return rc == DB_DONE ? due : -1;
}
