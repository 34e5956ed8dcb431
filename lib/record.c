/* record.c - failure and skip records (see record.h). */
#include <stdio.h>

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

void
rec_failure(const struct failure *f)
{
	struct buf b;
	char pos[1024];

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
	if (f->market_id) {
		jw_key(&b, "market_id");
		jw_strz(&b, f->market_id);
	}
	if (f->event_key) {
		jw_key(&b, "event_key");
		jw_strz(&b, f->event_key);
	}
	if (f->file) {
		snprintf(pos, sizeof pos, "%s:%lu", f->file, f->line);
		jw_key(&b, "input");
		jw_strz(&b, pos);
	}
	if (f->url) {
		jw_key(&b, "url");
		jw_strz(&b, f->url);
	}
	jw_key(&b, "detail");
	jw_strz(&b, f->detail);
	jw_close(&b, '}');
	emit(&b);

	if (f->market_id)
		snprintf(pos, sizeof pos, "market %s: ", f->market_id);
	else if (f->event_key)
		snprintf(pos, sizeof pos, "event %s: ", f->event_key);
	else
		pos[0] = 0;
	if (f->file)
		msg_at(f->file, f->line, "%s%s", pos, f->detail);
	else
		msg("%s%s", pos, f->detail);
}

void
rec_skip(const char *stage, const char *event_key, const char *why)
{
	struct buf b;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "kind");
	jw_strz(&b, "skip");
	jw_key(&b, "stage");
	jw_strz(&b, stage);
	jw_key(&b, "event_key");
	jw_strz(&b, event_key);
	jw_key(&b, "why");
	jw_strz(&b, why);
	jw_close(&b, '}');
	emit(&b);
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
