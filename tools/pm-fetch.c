/*
 * pm-fetch - the only program that talks to Polymarket.
 *
 *	pm-fetch markets|events [options]	Gamma listings
 *	pm-fetch prices|history [options] [file ...]	CLOB, for market records
 *	pm-fetch trades [options] [file ...]	Data API, for market records
 *
 * Every API object becomes one `raw` record (pm-records(5)); a request
 * that still fails after its retries becomes a `failure` record and a
 * non-zero exit, after everything that was fetched has been written.
 * prices and history are filters: every input record goes through
 * unchanged, and the raw price records of its tokens follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clob.h"
#include "dotenv.h"
#include "fetch.h"
#include "gamma.h"
#include "http.h"
#include "json.h"
#include "msg.h"
#include "ndjson.h"
#include "opt.h"
#include "out.h"
#include "progress.h"
#include "ratelimit.h"
#include "record.h"
#include "timefmt.h"
#include "trades.h"
#include "version.h"

enum { CMD_MARKETS, CMD_EVENTS, CMD_PRICES, CMD_HISTORY, CMD_TRADES };
enum { O_GAMMA = 256, O_CLOB, O_RATE, O_ATTEMPTS, O_BACKOFF, O_TIMEOUT, O_RA_MAX,
	O_PROGRESS, O_PAGINATION, O_CLOSED, O_ACTIVE, O_EMIN, O_EMAX,
	O_TARGET, O_WINDOW, O_UPDATED, O_TAG, O_ID, O_LIMIT, O_PAGE,
	O_PARTS, O_ENDPOINT, O_SIDE, O_BATCH, O_INTERVAL, O_FIDELITY,
	O_START, O_END, O_CACERT, O_NOW, O_DATA, O_USER, O_FEED, O_TAKER,
	O_FTYPE, O_FAMOUNT, O_TSTART, O_TEND, O_NO_PROGRESS, O_END_RECORD,
	O_TSINCE };

struct opts {
	int		 cmd;
	struct gamma_query g;
	struct clob_query c;
	struct fetch_opts f;
	struct trades_query t;
	const char	*target, *cacert;
	const char	*now;		/* --now, else $PM_NOW, else the clock */
	long long	 window;
	int		 window_set;	/* 0 is a valid --window-days */
	int		 closed_set;	/* --closed given */
	char		 emin[TS_MAX], emax[TS_MAX], since[TS_MAX];
	int		 gamma_only, clob_only, hist_only, trades_only;
	int		 progress;	/* -1 --no-progress, 1 --progress */
	int		 end_record;	/* --end-record */
	const char	*start_opt;	/* --start or --since, as typed */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pm-fetch markets|events [--pagination keyset|offset]\n"
"           [--closed true|false|any] [--active[=true|false]]\n"
"           [--end-date-min T] [--end-date-max T]\n"
"           [--target-date YYYY-MM-DD | --window-days N] [--now T]\n"
"           [--updated-since T] [--tag ID] [--id ID ...] [--limit N]\n"
"           [--page-size N] [--partitions N] [common options]\n"
"       pm-fetch prices [--endpoint prices|price|midpoint|book|"
"last-trade-price]\n"
"           [--side BUY|SELL] [--batch N] [common options] [file ...]\n"
"       pm-fetch history [--interval I] [--fidelity MIN] [--start-ts S]\n"
"           [--end-ts S] [--now T] [common options] [file ...]\n"
"       pm-fetch trades [--user ADDR | --feed] [--taker-only true|false]\n"
"           [--side BUY|SELL] [--filter-type CASH|TOKENS --filter-amount N]\n"
"           [--start T | --since T] [--end T] [--batch N] [--page-size N]\n"
"           [--data-url URL] [common options] [file ...]\n"
"common: [--gamma-url URL] [--clob-url URL] [-j N | --parallel N]\n"
"        [--rate NAME=N[/SEC]] [--attempts N] [--backoff MS] [--timeout SEC]\n"
"        [--cacert FILE] [--retry-after-max SEC] [--progress | --no-progress]\n"
"        [--end-record] [-h | --help] [-V | --version]\n"
"markets, events:\n"
"      --pagination P   keyset (default) or offset, the deprecated listings\n"
"      --closed C       true, false (default) or any: closed, open or both\n"
"      --active[=B]     send active (without a value: true)\n"
"      --end-date-min T, --end-date-max T  markets ending at or after, at\n"
"                       or before T (RFC 3339)\n"
"      --target-date D  markets ending on that UTC day\n"
"      --window-days N  the target day is the run date plus N days (0-366)\n"
"      --now T          the run's clock (default $PM_NOW, else the time)\n"
"      --updated-since T  markets changed since T, newest first (deltas)\n"
"      --tag ID         send tag_id\n"
"      --id ID          only this market (event); repeatable\n"
"      --limit N        stop after N records\n"
"      --page-size N    objects per page, 1 to 100 (default 100)\n"
"      --partitions N   end-date ranges paged at once (1-1000, default 8)\n"
"prices, history:\n"
"      --endpoint E     prices (default), price, midpoint, book or\n"
"                       last-trade-price\n"
"      --side S         BUY or SELL: with --endpoint price, that side only\n"
"      --batch N        tokens per POST /prices, 1 to 500 (default 250)\n"
"      --interval I     history: the API's interval (default 1d)\n"
"      --fidelity MIN   history: resolution in minutes\n"
"      --start-ts S, --end-ts S  history: the window in Unix seconds\n"
"trades:\n"
"      --user ADDR      that user's trades;  --feed  the unscoped feed\n"
"      --taker-only B   true (the API's default) or false: maker rows too\n"
"      --side S         BUY or SELL\n"
"      --filter-type F, --filter-amount N  filter by a CASH or TOKENS\n"
"                       amount N (a decimal number)\n"
"      --start T, --since T, --end T  the window (RFC 3339 or seconds)\n"
"      --batch N        condition ids per request (default 20)\n"
"      --page-size N    rows per page, at most 10000 (default 500)\n"
"      --data-url URL   base URL of the Data API ($PM_DATA_URL)\n"
"common:\n"
"      --gamma-url URL, --clob-url URL  base URLs of Gamma and the CLOB\n"
"  -j, --parallel N     requests in flight, 1 to 256 (default 8)\n"
"      --rate NAME=N[/SEC]  budget of an endpoint: N requests per SEC\n"
"                       seconds (default 10)\n"
"      --attempts N     tries per request, 1 to 100 (default 6)\n"
"      --backoff MS     delay before the first retry (default 500), doubled\n"
"      --timeout SEC    limit for one request (default 30)\n"
"      --cacert FILE    trust the CA certificates of FILE (PEM) for https\n"
"      --retry-after-max SEC  the longest Retry-After wait, 0 to 86400\n"
"                       (default 60)\n"
"      --progress, --no-progress  progress on standard error, or none\n"
"      --end-record     write an end record last\n"
"  -h, --help           this help;  -V, --version  the version\n");
}

static int
timestamp(const char *opt, const char *s, char out[TS_MAX])
{
	double ms;

	if (ts_parse(s, strlen(s), out) == -1 ||
	    ts_ms(s, strlen(s), &ms) == -1) {
		msg("%s: \"%s\" is not a timestamp (RFC 3339, e.g. "
		    "2026-10-06T00:00:00Z)", opt, s);
		return -1;
	}
	return 0;
}

static int
oneof(const char *opt, const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 0;
	msg("%s: \"%s\" is not a valid value", opt, s);
	return -1;
}

/* A base URL: http(s), no credentials (URLs are printed), no slash at
 * the end.  No message shows what may be a secret: the user and
 * password are looked for first, and a query is never printed. */
static int
base_url(const char *opt, char *s, const char **out)
{
	size_t n = strlen(s);
	const char *auth = strstr(s, "://");
	int shown = (int)strcspn(s, "?#"), ctl = opt_has_ctl(s);
	char why[128];

	auth = auth ? auth + 3 : s;
	if (memchr(auth, '@', strcspn(auth, "/?#"))) {
		msg("%s: credentials in a URL are refused: they would be "
		    "written in every record", opt);
		return -1;
	}
	if (strncmp(s, STRCONST("http://")) &&
	    strncmp(s, STRCONST("https://"))) {
		msg("%s: \"%.*s%s\" is not an http or https URL", opt, shown,
		    s, s[shown] ? "..." : "");
		return -1;
	}
	if (strpbrk(auth, "?#")) {
		msg("%s: %.*s%c...: a base URL has no query or fragment: "
		    "requests would not go where their records say", opt,
		    shown, s, s[shown]);
		return -1;
	}
	/* else every request fails as an API not reached (exit 3), each
	 * tried again: a blank, no host, a port past 65535 */
	if (http_url_check(s, why, sizeof why) == -1) {
		msg("%s: %s%s%s: not a URL libcurl can use: %s", opt,
		    ctl ? "" : "\"", ctl ? "the URL" : s, ctl ? "" : "\"", why);
		return -1;
	}
	while (n > 0 && s[n - 1] == '/')
		s[--n] = 0;
	*out = s;
	return 0;
}

static int
opt_common(struct opts *o, struct rl_table *rl, int ch, char *arg)
{
	char err[256];
	long long v;

	switch (ch) {
	case O_GAMMA:
		return base_url("--gamma-url", arg, &o->g.base);
	case O_CLOB:
		return base_url("--clob-url", arg, &o->c.base);
	case 'j':
		if (opt_int("--parallel", arg, 1, 256, &v) == -1)
			return -1;
		o->f.parallel = (int)v;
		return 0;
	case O_RATE:
		if (rl_set(rl, arg, err, sizeof err) == -1) {
			msg("--rate: %s", err);
			return -1;
		}
		return 0;
	case O_ATTEMPTS:
		if (opt_int("--attempts", arg, 1, 100, &v) == -1)
			return -1;
		o->f.attempts = (int)v;
		return 0;
	case O_BACKOFF:
		if (opt_int("--backoff", arg, 1, 600000, &v) == -1)
			return -1;
		o->f.backoff = (double)v / 1000;
		return 0;
	case O_TIMEOUT:
		if (opt_int("--timeout", arg, 1, 3600, &v) == -1)
			return -1;
		o->f.timeout_ms = v * 1000;
		return 0;
	case O_RA_MAX:
		if (opt_int("--retry-after-max", arg, 0, 86400, &v) == -1)
			return -1;
		o->f.retry_after_max = v > 0 ? (double)v : 0.001;
		return 0;
	case O_PROGRESS:
	case O_NO_PROGRESS:
		o->progress = ch == O_PROGRESS ? 1 : -1;
		return 0;
	case O_END_RECORD:
		o->end_record = 1;
		return 0;
	case O_NOW:	/* markets, events: the target day; history: its end */
		o->now = arg;
		return 0;
	case O_CACERT:
		o->cacert = arg;
		return 0;
	}
	return 1;
}

static int
opt_gamma(struct opts *o, int ch, char *arg)
{
	static const char *const tf[] = { "true", "false", NULL };
	static const char *const tfa[] = { "true", "false", "any", NULL };
	static const char *const pg[] = { "keyset", "offset", NULL };
	static char **ids;
	char **p;
	long long v;

	o->gamma_only = ch;
	switch (ch) {
	case O_PAGINATION:
		o->g.offset_mode = strcmp(arg, "offset") == 0;
		return oneof("--pagination", arg, pg);
	case O_CLOSED:
		o->g.closed = strcmp(arg, "any") ? arg : NULL;
		o->closed_set = 1;
		return oneof("--closed", arg, tfa);
	case O_ACTIVE:
		o->g.active = arg ? arg : "true";
		return arg ? oneof("--active", arg, tf) : 0;
	case O_EMIN:
		return timestamp("--end-date-min", arg, o->emin);
	case O_EMAX:
		return timestamp("--end-date-max", arg, o->emax);
	case O_TARGET:
		o->target = arg;
		return 0;
	case O_WINDOW:
		o->window_set = 1;
		return opt_int("--window-days", arg, 0, 366, &o->window);
	case O_UPDATED:
		return timestamp("--updated-since", arg, o->since);
	case O_TAG:
		o->g.tag = arg;
		return opt_int("--tag", arg, 0, 2147483647, &v);
	case O_ID:
		if (opt_int("--id", arg, 0, 2147483647, &v) == -1 ||
		    (p = realloc(ids, sizeof *ids * (size_t)(o->g.nids + 1)))
		    == NULL)
			return -1;
		ids = o->g.ids = p;
		ids[o->g.nids++] = arg;
		return 0;
	case O_LIMIT:
		if (opt_int("--limit", arg, 1, 1000000000, &v) == -1)
			return -1;
		o->g.limit = (unsigned long)v;
		return 0;
	case O_PAGE:
		if (opt_int("--page-size", arg, 1, 100, &v) == -1)
			return -1;
		o->g.page_size = (int)v;
		return 0;
	case O_PARTS:
		if (opt_int("--partitions", arg, 1, 1000, &v) == -1)
			return -1;
		o->g.partitions = (int)v;
		return 0;
	}
	o->gamma_only = 0;
	return 1;
}

static int
opt_clob(struct opts *o, int ch, char *arg)
{
	static const char *const eps[] = { "prices", "price", "midpoint",
	    "book", "last-trade-price", NULL };
	static const char *const sides[] = { "BUY", "SELL", NULL };
	long long v;

	switch (ch) {
	case O_ENDPOINT:
		o->clob_only = ch;
		o->c.endpoint = arg;
		return oneof("--endpoint", arg, eps);
	case O_SIDE:
		o->clob_only = ch;
		o->c.side = arg;
		return oneof("--side", arg, sides);
	case O_BATCH:
		o->clob_only = ch;
		if (opt_int("--batch", arg, 1, 500, &v) == -1)
			return -1;
		o->c.batch = (int)v;
		return 0;
	case O_INTERVAL:
		o->hist_only = ch;
		o->c.interval = arg;
		/* the API knows its own (1h ... max, and may add some); this
		 * keeps out what would break the URL or the records: a byte
		 * of another charset made every record invalid UTF-8 */
		if (*arg == 0 || strlen(arg) > 16 || strspn(arg,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789") != strlen(arg)) {
			msg("--interval: \"%s\" is not 1 to 16 letters and digits",
			    arg);
			return -1;
		}
		return 0;
	case O_FIDELITY:
		o->hist_only = ch;
		o->c.fidelity = arg;
		return opt_int("--fidelity", arg, 1, 1000000, &v);
	case O_START:
		o->hist_only = ch;
		o->c.start_ts = arg;
		return opt_int("--start-ts", arg, 0, 99999999999, &v);
	case O_END:
		o->hist_only = ch;
		o->c.end_ts = arg;
		return opt_int("--end-ts", arg, 0, 99999999999, &v);
	}
	return 1;
}

/* An RFC 3339 time or epoch seconds, as epoch seconds. */
static int
epoch_opt(const char *opt, const char *s, long long *out)
{
	char ts[TS_MAX];
	int64_t sec;

	if (s[0] && strspn(s, "0123456789") == strlen(s))
		return opt_int(opt, s, 0, 99999999999, out);
	if (timestamp(opt, s, ts) == -1 || ts_sec(ts, strlen(ts), &sec) == -1)
		return -1;
	*out = (long long)sec;
	return 0;
}

/* pm-fetch trades; --side, --batch and --page-size are its own here. */
static int
opt_trades(struct opts *o, int ch, char *arg)
{
	static const char *const tf[] = { "true", "false", NULL };
	static const char *const sides[] = { "BUY", "SELL", NULL };
	static const char *const ft[] = { "CASH", "TOKENS", NULL };
	long long v;
	double d;

	if (o->cmd != CMD_TRADES && ch != O_DATA && ch >= O_USER)
		o->trades_only = ch;
	switch (ch) {
	case O_DATA:
		return base_url("--data-url", arg, &o->t.base);
	case O_USER:
		o->t.user = arg;
		if (strlen(arg) != 42 || strncmp(arg, "0x", 2) ||
		    strspn(arg + 2, "0123456789abcdefABCDEF") != 40) {
			msg("--user: %s: not a wallet address (0x and 40 hex "
			    "digits)", arg);
			return -1;
		}
		return 0;
	case O_FEED:
		o->t.feed = 1;
		return 0;
	case O_TAKER:
		o->t.taker_only = arg;
		return oneof("--taker-only", arg, tf);
	case O_FTYPE:
		o->t.filter_type = arg;
		return oneof("--filter-type", arg, ft);
	case O_FAMOUNT:
		/* A number of USDC or shares, as the API takes it: 0.5 is one,
		 * sent as given, so no exponent. */
		o->t.filter_amount = arg;
		if (arg[strspn(arg, "0123456789.")] != 0) {
			msg("--filter-amount: \"%s\" is not a decimal number "
			    "from 0 to 1000000000000", arg);
			return -1;
		}
		return opt_real("--filter-amount", arg, 0, 1e12, 0, &d);
	case O_TSTART:
	case O_TSINCE:
		o->start_opt = ch == O_TSINCE ? "--since" : "--start";
		return epoch_opt(o->start_opt, arg, &o->t.start);
	case O_TEND:
		return epoch_opt("--end", arg, &o->t.end);
	}
	if (o->cmd != CMD_TRADES)
		return 1;
	switch (ch) {
	case O_SIDE:
		o->t.side = arg;
		return oneof("--side", arg, sides);
	case O_BATCH:
		if (opt_int("--batch", arg, 1, 100, &v) == -1)
			return -1;
		o->t.batch = (int)v;
		return 0;
	case O_PAGE:
		if (opt_int("--page-size", arg, 1, 10000, &v) == -1)
			return -1;
		o->t.page_size = (int)v;
		return 0;
	}
	return 1;
}

/* The run's clock, in whole seconds. */
static int
run_clock(const struct opts *o, time_t *now)
{
	double ms;

	if (ts_run_clock(o->now, &ms) == -1)
		return -1;
	*now = (time_t)(ms / 1000);
	return 0;
}

/* A YYYY-MM-DD day at 00:00 UTC; checked by the round trip, so
 * 2026-02-30 does not come back. */
static int
parse_day(const char *s, time_t *day)
{
	struct tm tm = { 0 };
	char back[TS_MAX];
	int n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &n) != 3 || n != 10 || s[n])
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((*day = timegm(&tm)) == -1 || ts_format(*day, NULL, 0, back) ||
	    strncmp(back, s, 10))
		return -1;
	return 0;
}

/*
 * The target day, one UTC day: --target-date D, or the run's date plus
 * --window-days N.  Markets closing from its 00:00 inclusive to the next
 * midnight exclusive; the API's end_date_max is inclusive, hence the
 * last millisecond before that midnight.
 */
static int
target_window(struct opts *o)
{
	time_t day, now;

	if (o->now && run_clock(o, &now) == -1)
		return -1;	/* a bad --now is an error even unused */
	if (o->target == NULL && !o->window_set)
		return 0;
	if (o->target && o->window_set) {
		msg("--target-date and --window-days exclude each other: the "
		    "target day is a date or a number of days from today");
		return -1;
	}
	if (o->emin[0] || o->emax[0]) {
		msg("--target-date and --window-days exclude --end-date-min "
		    "and --end-date-max");
		return -1;
	}
	if (run_clock(o, &now) == -1)
		return -1;
	now = now / 86400 * 86400;
	if (o->target == NULL)
		day = now + o->window * 86400;
	else if (parse_day(o->target, &day) == -1) {
		msg("--target-date: %s: not a date (YYYY-MM-DD)", o->target);
		return -1;
	} else if (day < now) {
		msg("--target-date: %s is in the past: markets that "
		    "closed are not a forecasting target", o->target);
		return -1;
	}
	ts_format(day, NULL, 0, o->emin);
	ts_format(day + 86400 - 1, "999", 3, o->emax);
	return 0;
}

/* An end-date range that ends before it begins matches nothing: every
 * partition asked for nothing, and nothing said. */
static int
end_dates(const struct opts *o)
{
	double lo, hi;

	if (o->emin[0] == 0 || o->emax[0] == 0 ||
	    ts_ms(o->emin, strlen(o->emin), &lo) == -1 ||
	    ts_ms(o->emax, strlen(o->emax), &hi) == -1 || hi >= lo)
		return 0;
	msg("--end-date-max %s is before --end-date-min %s", o->emax, o->emin);
	return -1;
}

/* Options that belong to another subcommand are mistakes, not no-ops. */
static int
check(struct opts *o)
{
	int gamma = o->cmd == CMD_MARKETS || o->cmd == CMD_EVENTS;
	char err[1024];
	time_t now = 0;

	if ((o->gamma_only && !gamma) || (o->clob_only && o->cmd !=
	    CMD_PRICES) || (o->hist_only && o->cmd != CMD_HISTORY) ||
	    o->trades_only || (o->now && !gamma && o->cmd != CMD_HISTORY)) {
		msg("an option given does not apply to %s", o->cmd ==
		    CMD_PRICES ? "prices" : o->cmd == CMD_HISTORY ? "history" :
		    o->cmd == CMD_TRADES ? "trades" : "markets or events");
		return -1;
	}
	if (o->cmd == CMD_TRADES && ((o->t.user && o->t.feed) ||
	    (!o->t.filter_type != !o->t.filter_amount) ||
	    (o->t.feed && (o->t.start >= 0 || o->t.end >= 0)))) {
		msg("trades: --user and --feed exclude each other, "
		    "--filter-type and --filter-amount go together, and the "
		    "feed takes no --start or --end (the API ignores them)");
		return -1;
	}
	/* an end before the start is no window: every market asked for
	 * nothing, and nothing said (as history's --end-ts) */
	if (o->cmd == CMD_TRADES && o->t.start >= 0 && o->t.end >= 0 &&
	    o->t.end < o->t.start) {
		msg("--end %lld is before %s %lld", o->t.end, o->start_opt,
		    o->t.start);
		return -1;
	}
	if (target_window(o) == -1 || end_dates(o) == -1)
		return -1;
	/* a market asked for by id is wanted whether closed or not: with
	 * the listings' closed=false it was left out without a word */
	if (o->g.nids > 0 && !o->closed_set)
		o->g.closed = NULL;
	if (http_tls_init(o->cacert, err, sizeof err) == -1) {
		msg("%s", err);
		return -1;
	}
	o->g.end_min = o->emin[0] ? o->emin : NULL;
	o->g.end_max = o->emax[0] ? o->emax : NULL;
	o->g.updated_since = o->since[0] ? o->since : NULL;
	if (o->g.limit && o->g.limit < (unsigned long)o->g.page_size)
		o->g.page_size = (int)o->g.limit;
	/* Partitions keep the budget busy (gamma.h); --limit over an open
	 * range means the first N by id, one cursor. */
	if (o->g.partitions == 0)
		o->g.partitions = o->g.limit && !(o->g.end_min &&
		    o->g.end_max) ? 1 : 8;
	if (o->cmd == CMD_HISTORY) {
		o->c.endpoint = "prices-history";
		/* the CLOB refuses an interval with a window (400), and
		 * what it gives for an end alone is not known */
		if (o->c.interval && (o->c.start_ts || o->c.end_ts)) {
			msg("--interval and --start-ts, --end-ts exclude each other");
			return -1;
		}
		if (o->c.end_ts && !o->c.start_ts) {
			msg("--end-ts needs --start-ts");
			return -1;
		}
		/* an end before the start is no window: every token asked
		 * for nothing, and nothing said */
		if (o->c.end_ts && strtoll(o->c.end_ts, NULL, 10) <
		    strtoll(o->c.start_ts, NULL, 10)) {
			msg("--end-ts %s is before --start-ts %s", o->c.end_ts,
			    o->c.start_ts);
			return -1;
		}
		/* no window given: a market's history_since if it has one,
		 * else the last day */
		o->c.resume = !o->c.interval && !o->c.start_ts;
		if (o->c.resume)
			o->c.interval = "1d";
		if ((o->c.resume || (o->c.start_ts && !o->c.end_ts)) &&
		    run_clock(o, &now) == -1)
			return -1;
		o->c.now = o->c.resume ? (long long)now : 0;
		/* a window given is asked a day a request, as one from a
		 * watermark: the API refuses one of some two weeks */
		if (o->c.start_ts) {
			o->c.start = strtoll(o->c.start_ts, NULL, 10);
			o->c.end = o->c.end_ts ? strtoll(o->c.end_ts, NULL,
			    10) : (long long)now;
		}
		/* nor is a start after the run's clock, where the window
		 * ends without --end-ts: asked with startTs alone, every
		 * token answered nothing, or past the clock */
		if (o->c.start_ts && !o->c.end_ts && o->c.end < o->c.start) {
			msg("--start-ts %s is after the run's clock (--now, "
			    "where the window ends without --end-ts)",
			    o->c.start_ts);
			return -1;
		}
	}
	if (o->c.side && strcmp(o->c.endpoint, "price")) {
		msg("--side applies to --endpoint price only");
		return -1;
	}
	return 0;
}

static int
command(struct opts *o, const char *s)
{
	static const char *const cmds[] = { "markets", "events", "prices",
	    "history", "trades" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, cmds[i]) == 0) {
			o->cmd = i;
			o->g.what = i == CMD_EVENTS ? "events" : "markets";
			return 0;
		}
	msg("%s: unknown command (markets, events, prices, history, trades)",
	    s);
	return -1;
}

static int
parse(struct opts *o, struct rl_table *rl, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gamma-url", required_argument, NULL, O_GAMMA },
		{ "clob-url", required_argument, NULL, O_CLOB },
		{ "parallel", required_argument, NULL, 'j' },
		{ "rate", required_argument, NULL, O_RATE },
		{ "attempts", required_argument, NULL, O_ATTEMPTS },
		{ "backoff", required_argument, NULL, O_BACKOFF },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retry-after-max", required_argument, NULL, O_RA_MAX },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
		{ "end-record", no_argument, NULL, O_END_RECORD },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "pagination", required_argument, NULL, O_PAGINATION },
		{ "closed", required_argument, NULL, O_CLOSED },
		{ "active", optional_argument, NULL, O_ACTIVE },
		{ "end-date-min", required_argument, NULL, O_EMIN },
		{ "end-date-max", required_argument, NULL, O_EMAX },
		{ "target-date", required_argument, NULL, O_TARGET },
		{ "window-days", required_argument, NULL, O_WINDOW },
		{ "now", required_argument, NULL, O_NOW },
		{ "updated-since", required_argument, NULL, O_UPDATED },
		{ "tag", required_argument, NULL, O_TAG },
		{ "id", required_argument, NULL, O_ID },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "page-size", required_argument, NULL, O_PAGE },
		{ "partitions", required_argument, NULL, O_PARTS },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "side", required_argument, NULL, O_SIDE },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "fidelity", required_argument, NULL, O_FIDELITY },
		{ "start-ts", required_argument, NULL, O_START },
		{ "end-ts", required_argument, NULL, O_END },
		{ "data-url", required_argument, NULL, O_DATA },
		{ "user", required_argument, NULL, O_USER },
		{ "feed", no_argument, NULL, O_FEED },
		{ "taker-only", required_argument, NULL, O_TAKER },
		{ "filter-type", required_argument, NULL, O_FTYPE },
		{ "filter-amount", required_argument, NULL, O_FAMOUNT },
		{ "start", required_argument, NULL, O_TSTART },
		{ "since", required_argument, NULL, O_TSINCE },
		{ "end", required_argument, NULL, O_TEND },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, r;

	while ((ch = getopt_long(argc, argv, "j:hV", lo, NULL)) != -1) {
		if (ch == 'h' || ch == 'V') {
			if (ch == 'h')
				usage(stdout);
			else
				version_print(stdout, "pm-fetch");
			return 1;
		}
		if (ch == '?' || ch == ':')
			r = -1;
		else if ((r = opt_common(o, rl, ch, optarg)) == 1 &&
		    (r = opt_trades(o, ch, optarg)) == 1 &&
		    (r = opt_gamma(o, ch, optarg)) == 1)
			r = opt_clob(o, ch, optarg);
		if (r != 0) {
			if (r == -1 && ch == '?')
				usage(stderr);
			return -1;
		}
	}
	return 0;
}

/* A market record's watermark (trades_since, history_since) or time
 * (closed_time) in epoch seconds, -1 when it has none. */
static long long
since_of(struct rec *r, const char *key)
{
	json_val w;
	const char *s;
	size_t n;
	int64_t sec;

	json_get(&r->root, key, &w);
	if ((s = json_str(&w, &n)) == NULL || ts_sec(s, n, &sec) == -1)
		return -1;
	return (long long)sec;
}

/* prices, history: pass every record on; ask for a market's tokens. */
static int
on_record(struct rec *r, void *arg)
{
	struct clob *c = arg;
	struct clob_market cm;
	json_val mid, contracts, ct, tok, out, closed;
	json_iter it;
	const char *m, *t, *oc;
	size_t mn = 0, tn, on = 0;

	rec_pass(r);
	if (!rec_is(r, "market"))
		return 0;
	json_get(&r->root, "closed", &closed);
	if (json_bool(&closed, &cm.closed) == -1)
		cm.closed = 0;
	cm.since = since_of(r, "history_since");
	cm.closed_at = cm.closed ? since_of(r, "closed_time") : -1;
	json_get(&r->root, "market_id", &mid);
	json_get(&r->root, "contracts", &contracts);
	if ((m = json_str(&mid, &mn)) == NULL)
		m = "";
	json_iter_init(&it, &contracts);
	while (json_iter_next(&it, NULL, NULL, &ct)) {
		json_get(&ct, "token_id", &tok);
		json_get(&ct, "outcome", &out);
		if ((t = json_str(&tok, &tn)) == NULL || tn == 0)
			continue;	/* a placeholder market has none */
		if ((oc = json_str(&out, &on)) == NULL) {
			oc = "";
			on = 0;
		}
		if (clob_token(c, t, tn, m, mn, oc, on, &cm) == -1) {
			msg("out of memory");
			return -1;
		}
	}
	return 0;
}

/* trades: pass every record on; hand a market's condition id over. */
static int
on_market(struct rec *r, void *arg)
{
	json_val c;
	const char *s;
	size_t n;

	rec_pass(r);
	if (!rec_is(r, "market"))
		return 0;
	json_get(&r->root, "condition_id", &c);
	if ((s = json_str(&c, &n)) != NULL &&
	    trades_market(arg, s, n, since_of(r, "trades_since")) == -1) {
		msg("out of memory");
		return -1;
	}
	return 0;
}

static int
run_trades(struct opts *o, struct fetch *f, struct rl_table *rl,
    int nfiles, char **files, unsigned long *failures)
{
	struct ndjson nd = { 0 };
	struct trades *t;
	int io;

	o->t.gamma = o->g.base;
	if ((t = trades_new(f, rl, &o->t)) == NULL) {
		msg("out of memory");
		return EXIT_IO;
	}
	nd.stage = "fetch";
	nd.fn = on_market;
	nd.arg = t;
	nd.max_line = ndjson_max_line();
	io = ndjson_run(&nd, nfiles, files);
	trades_finish(t);
	*failures = trades_failures(t) + nd.bad;
	trades_free(t);
	return io;
}

static int
run_clob(struct opts *o, struct fetch *f, struct rl_table *rl, int nfiles,
    char **files, unsigned long *failures)
{
	struct ndjson nd = { 0 };
	struct clob *c;
	int io;

	if ((c = clob_new(f, rl, &o->c)) == NULL) {
		msg("out of memory");
		return EXIT_IO;
	}
	nd.stage = "fetch";
	nd.fn = on_record;
	nd.arg = c;
	nd.max_line = ndjson_max_line();
	io = ndjson_run(&nd, nfiles, files);
	clob_finish(c);
	*failures = clob_failures(c) + nd.bad;
	clob_free(c);
	return io;
}

static int
run(struct opts *o, struct rl_table *rl, int nfiles, char **files)
{
	struct gamma_result gr = { 0 };
	struct fetch *f;
	struct fetch_stats *st;
	unsigned long failures = 0;
	int rc = 0;

	static const char *const names[] = { "pm-fetch markets",
	    "pm-fetch events", "pm-fetch prices", "pm-fetch history", "pm-fetch trades" };

	o->f.progress = progress_new(names[o->cmd], "requests", o->progress);

	/* One budget per API for all of the user's processes; an unsafe
	 * state file is reported and the budget stays this process's.
	 * Another's pause waits no longer than this one's own would. */
	rl_pause_max(rl, o->f.retry_after_max > 0 ? o->f.retry_after_max :
	    FETCH_RETRY_AFTER_MAX);
	if (o->cmd == CMD_MARKETS || o->cmd == CMD_EVENTS)
		rl_share(rl, RL_GAMMA, o->g.base);
	else if (o->cmd == CMD_TRADES) {
		rl_share(rl, RL_DATA, o->t.base);
		/* its markets looked up on Gamma: the listings' budget */
		rl_share(rl, RL_GAMMA, o->g.base);
	} else
		rl_share(rl, RL_CLOB, o->c.base);
	if ((f = fetch_new(&o->f)) == NULL) {
		msg("cannot set up libcurl");
		progress_free(o->f.progress);
		return EXIT_IO;
	}
	if (o->cmd == CMD_MARKETS || o->cmd == CMD_EVENTS) {
		if (nfiles > 0) {
			msg("%s reads no input: %s", o->g.what, files[0]);
			rc = EXIT_USAGE;
		} else if (gamma_list(f, rl, &o->g, &gr) == -1)
			rc = EXIT_IO;
		failures = gr.failures;
	} else if (o->cmd == CMD_TRADES)
		rc = run_trades(o, f, rl, nfiles, files, &failures);
	else
		rc = run_clob(o, f, rl, nfiles, files, &failures);
	fetch_progress_end(f);
	st = fetch_stats(f);
	if (rc == 0 && failures)
		rc = EXIT_FAILED;
	/* Not one whole HTTP answer (a body cut on the way, a 200's too,
	 * is none): the API was never reached. */
	if (rc == EXIT_FAILED && st->answers == 0 && st->requests > 0)
		rc = EXIT_IO;
	fetch_free(f);
	progress_free(o->f.progress);
	return rc;
}

/* The reader has gone (| head), or the output cannot be written: no
 * request more is worth sending. */
static int
reader_gone(void)
{
	return out_failed() != OUT_OK;
}

int
main(int argc, char **argv)
{
	char *genv = NULL, *cenv = NULL, *denv = NULL; /* base URLs point
							 * into them */
	struct opts o = { 0 };
	struct rl_table *rl;
	const char *env;
	int rc = 0, r, shift = 0, fl;

	msg_init(argv[0]);
	argv[0] = (char *)msg_prog();	/* getopt(3) says it, not the path */
	if (dotenv_settings() == -1)
		return EXIT_USAGE;
	out_init();
	if ((rl = rl_new()) == NULL) {
		msg("out of memory");
		return EXIT_IO;
	}
	o.f = (struct fetch_opts){ .parallel = 8, .attempts = 6, .backoff = 0.5,
	    .backoff_max = 30, .timeout_ms = 30000, .stop = reader_gone };
	o.g.page_size = 100;
	o.g.closed = "false";
	o.c.endpoint = "prices";
	o.c.batch = 250;
	o.g.base = "https://gamma-api.polymarket.com";
	o.c.base = "https://clob.polymarket.com";
	o.t = (struct trades_query){ .base = "https://data-api.polymarket.com",
	    .start = -1, .end = -1, .batch = 20, .page_size = 500 };
	if ((env = getenv("PM_GAMMA_URL")) && *env &&
	    base_url("PM_GAMMA_URL", genv = strdup(env), &o.g.base) == -1)
		rc = EXIT_USAGE;
	if ((env = getenv("PM_CLOB_URL")) && *env &&
	    base_url("PM_CLOB_URL", cenv = strdup(env), &o.c.base) == -1)
		rc = EXIT_USAGE;
	if ((env = getenv("PM_DATA_URL")) && *env &&
	    base_url("PM_DATA_URL", denv = strdup(env), &o.t.base) == -1)
		rc = EXIT_USAGE;
	if (rc)
		goto out;
	if (argc > 1 && argv[1][0] != '-') {
		if (command(&o, argv[1]) == -1) {
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
		shift = 1;
		argv[1] = argv[0];	/* getopt's messages name the program */
	}
	if ((r = parse(&o, rl, argc - shift, argv + shift)) != 0) {
		rc = r == 1 ? 0 : EXIT_USAGE;
		goto out;
	}
	if (shift == 0) {
		msg("a command is needed: markets, events, prices, history or "
		    "trades");
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (check(&o) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Closed (>&-): msg_init() holds it by /dev/null read-only, so that
	 * no file or socket takes its descriptor; nothing could be written. */
	if ((fl = fcntl(STDOUT_FILENO, F_GETFL)) == -1 ||
	    (fl & O_ACCMODE) == O_RDONLY) {
		msg("standard output is closed");
		rc = EXIT_IO;
		goto out;
	}
	rc = run(&o, rl, argc - shift - optind, argv + shift + optind);
	/* Ended on its own, whatever it met: all it wrote is above.  A pipe
	 * cut short by a kill (here or in a filter after) lacks this line. */
	if (o.end_record && rc != EXIT_USAGE)
		rec_end("fetch");
out:
	if (out_close() != OUT_OK && rc != EXIT_USAGE)
		rc = EXIT_IO;
	else if (out_refused() && rc == 0)
		rc = EXIT_FAILED;	/* a line too long to write */
	rl_free(rl);
	free(o.g.ids);
	free(genv);
	free(cenv);
	free(denv);
	return rc;
}
