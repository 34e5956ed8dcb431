/*
 * pm-group - market and event records to one group record per event.
 *
 * Reads NDJSON; market and event records are taken in, every other kind
 * passes through byte for byte as it comes.  At the end of the input the
 * groups are written, sorted by event_key.  The contract: pm-records(5).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"
#include "group.h"
#include "jqf.h"
#include "msg.h"
#include "ndjson.h"
#include "opt.h"
#include "out.h"
#include "record.h"
#include "version.h"

struct ctx {
	struct grouper	*g;
	struct jqf	*where;
	unsigned long	 limit;		/* 0: none */
	unsigned long	 written, filtered, dropped, failed, passed;
	int		 where_warned;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-group [-w expr] [-n limit] [--stats] [file ...]\n"
"  -w, --where EXPR  keep only groups for which the jq expression is true;\n"
"                    the others become skip records (why: filtered)\n"
"  -n, --limit N     write at most N groups\n"
"      --stats       print counts on standard error at the end\n"
"  -h, --help        this help;  -V, --version  the version\n");
}

static int
one(struct rec *r, void *arg)
{
	struct ctx *c = arg;
	const char *err;
	int rc;

	if (rec_is(r, "market"))
		rc = grouper_add_market(c->g, r, &err);
	else if (rec_is(r, "event"))
		rc = grouper_add_event(c->g, r, &err);
	else {
		rec_pass(r);
		c->passed++;
		return 0;
	}
	if (rc == -1) {
		rec_failure(&(struct failure){ .stage = "group",
		    .reason = "bad_record", .file = r->file, .line = r->line,
		    .detail = err });
		c->failed++;
	}
	return 0;
}

static int
on_group(void *arg, const char *key, struct buf *line)
{
	struct ctx *c = arg;
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
	if (c->limit && c->written >= c->limit) {
		/* said, not dropped: the next run picks the group up */
		rec_skip("group", key, "limit");
		c->dropped++;
		return 0;
	}
	out_line(line->data, line->len);
	c->written++;
	return out_failed() == OUT_OK ? 0 : -1;
}

static void
stats(const struct ctx *c, const struct ndjson *nd)
{
	struct group_stats st;

	grouper_stats(c->g, &st);
	msg("%lu records in (%lu markets, %lu duplicate, %lu events, %lu "
	    "passed through, %lu bad); %lu groups, %lu written, %lu joined to "
	    "an event record, %lu filtered, %lu over the limit",
	    nd->records + nd->bad, st.markets, st.duplicates, st.events,
	    c->passed, nd->bad + c->failed, st.groups, c->written, st.joined,
	    c->filtered, c->dropped);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "where", required_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctx c = { 0 };
	struct ndjson nd = { 0 };
	char err[256];
	long long n;
	int ch, want_stats = 0, rc = 0, io;

	msg_init(argv[0]);
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
	nd.stage = "group";
	nd.fn = one;
	nd.arg = &c;
	nd.max_line = ndjson_max_line();
	if ((c.g = grouper_new(nd.max_line)) == NULL) {
		msg("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	io = ndjson_run(&nd, argc - optind, argv + optind);
	if (out_failed() == OUT_OK && grouper_finish(c.g, on_group, &c) == -1) {
		msg("out of memory");
		io = EXIT_IO;
	}
	if (c.failed || nd.bad)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_IO;
	if (want_stats)
		stats(&c, &nd);
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	grouper_free(c.g);
	jqf_free(c.where);
	return rc;
}
