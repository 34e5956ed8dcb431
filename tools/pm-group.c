/*
 * pm-group - market and event records to one group record per event.
 *
 * Reads NDJSON; market and event records are taken in, every other kind
 * passes through byte for byte as it comes.  At the end of the input the
 * groups are written, sorted by event_key.  With --require-end, only if
 * the input ended with an end record (pm-fetch --end-record): a stage
 * before this one killed or crashed leaves an input cut short, whose
 * groups would be partial.  The contract: pm-records(5).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dotenv.h"
#include "group.h"
#include "jqf.h"
#include "json.h"
#include "jw.h"
#include "msg.h"
#include "ndjson.h"
#include "opt.h"
#include "out.h"
#include "record.h"
#include "timefmt.h"
#include "version.h"

struct ctx {
	struct grouper	*g;
	struct jqf	*where;
	unsigned long	 limit;		/* 0: none */
	unsigned long	 mlimit;	/* --limit-markets; 0: none */
	unsigned long	 written, filtered, dropped, failed, passed;
	unsigned long	 mwritten;
	int		 where_warned;
	int		 require_end;	/* --require-end */
	int		 ended;		/* an end record after the last market
					 * or event record */
	unsigned long	 taken;		/* market and event records */
	unsigned long	 lost;		/* --require-end: failure records of
					 * stage fetch, pages of the listing
					 * that failed */
	json_parser	*count;		/* --limit-markets: counts a group's */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-group [-w expr] [-n limit] [--limit-markets N] [--margin DUR\n"
"                [--now T]] [--require-end] [--stats] [file ...]\n"
"  -w, --where EXPR  keep only groups for which the jq expression is true;\n"
"                    the others become skip records (why: filtered)\n"
"  -n, --limit N     write at most N groups\n"
"      --limit-markets N  write whole groups until N markets are written\n"
"      --margin DUR  a market closing sooner than DUR (N[s|m|h|d]) after\n"
"                    --now is left out: a skip record (closes_within_margin)\n"
"      --now T       the run's start, RFC 3339 (default $PM_NOW, else now)\n"
"      --require-end no group unless the input ends with an end record\n"
"                    (pm-fetch --end-record) and has no fetch failure: an\n"
"                    input cut short by a kill before this stage, or a\n"
"                    listing that lost a page, is a failure record, exit 1\n"
"      --stats       print counts on standard error at the end\n"
"  -h, --help        this help;  -V, --version  the version\n");
}

/*
 * No forecast after the fact: a market closing before the cutoff (the
 * run's start plus the margin) is left out of its group, said in a skip
 * record of its own; the rest of the group goes on.  A market without a
 * close time is kept: nothing says it is late.  Its record fetched last
 * says so (grouper_margin()): a market whose close was moved earlier is
 * late even when an older record of it is not.
 */
static void
on_late(void *arg, const char *market_id)
{
	(void)arg;
	rec_skip_market("group", market_id, NULL, "closes_within_margin");
}

/* A failure record of pm-fetch: a page of the listing is not in the
 * input, and with it the markets it had. */
static int
fetch_failure(const struct rec *r)
{
	json_val v;
	const char *s;
	size_t n;

	if (!rec_is(r, "failure"))
		return 0;
	json_get(&r->root, "stage", &v);
	return (s = json_str(&v, &n)) != NULL && n == 5 &&
	    memcmp(s, "fetch", 5) == 0;
}

static int
one(struct rec *r, void *arg)
{
	struct ctx *c = arg;
	const char *err;
	json_val id;
	int rc, market = rec_is(r, "market");

	if (c->require_end && rec_is(r, "end")) {
		c->ended = 1;	/* taken: what follows has no use for it */
		return 0;
	}
	if (c->require_end && fetch_failure(r))
		c->lost++;	/* and passed on, to be recorded */
	if (!market && !rec_is(r, "event")) {
		rec_pass(r);
		c->passed++;
		return 0;
	}
	c->ended = 0;
	c->taken++;
	if (market)
		rc = grouper_add_market(c->g, r, &err);
	else
		rc = grouper_add_event(c->g, r, &err);
	if (rc == -1) {
		/* a market that cannot be grouped is missing from its
		 * event's group: say which, as a position in a pipe is
		 * gone once the run is */
		json_get(&r->root, "market_id", &id);
		rec_failure(&(struct failure){ .stage = "group",
		    .reason = "bad_record", .file = r->file, .line = r->line,
		    .market_id = market ? json_str(&id, NULL) : NULL,
		    .detail = err });
		c->failed++;
	}
	return 0;
}

/*
 * --require-end, and no end record after the last market or event: a
 * stage before this one stopped short, and a group of the markets read so
 * far may lack some.  So may one when a page of the listing failed (a
 * fetch failure record): its markets are missing, from any event; or
 * when an input could not be read (missing, a read error).  None is
 * written (the markets are neither grouped nor lost: the run is to be
 * done again); one failure record says so.
 */
static void
cut_short(const struct ctx *c, int unread)
{
	char detail[200];

	if (unread)
		snprintf(detail, sizeof detail, "an input could not be read: "
		    "its %lu market and event records are not grouped",
		    c->taken);
	else if (c->ended)
		snprintf(detail, sizeof detail, "the listing lost %lu page(s) "
		    "(a fetch failure record in the input): its %lu market "
		    "and event records are not grouped", c->lost, c->taken);
	else
		snprintf(detail, sizeof detail, "the input ended without an "
		    "end record (a stage before this one stopped short): its "
		    "%lu market and event records are not grouped", c->taken);
	rec_failure(&(struct failure){ .stage = "group",
	    .reason = "input_cut_short", .retriable = 1, .detail = detail });
}

/* Markets in a group line (ours: it parses). */
static unsigned long
count_markets(struct ctx *c, const struct buf *line)
{
	json_val root, m;
	const char *err;

	if (json_parse(c->count, line->data, line->len, 0, &root, &err) == -1)
		return 1;
	json_get(&root, "markets", &m);
	return json_count(&m);
}

static int
on_group(void *arg, const char *key, struct buf *line)
{
	struct ctx *c = arg;
	unsigned long refused;
	char err[256];
	int r;

	if (c->where) {
		r = jqf_test(c->where, line->data, line->len, err, sizeof err);
		if (r == -1 && !c->where_warned) {
			msg("--where: event %s: %s (taken as false)", key, err);
			c->where_warned = 1;
		}
		if (r != 1) {
			rec_skip("group", key, "filtered");
			c->filtered++;
			return 0;
		}
	}
	if ((c->limit && c->written >= c->limit) ||
	    (c->mlimit && c->mwritten >= c->mlimit)) {
		/* said, not dropped: the next run picks the group up */
		rec_skip("group", key, "limit");
		c->dropped++;
		return 0;
	}
	refused = out_refused();
	out_line(line->data, line->len);
	/* one over PM_MAX_LINE is a failure record instead: not written,
	 * its markets count toward neither limit */
	if (out_refused() == refused) {
		if (c->mlimit)
			c->mwritten += count_markets(c, line);
		c->written++;
	}
	return out_failed() == OUT_OK ? 0 : -1;
}

static void
stats(const struct ctx *c, const struct ndjson *nd)
{
	struct group_stats st;

	grouper_stats(c->g, &st);
	msg_left_out();
	msg("%lu records in (%lu markets, %lu duplicate, %lu events, %lu "
	    "passed through, %lu bad); %lu groups, %lu written, %lu joined to "
	    "an event record, %lu filtered, %lu over the limit; %lu markets "
	    "closing within the margin",
	    nd->records + nd->bad, st.markets, st.duplicates, st.events,
	    c->passed, nd->bad + c->failed, st.groups, c->written, st.joined,
	    c->filtered, c->dropped, st.late);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "where", required_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'n' },
		{ "limit-markets", required_argument, NULL, 'm' },
		{ "margin", required_argument, NULL, 'M' },
		{ "now", required_argument, NULL, 't' },
		{ "require-end", no_argument, NULL, 'E' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctx c = { 0 };
	struct ndjson nd = { 0 };
	char err[256];
	long long n;
	const char *now = NULL;
	double margin_ms = -1, cutoff_ms = 0;
	int ch, want_stats = 0, rc = 0, io, cut;

	msg_init(argv[0]);
	argv[0] = (char *)msg_prog();	/* getopt(3) says it, not the path */
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	while ((ch = getopt_long(argc, argv, "w:n:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			jqf_free(c.where);
			if ((c.where = jqf_compile(optarg, err, sizeof err)) == NULL) {
				msg("--where: %s", err);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'n':
			if (opt_int("--limit", optarg, 1, 1000000000, &n) == -1) {
				rc = EXIT_USAGE;
				goto out;
			}
			c.limit = (unsigned long)n;
			break;
		case 'm':
			if (opt_int("--limit-markets", optarg, 1, 1000000000, &n)
			    == -1) {
				rc = EXIT_USAGE;
				goto out;
			}
			c.mlimit = (unsigned long)n;
			break;
		case 'M':
			if (ts_margin(optarg, &margin_ms) == -1) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 't':
			now = optarg;
			break;
		case 'E':
			c.require_end = 1;
			break;
		case 's':
			want_stats = 1;
			break;
		case 'h':
			usage(stdout);
			goto out;
		case 'V':
			version_print(stdout, "pm-group");
			goto out;
		default:
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (margin_ms >= 0) {
		if (ts_run_clock(now, &cutoff_ms) == -1) {
			rc = EXIT_USAGE;
			goto out;
		}
		cutoff_ms += margin_ms;
	} else if (now) {
		msg("--now applies to --margin only");
		rc = EXIT_USAGE;
		goto out;
	}
	nd.stage = "group";
	nd.fn = one;
	nd.arg = &c;
	nd.max_line = ndjson_max_line();
	if ((c.g = grouper_new()) == NULL || (c.mlimit &&
	    (c.count = json_parser_new(nd.max_line)) == NULL)) {
		msg("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	if (margin_ms >= 0)
		grouper_margin(c.g, cutoff_ms, on_late, &c);
	io = ndjson_run(&nd, argc - optind, argv + optind);
	if ((cut = c.require_end && (io || !c.ended || c.lost)))
		cut_short(&c, io);
	else if (out_failed() == OUT_OK &&
	    grouper_finish(c.g, on_group, &c) == -1) {
		msg("out of memory");
		io = EXIT_IO;
	}
	if (c.failed || nd.bad || cut)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_IO;
	if (want_stats)
		stats(&c, &nd);
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	else if (out_refused() && rc == 0)
		rc = EXIT_FAILED;	/* a line too long to write */
	grouper_free(c.g);
	json_parser_free(c.count);
	jqf_free(c.where);
	return rc;
}
