/*
 * pm-summary - the end of a flow: the run summary of a record stream.
 *
 * Reads NDJSON (pm-store's annotated output, or any stream) and writes
 * nothing to standard output but what every tool writes, the failure
 * records of lines that are not records; --pass copies its input there,
 * so it can stand mid-pipe.  The summary for a person goes to standard
 * error, so that standard output stays NDJSON; --json PATH writes the
 * machine-readable one.  The contract: pm-records(5).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "ndjson.h"
#include "out.h"
#include "summary.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_IO = 3 };
enum { O_MAXF = 256 };

struct opts {
	int		 pass, quiet;
	const char	*json_path;	/* "-": standard output */
	double		 max_failures;	/* < 0: no limit */
	int		 max_ratio;	/* max_failures is a share of records */
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
"  -p, --pass              copy the input to standard output\n"
"  -q, --quiet             no text summary on standard error\n"
"      --json PATH         write the JSON summary to PATH (-: stdout)\n"
"      --max-failures N|P% exit 1 when more than N failures (or P% of\n"
"                          the records) were seen\n"
"  -h, --help              this help;  -V, --version  the version\n", f);
}

/* N, or P% of the records. */
static int
read_max_failures(const char *s, struct opts *o)
{
	size_t n = strlen(s);
	char *e;

	o->max_ratio = n > 0 && s[n - 1] == '%';
	errno = 0;
	o->max_failures = strtod(s, &e);
	if (*s < '0' || *s > '9' || errno || e != s + n - (size_t)o->max_ratio ||
	    !isfinite(o->max_failures) || (o->max_ratio && o->max_failures > 100)) {
		msg("--max-failures: not a count or a percentage: %s", s);
		return -1;
	}
	if (!o->max_ratio && o->max_failures != floor(o->max_failures)) {
		msg("--max-failures: not a whole number: %s", s);
		return -1;
	}
	return 0;
}

/* 1: done, exit 0 (help, version); 0: go on; -1: usage error. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pass", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "max-failures", required_argument, NULL, O_MAXF },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "pqhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->pass = 1; break;
		case 'q': o->quiet = 1; break;
		case 'j': o->json_path = optarg; break;
		case O_MAXF:
			if (read_max_failures(optarg, o) == -1)
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("pm-summary %s\n", PM_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->pass && o->json_path && strcmp(o->json_path, "-") == 0) {
		msg("--pass and --json -: both want standard output");
		return -1;
	}
	return 0;
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
	nd.arg = &c;
	nd.max_line = ndjson_max_line();
	if (ndjson_run(&nd, nfiles, files) != 0)
		rc = EXIT_IO;
	summary_badlines(c.sum, nd.bad);
	summary_get_totals(c.sum, &t);
	if (!o->quiet)
		summary_text(c.sum, stderr);
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
	if (rc == 0 && too_many(o, &t)) {
		msg("%lu failures in %lu records: more than --max-failures",
		    t.failed, t.records);
		rc = EXIT_FAILED;
	}
	buf_release(&json);
	summary_free(c.sum);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc;

	msg_init(argv[0]);
	out_init();
	o.max_failures = -1;
	if ((rc = parse_opts(argc, argv, &o)) != 0) {
		rc = rc == 1 ? 0 : EXIT_USAGE;
		goto out;
	}
	rc = run_stream(&o, argc - optind, argv + optind);
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	return rc;
}
