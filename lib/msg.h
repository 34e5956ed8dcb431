/*
 * msg.h - every diagnostic goes through here, in one format:
 *
 *	prog: reason
 *	prog: file:line: reason
 *
 * lowercase, no trailing period, subject first; and the exit statuses that
 * follow them, the same in every tool.  Nothing here owns memory
 * beyond the program name given to msg_init(), which must outlive all use.
 * Callers never pass secrets (see http.h for URL redaction).
 */
#ifndef PM_MSG_H
#define PM_MSG_H

#include <limits.h>
#include <stddef.h>

/* Each man page's EXIT STATUS; 0 is success. */
enum {
	EXIT_FAILED = 1,	/* some records failed, the others went through */
	EXIT_USAGE = 2,		/* bad options or arguments */
	EXIT_IO = 3,		/* cannot read, write or reach the API */
	EXIT_DB = EXIT_IO,	/* pm-store: cannot use the database */
	EXIT_STALE = 4,		/* pm-summary --status: stale data */
	EXIT_VERY_STALE = 5	/* pm-summary --status: very stale or none */
};

/* The program's name; also, first thing, a standard descriptor that is
 * closed is held by /dev/null opened the other way (its use fails with
 * EBADF as before), so that no file or socket opened later takes it. */
void msg_init(const char *argv0);
const char *msg_prog(void);
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_at(const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The count of each message msg_at() stopped repeating, not told yet:
 * a tool calls it before its summary line (it runs at exit too). */
void msg_left_out(void);

/*
 * A record's position, "file:line", as a failure's input and key
 * (failure_sha256): the position of any file that could be opened fits a
 * buffer of MSG_POS_SIZE whole; a longer name loses its start to "...",
 * never the line number, so two lines of one file never share a position.
 */
#define MSG_POS_SIZE	(PATH_MAX + 32)
const char *msg_pos(char *buf, size_t size, const char *file,
    unsigned long line);

/*
 * Text for a terminal, made safe in place: a control character (C0 but
 * tab, DEL, C1) that came with the data (an HTTP error page's escape
 * sequences, a detail stored by hand) becomes '?', and so does each byte
 * that is not UTF-8 (a lone 0x9b is CSI to an 8-bit terminal), so that
 * it cannot move the cursor, clear the screen or retitle the window of
 * whoever reads the report.  With nl, a newline stays (a report of lines); else
 * it, like a CR, becomes a space (a message is one line).  Same length.
 */
void msg_clean(char *p, size_t n, int nl);

#endif
