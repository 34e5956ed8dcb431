/*
 * msg.h - every diagnostic goes through here, in one format:
 *
 *	prog: reason
 *	prog: file:line: reason
 *
 * lowercase, no trailing period, subject first.  Nothing here owns memory
 * beyond the program name given to msg_init(), which must outlive all use.
 * Callers never pass secrets (see http.h for URL redaction).
 */
#ifndef PM_MSG_H
#define PM_MSG_H

void msg_init(const char *argv0);
const char *msg_prog(void);
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_at(const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
