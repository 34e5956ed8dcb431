/*
 * pm-store - store pm-records(5) streams in SQLite or PostgreSQL,
 * idempotently, and read them back.
 *
 * Reads NDJSON; writes its input back, each record annotated with what
 * happened to it ("stored"), and a summary line on standard error.
 * --new-only filters groups already processed; --export reads records
 * back out.  The storage logic is lib/store*.c, the engines lib/db*.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbenv.h"
#include "dotenv.h"
#include "export.h"
#include "jqf.h"
#include "msg.h"
#include "ch.h"
#include "ndjson.h"
#include "opt.h"
#include "out.h"
#include "progress.h"
#include "prune.h"
#include "timefmt.h"
#include "schema.h"
#include "store.h"
#include "store_ch.h"
#include "version.h"

struct opts {
	const char	*url;
	const char	*export;
	const char	*run_id;
	const char	*schema;
	const char	*last_run;	/* --last-run FLOWS */
	const char	*setting;	/* where url came from, for messages */
	const char	*cluster;	/* --cluster, with --schema clickhouse */
	int		 dbflags;	/* DB_TLS in production */
	struct jqf	*where;
	int		 new_only, dry_run;
	const char	*no_groups;	/* a dry run's groups fail so */
	int		 progress;	/* -1 --no-progress, 1 --progress */
	int		 format, all;	/* --export: --format, --all */
	unsigned long	 limit;		/* --export --limit, 0: all */
	const char	*prune;		/* --prune-before DATE, in UTC */
	const char	*closed_since;	/* --closed-since T, in UTC */
	const char	*now;		/* --now T, with --last-run */
	char		 before[TS_MAX]; /* --last-run's bound, from it */
	char		 since[TS_MAX];	/* its storage */
	char		 cut[TS_MAX];	/* its storage */
	char		 target[1024];
};

/* what a store whose output failed says of the input it did not read */
#define CUT_SHORT \
	"stopped reading the input; what was not read is not stored"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-store [-n | -N] [-d url] [--progress | --no-progress] [file ...]\n"
"       pm-store -e raw|market|markets|events|group|retry [-w expr]\n"
"                [-r run_id] [--limit n] [-d url]\n"
"       pm-store -e market|event|price|result [--format ndjson|csv|tsv]\n"
"                [--all | --closed-since T] [-w expr] [-r run_id]\n"
"                [--limit n] [-d url]\n"
"       pm-store --last-run flow[,flow] [--now T] [-d url]\n"
"       pm-store --prune-before date [-N] [-d url]\n"
"       pm-store --schema sqlite|postgresql\n"
"       pm-store --schema clickhouse [--cluster NAME] [-d url]\n"
"  -d, --db URL         database: a path or sqlite:PATH (default\n"
"                       $DATABASE_URL, $SUPABASE_DB_URL, else data/pm.db),\n"
"                       or postgresql://..., postgres://... or host=...,\n"
"                       or clickhouse[s]://[user@]host[:port]/db (markets,\n"
"                       events, prices; ?cluster=NAME&shards=h:p,...)\n"
"  -n, --new-only       only pass groups not processed yet; skip records\n"
"                       for the others (reads, never writes)\n"
"  -N, --dry-run        check every record, write nothing\n"
"  -e, --export KIND    write stored raw, (active) market or group\n"
"                       records to standard output; retry: the groups\n"
"                       with a retriable failure; markets, events:\n"
"                       every one stored\n"
"  -w, --where EXPR     with --export: keep records for which the jq\n"
"                       expression is true\n"
"  -r, --run RUN_ID     with --export: only that run's records\n"
"      --limit N        with --export: at most N records\n"
"      --format F       with --export of market, event, price or result:\n"
"                       ndjson (default), csv or tsv (pm-schema(5))\n"
"      --all            with --export market: every market, not only the\n"
"                       active ones\n"
"      --closed-since T with --export market: also the markets closed\n"
"                       whose stored content was fetched at or after T\n"
"      --prune-before D remove raw payload versions fetched before D\n"
"                       (a date or time) that no row needs (-N: count)\n"
"      --last-run FLOWS when the newest completed run of one of these\n"
"                       flows started, not cut short by a limit\n"
"                       (nothing when there is none)\n"
"      --now T          with --last-run: only the runs started before T\n"
"                       (default $PM_NOW, else the time)\n"
"      --schema ENGINE  print the schema's SQL for that engine; for\n"
"                       clickhouse with -d: apply it to every shard\n"
"      --cluster NAME   with --schema clickhouse: local tables per shard\n"
"                       and Distributed tables over them\n"
"      --progress, --no-progress  records stored and rows written on\n"
"                       standard error (default: on a terminal)\n"
"  -h, --help           this help;  -V, --version  the version\n");
}

static int
print_schema(const char *engine)
{
	struct buf b;
	int e;

	if (strcmp(engine, "sqlite") == 0)
		e = DB_SQLITE;
	else if (strcmp(engine, "postgresql") == 0)
		e = DB_PG;
	else {
		msg("--schema: not sqlite or postgresql: %s", engine);
		return EXIT_USAGE;
	}
	buf_init(&b, 0);
	schema_text(e, &b);
	out_write(b.data, b.len);
	buf_release(&b);
	return 0;
}

/* -e retry -r RUN_ID: the run is stored (1), or not (0: a run id
 * mistyped would retry nothing without a word), or is of a flow that
 * forecasts nothing, named in flow (2: its failures are fetches, no
 * groups: the same), or -1. */
static int
run_stored(struct db *db, const char *run_id, char *flow, size_t flowlen)
{
	static const char *const fetching[] = { "static", "delta", "events",
	    "prices", "trades" };
	struct db_stmt *st;
	const char *f;
	size_t i;
	int rc, v;

	if ((st = db_prepare(db, "SELECT flow FROM processing_runs WHERE "
	    "run_id = ?1")) == NULL)
		return -1;
	db_bind_str(st, 1, run_id);
	rc = db_step(st);
	v = rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
	if (v == 1 && (f = db_col_text(st, 0, NULL)) != NULL)
		for (i = 0; i < sizeof fetching / sizeof fetching[0]; i++)
			if (strcmp(f, fetching[i]) == 0) {
				snprintf(flow, flowlen, "%s", f);
				v = 2;
			}
	db_finalize(st);
	return v;
}

static int
do_export(struct opts *o)
{
	/* market and event records come whole from lib/store_rec.c (the
	 * record column, or made again from the row), the rest as rows */
	const char *what = o->export;
	struct db *db;
	unsigned long n = 0;
	char err[600], flow[16];
	int rc = 0, whole, v;
	/* a run to retry that is not stored is a mistake (exit 2) */
	int retry_run = o->run_id && strcmp(what, "retry") == 0;

	/* A database not made yet, or made with no tables yet, holds
	 * nothing: the prices, trades and retry-failures flows export while
	 * their own pm-store makes it, and a read must not make it. */
	if (!db_exists(o->url)) {
		if (retry_run) {
			msg("%s: --run %s: no such run (no database here)",
			    o->target, o->run_id);
			return EXIT_USAGE;
		}
		msg("%s: no database here: nothing to export", o->target);
		return 0;
	}
	if ((db = db_open(o->url, DB_READONLY | o->dbflags, err,
	    sizeof err)) == NULL) {
		msg("%s: %s", o->target, err);
		return EXIT_DB;
	}
	if ((v = schema_version(db)) <= 0) {
		if (v == -1)
			msg("%s: schema version: %s", o->target,
			    db_errmsg(db));
		else if (retry_run)
			msg("%s: --run %s: no such run (no tables here)",
			    o->target, o->run_id);
		else	/* said as for no database: on PostgreSQL it is
			 * also a search_path that misses pm's schema */
			msg("%s: no pm-store tables here: nothing to export",
			    o->target);
		db_close(db);
		return v == -1 ? EXIT_DB : retry_run ? EXIT_USAGE : 0;
	}
	if (retry_run && (v = run_stored(db, o->run_id, flow,
	    sizeof flow)) != 1) {
		if (v == 0)
			msg("%s: --run %s: no such run", o->target, o->run_id);
		else if (v == 2)
			msg("%s: --run %s: a run of the %s flow, which has no "
			    "groups to retry", o->target, o->run_id, flow);
		else
			msg("%s: --run %s: %s", o->target, o->run_id,
			    db_errmsg(db));
		db_close(db);
		return v == -1 ? EXIT_DB : EXIT_USAGE;
	}
	whole = o->format == EXPORT_NDJSON &&
	    (strcmp(what, "market") == 0 || strcmp(what, "event") == 0);
	if (!whole && export_known(what) ? export_rows(db, what, o->format,
	    o->all, o->where, o->run_id, o->limit, &n) == -1 :
	    store_export(db, what, o->all, o->where, o->run_id,
	    o->closed_since, o->limit, &n) == -1)
		rc = EXIT_DB;
	db_close(db);
	return rc;
}

/* A date (YYYY-MM-DD), kept, or an RFC 3339 time, into cut as stored
 * times are written: the cut is compared with them as text, where
 * 2026-12-01T00:00:00+05:00 would sort after the 19:00Z to 00:00Z they
 * hold (and those rows go). */
static int
when_ok(const char *s, char cut[TS_MAX])
{
	int64_t sec;

	if (strlen(s) >= TS_MAX || ts_sec(s, strlen(s), &sec) == -1 ||
	    ts_parse(s, strlen(s), cut) == -1)
		return 0;
	if (strlen(s) == 10 && s[4] == '-')	/* its midnight: 2026-12-01 */
		snprintf(cut, TS_MAX, "%s", s);	/* sorts before its times */
	return 1;
}

/* --prune-before DATE: old payload versions out (lib/prune.c).  A
 * database that does not exist has nothing to prune, and is not made. */
static int
do_prune(struct opts *o)
{
	char err[600];
	struct db *db;
	unsigned long n = 0;
	int rc = 0;

	if (!db_exists(o->url)) {
		msg("%s: no database here: nothing to prune", o->target);
		return 0;
	}
	/* -N counts: a read, as -e is (a file it may only read, a writer
	 * at work) */
	if ((db = db_open(o->url, (o->dry_run ? DB_READONLY : 0) |
	    o->dbflags, err, sizeof err)) == NULL) {
		msg("%s: %s", o->target, err);
		return EXIT_DB;
	}
	if (prune_raw(db, o->prune, o->dry_run, &n, err, sizeof err) == -1) {
		msg("%s: %s", o->target, err);
		rc = EXIT_DB;
	} else
		msg("%lu raw payload versions fetched before %s %s in %s", n,
		    o->prune, o->dry_run ? "would go" : "removed", o->target);
	db_close(db);
	return rc;
}

/* --now T, else $PM_NOW, else the time, as a bound stored start times
 * are compared with as text (ts_bound()); -1 after a message. */
static int
last_run_before(const char *now, char bound[TS_MAX])
{
	const char *opt = now ? "--now" : "PM_NOW";
	char t[TS_MAX];

	if (now == NULL)
		now = getenv("PM_NOW");
	if (now == NULL || *now == 0)
		ts_now(t);
	else if (!when_ok(now, t)) {
		msg("%s: not an RFC 3339 time: %s", opt, now);
		return -1;
	}
	ts_bound(t, bound);
	return 0;
}

/* The delta flow's watermark: runs started before the run's clock only,
 * so that a run given a clock in the future (--now) is not the
 * watermark of the runs before that time, which would list nothing
 * until then.  A database that does not exist yet has no runs: nothing
 * is printed, and nothing is created. */
static int
do_last_run(struct opts *o)
{
	char err[600], when[64];
	struct db *db;
	int rc = 0;

	if (!db_exists(o->url))
		return 0;
	if ((db = db_open(o->url, DB_READONLY | o->dbflags, err,
	    sizeof err)) == NULL) {
		msg("%s: %s", o->target, err);
		return EXIT_DB;
	}
	if (store_last_run(db, o->last_run, o->before, when, sizeof when) == -1) {
		msg("%s: %s", o->target, db_errmsg(db));
		rc = EXIT_DB;
	} else if (when[0])
		printf("%s\n", when);
	db_close(db);
	return rc;
}

/* A database that does not exist yet has processed nothing: every group
 * is new, and a read-only filter must not create it. */
static int
do_new_only(struct opts *o, int argc, char **argv)
{
	struct store_filter f = { 0 };
	struct ndjson nd = { 0 };
	char err[600];
	int rc = 0, io;

	if (db_exists(o->url)) {
		if ((f.db = db_open(o->url, DB_READONLY | o->dbflags, err,
		    sizeof err)) == NULL) {
			msg("%s: %s", o->target, err);
			return EXIT_DB;
		}
		/* no tables yet: nothing processed either */
		if (store_filter_prepare(&f) == -1) {
			msg("%s: %s", o->target, db_errmsg(f.db));
			db_close(f.db);
			return EXIT_DB;
		}
	}
	nd.stage = "store";
	nd.fn = store_new_only;
	nd.arg = &f;
	io = ndjson_run(&nd, argc, argv);
	if (nd.bad)
		rc = EXIT_FAILED;
	if (io || f.failed)
		rc = EXIT_DB;
	msg_left_out();
	msg("%lu records: %lu passed, %lu groups already processed "
	    "(%lu of them passed with what is stored)", nd.records,
	    f.passed + f.revisited, f.skipped + f.revisited, f.revisited);
	db_finalize(f.seen);
	db_finalize(f.stored);
	db_close(f.db);
	return rc;
}

/* The store loop's hooks, with the progress line between. */
struct storing {
	struct store	*s;
	struct progress	*pg;
};

static void
storing_show(struct storing *st, int end)
{
	struct store_counts c;

	if (st->pg == NULL)
		return;
	store_get_counts(st->s, &c);
	(end ? progress_end : progress_update)(st->pg, c.records,
	    "rows: %lu inserted, %lu updated, %lu unchanged; %lu failed",
	    c.inserted, c.updated, c.unchanged, c.failed);
}

static int
storing_record(struct rec *r, void *arg)
{
	struct storing *st = arg;
	int rc = store_record(r, st->s);

	storing_show(st, 0);
	return rc;
}

static void
storing_idle(void *arg)
{
	struct storing *st = arg;

	store_idle(st->s);
	storing_show(st, 0);
}

static void
storing_badline(void *arg, const char *file, unsigned long line,
    const char *detail)
{
	store_badline(((struct storing *)arg)->s, file, line, detail);
}

static int
do_store(struct opts *o, int argc, char **argv)
{
	struct storing st = { 0 };
	struct store_counts c;
	struct store *s = NULL;
	struct ndjson nd = { 0 };
	struct db *db = NULL;
	const char *v = getenv("PM_SCHEMA_VERSION");
	char err[600];
	int rc = 0, io;

	if (!o->dry_run) {
		if ((db = db_open(o->url, o->dbflags, err, sizeof err)) == NULL) {
			msg("%s: %s", o->target, err);
			return EXIT_DB;
		}
		if (schema_migrate(db, v ? atoi(v) : 0, err, sizeof err) == -1) {
			msg("%s: %s", o->target, err);
			rc = EXIT_DB;
			goto out;
		}
	}
	store_line_cap(&nd);
	if ((s = store_new(db, o->target, nd.max_line)) == NULL) {
		rc = EXIT_DB;
		goto out;
	}
	if (o->no_groups)
		store_refuse_groups(s, o->no_groups);
	st.s = s;
	st.pg = progress_new("pm-store", "records", o->progress);
	nd.stage = "store";
	nd.fn = storing_record;
	nd.on_idle = storing_idle;
	nd.on_bad = storing_badline;
	nd.arg = &st;
	io = ndjson_run(&nd, argc, argv);
	if (store_finish(s, !io && !ndjson_cut_short()) == -1 || store_fatal(s))
		io = EXIT_DB;
	storing_show(&st, 1);
	progress_free(st.pg);
	store_get_counts(s, &c);
	if (c.failed || nd.bad)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_DB;
	msg_left_out();
	msg("%lu records: %lu inserted, %lu updated, %lu unchanged, "
	    "%lu duplicate, %lu skipped, %lu failed%s%s", c.records + nd.bad,
	    c.inserted, c.updated, c.unchanged, c.duplicates, c.skipped,
	    c.failed, o->dry_run ? "; dry run, nothing written to " :
	    " in ", o->target);
out:
	store_free(s);
	db_close(db);
	return rc;
}

/* ClickHouse (lib/store_ch.c): the market store; --new-only needs the
 * experiment store's transactions. */
static int
do_clickhouse(struct opts *o, int argc, char **argv)
{
	if (o->new_only) {
		msg("--new-only: not on ClickHouse (%s), which has no "
		    "transactions for the daily flow's bookkeeping: give it a "
		    "PostgreSQL or SQLite database (pm-store(1), CLICKHOUSE)",
		    o->target);
		return EXIT_USAGE;
	}
	if (o->dry_run && !o->prune) {	/* checked as ClickHouse would */
		o->no_groups = STORE_CH_NO_GROUPS;
		return do_store(o, argc, argv);
	}
	if (o->last_run)
		return store_ch_last_run(o->url, o->target, o->last_run,
		    o->before);
	if (o->prune)
		return store_ch_prune(o->url, o->target, o->prune, o->dry_run);
	if (o->export)
		return store_ch_export(o->url, o->target, o->export, o->format,
		    o->all, o->where, o->run_id, o->closed_since, o->limit);
	return store_ch_store(o->url, o->target, argc, argv);
}

/* Why the options given do not go together, or NULL: said before the
 * usage, which alone left the user to guess. */
static const char *
mismatch(const struct opts *o, int nfiles)
{
	if (o->new_only + (o->dry_run && !o->prune) + !!o->export +
	    !!o->schema + !!o->last_run + !!o->prune > 1)
		return "-n, -N, --export, --schema, --last-run and "
		    "--prune-before: one at a time (-N counts for "
		    "--prune-before)";
	if ((o->export || o->schema || o->last_run || o->prune) && nfiles > 0)
		return "--export, --schema, --last-run and --prune-before "
		    "read no input: no file operand";
	if ((o->where || o->run_id || o->limit) && !o->export)
		return "--where, --run and --limit: only with --export";
	if (o->now && !o->last_run)
		return "--now: only with --last-run";
	if ((o->format || o->all) && (!o->export || !export_known(o->export)))
		return "--format and --all: only with --export market, event, "
		    "price or result";
	if (o->all && strcmp(o->export, "market") != 0)
		return "--all: only with --export market";
	if (o->closed_since && (!o->export || strcmp(o->export, "market") ||
	    o->all || o->format > EXPORT_NDJSON))
		return "--closed-since: only with --export market, as ndjson, "
		    "without --all";
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "new-only", no_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "export", required_argument, NULL, 'e' },
		{ "where", required_argument, NULL, 'w' },
		{ "run", required_argument, NULL, 'r' },
		{ "schema", required_argument, NULL, 's' },
		{ "last-run", required_argument, NULL, 'L' },
		{ "cluster", required_argument, NULL, 'C' },
		{ "progress", no_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'A' },
		{ "limit", required_argument, NULL, 'l' },
		{ "prune-before", required_argument, NULL, 'B' },
		{ "closed-since", required_argument, NULL, 'S' },
		{ "now", required_argument, NULL, 'T' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { 0 };
	struct db_choice dbc;
	char err[256], tmp[TS_MAX];
	const char *p;
	long long num;
	int ch, rc = 0, storing = 0;

	msg_init(argv[0]);
	argv[0] = (char *)msg_prog();	/* getopt(3) says it, not the path */
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	while ((ch = getopt_long(argc, argv, "d:nNe:w:r:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.url = db_url_hide(optarg);
			break;
		case 'n':
			o.new_only = 1;
			break;
		case 'N':
			o.dry_run = 1;
			break;
		case 'e':
			if (strcmp(optarg, "raw") && !export_known(optarg) &&
			    strcmp(optarg, "group") && strcmp(optarg, "retry") &&
			    strcmp(optarg, "markets") &&
			    strcmp(optarg, "events")) {
				msg("--export: not raw, market, markets, event, "
				    "events, price, result, group or retry: %s",
				    optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			o.export = optarg;
			break;
		case 'w':
			jqf_free(o.where);
			if ((o.where = jqf_compile(optarg, err, sizeof err)) == NULL) {
				msg("--where: %s", err);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'r':
			o.run_id = optarg;
			break;
		case 's':
			o.schema = optarg;
			break;
		case 'L':
			/* a misspelt flow has no runs: the delta flow's
			 * watermark would be gone without a word */
			if ((p = opt_list_unknown(optarg,
			    store_flow_known)) != NULL) {
				msg("--last-run: not a flow: \"%.*s\" (%s)",
				    (int)strcspn(p, ","), p, store_flows());
				rc = EXIT_USAGE;
				goto out;
			}
			o.last_run = optarg;
			break;
		case 'C':
			if (strlen(optarg) > STORE_CH_CLUSTER_MAX) {
				msg("--cluster: longer than %d bytes",
				    STORE_CH_CLUSTER_MAX);
				rc = EXIT_USAGE;
				goto out;
			}
			o.cluster = optarg;
			break;
		case 'f':
			if ((o.format = export_format(optarg)) == -1) {
				msg("--format: not ndjson, csv or tsv: %s",
				    optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'A':
			o.all = 1;
			break;
		case 'B':
		case 'S':
			if (!when_ok(optarg, ch == 'B' ? o.cut : o.since)) {
				msg("--%s: not a date or an RFC 3339 time: %s",
				    ch == 'B' ? "prune-before" : "closed-since",
				    optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			if (ch == 'B')
				o.prune = o.cut;
			else {	/* compared as text with stored times */
				snprintf(tmp, sizeof tmp, "%s", o.since);
				ts_bound(tmp, o.since);
				o.closed_since = o.since;
			}
			break;
		case 'T':
			o.now = optarg;
			break;
		case 'l':
			if (opt_int("--limit", optarg, 1, 1000000000, &num) == -1) {
				rc = EXIT_USAGE;
				goto out;
			}
			o.limit = (unsigned long)num;
			break;
		case 'P':
		case 'Q':
			o.progress = ch == 'P' ? 1 : -1;
			break;
		case 'h':
			usage(stdout);
			goto out;
		case 'V':
			version_print(stdout, "pm-store");
			goto out;
		default:
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if ((p = mismatch(&o, argc - optind)) != NULL) {
		msg("%s", p);
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.last_run && last_run_before(o.now, o.before) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.schema && strcmp(o.schema, "clickhouse") == 0) {
		if (o.url)
			ch_redact(o.url, o.target, sizeof o.target);
		if (o.url && !ch_url_is(o.url)) {
			msg("--schema clickhouse: -d is not a clickhouse:// URL");
			rc = EXIT_USAGE;
		} else if (o.url && ch_url_check(o.url, err, sizeof err) == -1) {
			msg("--db: %s: %s", o.target, err);
			rc = EXIT_USAGE;
		} else
			rc = store_ch_schema(o.url, o.target, o.cluster);
		goto out;
	}
	if (o.cluster) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.schema) {
		rc = print_schema(o.schema);
		goto out;
	}
	/* lib/dbenv.c: --db, DATABASE_URL, SUPABASE_DB_URL; production */
	if (db_choose(o.url, &dbc) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	o.url = dbc.url;
	o.setting = dbc.setting;
	o.dbflags = dbc.flags;
	snprintf(o.target, sizeof o.target, "%s", dbc.name);
	storing = !o.export && !o.prune && !o.last_run;
	if (ch_url_is(o.url))
		rc = do_clickhouse(&o, argc - optind, argv + optind);
	else if (o.prune)
		rc = do_prune(&o);
	else if (o.last_run)
		rc = do_last_run(&o);
	else if (o.export)
		rc = do_export(&o);
	else if (o.new_only)
		rc = do_new_only(&o, argc - optind, argv + optind);
	else
		rc = do_store(&o, argc - optind, argv + optind);
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_DB;
	else if (out_refused() && rc == 0)
		rc = EXIT_FAILED;	/* a line too long to write */
	/* An export's reader may stop when it has seen enough (| head -1),
	 * but a store's input is the data: what was not read is lost.  The
	 * records are written once committed, the last ones at the end:
	 * a reader gone by then (the exit status 3 all the same) is said
	 * too, the input having been read to its end. */
	if (storing && out_failed() == OUT_EPIPE)
		msg("standard output closed by its reader: %s",
		    ndjson_cut_short() ? CUT_SHORT : o.new_only || o.dry_run ?
		    "the input was read to its end, not all of it written" :
		    "the input was stored to its end, not all of it written");
	else if (storing && out_failed() == OUT_ERROR && ndjson_cut_short())
		msg("standard output failed: %s", CUT_SHORT);	/* full disk */
	jqf_free(o.where);
	return rc;
}
