/*
 * pm-experiment - run the configured experiment suites on group records.
 *
 * Reads NDJSON; each `group` record gets a `results` array (one result per
 * variant run) and is written back, followed by the failure records of
 * what failed; every other kind passes through byte for byte.  Up to -j
 * groups are in flight at once; the output keeps the input order.  The
 * configuration and the result members: pm-experiment(1), pm-records(5).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dotenv.h"
#include "experiment.h"
#include "http.h"
#include "jqf.h"
#include "llm.h"
#include "msg.h"
#include "ndjson.h"
#include "opt.h"
#include "out.h"
#include "outfile.h"
#include "record.h"
#include "secret.h"
#include "timefmt.h"
#include "version.h"
#include "workq.h"
#include "progress.h"

/* Pass-through lines waiting behind a group in flight, at most. */
#define QUEUED_MAX (64UL * 1024 * 1024)

struct ctx {
	struct workq	*q;
	struct xopts	 xo;
	long long	 jobs;
	size_t		 queued;	/* bytes of pass-through lines queued */
	unsigned long	 groups, passed, failures, ok, failed, skipped;
	unsigned long	*tokens;	/* per variant, for --stats */
	int		 nomem;
	struct progress	*pg;		/* groups done of those read */
	unsigned long	 done, llm_calls;
	long		 llm_ms;
};

/* A pass-through line or a group, in input order. */
struct slot {
	int		 group;
	struct xjob	*job;
};

struct opts {
	struct config_opts	co;
	struct selection	sel;
	const char		*stage, *cacert, *now;
	double			 margin_ms;	/* --margin; -1: none */
	int			 list, check, stats;
	int			 progress;	/* -1 --no-progress, 1 --progress */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-experiment [-l | --check] [-c config] [-s suite] [--stage stage]\n"
"                     [--include-research list] [--include-forecast list]\n"
"                     [-o name.key=value] [--override-file file] [-j jobs]\n"
"                     [--timeout seconds] [--dump-dir dir] [--cacert file]\n"
"                     [--margin dur [--now time]] [--stats]\n"
"                     [--progress | --no-progress] [file ...]\n"
"  -c, --config FILE         the suites (default: $PM_EXPERIMENTS, else the\n"
"                            builtin suite: baseline and market)\n"
"  -l, --list                print the manifest of what would run, and exit\n"
"      --check               check what would run (and its keys), and exit\n"
"  -s, --suite ID            run only this suite (repeatable)\n"
"      --stage STAGE         research, forecast or both (default both)\n"
"      --include-research L  only these research variants (variant,\n"
"                            suite:variant or id, comma-separated)\n"
"      --include-forecast L  only these forecast variants\n"
"  -o, --override N.K=V      set parameter K of what N names: a suite, a\n"
"                            variant, suite:variant or an id suite:stage:variant\n"
"                            (repeatable)\n"
"      --override-file FILE  {\"N\": {parameters}} (repeatable; before -o)\n"
"  -j, --jobs N              groups in flight (default 4)\n"
"      --timeout SECONDS     for variants that set none (default 60)\n"
"      --dump-dir DIR        save request and response payloads per event\n"
"      --margin DUR          a market closing sooner than DUR (N[s|m|h|d])\n"
"                            after --now is forecast by no variant\n"
"      --now TIME            the run's clock for --margin (RFC 3339;\n"
"                            default $PM_NOW, else the current time)\n"
"      --cacert FILE         trust these CAs for https (default:\n"
"                            $PM_CA_BUNDLE, else the system's)\n"
"      --stats               print counts on standard error at the end\n"
"      --progress, --no-progress  groups done, rate, ETA and LLM latency\n"
"                            on standard error (default: on a terminal)\n"
"  -h, --help                this help;  -V, --version  the version\n");
}

static int
push(char ***v, size_t *n, char *s)
{
	char **p;

	if ((p = realloc(*v, (*n + 1) * sizeof *p)) == NULL)
		return -1;
	*v = p;
	p[(*n)++] = s;
	return 0;
}

/* Groups done of those read; the LLM calls' mean latency. */
static void
show_progress(struct ctx *c, int end)
{
	void (*show)(struct progress *, unsigned long, const char *, ...) =
	    end ? progress_end : progress_update;

	if (c->llm_calls)
		show(c->pg, c->done, "%lu results ok, %lu failed; LLM %lu "
		    "calls, mean %.1f s", c->ok, c->failed, c->llm_calls,
		    (double)c->llm_ms / 1000 / (double)c->llm_calls);
	else
		show(c->pg, c->done, "%lu results ok, %lu failed", c->ok,
		    c->failed);
}

static void
emit(struct ctx *c, struct slot *s)
{
	struct xjob *j = s->job;
	size_t i;

	if (!s->group) {
		out_line(j->text, j->len);
		c->queued -= j->len;
		goto out;
	}
	if (j->out.len)
		out_line(j->out.data, j->out.len);
	c->ok += j->ok;
	c->failed += j->failed;
	c->skipped += j->skipped;
	for (i = 0; j->tokens && i < c->xo.cfg->n; i++)
		c->tokens[i] += j->tokens[i];
	c->done++;
	c->llm_calls += j->llm_calls;
	c->llm_ms += j->llm_ms;
	progress_total(c->pg, c->groups, 0);
	show_progress(c, 0);
	for (i = 0; i < j->nfails; i++) {
		rec_failure(&(struct failure){ .stage = "experiment",
		    .reason = j->fails[i].reason,
		    .retriable = j->fails[i].retriable, .file = j->file,
		    .line = j->line, .event_key = j->event_key,
		    .detail = j->fails[i].detail });
		c->failures++;
	}
out:
	xjob_free(j);
	free(s);
}

/* Write what is done; block while too much is in flight. */
static void
drain(struct ctx *c, int all)
{
	struct slot *s;

	while ((s = workq_next(c->q, 0)) != NULL)
		emit(c, s);
	while ((all || workq_pending(c->q) >= (size_t)c->jobs ||
	    c->queued > QUEUED_MAX) && (s = workq_next(c->q, 1)) != NULL)
		emit(c, s);
}

static int
one(struct rec *r, void *arg)
{
	struct ctx *c = arg;
	struct slot *s;
	int group = rec_is(r, "group");

	if (!group) {
		c->passed++;
		drain(c, 0);
		if (workq_pending(c->q) == 0) {
			rec_pass(r);	/* nothing ahead of it: no copy */
			return 0;
		}
	}
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->job = xjob_new(r->text, r->len, r->file, r->line)) == NULL) {
		free(s);
		c->nomem = 1;
		return -1;
	}
	s->group = group;
	if (workq_add(c->q, s, group) == -1) {
		xjob_free(s->job);
		free(s);
		c->nomem = 1;
		return -1;
	}
	if (group)
		c->groups++;
	else
		c->queued += r->len;
	drain(c, 0);
	return 0;
}

static void *
w_init(void *arg)
{
	return xworker_new(arg);
}

static void
w_fini(void *state)
{
	xworker_free(state);
}

static void
w_run(void *state, void *item)
{
	xworker_run(state, ((struct slot *)item)->job);
}

static int
set_stage(struct opts *o, const char *s)
{
	if (strcmp(s, "research") == 0)
		o->sel.stages = 1 << XS_RESEARCH;
	else if (strcmp(s, "forecast") == 0)
		o->sel.stages = 1 << XS_FORECAST;
	else if (strcmp(s, "both") == 0)
		o->sel.stages = 1 << XS_RESEARCH | 1 << XS_FORECAST;
	else {
		msg("--stage: \"%s\" is not research, forecast or both", s);
		return -1;
	}
	return 0;
}

/* -1 usage error, 1 done (--help, --version), 0 go on. */
static int
parse_opts(int argc, char **argv, struct opts *o, struct ctx *c)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'k' },
		{ "suite", required_argument, NULL, 's' },
		{ "stage", required_argument, NULL, 'S' },
		{ "include-research", required_argument, NULL, 'R' },
		{ "include-forecast", required_argument, NULL, 'F' },
		{ "override", required_argument, NULL, 'o' },
		{ "override-file", required_argument, NULL, 'O' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dump-dir", required_argument, NULL, 'd' },
		{ "stats", no_argument, NULL, 'x' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "margin", required_argument, NULL, 'M' },
		{ "now", required_argument, NULL, 'W' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, rc = 0;

	while (rc == 0 && (ch = getopt_long(argc, argv, "c:ls:o:j:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': o->co.path = optarg; break;
		case 'l': o->list = 1; break;
		case 'k': o->check = 1; break;
		case 'P': o->progress = 1; break;
		case 'N': o->progress = -1; break;
		case 'S': rc = set_stage(o, optarg); break;
		case 'R': o->sel.inc[XS_RESEARCH] = optarg; break;
		case 'F': o->sel.inc[XS_FORECAST] = optarg; break;
		case 'd': c->xo.dump_dir = optarg; break;
		case 'x': o->stats = 1; break;
		case 'C': o->cacert = optarg; break;
		case 'W': o->now = optarg; break;
		case 'M': rc = ts_margin(optarg, &o->margin_ms); break;
		case 's':
			rc = push(&o->sel.suites, &o->sel.nsuites, optarg);
			break;
		case 'o':
			rc = push(&o->co.inline_ovr, &o->co.ninline, optarg);
			break;
		case 'O':
			rc = push(&o->co.files, &o->co.nfiles, optarg);
			break;
		case 'j':
			rc = opt_int("--jobs", optarg, 1, 64, &c->jobs);
			break;
		case 't':
			rc = opt_real("--timeout", optarg, 0.001, 86400, 0,
			    &o->co.timeout);
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			version_print(stdout, "pm-experiment");
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	return rc;
}

/* libjq's compile error as one clause: without its own "jq: error: "
 * (the caller says jq), its hint for shell quoting (a configuration is
 * no shell command line) and the program's line it pads and appends. */
static const char *
jq_clause(char *err)
{
	static const char pre[] = "jq: error: ", hint[] =
	    " (Unix shell quoting issues?)";
	char *s = err, *e;

	if (strncmp(s, pre, sizeof pre - 1) == 0)
		s += sizeof pre - 1;
	s[strcspn(s, "\n")] = 0;
	if ((e = strstr(s, hint)) != NULL)
		memmove(e, e + sizeof hint - 1,
		    strlen(e + sizeof hint - 1) + 1);
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == ':'); e--)
		;
	*e = 0;
	return s;
}

/* A jq program or prompt placeholder that does not compile is a
 * configuration error: say so before the first group, not once per group.
 * With keys, an LLM variant whose key is not set, or cannot go in a
 * header, is one too (--check: before a run fetches). */
static int
check_variants(const struct config *cfg, const char *path, int keys)
{
	const struct variant *v;
	const char *k;
	struct jqf *f;
	char err[256];
	size_t i;

	for (i = 0; i < cfg->n; i++) {
		v = &cfg->v[i];
		if (!v->selected)
			continue;
		if (v->type == XT_JQ) {
			if ((f = jqf_compile(v->program, err, sizeof err)) == NULL) {
				msg("%s%s%s: jq: %s%s", path ? path : "",
				    path ? ": " : "", v->id, jq_clause(err),
				    config_overridden(v));
				return -1;
			}
			jqf_free(f);
		}
		if (v->prompt && tmpl_check(v->prompt, err, sizeof err) == -1) {
			msg("%s%s%s: prompt: %s%s", path ? path : "",
			    path ? ": " : "", v->id, err,
			    config_overridden(v));
			return -1;
		}
		if (!keys || v->api_key_env == NULL || *v->api_key_env == 0)
			continue;
		if ((k = getenv(v->api_key_env)) == NULL || *k == 0) {
			msg("%s: %s is not set", v->id, v->api_key_env);
			return -1;
		}
		if (opt_has_ctl(k)) {	/* never printed: it is a secret */
			msg("%s: %s holds a control character", v->id,
			    v->api_key_env);
			return -1;
		}
	}
	return 0;
}

/* The secrets to mask: secret.h's, and every variable an LLM variant
 * reads its key from, selected or not. */
static struct secrets *
load_secrets(const struct config *cfg)
{
	struct secrets *s;
	char **names;
	size_t i, n = 0;

	if ((names = calloc(cfg->n + 1, sizeof *names)) == NULL)
		return NULL;
	for (i = 0; i < cfg->n; i++)
		if (cfg->v[i].api_key_env != NULL)
			names[n++] = cfg->v[i].api_key_env;
	s = secrets_new(names, n);
	free(names);
	return s;
}

static int
any_forecast(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n; i++)
		if (cfg->v[i].selected && cfg->v[i].stage == XS_FORECAST)
			return 1;
	return 0;
}

/* --stats: the counts, then the tokens each LLM variant used. */
static void
stats(const struct ctx *c, const struct ndjson *nd)
{
	const struct config *cfg = c->xo.cfg;
	size_t i;

	msg_left_out();
	msg("%lu records in (%lu groups, %lu passed through, %lu bad); "
	    "results: %lu ok, %lu skipped, %lu failed; %lu failure records",
	    nd->records + nd->bad, c->groups, c->passed, nd->bad, c->ok,
	    c->skipped, c->failed, c->failures);
	for (i = 0; i < cfg->n; i++)
		if (cfg->v[i].selected && (cfg->v[i].type == XT_OPENAI ||
		    cfg->v[i].type == XT_GEMINI))
			msg("%s: %lu tokens", cfg->v[i].id, c->tokens[i]);
}

/* --dump-dir and its parents; -1 said, when it is no directory this
 * program may write in. */
static int
dump_dir_make(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof p, "%s/.", dir) >= (int)sizeof p)
		errno = ENAMETOOLONG;
	else if (outfile_mkparents(p) == -1 || stat(dir, &st) == -1)
		;	/* errno says why */
	else if (!S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (access(dir, W_OK | X_OK) == 0)
		return 0;
	msg("--dump-dir: %s: %s", dir, strerror(errno));
	return -1;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct ctx c = { 0 };
	struct ndjson nd = { 0 };
	struct config *cfg = NULL;
	struct secrets *secrets = NULL;
	const char *env;
	char err[512];
	int rc = 0, io, k, curl = 0;

	/* Before anything else: the jq worker reads no settings. */
	if (argc == 2 && strcmp(argv[1], "--jq-worker") == 0)
		jqf_worker();
	msg_init(argv[0]);
	argv[0] = (char *)msg_prog();	/* getopt(3) says it, not the path */
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	c.jobs = 4;
	o.sel.stages = 1 << XS_RESEARCH | 1 << XS_FORECAST;
	o.margin_ms = -1;
	if ((k = parse_opts(argc, argv, &o, &c)) != 0) {
		rc = k == -1 ? EXIT_USAGE : 0;
		goto out;
	}
	/* --stage research runs no forecast, --stage forecast only the
	 * research its forecasts depend on: the list would select nothing */
	for (k = XS_RESEARCH; k <= XS_FORECAST; k++)
		if (o.sel.inc[k] && !(o.sel.stages & 1 << k)) {
			msg("--include-%s does not go with --stage %s",
			    k == XS_RESEARCH ? "research" : "forecast",
			    k == XS_RESEARCH ? "forecast" : "research");
			rc = EXIT_USAGE;
			goto out;
		}
	/* no forecast after the fact, as pm-group's --margin */
	if (o.margin_ms >= 0) {
		if (ts_run_clock(o.now, &c.xo.cutoff_ms) == -1) {
			rc = EXIT_USAGE;
			goto out;
		}
		c.xo.cutoff_ms += o.margin_ms;
	} else if (o.now) {
		msg("--now applies to --margin only");
		rc = EXIT_USAGE;
		goto out;
	}
	if (http_tls_init(o.cacert, err, sizeof err) == -1) {
		msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.co.path == NULL && (env = getenv("PM_EXPERIMENTS")) && *env)
		o.co.path = env;
	if ((cfg = config_load(&o.co, err, sizeof err)) == NULL ||
	    config_select(cfg, &o.sel, err, sizeof err) == -1) {
		msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (check_variants(cfg, o.co.path, o.check) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* made at once, as mkdir -p: a parent missing failed every dump
	 * alike, each said, and the run ended 0 */
	if (c.xo.dump_dir && !o.list && dump_dir_make(c.xo.dump_dir) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.list || o.check) {
		if (o.list)
			config_list(cfg, stdout);
		goto out;
	}
	if (llm_global_init() == -1) {
		msg("cannot initialise libcurl");
		rc = EXIT_IO;
		goto out;
	}
	curl = 1;
	c.xo.cfg = cfg;
	c.xo.forecast = any_forecast(cfg);
	c.xo.max_line = nd.max_line = ndjson_max_line();
	if ((c.xo.secrets = secrets = load_secrets(cfg)) == NULL ||
	    (c.xo.pace = llm_pace_new(cfg->n)) == NULL ||
	    (c.tokens = calloc(cfg->n + 1, sizeof *c.tokens)) == NULL ||
	    (c.q = workq_new((int)c.jobs, w_init, w_fini, w_run, &c.xo)) == NULL) {
		msg("cannot start %lld workers", c.jobs);
		rc = EXIT_IO;
		goto out;
	}
	c.pg = progress_new("pm-experiment", "groups", o.progress);
	nd.stage = "experiment";
	nd.fn = one;
	nd.arg = &c;
	io = ndjson_run(&nd, argc - optind, argv + optind);
	progress_total(c.pg, c.groups, 1);	/* the input has ended */
	drain(&c, 1);
	show_progress(&c, 1);
	if (c.nomem) {
		msg("out of memory");
		io = EXIT_IO;
	}
	if (c.failures || nd.bad)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_IO;
	if (o.stats)
		stats(&c, &nd);
out:
	progress_free(c.pg);
	workq_free(c.q);
	llm_pace_free(c.xo.pace, cfg ? cfg->n : 0);
	free(c.tokens);
	secrets_free(secrets);
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	else if (out_refused() && rc == 0)
		rc = EXIT_FAILED;	/* a line too long to write */
	config_free(cfg);
	if (curl)
		llm_global_cleanup();
	free(o.sel.suites);
	free(o.co.inline_ovr);
	free(o.co.files);
	return rc;
}
