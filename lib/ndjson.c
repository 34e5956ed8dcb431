/* ndjson.c - the shared input loop (see ndjson.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "ndjson.h"
#include "opt.h"
#include "out.h"
#include "record.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK (1024 * 1024)

static int cut_short;	/* ndjson_cut_short() */

struct ndjson_reader {
	struct ndjson	*nd;
	json_parser	*jp;
	const char	*name;
	int		 fd;		/* -1: read from mem */
	const char	*mem;
	size_t		 memlen, memoff;
	char		*buf;
	size_t		 alloc;		/* allocated, less JSON_PADDING */
	size_t		 cap;		/* in use: the buffer a fresh reader
					 * would have, so every run takes
					 * the same paths */
	size_t		 jpmax;		/* the longest line jp takes */
	size_t		 start, end;	/* unconsumed bytes */
	unsigned long	 line;
	int		 hinted;	/* told how to read a JSON array */
};

/* Read once: a bad value is said once, not by each reader and writer
 * that asks (the input loop, the output, a parser). */
size_t
ndjson_max_line(void)
{
	static size_t max;
	const char *s;
	long long v;

	if (max == 0) {
		max = NDJSON_MAX_LINE_DEFAULT;
		if ((s = getenv("PM_MAX_LINE")) != NULL && *s &&
		    opt_int("PM_MAX_LINE", s, 64, 1LL << 34, &v) == 0)
			max = (size_t)v;
	}
	return max;
}

int
rec_is(const struct rec *r, const char *k)
{
	return r->kind && strlen(k) == r->kindlen &&
	    memcmp(r->kind, k, r->kindlen) == 0;
}

void
rec_pass(const struct rec *r)
{
	out_line(r->text, r->len);
}

static void
bad(struct ndjson_reader *rd, unsigned long line, const char *detail)
{
	if (rd->nd->on_bad)
		rd->nd->on_bad(rd->nd->arg, rd->name, line, detail);
	if (rd->nd->bad_unwritten)
		msg_at(rd->name, line, "%s", detail);
	else
		rec_failure(&(struct failure){ .stage = rd->nd->stage,
		    .reason = "bad_record", .file = rd->name, .line = line,
		    .detail = detail });
	rd->nd->bad++;
}

static void
too_long(struct ndjson_reader *rd, char *detail, size_t dsz, size_t max)
{
	const char *why = rd->nd->max_why;

	snprintf(detail, dsz, "line longer than %zu bytes%s%s%s", max,
	    why ? " (" : "", why ? why : "", why ? ")" : "");
}

static int
blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* A bad line opening an array: the input is probably one JSON array,
 * pretty-printed or not.  Say once what to do about it. */
static void
array_hint(struct ndjson_reader *rd, const char *p, size_t n, int parsed)
{
	size_t i = 0, j;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (rd->hinted || i == n || p[i] != '[')
		return;
	/* A line that did not parse: the first line of a pretty-printed
	 * array ("[" alone or "[{..."), not any text that opens with '['. */
	for (j = i + 1; !parsed && j < n && (p[j] == ' ' || p[j] == '\t' ||
	    p[j] == '\r'); j++)
		;
	if (!parsed && j < n && p[j] != '{')
		return;
	rd->hinted = 1;
	msg_at(rd->name, rd->line, "input is a JSON array, not one object "
	    "per line: pipe it through jq -c '.[]'");
}

/* One complete line at p[0..n), with JSON_PADDING bytes after it. */
static int
one(struct ndjson_reader *rd, char *p, size_t n)
{
	struct ndjson *nd = rd->nd;
	const char *err;
	struct rec r;
	json_val k;

	rd->line++;
	if (blank(p, n)) {
		msg_at(rd->name, rd->line, "empty line ignored");
		nd->blank++;
		return 0;
	}
	r.file = rd->name;
	r.line = rd->line;
	r.text = p;
	r.len = n;
	if (json_parse(rd->jp, p, n, 1, &r.root, &err) == -1) {
		bad(rd, rd->line, err);
		array_hint(rd, p, n, 0);
		return 0;
	}
	p[n] = 0;
	if (r.root.type != JSON_OBJECT) {
		bad(rd, rd->line, "not a JSON object");
		array_hint(rd, p, n, 1);
		return 0;
	}
	json_get(&r.root, "kind", &k);
	r.kind = json_str(&k, &r.kindlen);
	if (k.type != JSON_ABSENT && r.kind == NULL) {
		bad(rd, rd->line, "kind is not a string");
		return 0;
	}
	nd->records++;
	return nd->fn(&r, nd->arg);
}

/* 1 when input (or its end) is there within IDLE_MS: a producer that
 * is merely behind by a pipe's worth is not idle; one that is paging a
 * slow API is.  Waiting here costs nothing: poll returns at the first
 * byte. */
#define IDLE_MS 100

static int
ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, IDLE_MS) != 0;
}

/* Read more bytes behind end; 0 at end of file, -1 on error. */
static ssize_t
fill(struct ndjson_reader *rd)
{
	ssize_t n;

	if (rd->start > 0) {
		memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
		rd->end -= rd->start;
		rd->start = 0;
	}
	if (rd->fd == -1) {
		n = (ssize_t)(rd->memlen - rd->memoff);
		if ((size_t)n > rd->cap - rd->end)
			n = (ssize_t)(rd->cap - rd->end);
		memcpy(rd->buf + rd->end, rd->mem + rd->memoff, (size_t)n);
		rd->memoff += (size_t)n;
	} else for (;;) {
		if (rd->nd->on_idle && !ready(rd->fd))
			rd->nd->on_idle(rd->nd->arg);
		n = read(rd->fd, rd->buf + rd->end, rd->cap - rd->end);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n > 0)
		rd->end += (size_t)n;
	/* simdjson reads the padding after the last line: give it defined
	 * bytes, not whatever malloc left (valgrind: uninitialised jump) */
	memset(rd->buf + rd->end, 0, JSON_PADDING);
	return n;
}

/* Use the first cap bytes of the buffer (and the padding after them);
 * under ASan the bytes behind are off limits as if never allocated. */
static void
set_cap(struct ndjson_reader *rd, size_t cap)
{
	rd->cap = cap;
	ASAN_UNPOISON_MEMORY_REGION(rd->buf, cap + JSON_PADDING);
	ASAN_POISON_MEMORY_REGION(rd->buf + cap + JSON_PADDING,
	    rd->alloc - cap);
}

/* Grow the buffer toward the cap; -1 when it is there already. */
static int
grow(struct ndjson_reader *rd, size_t max)
{
	size_t ncap;
	char *p;

	if (rd->cap >= max + 2)
		return -1;
	ncap = rd->cap * 2 > max + 2 ? max + 2 : rd->cap * 2;
	if (ncap > rd->alloc) {
		if ((p = realloc(rd->buf, ncap + JSON_PADDING)) == NULL)
			return -1;
		rd->buf = p;
		rd->alloc = ncap;
	}
	set_cap(rd, ncap);
	return 0;
}

/* Skip the rest of an over-long line; -1 on read error. */
static int
skip_line(struct ndjson_reader *rd)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(rd->buf + rd->start, '\n', rd->end - rd->start);
		if (nl) {
			rd->start = (size_t)(nl - rd->buf) + 1;
			return 0;
		}
		rd->start = rd->end = 0;
		if ((n = fill(rd)) <= 0)
			return (int)n;
	}
}

static int
read_fd(struct ndjson_reader *rd, size_t max)
{
	char *nl, detail[160];
	size_t scan = rd->start;
	ssize_t n;

	for (;;) {
		if (out_failed() != OUT_OK) {
			cut_short = 1;
			return 0;
		}
		nl = memchr(rd->buf + scan, '\n', rd->end - scan);
		if (nl) {
			size_t len = (size_t)(nl - rd->buf) - rd->start;

			scan = rd->start + len + 1;
			/* CR LF ends a line saved on Windows: the CR is no
			 * byte of the record, nor of the cap */
			if (len > 0 && nl[-1] == '\r')
				len--;
			if (len > max) {
				rd->line++;
				too_long(rd, detail, sizeof detail, max);
				bad(rd, rd->line, detail);
			} else if (one(rd, rd->buf + rd->start, len) == -1)
				return 0;
			rd->start = scan;
			continue;
		}
		scan = rd->end;
		/* a line of max bytes may still have its CR LF to come */
		if (rd->end - rd->start > max && (rd->end - rd->start >
		    max + 1 || rd->buf[rd->end - 1] != '\r')) {
			rd->line++;
			too_long(rd, detail, sizeof detail, max);
			bad(rd, rd->line, detail);
			if (skip_line(rd) == -1)
				goto readerr;
			scan = rd->start;
			continue;
		}
		if (rd->end == rd->cap && rd->start == 0 && grow(rd, max) == -1)
			goto nomem;
		scan -= rd->start;
		if ((n = fill(rd)) == -1)
			goto readerr;
		if (n == 0)
			break;
	}
	if (rd->end > rd->start)	/* a last line without newline */
		(void)one(rd, rd->buf + rd->start, rd->end - rd->start -
		    (rd->buf[rd->end - 1] == '\r'));
	return 0;
readerr:
	msg("%s: read error: %s", rd->name, strerror(errno));
	return EXIT_IO;
nomem:
	msg("%s: out of memory", rd->name);
	return EXIT_IO;
}

/* Ready rd for a run with line cap max, keeping what it already has: its
 * buffer (used only up to the size a new one would have) and its parser
 * (one made for longer lines parses the same). */
static int
reader_init(struct ndjson_reader *rd, struct ndjson *nd, size_t max)
{
	size_t cap = max + 1 < CHUNK ? max + 2 : CHUNK;
	char *p;

	rd->nd = nd;
	rd->start = rd->end = 0;
	rd->line = 0;
	if (rd->alloc < cap) {
		if ((p = realloc(rd->buf, cap + JSON_PADDING)) == NULL)
			goto nomem;
		rd->buf = p;
		rd->alloc = cap;
	}
	set_cap(rd, cap);
	if (rd->jp == NULL || rd->jpmax < max) {
		json_parser_free(rd->jp);
		rd->jpmax = max;
		if ((rd->jp = json_parser_new(max)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	msg("out of memory");
	return EXIT_IO;
}

int
ndjson_run_mem(struct ndjson *nd, const char *name, const char *data,
    size_t size)
{
	struct ndjson_reader *rd = nd->keep;
	size_t max = nd->max_line ? nd->max_line : ndjson_max_line();
	int rc;

	if (rd == NULL && (rd = nd->keep = calloc(1, sizeof *rd)) == NULL) {
		msg("out of memory");
		return EXIT_IO;
	}
	if ((rc = reader_init(rd, nd, max)) == 0) {
		rd->name = name;
		rd->fd = -1;
		rd->mem = data;
		rd->memlen = size;
		rd->memoff = 0;
		rc = read_fd(rd, max);
	}
	return rc;
}

void
ndjson_release(struct ndjson *nd)
{
	struct ndjson_reader *rd = nd->keep;

	if (rd == NULL)
		return;
	json_parser_free(rd->jp);
	free(rd->buf);
	free(rd);
	nd->keep = NULL;
}

int
ndjson_cut_short(void)
{
	return cut_short;
}

int
ndjson_run(struct ndjson *nd, int nfiles, char **files)
{
	struct ndjson_reader rd = { 0 };
	size_t max = nd->max_line ? nd->max_line : ndjson_max_line();
	char *stdin_only[] = { "-" };
	int i, rc = 0, r;

	if (nfiles == 0) {
		nfiles = 1;
		files = stdin_only;
	}
	if ((rc = reader_init(&rd, nd, max)) != 0)
		goto out;
	for (i = 0; i < nfiles && out_failed() == OUT_OK; i++) {
		if (strcmp(files[i], "-") == 0) {
			rd.name = "stdin";
			rd.fd = STDIN_FILENO;
		} else {
			rd.name = files[i];
			if ((rd.fd = open(files[i], O_RDONLY)) == -1) {
				msg("%s: %s", files[i], strerror(errno));
				rc = EXIT_IO;
				continue;
			}
		}
		rd.start = rd.end = 0;
		rd.line = 0;
		if ((r = read_fd(&rd, max)) != 0)
			rc = r;
		if (rd.fd != STDIN_FILENO)
			close(rd.fd);
	}
	if (i < nfiles)
		cut_short = 1;
out:
	json_parser_free(rd.jp);
	free(rd.buf);
	return rc;
}
