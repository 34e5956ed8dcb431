/*
 * ch.c - ClickHouse over HTTP (see ch.h): one curl easy handle per
 * connection, so keep-alive reuses the TCP (or TLS) connection between
 * blocks.
 */
#define _GNU_SOURCE	/* memmem */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ch.h"
#include "http.h"
#include "timefmt.h"
#include "workq.h"

#define CONNECT_MS_DEFAULT	10000
#define BLOCK_ROWS_DEFAULT	10000
#define BLOCK_ROWS_MAX		1000000
#define BLOCK_BYTES_DEFAULT	(16u << 20)
#define BLOCK_AGE_DEFAULT	1000
#define SPLIT_DEPTH_MAX		64

/*
 * Asked for on every request: a user's profile whose overflow mode is
 * break (or any, for GROUP BY) with a limit (max_result_rows, ...) cuts
 * an answer short without a word, an export that looks complete; throw
 * makes it an error.  An aggregate of no rows is one row (a count of 0,
 * the max of nothing), not none.  Every release since 18.16 knows them,
 * and a readonly user may ask for the values it has.
 */
#define OVERFLOW_THROW	"result_overflow_mode=throw&read_overflow_mode=throw" \
	"&sort_overflow_mode=throw&group_by_overflow_mode=throw" \
	"&set_overflow_mode=throw&join_overflow_mode=throw" \
	"&distinct_overflow_mode=throw&transfer_overflow_mode=throw" \
	"&timeout_overflow_mode=throw" \
	"&empty_result_for_aggregation_by_empty_set=0"

/* What one request came to: REQ_HUNG, nothing came for idle_ms. */
enum { REQ_OK, REQ_DOWN, REQ_SERVER, REQ_FAIL, REQ_HUNG };

struct ch {
	CURL		*e;
	struct curl_slist *hdr;		/* holds the password: never printed */
	int		 basic;		/* the password goes as basic auth */
	struct ch_opts	 o;
	long		 idle_ms;	/* PM_DB_TIMEOUT, at least 1 s */
	long		 query_ms;	/* a query's answer: to begin */
	long		 begin_ms;	/* the request's: idle_ms or query_ms */
	/* the request under way: when a byte last went or came, how many
	 * had, whether an answer had begun, whether it was given up idle */
	long		 last_io;
	curl_off_t	 dl_seen, ul_seen;
	int		 answered, idled;
	char		 base[300];	/* scheme://host:port/ */
	char		 origin[512];	/* redacted URL */
	char		 dbparam[400];	/* database=... */
	char		 database[128];
	unsigned long	 requests;
	struct workq	*q;		/* the sender of blocks, NULL till one */
	struct lines	*lines;		/* ch_query_lines(): the answer's way */
	int		 broken;	/* the sender's: a send failed */
	int		 gone;
	int		 code;		/* ClickHouse's error code, 0: none */
	long		 row_hint;	/* "(at row N)" of the last error, 0: none */
	long		 xcode;		/* X-ClickHouse-Exception-Code */
	char		 srv[1024];	/* the server's text of the last error */
	char		 err[2048];
	char		 curlerr[CURL_ERROR_SIZE];
};

static int curl_ready;

int
ch_url_is(const char *url)
{
	return strncmp(url, "clickhouse://", 13) == 0 ||
	    strncmp(url, "clickhouses://", 14) == 0;
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* p[0..n) percent-decoded into out; -2 when it does not fit, -1 when it
 * holds a control character (a CR LF in a header would start another) or
 * a broken escape. */
static int
pct_decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	int h, l, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n || (h = unhex(p[i + 1])) < 0 ||
			    (l = unhex(p[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= cap)
			return -2;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

static int
parse_host(const char *p, size_t n, struct ch_url *u, char *err, size_t el)
{
	const char *colon;
	char *end;
	long port;

	if (n > 0 && p[0] == '[') {
		colon = memchr(p, ']', n);
		if (colon == NULL || (size_t)(colon - p - 1) >= sizeof u->host) {
			snprintf(err, el, "bad IPv6 address in the host");
			return -1;
		}
		memcpy(u->host, p + 1, (size_t)(colon - p - 1));
		u->host[colon - p - 1] = 0;
		colon++;
		if (colon < p + n && *colon != ':') {
			snprintf(err, el, "junk after the IPv6 address");
			return -1;
		}
		if (colon == p + n)
			colon = NULL;
	} else {
		colon = memchr(p, ':', n);
		if ((size_t)((colon ? colon : p + n) - p) >= sizeof u->host) {
			snprintf(err, el, "host name too long");
			return -1;
		}
		memcpy(u->host, p, (size_t)((colon ? colon : p + n) - p));
		u->host[(colon ? colon : p + n) - p] = 0;
	}
	if (u->host[0] == 0) {
		snprintf(err, el, "no host");
		return -1;
	}
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (end != p + n || end == colon + 1 || port < 1 || port > 65535) {
			snprintf(err, el, "port is not a number from 1 to 65535");
			return -1;
		}
		u->port = (int)port;
	}
	return 0;
}

/* A fragment means nothing to a database URL: refused, named. */
static int
frag_refused(const char *url, char *err, size_t el)
{
	const char *h = strchr(url, '#');

	if (h == NULL)
		return 0;
	snprintf(err, el, "no fragment (%.64s) allowed in the URL", h);
	return -1;
}

int
ch_url_parse(const char *url, struct ch_url *u, char *err, size_t el)
{
	const char *p, *auth, *at, *colon, *path;
	size_t al;
	int r;

	memset(u, 0, sizeof *u);
	if (!ch_url_is(url)) {
		snprintf(err, el, "not a clickhouse:// or clickhouses:// URL");
		return -1;
	}
	u->tls = url[10] == 's';
	u->port = u->tls ? 8443 : 8123;
	auth = url + (u->tls ? 14 : 13);
	al = strcspn(auth, "/?#");
	path = auth + al;
	p = auth;
	for (at = auth + al; at > auth && at[-1] != '@'; at--)
		;
	if (at > auth) {
		colon = memchr(auth, ':', (size_t)(at - 1 - auth));
		if ((r = pct_decode(auth, (size_t)((colon ? colon : at - 1) -
		    auth), u->user, sizeof u->user)) == 0 && colon)
			r = pct_decode(colon + 1, (size_t)(at - 2 - colon),
			    u->password, sizeof u->password);
		if (r == -2) {
			snprintf(err, el, "user name or password too long "
			    "(at most %zu and %zu bytes)", sizeof u->user - 1,
			    sizeof u->password - 1);
			return -1;
		}
		if (r == -1) {
			snprintf(err, el, "bad user name or password "
			    "(percent-escape @, : and /)");
			return -1;
		}
		p = at;
	}
	if (parse_host(p, (size_t)(auth + al - p), u, err, el) == -1)
		return -1;
	if (*path == '/')
		path++;
	if (frag_refused(path, err, el) == -1)
		return -1;
	if (strchr(path, '?')) {	/* ch_url_check() takes the query off */
		snprintf(err, el, "no query allowed in the URL here");
		return -1;
	}
	if (*path == 0)
		path = "default";
	if ((r = pct_decode(path, strlen(path), u->database,
	    sizeof u->database)) == -2) {
		snprintf(err, el, "database name too long (at most %zu bytes)",
		    sizeof u->database - 1);
		return -1;
	}
	if (r == -1 || strchr(u->database, '/')) {
		snprintf(err, el, "bad database name");
		return -1;
	}
	return 0;
}

static void
url_text(const struct ch_url *u, int with_user, char *out, size_t n)
{
	int v6 = strchr(u->host, ':') != NULL;

	snprintf(out, n, "%s://%s%s%s%s%s:%d/%s", u->tls ? "clickhouses" :
	    "clickhouse", with_user ? u->user : "",
	    with_user && u->user[0] ? "@" : "", v6 ? "[" : "", u->host,
	    v6 ? "]" : "", u->port, with_user ? u->database : "");
}

void
ch_redact(const char *url, char *out, size_t n)
{
	struct ch_url u;
	char err[128];

	if (ch_url_parse(url, &u, err, sizeof err) == 0)
		url_text(&u, 1, out, n);
	else
		snprintf(out, n, "%s://<unparsable>",
		    strncmp(url, "clickhouses:", 12) == 0 ? "clickhouses" :
		    "clickhouse");
}

int
ch_url_check(const char *url, char *err, size_t el)
{
	const char *q = strchr(url, '?'), *p;
	size_t n = q ? (size_t)(q - url) : strlen(url);
	char base[4096];
	struct ch_url u;
	int r;

	if (frag_refused(url, err, el) == -1)
		return -1;
	for (p = q ? q + 1 : ""; *p; p += strcspn(p, "&"), p += *p == '&')
		if (strncmp(p, "cluster=", 8) && strncmp(p, "shards=", 7)) {
			snprintf(err, el, "unknown URL parameter %.*s (cluster= "
			    "and shards= are known)", (int)strcspn(p, "=&"), p);
			return -1;
		}
	if (n >= sizeof base) {
		snprintf(err, el, "URL too long");
		return -1;
	}
	memcpy(base, url, n);
	base[n] = 0;
	r = ch_url_parse(base, &u, err, el);
	memset(base, 0, sizeof base);	/* the password */
	memset(&u, 0, sizeof u);
	return r;
}

/* The server's exception text on one line: runs of white space become one
 * space, the ", e.what() = ..." tail of 18.16 goes. */
static void
one_line(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i;
	char *w;

	for (i = 0; i < n && o + 1 < cap; i++) {
		if (isspace((unsigned char)s[i])) {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
		} else
			out[o++] = s[i];
	}
	out[o] = 0;
	if ((w = strstr(out, ", e.what() = ")) != NULL)
		*w = 0;
	for (o = strlen(out); o > 0 && out[o - 1] == ' '; o--)
		out[o - 1] = 0;
	if (out[0] == 0)
		snprintf(out, cap, "no reason given");
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_add(b, p, size * n) == -1 ? 0 : size * n;
}

/*
 * An answer of any size (ch_query_lines), never held whole: it goes to
 * an unlinked temporary file (spool) as fast as the server sends it,
 * and its lines to fn from there once it has come whole.  Read as it
 * comes, to a reader slower than the server (an export piped into
 * pm-fetch, hours for a year of markets), the server's send timeout
 * would cut it; and an answer cut or failed half-way gives nothing.
 * Each line's first bytes (pre) are checked for the server's exception
 * line; from it on, and for an answer that is an error (not 200), the
 * text goes to err.
 */
#define LINES_ERR_MAX	(64u << 10)
#define LINES_PRE	128
struct lines {
	struct ch	*c;
	FILE		*spool;
	struct buf	 err;
	char		 pre[LINES_PRE];
	size_t		 npre;
	int		 failed;	/* what comes is err's */
	int		 werr;		/* errno of a write to spool */
};

static const char *exception_line(const char *, size_t);

/* An unlinked file in $TMPDIR (tmpfile(3) takes /tmp whatever it says). */
static FILE *
spool_open(void)
{
	const char *d = getenv("TMPDIR");
	char path[4096];
	FILE *f;
	int fd;

	if (snprintf(path, sizeof path, "%s/pm-ch-answer.XXXXXX", d && *d ?
	    d : "/tmp") >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = mkstemp(path)) == -1)
		return NULL;
	(void)unlink(path);
	if ((f = fdopen(fd, "w+")) == NULL)
		(void)close(fd);
	return f;
}

static void
lines_err(struct lines *l, const char *p, size_t n)
{
	if (n > LINES_ERR_MAX - l->err.len)
		n = LINES_ERR_MAX - l->err.len;
	(void)buf_add(&l->err, p, n);
}

/* Is the line pre holds (its first bytes) the server's exception? */
static int
lines_exception(const struct lines *l)
{
	return l->npre > 6 && exception_line(l->pre, l->npre) == l->pre;
}

static size_t
on_lines(char *p, size_t size, size_t n, void *arg)
{
	struct lines *l = arg;
	char *end = p + size * n, *q = p, *e;
	long status = 0;
	size_t k;

	if (!l->failed) {
		curl_easy_getinfo(l->c->e, CURLINFO_RESPONSE_CODE, &status);
		l->failed = status != 200 || l->c->xcode != 0;
	}
	while (!l->failed && q < end) {
		if ((e = memchr(q, '\n', (size_t)(end - q))) == NULL)
			e = end;
		k = (size_t)(e - q) < LINES_PRE - l->npre ?
		    (size_t)(e - q) : LINES_PRE - l->npre;
		memcpy(l->pre + l->npre, q, k);
		l->npre += k;
		if (lines_exception(l)) {
			l->failed = 1;
			lines_err(l, l->pre, l->npre - k);
			break;
		}
		if (fwrite(q, 1, (size_t)(e - q) + (e < end), l->spool) !=
		    (size_t)(e - q) + (e < end)) {
			l->werr = errno ? errno : EIO;
			return 0;
		}
		if (e < end)
			l->npre = 0;
		q = e + (e < end);
	}
	if (l->failed)
		lines_err(l, q, (size_t)(end - q));
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct ch *c = arg;
	size_t len = size * n, k = sizeof "x-clickhouse-exception-code:" - 1;

	c->last_io = ts_mono_ms();
	c->answered = 1;
	if (len > k && strncasecmp(p, "x-clickhouse-exception-code:", k) == 0)
		c->xcode = strtol(p + k, NULL, 10);
	return len;
}

/*
 * Every request's time limit: nothing sent or received for idle_ms, and
 * it is given up (curl calls this about once a second while nothing
 * moves).  Not a limit on the whole: an answer that keeps coming, a block
 * the server keeps reading, takes as long as it takes.
 */
/* The request's limit now: to begin its answer, then between bytes. */
static long
limit_ms(const struct ch *c)
{
	return c->answered ? c->idle_ms : c->begin_ms;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct ch *c = arg;
	long now = ts_mono_ms();

	(void)dltotal;
	(void)ultotal;
	if (dlnow != c->dl_seen || ulnow != c->ul_seen) {
		c->answered |= dlnow > 0;
		c->dl_seen = dlnow;
		c->ul_seen = ulnow;
		c->last_io = now;
		return 0;
	}
	if (now - c->last_io < limit_ms(c))
		return 0;
	c->idled = 1;
	return 1;
}

/* Options that hold for every request of the connection. */
static void
easy_setup(struct ch *c)
{
	CURL *e = c->e;

	curl_easy_setopt(e, CURLOPT_USERAGENT, "pm-store/" PM_VERSION);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdr);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curlerr);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	http_tls_apply(e);
}

/* s begins or ends with a space, which the server strips from a header's
 * value. */
static int
edge_space(const char *s)
{
	return s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ');
}

/* The credentials as headers, never in a URL; "Expect:" so that a large
 * block goes at once, without waiting for a 100 Continue.  A user name
 * or password with a space at an end goes as HTTP basic authentication
 * instead (the default user when none is named), which keeps it whole:
 * the server strips those spaces from a header, and said "Wrong password"
 * (a user name with a colon cannot go so, and stays a header). */
static int
headers(struct ch *c, const struct ch_url *u)
{
	char h[512];
	struct curl_slist *l;

	if ((c->hdr = curl_slist_append(NULL, "Expect:")) == NULL)
		return -1;
	c->basic = (edge_space(u->user) || edge_space(u->password)) &&
	    strchr(u->user, ':') == NULL;
	if (c->basic)
		return 0;
	if (u->user[0]) {
		snprintf(h, sizeof h, "X-ClickHouse-User: %s", u->user);
		if ((l = curl_slist_append(c->hdr, h)) == NULL)
			return -1;
		c->hdr = l;
	}
	if (u->password[0]) {
		snprintf(h, sizeof h, "X-ClickHouse-Key: %s", u->password);
		l = curl_slist_append(c->hdr, h);
		memset(h, 0, sizeof h);
		if (l == NULL)
			return -1;
		c->hdr = l;
	}
	return 0;
}

static int
setup(struct ch *c, const struct ch_url *u)
{
	char *db;
	int v6 = strchr(u->host, ':') != NULL;

	url_text(u, 1, c->origin, sizeof c->origin);
	snprintf(c->database, sizeof c->database, "%s", u->database);
	snprintf(c->base, sizeof c->base, "%s://%s%s%s:%d/", u->tls ? "https" :
	    "http", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
	if ((db = curl_easy_escape(NULL, u->database, 0)) == NULL)
		return -1;
	snprintf(c->dbparam, sizeof c->dbparam, "database=%s", db);
	curl_free(db);
	if (headers(c, u) == -1 || (c->e = curl_easy_init()) == NULL)
		return -1;
	easy_setup(c);
	if (c->basic) {
		curl_easy_setopt(c->e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->e, CURLOPT_USERNAME, u->user[0] ? u->user :
		    "default");
		curl_easy_setopt(c->e, CURLOPT_PASSWORD, u->password);
	}
	return 0;
}

/* A ClickHouse error code that says the server or the network between
 * servers is in trouble, not the request: too many queries or parts, a
 * shard unreachable from a Distributed table. */
static int
code_transient(int code)
{
	static const int codes[] = { 202, 209, 210, 242, 252, 279, 319 };
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i] == code)
			return 1;
	return 0;
}

/* The rows were at fault: something in them did not parse or convert. */
static int
data_error(const struct ch *c)
{
	static const int codes[] = { 6, 25, 26, 27, 32, 33, 38, 41, 53, 69,
	    70, 72, 117, 131, 349 };
	size_t i;

	if (c->row_hint > 0)
		return 1;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i] == c->code)
			return 1;
	return 0;
}

static int
curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

/* An HTTP error answer: the server's text, its code, the row it names. */
static int
server_error(struct ch *c, long status, const char *text, size_t n)
{
	const char *p;

	one_line(text, n, c->srv, sizeof c->srv);
	if ((p = strstr(c->srv, "Code: ")) != NULL)
		c->code = (int)strtol(p + 6, NULL, 10);
	if (c->code == 0)
		c->code = (int)c->xcode;
	if ((p = strstr(c->srv, "(at row ")) != NULL)
		c->row_hint = strtol(p + 8, NULL, 10);
	/* 502, 504: a proxy's (a load balancer's) whose server is away,
	 * restarting; ClickHouse never answers them itself */
	if (status == 502 || status == 503 || status == 504 ||
	    code_transient(c->code))
		return REQ_DOWN;
	return REQ_SERVER;
}

/*
 * The server's error in a 200 answer: a line "Code: NNN. DB::Exception:
 * ..." (", e.displayText() = DB::Exception" in 18.16), which ClickHouse
 * writes after what it has sent when a query fails once its answer has
 * begun, and a proxy may pass on as it is.  No row of an answer begins so
 * (JSONEachRow rows begin with {, numbers with a digit), and an INSERT or
 * a statement answers nothing.  Its first byte, or NULL.
 */
static const char *
exception_line(const char *p, size_t n)
{
	const char *end = p + n, *x, *l;

	while ((x = memmem(p, (size_t)(end - p), "DB::Exception", 13)) != NULL) {
		for (l = x; l > p && l[-1] != '\n'; l--)
			;
		if (x - l > 6 && strncmp(l, "Code: ", 6) == 0 &&
		    isdigit((unsigned char)l[6]))
			return l;
		p = x + 13;
	}
	return NULL;
}

/* curl's reason into c->srv; REQ_DOWN when trying again may help. */
static int
curl_failed(struct ch *c, CURLcode rc, const char *url, const struct buf *ans)
{
	char why[CURL_ERROR_SIZE + 64], tls[CURL_ERROR_SIZE + 600];

	snprintf(why, sizeof why, "%s", c->curlerr[0] ? c->curlerr :
	    curl_easy_strerror(rc));
	snprintf(tls, sizeof tls, "%s", why);
	if (http_tls_refused(rc, url, tls, sizeof tls))
		snprintf(why, sizeof why, "certificate verification failed: %s",
		    c->curlerr[0] ? c->curlerr : curl_easy_strerror(rc));
	else if (rc == CURLE_WRITE_ERROR)
		snprintf(why, sizeof why, "answer over %zu bytes", ans->max);
	one_line(why, strlen(why), c->srv, sizeof c->srv);
	return curl_transient(rc) ? REQ_DOWN : REQ_FAIL;
}

/* What a request whose answer went to the spool came to. */
static int
lines_end(struct ch *c, struct lines *l, CURLcode rc, const char *url)
{
	long status = 0;

	if (rc == CURLE_WRITE_ERROR && l->werr) {
		snprintf(c->srv, sizeof c->srv, "a temporary file for the "
		    "answer: %s", strerror(l->werr));
		return REQ_FAIL;
	}
	if (rc != CURLE_OK)
		return curl_failed(c, rc, url, &l->err);
	curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 && c->xcode == 0 && !l->failed &&
	    !lines_exception(l))	/* a last line without its newline */
		return REQ_OK;
	if (!l->failed)
		lines_err(l, l->pre, l->npre);
	return server_error(c, status, l->err.data ? l->err.data : "",
	    l->err.len);
}

/* One request, no retry.  The answer goes to out (or to c->lines's
 * spool), an error's text to c->srv; what names the request there when
 * it was given up idle. */
static int
post_once(struct ch *c, const char *what, const char *params,
    const char *body, size_t len, struct buf *out)
{
	struct buf url, scratch;
	struct buf *ans = out ? out : &scratch;
	struct lines *l = c->lines;
	const char *x = NULL;
	size_t before;
	long status = 0;
	CURLcode rc;
	int r = REQ_FAIL;

	buf_init(&url, 0);
	buf_init(&scratch, 1 << 20);
	before = ans->len;
	c->code = 0;
	c->xcode = 0;
	c->row_hint = 0;
	c->srv[0] = c->curlerr[0] = 0;
	if (buf_printf(&url, "%s?%s&" OVERFLOW_THROW "&%s", c->base, c->dbparam,
	    params) == -1) {
		snprintf(c->srv, sizeof c->srv, "out of memory");
		goto out;
	}
	curl_easy_setopt(c->e, CURLOPT_URL, url.data);
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (l) {	/* a request tried again starts afresh */
		if (ftell(l->spool) != 0) {
			fclose(l->spool);
			if ((l->spool = spool_open()) == NULL) {
				snprintf(c->srv, sizeof c->srv, "a temporary "
				    "file for the answer: %s", strerror(errno));
				goto out;
			}
		}
		buf_reset(&l->err);
		l->npre = 0;
		l->failed = l->werr = 0;
		curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_lines);
		curl_easy_setopt(c->e, CURLOPT_WRITEDATA, l);
	} else
		curl_easy_setopt(c->e, CURLOPT_WRITEDATA, ans);
	c->last_io = ts_mono_ms();
	c->dl_seen = c->ul_seen = 0;
	c->answered = c->idled = 0;
	rc = curl_easy_perform(c->e);
	c->requests++;
	curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_data);
	if (l && !(rc == CURLE_ABORTED_BY_CALLBACK && c->idled)) {
		r = lines_end(c, l, rc, url.data);
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && c->idled) {
		snprintf(c->srv, sizeof c->srv, "%s: %s within %g s (%s)", what,
		    c->answered ? "the answer stopped coming, nothing more" :
		    "no answer", limit_ms(c) / 1000.0, limit_ms(c) ==
		    c->idle_ms ? "PM_DB_TIMEOUT" : "PM_DB_QUERY_TIMEOUT");
		r = REQ_HUNG;
		ans->len = before;
		if (ans->data)
			ans->data[before] = 0;
		goto out;
	}
	if (rc != CURLE_OK) {
		r = curl_failed(c, rc, url.data, ans);
		goto out;
	}
	curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 && c->xcode == 0 && (ans->len == before ||
	    (x = exception_line(ans->data + before, ans->len - before)) ==
	    NULL)) {
		r = REQ_OK;
		goto out;
	}
	if (x)
		r = server_error(c, status, x, (size_t)(ans->data + ans->len -
		    x));
	else
		r = server_error(c, status, ans->data ? ans->data + before :
		    "", ans->len - before);
	ans->len = before;
	if (ans->data)
		ans->data[before] = 0;
out:
	buf_release(&url);
	buf_release(&scratch);
	return r;
}

/*
 * One request, tried again while the server is unreachable, for up to
 * wait_ms from the first failure (wait: 0 for none at all).  After that,
 * gone for good; so is a server that took the request and then sent
 * nothing for idle_ms (stopped, hung): not tried again, which would only
 * wait as long once more.  c->err says why on anything but REQ_OK.
 */
static int
post(struct ch *c, const char *what, const char *params, const char *body,
    size_t len, struct buf *out, int wait)
{
	long start = ts_mono_ms(), left, pause = 50;
	int r;

	if (c->gone)
		return REQ_FAIL;
	while ((r = post_once(c, what, params, body, len, out)) == REQ_DOWN &&
	    wait) {
		if ((left = c->o.wait_ms - (ts_mono_ms() - start)) <= 0) {
			snprintf(c->err, sizeof c->err, "%s: not reachable "
			    "within %g s (PM_DB_TIMEOUT): %s", c->origin,
			    c->o.wait_ms / 1000.0, c->srv);
			c->gone = 1;
			return REQ_FAIL;
		}
		ts_sleep_ms(pause < left ? pause : left);
		if (pause < 1000)
			pause *= 2;
	}
	if (r != REQ_OK)
		snprintf(c->err, sizeof c->err, "%s: %s", c->origin, c->srv);
	if (r == REQ_HUNG)
		c->gone = 1;
	return r;
}

struct ch *
ch_open(const char *url, const struct ch_opts *o, char *err, size_t errlen)
{
	struct ch *c = NULL;
	struct ch_url u;
	char why[256], shown[512];
	int r;

	ch_redact(url, shown, sizeof shown);
	if (ch_url_parse(url, &u, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s: %s", shown, why);
		goto fail;
	}
	if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "%s: curl_global_init failed", shown);
		goto fail;
	}
	curl_ready = 1;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", shown);
		goto fail;
	}
	c->o = *o;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = CONNECT_MS_DEFAULT;
	/* a server that takes a request and never answers (stopped, hung)
	 * is given up, not waited for forever: 0 would give up at once */
	c->idle_ms = c->o.wait_ms > 1000 ? c->o.wait_ms : 1000;
	c->query_ms = c->o.query_ms > c->idle_ms ? c->o.query_ms : c->idle_ms;
	c->begin_ms = c->idle_ms;
	if (setup(c, &u) == -1) {
		snprintf(err, errlen, "%s: out of memory", shown);
		goto fail;
	}
	r = post(c, "SELECT 1", "wait_end_of_query=1", "SELECT 1", 8, NULL, 0);
	if (r != REQ_OK) {
		/* READONLY, SETTING_CONSTRAINT_VIOLATION: may not have throw */
		if (c->code == 164 || c->code == 452)
			snprintf(err, errlen, "%s (the user's settings may cut "
			    "answers short without a word: give it the "
			    "*_overflow_mode settings throw, or let it change "
			    "them)", c->err);
		else if (r == REQ_HUNG)
			snprintf(err, errlen, "%s: no answer within %g s "
			    "(PM_DB_TIMEOUT)", c->origin, c->idle_ms / 1000.0);
		else
			snprintf(err, errlen, "%s", c->err);
		goto fail;
	}
	memset(&u, 0, sizeof u);
	return c;
fail:
	memset(&u, 0, sizeof u);
	ch_close(c);
	return NULL;
}

void
ch_close(struct ch *c)
{
	if (c == NULL)
		return;
	workq_free(c->q);	/* the blocks, closed first, waited for it */
	if (c->e)
		curl_easy_cleanup(c->e);
	curl_slist_free_all(c->hdr);
	free(c);
}

const char *
ch_origin(const struct ch *c)
{
	return c->origin;
}

const char *
ch_database(const struct ch *c)
{
	return c->database;
}

const char *
ch_errmsg(const struct ch *c)
{
	return c->err;
}

int
ch_code(const struct ch *c)
{
	return c->code;
}

const char *
ch_reason(const struct ch *c)
{
	size_t n = strlen(c->origin);

	return strncmp(c->err, c->origin, n) == 0 &&
	    strncmp(c->err + n, ": ", 2) == 0 ? c->err + n + 2 : c->err;
}

int
ch_alive(const struct ch *c)
{
	return !c->gone;
}

unsigned long
ch_requests(const struct ch *c)
{
	return c->requests;
}

static void idle(struct ch *c);

/* Is p[0..n) a keyword of SQL (upper case), not a name or a value? */
static int
keyword(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return n > 0;
}

/* The table after the first FROM that is not a subquery's, or NULL. */
static const char *
from_table(const char *sql)
{
	const char *p = sql;

	while ((p = strstr(p, "FROM")) != NULL) {
		p += 4;
		if (p - 4 == sql || !isspace((unsigned char)p[-5]) ||
		    !isspace((unsigned char)*p))
			continue;
		p += strspn(p, " \t\n");
		if (*p != '(' && *p != 0)
			return p;
	}
	return NULL;
}

/*
 * What a statement does, for a message that says which request timed
 * out: its words up to the first that is no keyword ("INSERT INTO
 * schema_migrations", "ALTER TABLE raw_responses_local", "SELECT 1"), a
 * SELECT of a table as "SELECT ... FROM" the first table it reads.
 */
static void
stmt_name(const char *sql, char *out, size_t n)
{
	const char *p = sql + strspn(sql, " \t\n"), *t;
	size_t o = 0, w;
	int words;

	out[0] = 0;
	if (strncmp(p, "SELECT", 6) == 0 && (t = from_table(p)) != NULL) {
		w = strcspn(t, " \t\n(),;");
		snprintf(out, n, "SELECT ... FROM %.*s", w > 64 ? 64 : (int)w, t);
		return;
	}
	for (words = 0; words < 6 && *p; words++) {
		if ((w = strcspn(p, " \t\n(,;")) == 0 || w > 64)
			break;
		o += (size_t)snprintf(out + o, n - o, "%s%.*s", o ? " " : "",
		    (int)w, p);
		if (o >= n || !keyword(p, w))
			break;
		p += w;
		p += strspn(p, " \t\n");
	}
	if (out[0] == 0)
		snprintf(out, n, "a query");
}

int
ch_query_set(struct ch *c, const char *settings, const char *sql,
    struct buf *out)
{
	char what[160], params[256];
	int r;

	if (snprintf(params, sizeof params, "wait_end_of_query=1%s%s",
	    settings ? "&" : "", settings ? settings : "") >=
	    (int)sizeof params) {
		snprintf(c->err, sizeof c->err, "%s: settings too long",
		    c->origin);
		return -1;
	}
	idle(c);
	stmt_name(sql, what, sizeof what);
	/* the server answers once the query is done: an export of a large
	 * table may work for minutes before its first byte */
	c->begin_ms = c->query_ms;
	r = post(c, what, params, sql, strlen(sql), out, 1);
	c->begin_ms = c->idle_ms;
	return r == REQ_OK ? 0 : -1;
}

int
ch_query(struct ch *c, const char *sql, struct buf *out)
{
	return ch_query_set(c, NULL, sql, out);
}

int
ch_query_lines(struct ch *c, const char *sql,
    int (*fn)(char *, size_t, void *), void *arg)
{
	struct lines l = { c, NULL, { 0 }, { 0 }, 0, 0, 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r;

	if ((l.spool = spool_open()) == NULL) {
		snprintf(c->err, sizeof c->err, "%s: a temporary file for the "
		    "answer: %s", c->origin, strerror(errno));
		return -1;
	}
	buf_init(&l.err, 0);
	c->lines = &l;		/* post_once() sends the answer there */
	r = ch_query_set(c, NULL, sql, NULL) == 0 ? REQ_OK : REQ_FAIL;
	c->lines = NULL;
	if (r == REQ_OK && (fflush(l.spool) == EOF ||
	    fseek(l.spool, 0, SEEK_SET) == -1)) {
		snprintf(c->err, sizeof c->err, "%s: a temporary file for the "
		    "answer: %s", c->origin, strerror(errno));
		r = REQ_FAIL;
	}
	while (r == REQ_OK && (n = getline(&line, &cap, l.spool)) > 0)
		if (fn(line, (size_t)n - (line[n - 1] == '\n'), arg) != 0)
			break;
	if (r == REQ_OK && ferror(l.spool)) {
		snprintf(c->err, sizeof c->err, "%s: a temporary file for the "
		    "answer: %s", c->origin, strerror(errno));
		r = REQ_FAIL;
	}
	free(line);
	if (l.spool)
		fclose(l.spool);
	buf_release(&l.err);
	return r == REQ_OK ? 0 : -1;
}

int
ch_number(struct ch *c, const char *sql, unsigned long long *v)
{
	struct buf a;
	char *e, seen[64];
	int rc = -1;

	/* room for the server's error text, which comes in the answer */
	buf_init(&a, 1 << 16);
	if (ch_query(c, sql, &a) == -1)
		goto out;
	if (a.len > 0 && isdigit((unsigned char)a.data[0])) {
		errno = 0;
		*v = strtoull(a.data, &e, 10);
		/* the number, its newline, and nothing else */
		if (errno == 0 && *e == '\n' && e + 1 == a.data + a.len) {
			rc = 0;
			goto out;
		}
	}
	if (a.len == 0)
		snprintf(c->err, sizeof c->err, "%s: a number was due, the "
		    "answer was empty", c->origin);
	else {
		one_line(a.data, a.len, seen, sizeof seen);
		snprintf(c->err, sizeof c->err, "%s: a number was due, the "
		    "answer was \"%s\"", c->origin, seen);
	}
out:
	buf_release(&a);
	return rc;
}

static int
quoted(struct buf *b, const char *s, char q)
{
	if (buf_addc(b, q) == -1)
		return -1;
	for (; *s; s++)
		if (((*s == q || *s == '\\') && buf_addc(b, '\\') == -1) ||
		    buf_addc(b, *s) == -1)
			return -1;
	return buf_addc(b, q);
}

int
ch_quote(struct buf *b, const char *s)
{
	return quoted(b, s, '\'');
}

int
ch_ident(struct buf *b, const char *s)
{
	return quoted(b, s, '`');
}

static int
is_int_key(const char *k, size_t kl, const char *const *keys)
{
	for (; keys && *keys; keys++)
		if (strlen(*keys) == kl && memcmp(*keys, k, kl) == 0)
			return 1;
	return 0;
}

/* One number token p[0..n) of the value of key (kl bytes, may be 0). */
static int
check_number(const char *p, size_t n, const char *key, size_t kl, int want_int,
    char *why, size_t wl)
{
	char num[512], *e;
	const char *what = NULL;
	double d;
	size_t i = p[0] == '-';

	/* most are short integers: finite, within Int64 */
	while (i < n && i < 18 && isdigit((unsigned char)p[i]))
		i++;
	if (i == n && n > (size_t)(p[0] == '-'))
		return 0;
	i = p[0] == '-';
	if (n >= sizeof num)
		what = "number too long";
	else {
		memcpy(num, p, n);
		num[n] = 0;
		errno = 0;
		d = strtod(num, &e);
		if (!isfinite(d))
			what = "number out of range";
		else if (want_int) {
			while (i < n && isdigit((unsigned char)p[i]))
				i++;
			errno = 0;
			if (i < n)
				what = "not an integer";
			else if ((void)strtoll(num, &e, 10), errno == ERANGE)
				what = "integer out of range";
		}
	}
	if (what == NULL)
		return 0;
	snprintf(why, wl, "%.*s%s%s: %.*s", (int)kl, key, kl ? ": " : "", what,
	    n > 64 ? 64 : (int)n, p);
	return -1;
}

/* The closing quote of the string whose first byte is p, or end when it
 * has none: a quote at a time, not a byte (a raw payload, most of the
 * bytes of its row, is one string). */
static const char *
string_end(const char *p, const char *end)
{
	const char *q, *b;

	while ((q = memchr(p, '"', (size_t)(end - p))) != NULL) {
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0)
			return q;
		p = q + 1;
	}
	return end;
}

int
ch_row_check(const char *row, size_t n, const char *const *int_keys,
    char *why, size_t wl)
{
	const char *p = row, *end = row + n, *s, *key = "", *q;
	size_t kl = 0;
	int depth = 0;

	while (p < end) {
		if (*p == '"') {
			s = ++p;
			p = string_end(p, end);
			if (p >= end)
				break;	/* not JSON: the server will say so */
			for (q = p + 1; q < end && isspace((unsigned char)*q); q++)
				;
			if (depth == 1 && q < end && *q == ':') {
				key = s;
				kl = (size_t)(p - s);
			}
		} else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (*p == '-' || isdigit((unsigned char)*p)) {
			for (s = p; p < end && strchr("+-0123456789.eE", *p); p++)
				;
			if (check_number(s, (size_t)(p - s), key, kl, depth == 1 &&
			    is_int_key(key, kl, int_keys), why, wl) == -1)
				return -1;
			continue;
		}
		p++;
	}
	return 0;
}

/*
 * A block gathers rows in one half while the other is sent: the sender
 * thread of the connection (one, lazily started: lib/workq.c) takes the
 * sends of every block in the order they were queued.  Whatever the
 * sender learns (rows stored, bad rows and why, failure) stays in the
 * half until the caller's thread collects it, and the callbacks run there.
 */
enum { H_IDLE, H_SENDING, H_SENT };

struct badrow {
	size_t		 i;		/* the row's index in its half */
	char		*reason;	/* NULL: out of memory */
};

struct half {
	struct ch_block	*b;
	struct buf	 rows;		/* each row and its newline */
	size_t		*end;		/* end[i]: offset past row i's newline */
	uint64_t	*ids;
	size_t		 n;
	long		 since;		/* ts_mono_ms() at the oldest row */
	int		 state;
	/* the send's outcome, the sender's until the half is H_SENT */
	int		 rc;
	uint64_t	 stored, inserts;
	struct badrow	*bad;
	size_t		 nbad, badcap;
};

struct ch_block {
	struct ch	*c;
	struct ch_block_opts o;
	struct buf	 params;	/* the INSERT's URL parameters */
	char		 what[160];	/* "INSERT INTO table", for messages */
	struct half	 h[2];
	int		 fill;		/* the half rows are added to */
	int		 held;		/* a half whose send failed, -1: none */
	struct ch_block_stats st;
};

struct ch_block *
ch_block_new(struct ch *c, const char *table, const struct ch_block_opts *o)
{
	struct ch_block *b;
	struct buf q;
	int rc, i;

	if ((b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	b->c = c;
	b->o = *o;
	b->held = -1;
	snprintf(b->what, sizeof b->what, "INSERT INTO %s", table);
	if (b->o.max_rows == 0)
		b->o.max_rows = BLOCK_ROWS_DEFAULT;
	/* ClickHouse cuts an INSERT into blocks of max_insert_block_size
	 * rows (1048576) and stores each as it comes: above that, a bad
	 * row would leave the rows before it stored twice. */
	if (b->o.max_rows > BLOCK_ROWS_MAX)
		b->o.max_rows = BLOCK_ROWS_MAX;
	if (b->o.max_bytes == 0)
		b->o.max_bytes = BLOCK_BYTES_DEFAULT;
	if (b->o.max_age_ms <= 0)
		b->o.max_age_ms = BLOCK_AGE_DEFAULT;
	buf_init(&b->params, 0);
	buf_init(&q, 0);
	rc = buf_adds(&q, "INSERT INTO ") == -1 || ch_ident(&q, table) == -1 ||
	    buf_adds(&q, " FORMAT JSONEachRow") == -1 ||
	    http_query_add(&b->params, "query", q.data) == -1 ||
	    buf_adds(&b->params, "&input_format_skip_unknown_fields=1") == -1 ||
	    (o->distributed_sync &&
	    buf_adds(&b->params, "&insert_distributed_sync=1") == -1);
	buf_release(&q);
	for (i = 0; i < 2; i++) {
		b->h[i].b = b;
		buf_init(&b->h[i].rows, 0);
		b->h[i].end = calloc(b->o.max_rows, sizeof *b->h[i].end);
		b->h[i].ids = calloc(b->o.max_rows, sizeof *b->h[i].ids);
		if (b->h[i].end == NULL || b->h[i].ids == NULL)
			rc = 1;
	}
	if (rc) {
		ch_block_free(b);
		return NULL;
	}
	return b;
}

/* The sends finished so far are marked H_SENT; wait: until h's is. */
static void
collect(struct ch *c, struct half *h, int wait)
{
	struct half *done;

	while (h == NULL || h->state == H_SENDING) {
		if ((done = workq_next(c->q, wait)) == NULL)
			return;
		done->state = H_SENT;
	}
}

static void
bad_forget(struct half *h)
{
	size_t i;

	for (i = 0; i < h->nbad; i++)
		free(h->bad[i].reason);
	h->nbad = 0;
}

void
ch_block_free(struct ch_block *b)
{
	int i;

	if (b == NULL)
		return;
	for (i = 0; i < 2; i++) {
		/* the sender may be reading it */
		if (b->h[i].state == H_SENDING)
			collect(b->c, &b->h[i], 1);
		bad_forget(&b->h[i]);
		free(b->h[i].bad);
		buf_release(&b->h[i].rows);
		free(b->h[i].end);
		free(b->h[i].ids);
	}
	buf_release(&b->params);
	free(b);
}

static size_t
row_start(const struct half *h, size_t i)
{
	return i ? h->end[i - 1] : 0;
}

/* In the sender: a row the server refused, kept for the caller.  -1
 * when there is no room to keep it: the send fails, so that its rows are
 * reported, not counted as stored. */
static int
row_bad(struct half *h, size_t i, const char *reason)
{
	struct badrow *n;
	size_t cap;

	if (h->nbad == h->badcap) {
		cap = h->badcap ? h->badcap * 2 : 16;
		if ((n = realloc(h->bad, cap * sizeof *n)) == NULL) {
			snprintf(h->b->c->err, sizeof h->b->c->err,
			    "out of memory");
			return -1;
		}
		h->bad = n;
		h->badcap = cap;
	}
	h->bad[h->nbad].i = i;
	h->bad[h->nbad++].reason = strdup(reason);
	return 0;
}

/*
 * In the sender: INSERT rows [lo, hi) of h.  When the server refuses them
 * for their data, split: at the row it names (before it, it alone, after
 * it), else in halves, until a bad row stands alone.  The tail is a loop,
 * so a block of many bad rows does not recurse deep.  0, or -1 on any
 * other failure.
 */
static int
send_range(struct half *h, size_t lo, size_t hi, int depth)
{
	struct ch *c = h->b->c;
	size_t s, mid;
	int r;

	while (lo < hi) {
		s = row_start(h, lo);
		r = post(c, h->b->what, h->b->params.data, h->rows.data + s,
		    h->end[hi - 1] - s, NULL, 1);
		if (r == REQ_OK) {
			h->stored += hi - lo;
			h->inserts++;
			return 0;
		}
		if (r != REQ_SERVER || !data_error(c))
			return -1;
		if (hi - lo == 1)
			return row_bad(h, lo, c->srv);
		mid = lo + (hi - lo) / 2;
		if (c->row_hint > 0 && (size_t)c->row_hint <= hi - lo &&
		    depth < SPLIT_DEPTH_MAX) {
			mid = lo + (size_t)c->row_hint - 1;
			if ((mid > lo && send_range(h, lo, mid, depth + 1) == -1) ||
			    send_range(h, mid, mid + 1, depth + 1) == -1)
				return -1;
			lo = mid + 1;
			continue;
		}
		if (send_range(h, lo, mid, depth + 1) == -1)
			return -1;
		lo = mid;
	}
	return 0;
}

/* The sender's work: after a failed send, the sends queued behind it
 * fail unsent (c->err keeps the first cause) until the queue is empty. */
static void
send_job(void *state, void *item)
{
	struct half *h = item;
	struct ch *c = state;

	h->stored = h->inserts = 0;
	if (c->broken) {
		h->rc = -1;
		return;
	}
	if ((h->rc = send_range(h, 0, h->n, 0)) == -1)
		c->broken = 1;
}

/* The sender's queue is empty and every send collected: the caller's
 * thread may use the connection. */
static void
idle(struct ch *c)
{
	if (c->q == NULL)
		return;
	collect(c, NULL, 1);
	c->broken = 0;
}

static int
queue(struct ch_block *b, struct half *h)
{
	struct ch *c = b->c;

	if (c->q == NULL && (c->q = workq_new(1, NULL, NULL,
	    send_job, c)) == NULL) {
		snprintf(c->err, sizeof c->err, "%s: cannot start a thread",
		    c->origin);
		return -1;
	}
	/* nothing in flight: a failure before is the caller's past */
	if (workq_pending(c->q) == 0)
		c->broken = 0;
	h->state = H_SENDING;
	if (workq_add(c->q, h, 1) == -1) {
		h->state = H_IDLE;
		snprintf(c->err, sizeof c->err, "out of memory");
		return -1;
	}
	return 0;
}

/* Wait for the block's send in flight and hand its outcome to the
 * caller: bad rows to bad(), then 0, or -1 with its rows held. */
static int
settle(struct ch_block *b)
{
	struct half *h = NULL;
	size_t i, s, k;
	int idx;

	for (idx = 0; idx < 2; idx++)
		if (b->h[idx].state != H_IDLE) {
			h = &b->h[idx];
			break;
		}
	if (h == NULL)
		return 0;
	collect(b->c, h, 1);
	h->state = H_IDLE;
	for (k = 0; k < h->nbad; k++) {
		i = h->bad[k].i;
		s = row_start(h, i);
		b->st.bad++;
		if (b->o.bad)
			b->o.bad(b->o.arg, h->ids[i], h->rows.data + s,
			    h->end[i] - s - 1, h->bad[k].reason ?
			    h->bad[k].reason : "out of memory");
	}
	bad_forget(h);
	b->st.rows += h->stored;
	b->st.inserts += h->inserts;
	if (h->rc == -1) {
		b->held = idx;
		return -1;
	}
	h->n = 0;
	buf_reset(&h->rows);
	return 0;
}

int
ch_block_send(struct ch_block *b)
{
	struct half *f = &b->h[b->fill];

	if (settle(b) == -1)
		return -1;
	/* the rows of a failed send go first, and alone */
	if (b->held >= 0) {
		if (queue(b, &b->h[b->held]) == -1)
			return -1;
		b->held = -1;
		if (settle(b) == -1)
			return -1;
	}
	if (f->n == 0)
		return 0;
	if (queue(b, f) == -1)
		return -1;
	b->fill = !b->fill;
	return 0;
}

int
ch_block_wait(struct ch_block *b)
{
	if (settle(b) == -1)
		return -1;
	return b->held >= 0 ? -1 : 0;
}

int
ch_block_busy(struct ch_block *b)
{
	int i;

	for (i = 0; i < 2; i++)
		if (b->h[i].state == H_SENDING) {
			collect(b->c, &b->h[i], 0);
			return b->h[i].state == H_SENDING;
		}
	return 0;
}

int
ch_block_flush(struct ch_block *b)
{
	if (ch_block_send(b) == -1)
		return -1;
	return ch_block_wait(b);
}

int
ch_block_due(const struct ch_block *b)
{
	const struct half *f = &b->h[b->fill];

	return f->n > 0 && ts_mono_ms() - f->since >= b->o.max_age_ms;
}

int
ch_block_add(struct ch_block *b, const char *row, size_t n, uint64_t id)
{
	struct half *f;
	char why[256];

	if (ch_row_check(row, n, b->o.int_keys, why, sizeof why) == -1) {
		b->st.bad++;
		if (b->o.bad)
			b->o.bad(b->o.arg, id, row, n, why);
		return 0;
	}
	if (b->h[b->fill].n == b->o.max_rows && ch_block_send(b) == -1)
		return -1;
	f = &b->h[b->fill];
	if (buf_reserve(&f->rows, n + 1) == -1) {
		idle(b->c);	/* c->err is the sender's till then */
		snprintf(b->c->err, sizeof b->c->err, "out of memory");
		return -1;
	}
	buf_add(&f->rows, row, n);
	buf_addc(&f->rows, '\n');
	if (f->n == 0)
		f->since = ts_mono_ms();
	f->end[f->n] = f->rows.len;
	f->ids[f->n++] = id;
	if (f->n == b->o.max_rows || f->rows.len >= b->o.max_bytes ||
	    ch_block_due(b))
		return ch_block_send(b);
	return 0;
}

size_t
ch_block_rows(const struct ch_block *b)
{
	return b->h[0].n + b->h[1].n;
}

const struct ch_block_stats *
ch_block_stats(const struct ch_block *b)
{
	return &b->st;
}
