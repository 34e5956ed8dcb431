/* out.c - buffered, checked record output (see out.h). */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "ndjson.h"
#include "out.h"
#include "record.h"

#define OUT_BUFSZ (256 * 1024)

static char obuf[OUT_BUFSZ];
static size_t olen;
static int ostate = OUT_OK;

/* A line begun by out_write and not ended yet: its bytes (up to the cap)
 * and its length so far.  A line is written only when it ends, so that
 * one longer than the cap is never written in part. */
static struct buf pend;
static size_t plen, maxl;
static unsigned long refused;
static int refusing;	/* the failure record itself always goes out */
static int text;	/* out_text_line(): a line of no record, no cap */
static const char *at_file;	/* out_at() */
static unsigned long at_line;
static const char *ab_url, *ab_mid, *ab_key;	/* out_about() */

void
out_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static void
out_fail(int err)
{
	if (ostate != OUT_OK)
		return;
	ostate = err == EPIPE ? OUT_EPIPE : OUT_ERROR;
	if (ostate == OUT_ERROR)
		msg("write error: %s", strerror(err));
}

static void
out_raw(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && ostate == OUT_OK) {
		w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			out_fail(errno);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

int
out_flush(void)
{
	out_raw(obuf, olen);
	olen = 0;
	return ostate;
}

static void
put(const void *p, size_t n)
{
	if (ostate != OUT_OK)
		return;
	if (olen + n > sizeof obuf) {
		out_flush();
		if (n >= sizeof obuf) {
			out_raw(p, n);
			return;
		}
	}
	memcpy(obuf + olen, p, n);
	olen += n;
}

static size_t
cap(void)
{
	if (maxl == 0)
		maxl = ndjson_max_line();
	return maxl;
}

/* The string member k at the top of a record's first bytes, when it is
 * short and plain: what a failure names. */
static int
head_str(const char *p, size_t n, const char *k, char *out, size_t outsz)
{
	char pat[32];
	const char *s, *e;
	size_t i;

	snprintf(pat, sizeof pat, "\"%s\":\"", k);
	if (n > 4096)
		n = 4096;
	for (i = 0; i + strlen(pat) <= n; i++) {
		if (memcmp(p + i, pat, strlen(pat)) != 0)
			continue;
		s = p + i + strlen(pat);
		for (e = s; e < p + n && *e != '"' && *e != '\\'; e++)
			;
		if (e == p + n || *e != '"' || (size_t)(e - s) >= outsz)
			return 0;
		memcpy(out, s, (size_t)(e - s));
		out[e - s] = 0;
		return 1;
	}
	return 0;
}

/* What no reader takes (a line over PM_MAX_LINE) is not written: a
 * failure record stands in its place.  head: its first bytes. */
static void
refuse(const char *head, size_t hn, size_t total)
{
	char det[160], mid[257], key[257];
	const char *stage = msg_prog();
	int hm, hk;

	refused++;
	/* a group names its markets too: then the event_key only; an
	 * event record (no market_id) its event_id; a raw record what its
	 * writer said (out_about()), not the first market of a batch */
	if (ab_url || ab_mid || ab_key) {
		hm = ab_mid && snprintf(mid, sizeof mid, "%s", ab_mid) > 0;
		hk = ab_key && snprintf(key, sizeof key, "%s", ab_key) > 0;
	} else {
		hk = head_str(head, hn, "event_key", key, sizeof key);
		hm = !hk && head_str(head, hn, "market_id", mid, sizeof mid);
		hk = hk || (!hm && head_str(head, hn, "event_id", key,
		    sizeof key));
	}
	buf_reset(&pend);
	plen = 0;
	if (strncmp(stage, "pm-", 3) == 0)
		stage += 3;
	snprintf(det, sizeof det, "record of %zu bytes not written: longer "
	    "than the line cap PM_MAX_LINE (%zu)", total, cap());
	refusing = 1;
	rec_failure(&(struct failure){ .stage = stage,
	    .reason = "bad_record", .market_id = hm ? mid : NULL,
	    .event_key = hk ? key : NULL, .file = at_file, .line = at_line,
	    .url = ab_url, .detail = det });
	refusing = 0;
}

/* The end of a line: the pending bytes, then p[0..n), then a newline. */
static void
line_end(const char *p, size_t n)
{
	if (plen + n > cap() && !refusing && !text) {
		if (pend.len)
			refuse(pend.data, pend.len, plen + n);
		else
			refuse(p, n, n);
		return;
	}
	if (pend.len)
		put(pend.data, pend.len);
	put(p, n);
	put("\n", 1);
	buf_reset(&pend);
	plen = 0;
}

/* Part of a line; bytes past the cap are only counted. */
static void
line_part(const char *p, size_t n)
{
	if ((text || plen + n <= cap()) && buf_add(&pend, p, n) == -1) {
		msg("out of memory");
		out_fail(ENOMEM);
	}
	plen += n;
}

void
out_write(const void *vp, size_t n)
{
	const char *p = vp, *q;

	while (n > 0 && ostate == OUT_OK) {
		if ((q = memchr(p, '\n', n)) == NULL) {
			line_part(p, n);
			return;
		}
		line_end(p, (size_t)(q - p));
		n -= (size_t)(q - p) + 1;
		p = q + 1;
	}
}

/* A CSV or TSV line (newlines in its quoted fields too) is read by no
 * pm-* reader: PM_MAX_LINE is not its cap, and a failure record in its
 * place would be a line of JSON in the middle of the table. */
void
out_text_line(const void *p, size_t n)
{
	text = 1;
	out_line(p, n);
	text = 0;
}

void
out_line(const void *p, size_t n)
{
	if (plen == 0 && memchr(p, '\n', n) == NULL)
		line_end(p, n);
	else {
		out_write(p, n);
		out_write("\n", 1);
	}
}

void
out_at(const char *file, unsigned long line)
{
	at_file = file;
	at_line = line;
}

void
out_at_get(const char **file, unsigned long *line)
{
	*file = at_file;
	*line = at_line;
}

void
out_about(const char *url, const char *market_id, const char *event_key)
{
	ab_url = url;
	ab_mid = market_id;
	ab_key = event_key;
}

unsigned long
out_refused(void)
{
	return refused;
}

int
out_failed(void)
{
	return ostate;
}

int
out_close(void)
{
	/* --help and --version print through stdio; keep their order. */
	if (fflush(stdout) == EOF && ostate == OUT_OK)
		out_fail(errno);
	if (plen > cap())	/* a last line without its newline */
		refuse(pend.data, pend.len, plen);
	else if (plen > 0)
		put(pend.data, pend.len);
	buf_release(&pend);
	plen = 0;
	out_flush();
	if (ostate == OUT_OK && close(STDOUT_FILENO) == -1 && errno != EBADF)
		out_fail(errno);
	return ostate;
}
