/* http.c - libcurl multi wrapper (see http.h). */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "timefmt.h"

#define POOL_MAX 64

struct http {
	CURLM		*multi;
	struct http_opts o;
	CURL		*pool[POOL_MAX];	/* idle easy handles, for reuse */
	int		 npool;
	int		 inflight;
	char		 ua[64];
};

static int curl_ready;
static const char *ca_file;	/* http_tls_init(); NULL: libcurl's default */

struct http *
http_new(const struct http_opts *o)
{
	struct http *h;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = 1;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->o = *o;
	snprintf(h->ua, sizeof h->ua, "pm-fetch/%s", PM_VERSION);
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		return NULL;
	}
	/* Enough connections for every transfer we allow in flight. */
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)POOL_MAX);
	return h;
}

void
http_free(struct http *h)
{
	int i;

	if (h == NULL)
		return;
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	curl_multi_cleanup(h->multi);
	free(h);
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;

	if (buf_add(&x->body, p, size * n) == -1) {
		x->err = HTTP_TOOBIG;
		return 0;	/* makes curl stop with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* The value of header NAME: (with its colon) in p, into v; 0 when p is
 * another header. */
static int
header_value(const char *p, size_t len, const char *name, char *v,
    size_t vl)
{
	size_t k = strlen(name), i;

	if (len <= k || strncasecmp(p, name, k) != 0)
		return 0;
	for (i = 0; k < len && i < vl - 1; k++)
		if (p[k] != '\r' && p[k] != '\n')
			v[i++] = p[k];
	v[i] = 0;
	return 1;
}

/* Retry-After in seconds or as an HTTP date; libcurl's own getinfo
 * cannot tell "Retry-After: 0" from no header at all.  Date: the
 * server's clock, to which its own timestamps belong, a Retry-After
 * date among them (finish() takes the wait from the two). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * n;
	char v[128];
	time_t t;
	size_t i;

	if (header_value(p, len, "date:", v, sizeof v)) {
		x->date = curl_getdate(v, NULL);
		return len;
	}
	if (!header_value(p, len, "retry-after:", v, sizeof v))
		return len;
	i = strspn(v, " \t");
	if (v[i] >= '0' && v[i] <= '9') {
		x->retry_after_ms = ts_delay_ms(strtod(v + i, NULL));
		x->retry_at = -1;
	} else if ((t = curl_getdate(v + i, NULL)) != -1) {
		x->retry_at = t;
	}
	return len;
}

/* The wait from base until at, in milliseconds; 0 when it has passed. */
static long
until_ms(time_t at, time_t base)
{
	return at > base ? ts_delay_ms((double)(at - base)) : 0;
}

long
http_date_delay_ms(const char *v)
{
	time_t t;

	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	return until_ms(t, time(NULL));
}

static CURL *
easy_get(struct http *h)
{
	CURL *e;

	if (h->npool > 0) {
		e = h->pool[--h->npool];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void
easy_put(struct http *h, CURL *e)
{
	if (h->npool < POOL_MAX)
		h->pool[h->npool++] = e;
	else
		curl_easy_cleanup(e);
}

int
http_start(struct http *h, struct http_xfer *x)
{
	CURL *e;

	if ((e = easy_get(h)) == NULL)
		return -1;
	x->status = 0;
	x->retry_after_ms = -1;
	x->retry_at = -1;
	x->date = -1;
	x->err = HTTP_OK;
	x->errmsg[0] = 0;
	buf_init(&x->body, h->o.max_body);
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->ua);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errmsg);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	http_tls_apply(e);
	if (x->post) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->post);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->postlen);
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		easy_put(h, e);
		return -1;
	}
	x->easy = e;
	h->inflight++;
	return 0;
}

/* The server's certificate was not trusted, or not for this host. */
static int
tls_failed(int rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return 1;
	}
	return 0;
}

static int
classify(CURLcode rc)
{
	if (tls_failed(rc))
		return HTTP_TLS;
	switch (rc) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_CONNECT;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
		return HTTP_TRUNCATED;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTP_RESET;
	default:
		return HTTP_OTHER;
	}
}

static void
finish(struct http *h, CURL *e, CURLcode rc)
{
	struct http_xfer *x = NULL;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
	/* a Retry-After date is on the server's clock: the wait is from
	 * its Date, ours only when it sent none (a clock an hour off
	 * would otherwise be an hour's wait, or none) */
	if (x->retry_at != -1)
		x->retry_after_ms = until_ms(x->retry_at,
		    x->date != -1 ? x->date : time(NULL));
	if (x->err != HTTP_TOOBIG)
		x->err = classify(rc);
	if (x->err != HTTP_OK && x->errmsg[0] == 0)
		snprintf(x->errmsg, sizeof x->errmsg, "%s",
		    curl_easy_strerror(rc));
	if (x->err == HTTP_TLS)
		http_tls_refused(rc, x->url, x->errmsg, sizeof x->errmsg);
	curl_multi_remove_handle(h->multi, e);
	easy_put(h, e);
	x->easy = NULL;
	h->inflight--;
}

static int
drain(struct http *h, void (*done)(struct http_xfer *, void *), void *arg)
{
	struct http_xfer *x;
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(h, m->easy_handle, m->data.result);
		done(x, arg);
		n++;
	}
	return n;
}

int
http_run(struct http *h, long wait_ms,
    void (*done)(struct http_xfer *, void *), void *arg)
{
	int running, n;

	curl_multi_perform(h->multi, &running);
	if ((n = drain(h, done, arg)) > 0 || wait_ms <= 0)
		return n;
	/* curl_multi_poll() sleeps the whole time even with nothing in
	 * flight, which is what a caller waiting for a token wants. */
	curl_multi_poll(h->multi, NULL, 0, (int)wait_ms, NULL);
	curl_multi_perform(h->multi, &running);
	return drain(h, done, arg);
}

int
http_inflight(const struct http *h)
{
	return h->inflight;
}

/* A PEM certificate, as OpenSSL reads them: CERTIFICATE, X509
 * CERTIFICATE or TRUSTED CERTIFICATE. */
static int
has_pem_cert(FILE *f)
{
	char line[256];

	while (fgets(line, sizeof line, f))
		if (strncmp(line, STRCONST("-----BEGIN ")) == 0 &&
		    strstr(line, " CERTIFICATE-----"))
			return 1;
	return 0;
}

int
http_tls_init(const char *file, char *err, size_t errlen)
{
	const char *from = "--cacert", *why = NULL, *env;
	struct stat st;
	FILE *f = NULL;

	ca_file = NULL;
	if (file == NULL && (env = getenv("PM_CA_BUNDLE")) && *env) {
		file = env;
		from = "PM_CA_BUNDLE";
	}
	if (file == NULL)
		return 0;
	/* stat() first: opening a FIFO would wait for a writer. */
	if (stat(file, &st) == -1 || (S_ISREG(st.st_mode) &&
	    (f = fopen(file, "r")) == NULL))
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (!has_pem_cert(f))
		why = ferror(f) ? strerror(errno) : "no PEM certificate in it";
	if (f)
		fclose(f);
	if (why) {
		snprintf(err, errlen, "%s: %s (%s)", file, why, from);
		return -1;
	}
	ca_file = file;
	return 0;
}

void
http_tls_apply(void *easy)
{
	CURL *e = easy;

	/* libcurl's defaults, said again so that no reset or later option
	 * can leave them off. */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
	if (ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
}

int
http_tls_refused(int rc, const char *url, char *msg, size_t n)
{
	char why[CURL_ERROR_SIZE];
	const char *auth, *host, *at;
	size_t al;

	if (!tls_failed(rc))
		return 0;
	snprintf(why, sizeof why, "%s", *msg ? msg : curl_easy_strerror(rc));
	/* scheme://[user[:password]@]host[:port]: no user, no password */
	auth = (auth = strstr(url, "://")) ? auth + 3 : url;
	al = strcspn(auth, "/?#");
	host = auth;
	while ((at = memchr(host, '@', al - (size_t)(host - auth))) != NULL)
		host = at + 1;
	snprintf(msg, n, "%.*s%.*s: certificate verification failed: %s",
	    (int)(auth - url), url, (int)(al - (size_t)(host - auth)), host,
	    why);
	return 1;
}

int
http_url_check(const char *url, char *why, size_t n)
{
	CURLU *u;
	CURLUcode rc = CURLUE_OUT_OF_MEMORY;
	char *host = NULL;

	if ((u = curl_url()) != NULL &&
	    (rc = curl_url_set(u, CURLUPART_URL, url, 0)) == CURLUE_OK)
		rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_free(host);
	curl_url_cleanup(u);
	if (rc == CURLUE_OK)
		return 0;
	snprintf(why, n, "%s", curl_url_strerror(rc));
	return -1;
}

int
http_query_add(struct buf *q, const char *name, const char *value)
{
	char *v;
	int r;

	if ((v = curl_easy_escape(NULL, value, 0)) == NULL)
		return -1;
	r = buf_printf(q, "%s%s=%s", q->len ? "&" : "", name, v);
	curl_free(v);
	return r;
}
