/* opt.c - option values (see opt.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "opt.h"

/* The whole of s is a number of this alphabet, digits first after at most
 * a minus: strto* alone would take space, '+', hex, inf and nan. */
static int
shaped(const char *s, const char *alphabet)
{
	const char *d = *s == '-' ? s + 1 : s;

	return *d >= '0' && *d <= '9' && d[strspn(d, alphabet)] == 0;
}

int
opt_int(const char *opt, const char *s, long long lo, long long hi,
    long long *v)
{
	char *e = NULL;
	long long n = 0;

	errno = 0;
	if (shaped(s, "0123456789"))
		n = strtoll(s, &e, 10);
	if (e == NULL || *e || errno || n < lo || n > hi) {
		msg("%s: \"%s\" is not a number from %lld to %lld", opt, s,
		    lo, hi);
		return -1;
	}
	*v = n;
	return 0;
}

int
opt_real(const char *opt, const char *s, double lo, double hi, int open,
    double *v)
{
	char *e = NULL;
	double d = 0;

	errno = 0;
	if (shaped(s, "0123456789.eE+-"))
		d = strtod(s, &e);
	if (e == NULL || *e || errno || (open ? d <= lo || d >= hi :
	    d < lo || d > hi)) {
		msg("%s: \"%s\" is not a number %s %g %s %g", opt, s,
		    open ? "above" : "from", lo, open ? "and below" : "to", hi);
		return -1;
	}
	*v = d;
	return 0;
}

const char *
opt_list_unknown(const char *list, int (*known)(const char *))
{
	char item[64];
	size_t n;

	for (;; list += n + 1) {
		n = strcspn(list, ",");
		if (n >= sizeof item)
			return list;	/* longer than any name */
		memcpy(item, list, n);
		item[n] = 0;
		if (!known(item))
			return list;
		if (list[n] == 0)
			return NULL;
	}
}

int
opt_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}
