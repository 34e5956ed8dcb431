/*
 * dotenv.h - the settings file (.env) every pm-* program and the driver
 * read, by one set of written rules (pm-pipelines(7), SETTINGS):
 *
 *	# a comment                 blank lines and comments are ignored
 *	KEY=value                   unquoted: trimmed, " #" starts a comment
 *	export KEY = value          `export` and blanks around = are allowed
 *	KEY='single quoted'         taken as it is: no escapes at all
 *	KEY="double \"quoted\""     \" and \\ are the only escapes
 *
 * CR LF line ends are read as LF.  Nothing is expanded ($X stays $X) and
 * nothing is executed.  Any other line refuses the whole file with its
 * line number: a setting half read is worse than none.  The environment
 * wins over the file, so `DATABASE_URL=x prog` always means x.
 *
 * Ownership: the caller owns the path; values go to the environment
 * (setenv copies them); nothing is kept.
 */
#ifndef PM_DOTENV_H
#define PM_DOTENV_H

#include <stddef.h>

/* One line (without its newline): 1 and key/value filled (NUL-terminated
 * in the caller's buffers of at least len + 1 bytes each) for a setting,
 * 0 for a blank or comment line, -1 with *why set for anything else. */
int dotenv_line(const char *line, size_t len, char *key, char *val,
    const char **why);

/* Read path and set every variable not already in the environment.
 * A missing file is 0 unless must_exist; -1 after a message
 * `prog: path:line: reason` when the file is refused. */
int dotenv_load(const char *path, int must_exist);

/* What every program calls first: $PM_ENV_FILE (which must exist; the
 * driver names its --env-file there) or else ./.env when there is one. */
int dotenv_settings(void);

#endif
