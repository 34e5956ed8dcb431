/*
 * llm.h - POST to an OpenAI-compatible chat-completions endpoint (libcurl).
 *
 * Small on purpose: building the request body and reading the answer are
 * the caller's (lib/experiment.c); this file only moves bytes.  The API key
 * goes into an Authorization header and nowhere else: never into a URL, a
 * message or a dump.  Only http and https are allowed; https is checked as
 * lib/http.c checks it (http_tls_init() chooses the CAs, for both).
 *
 * Ownership: a struct llm owns one curl easy handle, kept between calls so
 * that requests to one endpoint reuse their connection; one per thread.
 * llm_free() is NULL-safe.  Call llm_global_init() once before any thread
 * starts.  Call arguments are borrowed; the answer goes into the caller's
 * buffer (its max caps the answer).
 */
#ifndef PM_LLM_H
#define PM_LLM_H

#include <stddef.h>

#include "buf.h"

struct llm;

struct llm_call {
	const char	*base_url;	/* e.g. https://api.openai.com/v1 */
	const char	*api_key;	/* or NULL: no Authorization header */
	const char	*body;		/* the request JSON */
	size_t		 len;
	long		 timeout_ms;	/* whole request; 0: none */
};

int llm_global_init(void);
void llm_global_cleanup(void);
struct llm *llm_new(void);
void llm_free(struct llm *l);

/* 0 when an answer came (any HTTP status, in *status; body in resp), -1
 * on a transport error or an answer over the cap (reason in err). */
int llm_post(struct llm *l, const struct llm_call *c, long *status,
    struct buf *resp, char *err, size_t errlen);

#endif
