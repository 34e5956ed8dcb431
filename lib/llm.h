/*
 * llm.h - POST a JSON request to an LLM provider's endpoint (libcurl), and
 * pace the requests of a variant.
 *
 * Small on purpose: building the request body and reading the answer are
 * the caller's (lib/experiment_kinds.c); this file only moves bytes.  The
 * API key goes into one header (Authorization: Bearer, or Gemini's
 * x-goog-api-key) and nowhere else: never into a URL, a message or a dump.  Only http and https are allowed; https is checked as
 * lib/http.c checks it (http_tls_init() chooses the CAs, for both).
 *
 * Ownership: a struct llm owns one curl easy handle, kept between calls so
 * that requests to one endpoint reuse their connection; one per thread.
 * llm_free() is NULL-safe.  Call llm_global_init() once before any thread
 * starts.  Call arguments are borrowed; the answer goes into the caller's
 * buffer (its max caps the answer).  A struct llm_pace is shared by the
 * threads (it has its own lock); llm_pace_free() is NULL-safe.
 */
#ifndef PM_LLM_H
#define PM_LLM_H

#include <stddef.h>

#include "buf.h"

struct llm;
struct llm_pace;

enum { LLM_KEY_BEARER, LLM_KEY_GOOG };	/* the header the key goes in */

struct llm_call {
	const char	*base_url;	/* e.g. https://api.openai.com/v1 */
	const char	*path;		/* appended: /chat/completions, ... */
	const char	*api_key;	/* or NULL: no key header */
	int		 key_header;	/* LLM_KEY_* */
	const char	*body;		/* the request JSON */
	size_t		 len;
	long		 timeout_ms;	/* whole request; 0: none */
};

struct llm_reply {
	long		 status;	/* HTTP status */
	long		 retry_after_ms;	/* Retry-After(-ms) header; -1: none */
	int		 dropped;	/* -1 returned: the connection failed or
					 * dropped mid-answer, worth a retry */
};

int llm_global_init(void);
void llm_global_cleanup(void);
struct llm *llm_new(void);
void llm_free(struct llm *l);

/* 0 when an answer came (any HTTP status, in rep; body in resp), -1 on
 * a transport error, a key holding a control character (opt_has_ctl():
 * a CR LF would end its header and start another) or an answer over the
 * cap (reason in err). */
int llm_post(struct llm *l, const struct llm_call *c, struct llm_reply *rep,
    struct buf *resp, char *err, size_t errlen);

/* n pacers, one per variant: llm_pace_wait() sleeps until the variant may
 * send its next request, at most per_minute a minute (0: no limit). */
struct llm_pace *llm_pace_new(size_t n);
void llm_pace_free(struct llm_pace *p, size_t n);
void llm_pace_wait(struct llm_pace *p, size_t i, double per_minute);

void llm_sleep_ms(long ms);	/* through signals */

#endif
