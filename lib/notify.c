/* notify.c - POST an alert to a webhook (see notify.h). */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "jw.h"
#include "msg.h"
#include "notify.h"
#include "timefmt.h"
#include "version.h"

#define NOTIFY_TRIES 3

void
notify_where(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://"), *h, *e;
	size_t sl, hl;

	if (p == NULL) {
		snprintf(out, n, "the webhook");
		return;
	}
	sl = (size_t)(p - url);
	h = p + 3;
	/* user:password@ is never shown: the host begins after the last @
	 * before the path */
	e = h + strcspn(h, "/?#");
	for (p = h; p < e; p++)
		if (*p == '@')
			h = p + 1;
	hl = (size_t)(e - h);
	snprintf(out, n, "%.*s://%.*s", (int)(sl > 16 ? 16 : sl), url,
	    (int)(hl > 200 ? 200 : hl), h);
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* One POST; the HTTP status, 0 when none came (errbuf says why). */
static long
post_once(const char *url, const struct buf *body, long timeout_ms,
    char *errbuf)
{
	struct curl_slist *h = NULL;
	char ua[64];
	long status = 0;
	CURL *c;

	errbuf[0] = 0;
	if ((c = curl_easy_init()) == NULL) {
		snprintf(errbuf, CURL_ERROR_SIZE, "out of memory");
		return 0;
	}
	snprintf(ua, sizeof ua, "pm-summary/%s", PM_VERSION);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	http_tls_apply(c);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (errbuf[0] == 0)
		snprintf(errbuf, CURL_ERROR_SIZE, "no answer");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* libcurl's messages can quote the URL: say only what kind of failure. */
static void
scrub(char *err, const char *url)
{
	if (strstr(err, url) != NULL || strchr(err, '/') != NULL)
		snprintf(err, CURL_ERROR_SIZE, "no answer");
}

int
notify_post(const char *url, const char *json, size_t len, const char *text)
{
	char where[256], err[CURL_ERROR_SIZE];
	long start = ts_mono_ms(), left, status = 0;
	long wait_ms = 300;
	struct buf body;
	int try, rc = -1;

	notify_where(url, where, sizeof where);
	while (len > 0 && json[len - 1] == '\n')
		len--;
	buf_init(&body, 0);
	jw_open(&body, '{');
	jw_key(&body, "text");
	jw_strz(&body, text);
	if (len > 2 && json[0] == '{') {
		buf_addc(&body, ',');
		buf_add(&body, json + 1, len - 1);
	} else
		jw_close(&body, '}');
	if (buf_addc(&body, 0) == -1) {
		msg("%s: out of memory", where);
		goto out;
	}
	body.len--;
	for (try = 0; try < NOTIFY_TRIES; try++) {
		if ((left = NOTIFY_BUDGET_MS - (ts_mono_ms() - start)) < 200)
			break;
		status = post_once(url, &body, left, err);
		if (status >= 200 && status < 300) {
			rc = 0;
			goto out;
		}
		/* a refusal that trying again will not change */
		if (status >= 400 && status < 500 && status != 408 &&
		    status != 429)
			break;
		if (try + 1 < NOTIFY_TRIES)	/* not after the last */
			ts_sleep_ms(wait_ms);
		wait_ms *= 2;
	}
	if (status)
		msg("alert to %s not sent: HTTP %ld", where, status);
	else {
		scrub(err, url);
		msg("alert to %s not sent: %s", where, err);
	}
out:
	buf_release(&body);
	return rc;
}
