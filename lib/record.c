/* record.c - failure and skip records (see record.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jw.h"
#include "msg.h"
#include "out.h"
#include "record.h"

static void
emit(struct buf *b)
{
	out_line(b->data, b->len);
	buf_release(b);
}

/* s, or a copy made valid UTF-8 (*copy, to free) when it is not: a
 * detail or an id may have been cut to a length, a file name is bytes. */
static const char *
clean(const char *s, char **copy)
{
	size_t n;

	*copy = NULL;
	if (s == NULL)
		return s;
	n = strlen(s);
	if (utf8_valid(s, n) == n || (*copy = strdup(s)) == NULL)
		return s;
	utf8_clean(*copy, n);
	return *copy;
}

void
rec_failure(const struct failure *f)
{
	struct buf b;
	char pos[MSG_POS_SIZE], *cp[4];
	const char *mid = clean(f->market_id, &cp[0]),
	    *key = clean(f->event_key, &cp[1]),
	    *file = clean(f->file, &cp[2]),
	    *detail = clean(f->detail, &cp[3]), *at_file;
	unsigned long at_line;
	int i;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "kind");
	jw_strz(&b, "failure");
	jw_key(&b, "stage");
	jw_strz(&b, f->stage);
	jw_key(&b, "reason");
	jw_strz(&b, f->reason);
	jw_key(&b, "retriable");
	jw_bool(&b, f->retriable);
	if (mid) {
		jw_key(&b, "market_id");
		jw_strz(&b, mid);
	}
	if (key) {
		jw_key(&b, "event_key");
		jw_strz(&b, key);
	}
	if (file) {
		jw_key(&b, "input");
		jw_textz(&b, msg_pos(pos, sizeof pos, file, f->line));
	}
	if (f->url) {
		jw_key(&b, "url");
		jw_textz(&b, f->url);	/* a --base-url as given */
	}
	jw_key(&b, "detail");
	jw_strz(&b, detail);
	jw_close(&b, '}');
	/* refused as too long, it is its own input line that is named,
	 * not the one of the record written before it */
	out_at_get(&at_file, &at_line);
	out_at(f->file, f->line);
	emit(&b);
	out_at(at_file, at_line);

	if (mid)
		snprintf(pos, sizeof pos, "market %s: ", mid);
	else if (key)
		snprintf(pos, sizeof pos, "event %s: ", key);
	else
		pos[0] = 0;
	/* A request's failure says which API: its scheme://host/path (a
	 * query may hold what is not to be logged), unless the detail
	 * begins with a URL of its own (a refused certificate). */
	if (f->url && strncmp(detail, "http://", 7) &&
	    strncmp(detail, "https://", 8))
		msg("%.*s: %s%s", (int)strcspn(f->url, "?#"), f->url, pos,
		    detail);
	else if (file)
		msg_at(file, f->line, "%s%s", pos, detail);
	else
		msg("%s%s", pos, detail);
	for (i = 0; i < 4; i++)
		free(cp[i]);
}

/* {kind: skip, stage, NAME: id, token_id (when not NULL), why} */
static void
skip(const char *stage, const char *name, const char *id,
    const char *token_id, const char *why)
{
	struct buf b;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "kind");
	jw_strz(&b, "skip");
	jw_key(&b, "stage");
	jw_strz(&b, stage);
	jw_key(&b, name);
	jw_strz(&b, id);
	if (token_id) {
		jw_key(&b, "token_id");
		jw_strz(&b, token_id);
	}
	jw_key(&b, "why");
	jw_strz(&b, why);
	jw_close(&b, '}');
	emit(&b);
}

void
rec_skip(const char *stage, const char *event_key, const char *why)
{
	skip(stage, "event_key", event_key, NULL, why);
}

void
rec_skip_market(const char *stage, const char *market_id,
    const char *token_id, const char *why)
{
	skip(stage, "market_id", market_id, token_id, why);
}

void
rec_end(const char *stage)
{
	struct buf b;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "kind");
	jw_strz(&b, "end");
	jw_key(&b, "stage");
	jw_strz(&b, stage);
	jw_close(&b, '}');
	emit(&b);
}
