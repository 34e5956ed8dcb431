/*
 * pm-summary - the end of a flow: the run summary of a record stream,
 * the freshness of a database (--status) and the scores of the stored
 * forecasts (--score).
 *
 * Stream mode reads NDJSON (pm-store's annotated output, or any stream)
 * and writes nothing to standard output but what every tool writes, the
 * failure records of lines that are not records; --pass copies its input
 * there, so it can stand mid-pipe.  The summary for a person goes to
 * standard error, so that standard output stays NDJSON; --json PATH
 * writes the machine-readable one.  The contract: pm-records(5).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ch.h"
#include "db.h"
#include "dbenv.h"
#include "dotenv.h"
#include "lease.h"
#include "msg.h"
#include "ndjson.h"
#include "notify.h"
#include "opt.h"
#include "out.h"
#include "outfile.h"
#include "plot.h"
#include "score.h"
#include "status.h"
#include "store.h"
#include "summary.h"
#include "timefmt.h"
#include "version.h"

enum { MODE_STREAM, MODE_STATUS, MODE_SCORE, MODE_HOLD };
enum { O_PASS = 256, O_MAXF, O_STATUS, O_SCORE, O_DB, O_FLOW, O_FRESH,
	O_STALE, O_NOW, O_RUNS, O_FAILURES, O_BUCKETS, O_CLAMP, O_HOLD,
	O_RUN_ID, O_WAIT, O_TTL, O_NOTIFY, O_STATUS_PATH, O_PLOT };

struct opts {
	int		 mode, pass, quiet, json;
	const char	*json_path;	/* stream mode; "-": standard output */
	double		 max_failures;	/* < 0: no limit */
	int		 max_ratio;	/* max_failures is a share of records */
	const char	*db_url;
	const char	*notify;	/* webhook URL (a secret) or NULL */
	const char	*notify_setting;	/* --notify or PM_NOTIFY_URL */
	const char	*status_path;	/* --status: the JSON goes there too */
	struct status_opts st;
	struct score_opts sc;
	struct lease_opts le;
	struct db_choice dbc;
	const char	*plot;		/* --score --plot FILE.svg */
};

struct ctx {
	struct summary	*sum;
	int		 pass;
};

static void
usage(FILE *f)
{
	fputs(
"usage: pm-summary [-pq] [--json path] [--max-failures n|p%] [file ...]\n"
"       pm-summary --status [--db url] [--flow name] [--fresh dur]\n"
"                  [--stale dur] [--now time] [--runs n] [--failures n]\n"
"                  [--json] [--status-path file]\n"
"       pm-summary --score [--db url] [--buckets n] [--clamp eps] [--json]\n"
"                  [--plot file.svg]\n"
"       pm-summary --hold flow [--db url] [--run-id id] [--wait secs]\n"
"                  [--ttl secs]\n"
"       (the run summary and --status also take [--notify url])\n"
"  -p, --pass              copy the input to standard output\n"
"  -q, --quiet             no text summary on standard error\n"
"      --json PATH         write the JSON summary to PATH (-: stdout)\n"
"      --max-failures N|P% exit 1 when more than N failures (or P% of\n"
"                          the records) were seen\n"
"      --status            data freshness, markets, runs, failures\n"
"      --score             Brier score, log loss, calibration of forecasts\n"
"  -d, --db URL            the database (default $DATABASE_URL, data/pm.db)\n"
"      --flow NAME         --status: only runs of this flow\n"
"      --fresh DUR         fresh below this age (default 20m; daily 1d)\n"
"      --stale DUR         stale below this age (default 1h; daily 2d)\n"
"      --now TIME          --status: take ages at TIME, not now\n"
"      --runs N            --status: last runs listed (default 10)\n"
"      --failures N        --status: recent failures listed (default 10)\n"
"      --buckets N         --score: calibration buckets (default 10)\n"
"      --clamp EPS         --score: log loss clamp (default 0.001)\n"
"      --json              --status, --score: JSON instead of text\n"
"      --notify URL        POST failed runs, and data turning stale (or\n"
"                          none from a flow that ran), to\n"
"                          this webhook (default $PM_NOTIFY_URL)\n"
"      --status-path FILE  --status: write the JSON report to FILE too\n"
"      --hold FLOW         hold FLOW's run lock until standard input ends\n"
"      --run-id ID         --hold: the run that holds it\n"
"      --wait SECS         --hold: wait that long for a held lock (0)\n"
"      --ttl SECS          --hold: lease life, PostgreSQL and ClickHouse\n"
"                          (default 60)\n"
"      --plot FILE         --score: the reliability diagram as SVG\n"
"  -h, --help              this help;  -V, --version  the version\n", f);
}

/* N, or P% of the records. */
static int
read_max_failures(const char *s, struct opts *o)
{
	char pct[32];
	size_t n = strlen(s);
	long long v;

	o->max_ratio = n > 0 && n < sizeof pct && s[n - 1] == '%';
	if (o->max_ratio) {
		memcpy(pct, s, n - 1);
		pct[n - 1] = 0;
		return opt_real("--max-failures", pct, 0, 100, 0,
		    &o->max_failures);
	}
	if (opt_int("--max-failures", s, 0, 1000000000, &v) == -1)
		return -1;
	o->max_failures = (double)v;
	return 0;
}

static int
read_time(const char *s, int64_t *t)
{
	if (!ts_is_rfc3339(s, strlen(s)) || ts_sec(s, strlen(s), t) == -1) {
		msg("--now: \"%s\" is not a time", s);
		return -1;
	}
	return 0;
}

static int
read_dur(const char *opt, const char *s, int64_t *v)
{
	int rc = status_duration(s, v);

	if (rc == -1)
		msg("%s: \"%s\" is not a duration (N, Ns, Nm, Nh or Nd)", opt,
		    s);
	else if (rc == -2)
		msg("%s: \"%s\" is not a duration of at most 100 years "
		    "(%lldd)", opt, s, STATUS_DURATION_MAX / 86400);
	return rc == 0 ? 0 : -1;
}

/* The mode decides whether --json takes a path, so look for it first. */
static int
find_mode(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--status") == 0)
			return MODE_STATUS;
		if (strcmp(argv[i], "--score") == 0)
			return MODE_SCORE;
		if (strcmp(argv[i], "--hold") == 0 ||
		    strncmp(argv[i], "--hold=", 7) == 0)
			return MODE_HOLD;
	}
	return MODE_STREAM;
}

static int
one_opt(int ch, struct opts *o)
{
	long long n = 0;
	int rc;

	switch (ch) {
	case 'p': o->pass = 1; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'j':
		o->json = 1;
		o->json_path = optarg;
		return 0;
	case O_MAXF: return read_max_failures(optarg, o);
	case O_STATUS:
	case O_SCORE:
		if (o->mode != (ch == O_STATUS ? MODE_STATUS : MODE_SCORE)) {
			msg("--status and --score: one mode at a time");
			return -1;
		}
		return 0;
	case 'd':	/* -d as pm-store's */
	case O_DB: o->db_url = db_url_hide(optarg); return 0;
	case O_NOTIFY: o->notify = optarg; return 0;
	case O_STATUS_PATH: o->status_path = optarg; return 0;
	case O_FLOW:
		/* a misspelt flow has no data: "no data", exit 5, at every
		 * check, where it is a mistake (as pm-store --last-run's) */
		if (!store_flow_known(optarg)) {
			msg("--flow: not a flow: \"%s\" (%s)", optarg,
			    store_flows());
			return -1;
		}
		/* nor is one with no data of its own (replay stores the
		 * runs it replays, under their flows): no data forever */
		if (!status_flow_known(optarg)) {
			msg("--flow: the %s flow stores no data of its own to "
			    "check (--status checks %s)", optarg,
			    status_flows());
			return -1;
		}
		o->st.flow = optarg;
		return 0;
	case O_FRESH:
		o->st.fresh_given = 1;
		return read_dur("--fresh", optarg, &o->st.fresh);
	case O_STALE:
		o->st.stale_given = 1;
		return read_dur("--stale", optarg, &o->st.stale);
	case O_NOW:
		o->st.now_given = 1;
		return read_time(optarg, &o->st.now);
	case O_RUNS:
		rc = opt_int("--runs", optarg, 0, 10000, &n);
		o->st.runs = (int)n;
		return rc;
	case O_FAILURES:
		rc = opt_int("--failures", optarg, 0, 10000, &n);
		o->st.failures = (int)n;
		return rc;
	case O_BUCKETS:
		rc = opt_int("--buckets", optarg, 1, 1000, &n);
		o->sc.buckets = (int)n;
		return rc;
	case O_PLOT: o->plot = optarg; return 0;
	case O_CLAMP:
		return opt_real("--clamp", optarg, 0, 0.5, 1, &o->sc.clamp);
	case O_HOLD:
		if (o->mode != MODE_HOLD) {
			msg("--hold: one mode at a time");
			return -1;
		}
		if (optarg[0] == 0 || strlen(optarg) > 32 ||
		    strspn(optarg, "abcdefghijklmnopqrstuvwxyz-") != strlen(optarg)) {
			msg("--hold: not a flow name: %s", optarg);
			return -1;
		}
		o->le.flow = optarg;
		return 0;
	case O_RUN_ID:
		/* it goes in the holder, with the host and pid: a longer one
		 * was cut there, and two runs cut alike shared a lease */
		n = (long long)strlen(optarg);
		if (n == 0 || n > LEASE_RUN_ID_MAX || opt_has_ctl(optarg)) {
			msg("--run-id: 1 to %d characters, no control "
			    "characters", LEASE_RUN_ID_MAX);
			return -1;
		}
		o->le.run_id = optarg;
		return 0;
	case O_WAIT:
		rc = opt_int("--wait", optarg, 0, 86400, &n);
		o->le.wait = (int)n;
		return rc;
	case O_TTL:
		rc = opt_int("--ttl", optarg, 3, 86400, &n);
		o->le.ttl = (int)n;
		return rc;
	}
	usage(stderr);
	return -1;
}

/* Options that belong to another mode are a usage error, not ignored. */
static int
check_opts(struct opts *o, int nfiles)
{
	int plot;

	if (o->mode != MODE_STREAM && nfiles > 0) {
		msg("--status and --score take no file operands");
		return -1;
	}
	if (o->pass && o->json_path && strcmp(o->json_path, "-") == 0) {
		msg("--pass and --json -: both want standard output");
		return -1;
	}
	/* not a file named "-" in the current directory, nor a second
	 * document beside the report on standard output */
	plot = o->plot && strcmp(o->plot, "-") == 0;
	if (plot || (o->status_path && strcmp(o->status_path, "-") == 0)) {
		msg("%s -: standard output has the report%s: give a file",
		    plot ? "--plot" : "--status-path", plot ? "" :
		    " (--json makes it this JSON)");
		return -1;
	}
	status_thresholds(&o->st, o->st.flow, &o->st.fresh, &o->st.stale);
	if (o->st.stale < o->st.fresh) {
		msg("--stale must not be below --fresh");
		return -1;
	}
	o->notify_setting = o->notify ? "--notify" : "PM_NOTIFY_URL";
	/* --score and --hold post nothing: the environment's webhook is
	 * not theirs to check (a bad one stopped every run's lock) */
	if (o->notify == NULL && (o->mode == MODE_STREAM ||
	    o->mode == MODE_STATUS) &&
	    (o->notify = getenv("PM_NOTIFY_URL")) != NULL && *o->notify == 0)
		o->notify = NULL;
	if (o->notify && strncmp(o->notify, "http://", 7) &&
	    strncmp(o->notify, "https://", 8)) {
		msg("%s: not an http:// or https:// URL", o->notify_setting);
		return -1;
	}
	if (o->mode != MODE_STREAM) {
		if (db_choose(o->db_url, &o->dbc) == -1)
			return -1;
		o->db_url = o->dbc.url;
	}
	o->st.json = o->sc.json = o->json;
	return 0;
}

/* The database modes share one table of options: one given in a mode
 * it does nothing in is a usage error, not ignored (--score --flow daily
 * would score every flow, --status --buckets 5 report as ever).  NULL,
 * or the modes it goes with. */
static const char *
wrong_mode(int ch, int mode)
{
	switch (ch) {
	case O_FLOW: case O_FRESH: case O_STALE: case O_NOW: case O_RUNS:
	case O_FAILURES: case O_STATUS_PATH:
		return mode == MODE_STATUS ? NULL : "--status";
	case O_BUCKETS: case O_CLAMP: case O_PLOT:
		return mode == MODE_SCORE ? NULL : "--score";
	case O_RUN_ID: case O_WAIT: case O_TTL:
		return mode == MODE_HOLD ? NULL : "--hold FLOW";
	case O_NOTIFY:	/* --score and --hold post nothing */
		return mode == MODE_STATUS ? NULL :
		    "--status or the run summary";
	case 'j':
		return mode != MODE_HOLD ? NULL : "--status or --score";
	}
	return NULL;
}

/* 1: done, exit 0 (help, version); 0: go on; -1: usage error. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option stream_longopts[] = {
		{ "pass", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "max-failures", required_argument, NULL, O_MAXF },
		{ "notify", required_argument, NULL, O_NOTIFY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct option db_longopts[] = {
		{ "status", no_argument, NULL, O_STATUS },
		{ "score", no_argument, NULL, O_SCORE },
		{ "json", no_argument, NULL, 'j' },
		{ "db", required_argument, NULL, O_DB },
		{ "flow", required_argument, NULL, O_FLOW },
		{ "fresh", required_argument, NULL, O_FRESH },
		{ "stale", required_argument, NULL, O_STALE },
		{ "now", required_argument, NULL, O_NOW },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "failures", required_argument, NULL, O_FAILURES },
		{ "buckets", required_argument, NULL, O_BUCKETS },
		{ "clamp", required_argument, NULL, O_CLAMP },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "notify", required_argument, NULL, O_NOTIFY },
		{ "status-path", required_argument, NULL, O_STATUS_PATH },
		{ "run-id", required_argument, NULL, O_RUN_ID },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "ttl", required_argument, NULL, O_TTL },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *with;
	int ch, li = -1;

	o->mode = find_mode(argc, argv);
	while ((ch = getopt_long(argc, argv, o->mode == MODE_STREAM ?
	    "pqhV" : "d:hV", o->mode == MODE_STREAM ? stream_longopts :
	    db_longopts, &li)) != -1) {
		if (o->mode != MODE_STREAM && li >= 0 &&
		    (with = wrong_mode(ch, o->mode)) != NULL) {
			msg("--%s: only with %s", db_longopts[li].name, with);
			return -1;
		}
		li = -1;
		if (ch == 'h') {
			usage(stdout);
			return 1;
		}
		if (ch == 'V') {
			version_print(stdout, "pm-summary");
			return 1;
		}
		if (one_opt(ch, o) == -1)
			return -1;
	}
	return check_opts(o, argc - optind);
}

static int
one(struct rec *r, void *arg)
{
	struct ctx *c = arg;

	if (c->pass) {
		rec_pass(r);
		if (out_failed() != OUT_OK)
			return -1;
	}
	return summary_add(c->sum, r);
}

static void
on_bad(void *arg, const char *file, unsigned long line, const char *detail)
{
	struct ctx *c = arg;

	summary_badline(c->sum, file, line, detail);
}

/* Whether the failures seen pass --max-failures. */
static int
too_many(const struct opts *o, const struct summary_totals *t)
{
	if (o->max_failures < 0)
		return 0;
	if (o->max_ratio)
		return t->records > 0 && (double)t->failed * 100.0 >
		    o->max_failures * (double)t->records;
	return (double)t->failed > o->max_failures;
}

/* A failed run is told to the webhook, once: this is the run's one
 * pm-summary (pipelines.sh's last stage). */
static void
notify_run(const char *url, const struct summary *sum)
{
	const char *st = summary_run_status(sum);
	struct buf json, text;

	if (st == NULL || strcmp(st, "failed") != 0)
		return;
	buf_init(&json, 0);
	buf_init(&text, 0);
	if (summary_json(sum, &json) == 0 &&
	    summary_alert_text(sum, &text) == 0)
		(void)notify_post(url, json.data, json.len, text.data);
	buf_release(&json);
	buf_release(&text);
}

static int
run_stream(const struct opts *o, int nfiles, char **files)
{
	struct ctx c = { 0 };
	struct ndjson nd = { 0 };
	struct summary_totals t;
	struct buf json;
	int rc = 0;

	buf_init(&json, 0);
	if ((c.sum = summary_new()) == NULL) {
		msg("out of memory");
		return EXIT_IO;
	}
	c.pass = o->pass;
	nd.stage = "summary";
	nd.fn = one;
	nd.on_bad = on_bad;
	/* --json -: standard output is the summary, which has them */
	nd.bad_unwritten = o->json_path && strcmp(o->json_path, "-") == 0;
	nd.arg = &c;
	nd.max_line = ndjson_max_line();
	if (ndjson_run(&nd, nfiles, files) != 0)
		rc = EXIT_IO;
	summary_get_totals(c.sum, &t);
	/* the summary is the output: on a full or closed standard error, a
	 * failed write, which nothing can say there (-q: none written) */
	if (!o->quiet && summary_text(c.sum, stderr) == -1)
		rc = EXIT_IO;
	if (o->json_path) {
		if (summary_json(c.sum, &json) == -1) {
			msg("out of memory");
			rc = EXIT_IO;
		} else if (strcmp(o->json_path, "-") == 0)
			out_write(json.data, json.len);
		else if (summary_write_file(o->json_path, json.data,
		    json.len) == -1)
			rc = EXIT_IO;
	}
	if (o->notify)
		notify_run(o->notify, c.sum);
	if (rc == 0 && too_many(o, &t)) {
		msg("%lu failures in %lu records: more than --max-failures",
		    t.failed, t.records);
		rc = EXIT_FAILED;
	}
	buf_release(&json);
	summary_free(c.sum);
	return rc;
}

/* --notify with --status: tell the webhook when the data just turned
 * stale (once per change, status_alert_due()).  A database that cannot
 * keep that state (full, locked, read only) is when an alert matters
 * most: the stale data is then told at every check until it can. */
static void
notify_status(const struct opts *o, int level, int ran,
    const struct buf *json)
{
	char err[600], text[256];
	int due, kept = 1;

	/* no data: told when a flow ran and stored nothing (broken from
	 * its first run), not for a database nothing ran on yet */
	if (level == NO_DATA && !ran)
		return;
	if ((due = status_alert_due(o->db_url, o->dbc.flags, o->st.flow, level,
	    err, sizeof err)) == -1) {
		msg("%s: %s", o->dbc.name, err);
		kept = 0;
		due = level != FRESH;
	}
	if (!due)
		return;
	snprintf(text, sizeof text, "pm data %s%s%s%s%s", level == STALE ?
	    "stale" : level == VERY_STALE ? "very stale" : "none stored by a "
	    "flow that ran", o->st.flow ? " (flow " : "",
	    o->st.flow ? o->st.flow : "", o->st.flow ? ")" : "",
	    kept ? "" : " (alert state not kept: told at every check)");
	(void)notify_post(o->notify, json->data, json->len, text);
}

/* The pictures (lib/plot.c), drawn from the report's JSON: --score
 * --plot's SVG, --score's text diagram on a terminal, --status's
 * sparkline, from status, the JSON of the report already read (read
 * again, it took as long again).  0, or an exit status. */
static int
pictures(struct db *db, struct opts *o, const struct buf *status,
    struct buf *out)
{
	int tty = o->mode == MODE_SCORE && !o->json && isatty(STDOUT_FILENO);
	int rc = 0, r;
	struct buf js, svg;
	char err[512];

	if (o->mode == MODE_SCORE ? !o->plot && !tty : o->json)
		return 0;
	if (o->mode == MODE_STATUS) {
		plot_status_sparkline(status->data, status->len, out);
		return 0;
	}
	buf_init(&js, 0);
	buf_init(&svg, 0);
	o->sc.json = 1;
	r = score_report(db, &o->sc, &js, err, sizeof err);
	o->sc.json = o->json;
	if (r == -1) {
		msg("%s", err);
		rc = EXIT_IO;
	} else {
		if (tty)
			plot_reliability_text(js.data, js.len, out);
		if (o->plot && (plot_reliability_svg(js.data, js.len,
		    &svg) == -1 || outfile_write(o->plot, svg.data,
		    svg.len) == -1))
			rc = EXIT_IO;
	}
	buf_release(&js);
	buf_release(&svg);
	return rc;
}

/* --status and --score: a report from the database on standard output. */
static int
run_db(struct opts *o)
{
	struct db *db;
	struct buf out, json;
	char err[512];
	const char *name = o->dbc.name;
	int rc = 0, level = NO_DATA, ran = 0, attempt;
	unsigned gen;

	if (ch_url_is(o->db_url) && o->mode == MODE_SCORE) {
		/* forecasts (experiment results) are not kept there */
		msg("%s: --score is not available on ClickHouse, which keeps "
		    "no forecasts (pm-store(1), CLICKHOUSE): give the "
		    "PostgreSQL or SQLite experiment store", name);
		return EXIT_USAGE;
	}
	if (ch_url_is(o->db_url) && o->notify) {
		/* its alert state is a row, written: ClickHouse is read */
		msg("%s: %s with --status is not available on ClickHouse, "
		    "which --status only reads (the alert state is a row it "
		    "would write): alert on the exit status, or check without "
		    "it", name, o->notify_setting);
		return EXIT_USAGE;
	}
	if (!ch_url_is(o->db_url) && !db_exists(o->db_url)) {
		msg("no database at %s; run a flow first", name);
		return EXIT_IO;
	}
	if ((db = db_open(o->db_url, DB_READONLY | o->dbc.flags, err,
	    sizeof err)) == NULL) {
		msg("%s: %s", name, err);
		return EXIT_IO;
	}
	buf_init(&out, 0);
	buf_init(&json, 0);
	if (o->st.now == 0)
		o->st.now = (int64_t)time(NULL);
	/* a report is kept until it is whole: the connection lost under it
	 * and made again (PostgreSQL), it is read again from the start */
	for (attempt = 0;; attempt++) {
		gen = db_generation(db);
		if (o->mode == MODE_STATUS)
			rc = status_report(db, &o->st, &out, &json, &level,
			    &ran, err, sizeof err);
		else
			rc = score_report(db, &o->sc, &out, err, sizeof err);
		if (rc != -1 || gen == db_generation(db) || !db_alive(db) ||
		    attempt + 1 >= DB_RETRIES)
			break;
		buf_reset(&out);
		buf_reset(&json);
		db_backoff(attempt);
	}
	if (rc == -1) {
		msg("%s: %s", name, err);
		rc = EXIT_IO;
	} else if ((rc = pictures(db, o, &json, &out)) == 0 &&
	    o->mode == MODE_STATUS) {
		rc = level == FRESH ? 0 : level == STALE ? EXIT_STALE :
		    EXIT_VERY_STALE;
		if (o->status_path && outfile_write(o->status_path, json.data,
		    json.len) == -1)
			rc = EXIT_IO;
		if (o->notify)
			notify_status(o, level, ran, &json);
	}
	db_close(db);
	if (out.len)
		out_write(out.data, out.len);
	buf_release(&out);
	buf_release(&json);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc;

	msg_init(argv[0]);
	argv[0] = (char *)msg_prog();	/* getopt(3) says it, not the path */
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	o.max_failures = -1;
	o.st.runs = o.st.failures = 10;
	o.sc.buckets = 10;
	o.sc.clamp = 0.001;
	o.le.ttl = 60;
	if ((rc = parse_opts(argc, argv, &o)) != 0) {
		rc = rc == 1 ? 0 : EXIT_USAGE;
		goto out;
	}
	if (o.mode == MODE_STREAM)
		rc = run_stream(&o, argc - optind, argv + optind);
	else if (o.mode == MODE_HOLD) {
		o.le.url = o.db_url;
		o.le.dbflags = o.dbc.flags;
		rc = lease_hold(&o.le);
	} else
		rc = run_db(&o);
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	return rc;
}
