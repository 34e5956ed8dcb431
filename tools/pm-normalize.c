/*
 * pm-normalize - raw Polymarket records to market, event, price, book and
 * trade records.
 *
 * Reads NDJSON; each `raw` record (or bare API object) is written back
 * unchanged, followed by the records normalized from it; every other kind
 * passes through byte for byte.  What cannot be normalized becomes a
 * `failure` record.  The contract: pm-records(5).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dotenv.h"
#include "jqf.h"
#include "json.h"
#include "msg.h"
#include "ndjson.h"
#include "normalize.h"
#include "opt.h"
#include "out.h"
#include "raw.h"
#include "record.h"
#include "sha.h"
#include "timefmt.h"
#include "version.h"

struct ctx {
	struct normalizer *norm;
	const char	*endpoint;	/* --endpoint, for bare objects */
	const char	*only;		/* --only: endpoints to normalize */
	struct jqf	*where;
	int		 no_raw;
	struct buf	 scratch;	/* minified bare objects */
	const struct rec *rec;		/* the input record at hand */
	unsigned long	 out, failed, filtered, passed, raws;
	int		 where_warned;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-normalize [-R] [-e endpoint] [-o endpoints] [-w expr] [--stats]\n"
"                    [file ...]\n"
"  -e, --endpoint NAME  what a bare API object is: markets, events, price,\n"
"                       prices, prices-history, midpoint, book,\n"
"                       last-trade-price, trades (default: guessed from\n"
"                       its keys)\n"
"  -o, --only LIST      normalize only raw records of these endpoints (comma\n"
"                       list); the others pass through unchanged\n"
"  -w, --where EXPR     keep only normalized records for which the jq\n"
"                       expression is true\n"
"  -R, --no-raw         do not copy the raw records it normalizes to the\n"
"                       output (those passed through still are)\n"
"      --stats          print record counts on standard error at the end\n"
"  -h, --help           this help;  -V, --version  the version\n");
}

/* A normalized record is ready: filter it, then write it. */
static void
on_record(void *arg, struct buf *b)
{
	struct ctx *c = arg;
	char err[256];
	int r;

	if (c->where) {
		r = jqf_test(c->where, b->data, b->len, err, sizeof err);
		if (r == -1 && !c->where_warned) {
			msg_at(c->rec->file, c->rec->line,
			    "--where: %s (taken as false)", err);
			c->where_warned = 1;
		}
		if (r != 1) {
			c->filtered++;
			return;
		}
	}
	out_line(b->data, b->len);
	c->out++;
}

static void
on_fail(void *arg, const char *market_id, const char *event_key,
    const char *detail)
{
	struct ctx *c = arg;

	rec_failure(&(struct failure){ .stage = "normalize",
	    .reason = "normalization_failed", .retriable = 1,
	    .file = c->rec->file, .line = c->rec->line,
	    .market_id = market_id, .event_key = event_key,
	    .detail = detail });
	c->failed++;
}

static void
bad(struct ctx *c, const struct rec *r, const char *detail)
{
	rec_failure(&(struct failure){ .stage = "normalize",
	    .reason = "bad_record", .file = r->file, .line = r->line,
	    .detail = detail });
	c->failed++;
}

/* A bare API object becomes a raw record of its own, so pm-store keeps it
 * in bronze: its payload minified, as fetched ones are. */
static int
wrap_bare(struct ctx *c, const struct rec *r, const char *ep, char sha[65])
{
	struct raw_src src = {
		.source = strncmp(ep, STRCONST("markets")) &&
		    strncmp(ep, STRCONST("events")) ? "clob" : "gamma",
		.endpoint = ep,
	};
	struct buf *b = &c->scratch;
	size_t n;

	if (buf_reserve(b, r->len) == -1 ||
	    (n = json_minify(r->text, r->len, b->data)) == (size_t)-1)
		return -1;
	c->raws++;
	if (c->no_raw)
		return sha256_hex(b->data, n, sha);
	return raw_emit(&src, b->data, n, sha);
}

/* Is ep[0..n) in the comma list? */
static int
listed_n(const char *list, const char *ep, size_t n)
{
	const char *p = list;
	size_t l;

	for (;;) {
		l = strcspn(p, ",");
		if (l == n && memcmp(p, ep, n) == 0)
			return 1;
		if (p[l] == 0)
			return 0;
		p += l + 1;
	}
}

/* Is ep in the comma list?  markets and events name their keyset pages
 * too, what pm-fetch writes by default: the same objects. */
static int
listed(const char *list, const char *ep)
{
	const char *k = strstr(ep, "/keyset");

	return listed_n(list, ep, strlen(ep)) ||
	    (k != NULL && k[7] == 0 && listed_n(list, ep, (size_t)(k - ep)));
}

/* A single-token CLOB answer: its token is named by its request only. */
static int
token_of_request(const char *ep)
{
	return strcmp(ep, "price") == 0 || strcmp(ep, "midpoint") == 0 ||
	    strcmp(ep, "last-trade-price") == 0 ||
	    strcmp(ep, "prices-history") == 0;
}

/* The input is slow (pm-fetch waiting on the API): what is written so
 * far goes on, the run record first, so that pm-store records the run
 * running from its start, not from its first answer. */
static void
idle(void *arg)
{
	(void)arg;
	out_flush();
}

static int
one(struct rec *r, void *arg)
{
	struct ctx *c = arg;
	struct norm_sink sink = { on_record, on_fail, c };
	struct norm_src src = { 0 };
	json_val payload, f;
	const char *ep, *s;
	char sha[65], ts[TS_MAX], epbuf[32], detail[160];
	size_t sl;

	c->rec = r;
	out_at(r->file, r->line);	/* what it writes now comes from r */
	if (r->kind == NULL) {
		payload = r->root;
		/* one line of a saved listing page is no object of it: not
		 * an event (it holds markets), nor a raw record to keep */
		if ((s = norm_envelope(&payload)) != NULL) {
			snprintf(detail, sizeof detail, "a keyset page, not one "
			    "object: pipe it through jq -c '.%s[]'", s);
			bad(c, r, detail);
			return 0;
		}
		ep = c->endpoint ? c->endpoint : norm_detect(&payload);
		if (ep == NULL) {
			bad(c, r, "cannot tell which endpoint this object came "
			    "from; use --endpoint");
			return 0;
		}
		if (c->only && !listed(c->only, ep)) {
			rec_pass(r);
			c->passed++;
			return 0;
		}
		/* a row of a page: no answer of its own to keep in bronze */
		if (strcmp(ep, "trades") == 0) {
			bad(c, r, "a bare Data API trade row: trades are "
			    "read from raw records of whole pages (pm-fetch "
			    "trades)");
			return 0;
		}
		/* its token is in the request only: it can never normalize */
		if (token_of_request(ep)) {
			snprintf(detail, sizeof detail, "a bare %s answer "
			    "names no token: wrap it in a raw record whose "
			    "request has its token_id%s, as pm-fetch writes",
			    ep, strcmp(ep, "price") == 0 ? " and side" : "");
			bad(c, r, detail);
			return 0;
		}
		if (wrap_bare(c, r, ep, sha) == -1) {
			bad(c, r, "cannot minify the object");
			return 0;
		}
		src.sha256 = sha;
		src.request.type = JSON_ABSENT;
	} else if (rec_is(r, "raw")) {
		json_get(&r->root, "payload", &payload);
		json_get(&r->root, "endpoint", &f);
		if ((s = json_str(&f, &sl)) == NULL) {
			bad(c, r, "endpoint missing");
			return 0;
		}
		/* one longer than any known is unknown: passed through */
		if (sl >= sizeof epbuf)
			sl = 0;
		memcpy(epbuf, s, sl);
		epbuf[sl] = 0;
		ep = epbuf;
		if (!norm_endpoint_known(ep) || (c->only && !listed(c->only, ep))) {
			rec_pass(r);
			c->passed++;
			return 0;
		}
		json_get(&r->root, "sha256", &f);
		if ((s = json_str(&f, &sl)) == NULL || !sha256_is_hex(s, sl)) {
			bad(c, r, "sha256 missing or not 64 hex digits");
			return 0;
		}
		memcpy(sha, s, 65);
		src.sha256 = sha;
		/* present, it is a time: null in the market records and
		 * "fetched_at missing" on each price would hide the cause */
		json_get(&r->root, "fetched_at", &f);
		if ((s = json_str(&f, &sl)) != NULL && ts_parse(s, sl, ts) == 0)
			src.fetched_at = ts;
		else if (f.type != JSON_ABSENT && f.type != JSON_NULL) {
			bad(c, r, "fetched_at is not a time");
			return 0;
		}
		json_get(&r->root, "request", &src.request);
		if (!c->no_raw)
			rec_pass(r);
		c->raws++;
	} else {
		rec_pass(r);
		c->passed++;
		return 0;
	}
	norm_payload(c->norm, ep, &payload, &src, &sink);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "where", required_argument, NULL, 'w' },
		{ "only", required_argument, NULL, 'o' },
		{ "no-raw", no_argument, NULL, 'R' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctx c = { 0 };
	struct ndjson nd = { 0 };
	char err[256];
	const char *p;
	int ch, stats = 0, rc = 0, io;

	msg_init(argv[0]);
	argv[0] = (char *)msg_prog();	/* getopt(3) says it, not the path */
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	buf_init(&c.scratch, 0);
	while ((ch = getopt_long(argc, argv, "e:o:w:RhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			if (!norm_endpoint_known(optarg)) {
				msg("unknown endpoint: %s", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			c.endpoint = optarg;
			break;
		case 'o':
			/* a misspelt endpoint would pass its records through
			 * unnormalized, without a word */
			if ((p = opt_list_unknown(optarg,
			    norm_endpoint_known)) != NULL) {
				msg("--only: unknown endpoint: %.*s",
				    (int)strcspn(p, ","), p);
				rc = EXIT_USAGE;
				goto out;
			}
			c.only = optarg;
			break;
		case 'w':
			jqf_free(c.where);
			if ((c.where = jqf_compile(optarg, err, sizeof err)) == NULL) {
				msg("--where: %s", err);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'R':
			c.no_raw = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			goto out;
		case 'V':
			version_print(stdout, "pm-normalize");
			goto out;
		default:
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	nd.stage = "normalize";
	nd.fn = one;
	nd.on_idle = idle;
	nd.arg = &c;
	nd.max_line = ndjson_max_line();
	buf_init(&c.scratch, nd.max_line + 4096);
	if ((c.norm = norm_new(nd.max_line)) == NULL) {
		msg("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	io = ndjson_run(&nd, argc - optind, argv + optind);
	if (c.failed || nd.bad)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_IO;
	msg_left_out();
	if (stats)
		msg("%lu records in (%lu raw, %lu passed through, %lu bad); "
		    "%lu normalized out, %lu failed, %lu filtered",
		    nd.records + nd.bad, c.raws, c.passed, nd.bad, c.out,
		    c.failed, c.filtered);
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	else if (out_refused() && rc == 0)
		rc = EXIT_FAILED;	/* a line too long to write */
	norm_free(c.norm);
	jqf_free(c.where);
	buf_release(&c.scratch);
	return rc;
}
