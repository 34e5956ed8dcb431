/* llm.c - chat-completions requests over libcurl (see llm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "llm.h"

struct llm {
	CURL	*h;
	int	 over;	/* the answer passed the buffer's cap */
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

/* base_url without its trailing slashes, then /chat/completions. */
static int
make_url(const char *base, char *url, size_t n)
{
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	return snprintf(url, n, "%.*s/chat/completions", (int)len, base) <
	    (int)n ? 0 : -1;
}

static struct curl_slist *
headers(const char *key)
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
		snprintf(auth, n, "Authorization: Bearer %s", key);
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
llm_post(struct llm *l, const struct llm_call *c, long *status,
    struct buf *resp, char *err, size_t errlen)
{
	struct sink s = { l, resp };
	struct curl_slist *hd = NULL;
	char url[2048], why[CURL_ERROR_SIZE] = "";
	CURLcode e;
	CURL *h = l->h;

	l->over = 0;
	if (make_url(c->base_url, url, sizeof url) == -1) {
		snprintf(err, errlen, "base_url too long");
		return -1;
	}
	if ((hd = headers(c->api_key)) == NULL) {
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
	e = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hd);
	if (e != CURLE_OK) {
		if (l->over)
			snprintf(err, errlen, "answer over %zu bytes", resp->max);
		else {
			snprintf(err, errlen, "%s", why);
			if (!http_tls_refused(e, url, err, errlen))
				snprintf(err, errlen, "%s", curl_easy_strerror(e));
		}
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}
