/* raw.c - raw records (see raw.h). */
#include "buf.h"
#include "jw.h"
#include "out.h"
#include "raw.h"
#include "sha.h"

int
raw_emit(const struct raw_src *s, const char *payload, size_t len, char *sha)
{
	static struct buf b;	/* reused: one record at a time */
	char own[65];

	if (sha == NULL)
		sha = own;
	if (sha256_hex(payload, len, sha) == -1)
		return -1;
	buf_reset(&b);
	if (jw_open(&b, '{') || jw_key(&b, "kind") || jw_strz(&b, "raw") ||
	    jw_key(&b, "source") || jw_strz(&b, s->source) ||
	    jw_key(&b, "endpoint") || jw_strz(&b, s->endpoint) ||
	    jw_key(&b, "url") || jw_strz(&b, s->url) ||
	    jw_key(&b, "fetched_at") || jw_strz(&b, s->fetched_at) ||
	    jw_key(&b, "sha256") || jw_strz(&b, sha) ||
	    (s->request && (jw_key(&b, "request") ||
	    jw_raw(&b, s->request, s->requestlen))) ||
	    jw_key(&b, "payload") || jw_raw(&b, payload, len) ||
	    jw_close(&b, '}'))
		return -1;
	/* one over the cap: its failure says which request, which market */
	out_about(s->url, s->market_id, s->event_key);
	out_line(b.data, b.len);
	out_about(NULL, NULL, NULL);
	return 0;
}
