/* msg.c - the one place that formats diagnostics (see msg.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "progress.h"

static const char *prog = "pm";

/*
 * A message about an input position (msg_at) says the same thing again
 * at most MSG_REPEAT_CAP times per input: a 10,000-line file of bad lines
 * (a pretty-printed JSON array) is 10 lines on stderr, a note that the
 * rest are not repeated, and at exit how many were left out.  The failure
 * records stay, one per bad line.
 */
#define MSG_REPEAT_CAP	10
#define MSG_KINDS	32
static struct {
	char		 file[128], text[192];
	unsigned long	 n, told;	/* said; left out and told so */
} said[MSG_KINDS];
static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;

/* What was left out and not told yet: before a tool's last line, and
 * at exit for what came after it. */
void
msg_left_out(void)
{
	unsigned long left;
	int i;

	pthread_mutex_lock(&said_lock);
	for (i = 0; i < MSG_KINDS; i++) {
		if (said[i].n <= MSG_REPEAT_CAP + said[i].told)
			continue;
		left = said[i].n - MSG_REPEAT_CAP - said[i].told;
		said[i].told += left;
		fprintf(stderr, "%s: %s: %lu more lines: %s (not repeated)\n",
		    prog, said[i].file, left, said[i].text);
	}
	pthread_mutex_unlock(&said_lock);
}

/* 1 when this message should be written; the first one past the cap
 * says that the others will not be. */
static int
repeat_ok(const char *file, const char *text)
{
	int i, free_slot = -1, ok = 1;

	pthread_mutex_lock(&said_lock);
	for (i = 0; i < MSG_KINDS; i++) {
		if (said[i].n == 0) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (strncmp(said[i].file, file, sizeof said[i].file - 1) == 0 &&
		    strncmp(said[i].text, text, sizeof said[i].text - 1) == 0)
			break;
	}
	if (i == MSG_KINDS && free_slot >= 0) {
		i = free_slot;
		snprintf(said[i].file, sizeof said[i].file, "%.*s",
		    (int)sizeof said[i].file - 1, file);
		snprintf(said[i].text, sizeof said[i].text, "%.*s",
		    (int)sizeof said[i].text - 1, text);
		if (i == 0)
			atexit(msg_left_out);
	}
	if (i < MSG_KINDS && ++said[i].n > MSG_REPEAT_CAP) {
		ok = 0;
		if (said[i].n == MSG_REPEAT_CAP + 1)
			fprintf(stderr, "%s: %s: %s: said %d times; not "
			    "repeated for this input\n", prog, file, text,
			    MSG_REPEAT_CAP);
	}
	pthread_mutex_unlock(&said_lock);
	return ok;
}

/*
 * A standard descriptor closed when the program starts (2>&-, >&-, <&-,
 * a daemon's child) would be the next file or socket opened: messages
 * written into a PostgreSQL connection (which drops it), records into an
 * LLM's socket, a database's bytes read as input.  Each is held by
 * /dev/null opened the other way, so that using it fails as on a closed
 * one (EBADF): a write error, a read error, a message lost; no more.
 */
static void
hold_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* the lowest free descriptor: fd itself */
		if (open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) == -1)
			return;
	}
}

void
msg_init(const char *argv0)
{
	const char *p;

	hold_std_fds();
	if (argv0 == NULL || *argv0 == 0)
		return;
	p = strrchr(argv0, '/');
	prog = p ? p + 1 : argv0;
}

const char *
msg_prog(void)
{
	return prog;
}

/* The length of the valid UTF-8 sequence at p (of n bytes), a lead
 * byte >= 0x80; 0 when it is none (a lone continuation byte, a lead cut
 * short, an overlong form, a surrogate, past U+10FFFF). */
static size_t
utf8_len(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void
msg_clean(char *p, size_t n, int nl)
{
	size_t i, len;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\n' && nl)
			continue;
		if (c == '\n' || c == '\r')
			p[i] = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			p[i] = '?';
		else if (c >= 0x80) {
			if ((len = utf8_len(p + i, n - i)) == 0)
				p[i] = '?';	/* not UTF-8: one byte */
			else if (c == 0xc2 && (unsigned char)p[i + 1] <= 0x9f)
				p[i] = p[i + 1] = '?';	/* U+0080..U+009F */
			i += len ? len - 1 : 0;
		}
	}
}

static void
vmsg(const char *file, unsigned long line, const char *fmt, va_list ap)
{
	char text[2048], name[PATH_MAX];

	vsnprintf(text, sizeof text, fmt, ap);
	msg_clean(text, strlen(text), 0);
	if (file) {	/* a name is bytes too: one line, no escapes */
		snprintf(name, sizeof name, "%s", file);
		msg_clean(name, strlen(name), 0);
		file = name;
	}
	if (file && !repeat_ok(file, text))
		return;
	progress_interrupt();
	/* One write per message, so messages of parallel tools do not mix. */
	if (file)
		fprintf(stderr, "%s: %s:%lu: %s\n", prog, file, line, text);
	else
		fprintf(stderr, "%s: %s\n", prog, text);
}

const char *
msg_pos(char *buf, size_t size, const char *file, unsigned long line)
{
	char num[24];
	size_t fl, nl, keep;

	nl = (size_t)snprintf(num, sizeof num, ":%lu", line);
	fl = strlen(file);
	if (size < nl + 4) {	/* a caller's mistake: the line alone */
		snprintf(buf, size, "%s", num + 1);
		return buf;
	}
	if (fl + nl < size) {
		memcpy(buf, file, fl);
		memcpy(buf + fl, num, nl + 1);
		return buf;
	}
	/* The name's end (the file's own name) after "...": cut where no
	 * UTF-8 sequence is split, for a database that wants valid text. */
	keep = size - 1 - nl - 3;
	while (keep > 0 && ((unsigned char)file[fl - keep] & 0xc0) == 0x80)
		keep--;
	memcpy(buf, "...", 3);
	memcpy(buf + 3, file + fl - keep, keep);
	memcpy(buf + 3 + keep, num, nl + 1);
	return buf;
}

void
msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, 0, fmt, ap);
	va_end(ap);
}

void
msg_at(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(file, line, fmt, ap);
	va_end(ap);
}
