/*
 * opt.h - numbers from the command line and the environment, read one way
 * (OpenBSD strtonum(3)): the whole string, in range, or one message
 *
 *	prog: --limit: " 5" is not a number from 1 to 1000000000
 *
 * and -1.  Integers are decimal digits, a leading '-' allowed; reals add
 * a fraction and an exponent.  No space, no '+', no hex, no inf or nan.
 * Nothing is kept: opt names the option or variable for the message.
 * Text values (a list of names, a value that goes in a header) are
 * checked here too, the message left to the caller.
 */
#ifndef PM_OPT_H
#define PM_OPT_H

/* lo <= *v <= hi. */
int opt_int(const char *opt, const char *s, long long lo, long long hi,
    long long *v);

/* lo <= *v <= hi, or lo < *v < hi when open (a clamp of 0 is none). */
int opt_real(const char *opt, const char *s, double lo, double hi, int open,
    double *v);

/* Text values, checked without a message (the caller words it):
 * the first item of the comma-separated list that known() refuses ("a,"
 * has an empty one), or NULL when it knows them all. */
const char *opt_list_unknown(const char *list, int (*known)(const char *));
/* 1 when s holds a control character (C0 or DEL), which would end a
 * header or a message line. */
int opt_has_ctl(const char *s);

#endif
