/* llm.c - LLM provider requests over libcurl (see llm.h). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "llm.h"
#include "opt.h"
#include "timefmt.h"

struct llm {
	CURL	*h;
	int	 over;	/* the answer passed the buffer's cap */
};

struct llm_pace {
	pthread_mutex_t	 lock;
	long		 next_ms;	/* monotonic: the next request's slot */
};

int
llm_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
llm_global_cleanup(void)
{
	curl_global_cleanup();
}

struct llm *
llm_new(void)
{
	struct llm *l;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	if ((l->h = curl_easy_init()) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
llm_free(struct llm *l)
{
	if (l == NULL)
		return;
	curl_easy_cleanup(l->h);
	free(l);
}

struct sink {
	struct llm	*l;
	struct buf	*b;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (buf_add(s->b, p, size * n) == -1) {
		s->l->over = 1;
		return 0;	/* makes curl stop with a write error */
	}
	return size * n;
}

/* Retry-After in seconds or as an HTTP date, or OpenAI's retry-after-ms,
 * as milliseconds.  A date was not read: its 429 was retried after a
 * second, whatever wait it asked for. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	long *ms = arg, t;
	size_t len = size * n;
	char line[128], *end;
	double d;

	snprintf(line, sizeof line, "%.*s", (int)(len < 127 ? len : 127), p);
	line[strcspn(line, "\r\n")] = 0;
	if (strncasecmp(line, "retry-after-ms:", 15) == 0 &&
	    (d = strtod(line + 15, &end)) >= 0 && end != line + 15)
		*ms = ts_delay_ms(d / 1000);
	else if (strncasecmp(line, "retry-after:", 12) == 0 && *ms < 0) {
		if ((d = strtod(line + 12, &end)) >= 0 && end != line + 12 &&
		    (*end == 0 || isspace((unsigned char)*end)))
			*ms = ts_delay_ms(d);
		else if ((t = http_date_delay_ms(line + 12)) >= 0)
			*ms = t;
	}
	return len;
}

/* base_url without its trailing slashes, then the path. */
static int
make_url(const char *base, const char *path, char *url, size_t n)
{
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	return snprintf(url, n, "%.*s%s", (int)len, base, path) < (int)n ?
	    0 : -1;
}

static struct curl_slist *
headers(const char *key, int where)
{
	struct curl_slist *h = NULL, *t;
	char *auth;
	size_t n;

	h = curl_slist_append(h, "Content-Type: application/json");
	if (h && key && *key) {
		n = strlen(key) + 32;
		if ((auth = malloc(n)) == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
		snprintf(auth, n, where == LLM_KEY_GOOG ? "x-goog-api-key: %s" :
		    "Authorization: Bearer %s", key);
		t = curl_slist_append(h, auth);
		memset(auth, 0, n);	/* the key lives in the slist only */
		free(auth);
		if (t == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
	}
	return h;
}

int
llm_post(struct llm *l, const struct llm_call *c, struct llm_reply *rep,
    struct buf *resp, char *err, size_t errlen)
{
	struct sink s = { l, resp };
	struct curl_slist *hd = NULL;
	char url[2048], why[CURL_ERROR_SIZE] = "";
	CURLcode e;
	CURL *h = l->h;

	l->over = 0;
	*rep = (struct llm_reply){ .status = 0, .retry_after_ms = -1,
	    .dropped = 0 };
	if (make_url(c->base_url, c->path, url, sizeof url) == -1) {
		snprintf(err, errlen, "base_url too long");
		return -1;
	}
	/* the caller says which variable; never the key itself */
	if (c->api_key && opt_has_ctl(c->api_key)) {
		snprintf(err, errlen, "the API key holds a control character");
		return -1;
	}
	if ((hd = headers(c->api_key, c->key_header)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	http_tls_apply(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, why);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pm-experiment/" PM_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &rep->retry_after_ms);
	e = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hd);
	if (e != CURLE_OK) {
		/* reset or cut short: the next try may get through; a
		 * refusal, a timeout or an answer too big would not */
		rep->dropped = !l->over && (e == CURLE_SEND_ERROR ||
		    e == CURLE_RECV_ERROR || e == CURLE_GOT_NOTHING ||
		    e == CURLE_PARTIAL_FILE);
		if (l->over)
			snprintf(err, errlen, "answer over %zu bytes", resp->max);
		else {
			snprintf(err, errlen, "%s", why);
			if (!http_tls_refused(e, url, err, errlen))
				snprintf(err, errlen, "%s", curl_easy_strerror(e));
		}
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	return 0;
}

struct llm_pace *
llm_pace_new(size_t n)
{
	struct llm_pace *p;
	size_t i;

	if ((p = calloc(n + 1, sizeof *p)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		pthread_mutex_init(&p[i].lock, NULL);
	return p;
}

void
llm_pace_free(struct llm_pace *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		pthread_mutex_destroy(&p[i].lock);
	free(p);
}

/* Requests are spaced evenly, 60/per_minute seconds apart: no burst, so
 * no window of a minute ever holds more than per_minute of them. */
void
llm_pace_wait(struct llm_pace *p, size_t i, double per_minute)
{
	long now, slot;

	if (p == NULL || per_minute <= 0)
		return;
	pthread_mutex_lock(&p[i].lock);
	now = ts_mono_ms();
	slot = p[i].next_ms > now ? p[i].next_ms : now;
	p[i].next_ms = slot + (long)(60000 / per_minute);
	pthread_mutex_unlock(&p[i].lock);
	llm_sleep_ms(slot - now);
}

void
llm_sleep_ms(long ms)
{
	struct timespec t = { .tv_sec = ms / 1000,
	    .tv_nsec = ms % 1000 * 1000000L };

	if (ms > 0)
		while (nanosleep(&t, &t) == -1 && errno == EINTR)
			;
}
