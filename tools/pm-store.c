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
#include "jqf.h"
#include "msg.h"
#include "ch.h"
#include "ndjson.h"
#include "out.h"
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
	char		 target[1024];
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-store [-n | -N] [-d url] [file ...]\n"
"       pm-store -e raw|market|group|retry [-w expr] [-r run_id] [-d url]\n"
"       pm-store --last-run flow[,flow] [-d url]\n"
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
"      --last-run FLOWS when the newest completed run of one of these\n"
"                       flows started (nothing when there is none)\n"
"      --schema ENGINE  print the schema's SQL for that engine; for\n"
"                       clickhouse with -d: apply it to every shard\n"
"      --cluster NAME   with --schema clickhouse: local tables per shard\n"
"                       and Distributed tables over them\n"
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

static int
do_export(struct opts *o)
{
	struct db *db;
	unsigned long n = 0;
	char err[600];
	int rc = 0;

	if ((db = db_open(o->url, DB_READONLY | o->dbflags, err,
	    sizeof err)) == NULL) {
		msg("%s: %s", o->target, err);
		return EXIT_DB;
	}
	if (store_export(db, o->export, o->where, o->run_id, &n) == -1)
		rc = EXIT_DB;
	db_close(db);
	return rc;
}

/* The delta flow's watermark.  A database that does not exist yet has no
 * runs: nothing is printed, and nothing is created. */
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
	if (store_last_run(db, o->last_run, when, sizeof when) == -1) {
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
		/* no processed_events table yet: nothing processed either */
		store_filter_prepare(&f);
	}
	nd.stage = "store";
	nd.fn = store_new_only;
	nd.arg = &f;
	io = ndjson_run(&nd, argc, argv);
	if (nd.bad)
		rc = EXIT_FAILED;
	if (io || f.failed)
		rc = EXIT_DB;
	msg("%lu records: %lu passed, %lu groups already processed "
	    "(%lu of them passed with what is stored)", nd.records,
	    f.passed + f.revisited, f.skipped + f.revisited, f.revisited);
	db_finalize(f.seen);
	db_finalize(f.stored);
	db_close(f.db);
	return rc;
}

static int
do_store(struct opts *o, int argc, char **argv)
{
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
	nd.max_line = ndjson_max_line();
	if ((s = store_new(db, o->target, nd.max_line)) == NULL) {
		rc = EXIT_DB;
		goto out;
	}
	nd.stage = "store";
	nd.fn = store_record;
	nd.on_idle = store_idle;
	nd.on_bad = store_badline;
	nd.arg = s;
	io = ndjson_run(&nd, argc, argv);
	if (store_finish(s) == -1 || store_fatal(s))
		io = EXIT_DB;
	store_get_counts(s, &c);
	if (c.failed || nd.bad)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_DB;
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
	if (o->dry_run)
		return do_store(o, argc, argv);
	if (o->last_run)
		return store_ch_last_run(o->url, o->target, o->last_run);
	if (o->export)
		return store_ch_export(o->url, o->target, o->export, o->where,
		    o->run_id);
	return store_ch_store(o->url, o->target, argc, argv);
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { 0 };
	struct db_choice dbc;
	char err[256];
	int ch, rc = 0;

	msg_init(argv[0]);
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	while ((ch = getopt_long(argc, argv, "d:nNe:w:r:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.url = optarg;
			break;
		case 'n':
			o.new_only = 1;
			break;
		case 'N':
			o.dry_run = 1;
			break;
		case 'e':
			if (strcmp(optarg, "raw") && strcmp(optarg, "market") &&
			    strcmp(optarg, "group") && strcmp(optarg, "retry") &&
			    strcmp(optarg, "markets") &&
			    strcmp(optarg, "events")) {
				msg("--export: not raw, market, markets, events, "
				    "group or retry: %s", optarg);
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
			o.last_run = optarg;
			break;
		case 'C':
			o.cluster = optarg;
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
	if (o.new_only + o.dry_run + !!o.export + !!o.schema +
	    !!o.last_run > 1 ||
	    ((o.where || o.run_id) && !o.export) ||
	    ((o.export || o.schema || o.last_run) && optind < argc)) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.schema && strcmp(o.schema, "clickhouse") == 0) {
		if (o.url)
			ch_redact(o.url, o.target, sizeof o.target);
		rc = o.url && !ch_url_is(o.url) ? (msg("--schema clickhouse: "
		    "-d is not a clickhouse:// URL"), EXIT_USAGE) :
		    store_ch_schema(o.url, o.target, o.cluster);
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
	if (ch_url_is(o.url))
		rc = do_clickhouse(&o, argc - optind, argv + optind);
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
	jqf_free(o.where);
	return rc;
}
