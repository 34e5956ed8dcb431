/* timefmt.c - parse the timestamp shapes we meet, print RFC 3339 UTC. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "msg.h"
#include "timefmt.h"

#define SEC_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */
#define SEC_MIN (-62167219200LL)	/* 0000-01-01T00:00:00Z */

static int
digits(const char *s, size_t n, size_t at, size_t cnt, int *v)
{
	size_t i;

	if (at + cnt > n)
		return -1;
	*v = 0;
	for (i = at; i < at + cnt; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
days_in(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static char *
two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

int
ts_format(time_t t, const char *frac, size_t fraclen, char out[TS_MAX])
{
	struct tm tm;
	char *p = out;
	int y;

	if (gmtime_r(&t, &tm) == NULL || fraclen > 9)
		return -1;
	y = tm.tm_year + 1900;
	if (y < 0 || y > 9999)
		return -1;
	/* By hand: this runs several times per market on the hot path. */
	p = two(p, y / 100);
	p = two(p, y % 100);
	*p++ = '-';
	p = two(p, tm.tm_mon + 1);
	*p++ = '-';
	p = two(p, tm.tm_mday);
	*p++ = 'T';
	p = two(p, tm.tm_hour);
	*p++ = ':';
	p = two(p, tm.tm_min);
	*p++ = ':';
	p = two(p, tm.tm_sec);
	if (fraclen) {
		*p++ = '.';
		memcpy(p, frac, fraclen);
		p += fraclen;
	}
	*p++ = 'Z';
	*p = 0;
	return 0;
}

static int
epoch(int64_t v, int ms, char out[TS_MAX])
{
	char frac[4];

	if (v < 0 || v > (ms ? SEC_MAX * 1000 + 999 : SEC_MAX))
		return -1;
	if (ms) {
		snprintf(frac, sizeof frac, "%03d", (int)(v % 1000));
		return ts_format((time_t)(v / 1000), frac, 3, out);
	}
	return ts_format((time_t)v, NULL, 0, out);
}

int
ts_epoch(int64_t v, char out[TS_MAX])
{
	return epoch(v, v >= 100000000000LL, out);
}

long
ts_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
ts_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

long
ts_delay_ms(double sec)
{
	if (!(sec >= 0))
		return -1;
	return sec >= TS_DELAY_MAX / 1000.0 ? TS_DELAY_MAX : (long)(sec * 1000);
}

void
ts_now(char out[TS_MAX])
{
	struct timeval tv;
	char frac[4];

	gettimeofday(&tv, NULL);
	snprintf(frac, sizeof frac, "%03d", (int)(tv.tv_usec / 1000));
	ts_format(tv.tv_sec, frac, 3, out);
}

/*
 * The one parser: s as whole seconds since the epoch, and the digits of
 * its fraction (pointing into s, or into frac3 for epoch milliseconds).
 */
static int
split(const char *s, size_t n, int64_t *sec, const char **frac, size_t *fl,
    char frac3[4])
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
	size_t i, fs = 0;
	struct tm tm;
	int64_t v;

	*frac = NULL;
	*fl = 0;
	if (n == 0)
		return -1;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == n) {			/* epoch seconds or milliseconds */
		if (n > 15)
			return -1;
		for (v = 0, i = 0; i < n; i++)
			v = v * 10 + (s[i] - '0');
		if (n >= 12) {
			frac3[0] = (char)('0' + v / 100 % 10);
			frac3[1] = (char)('0' + v / 10 % 10);
			frac3[2] = (char)('0' + v % 10);
			frac3[3] = 0;
			*frac = frac3;
			*fl = 3;
			v /= 1000;
		}
		*sec = v;
		return 0;
	}
	if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' ||
	    digits(s, n, 5, 2, &mo) || s[7] != '-' || digits(s, n, 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo))
		return -1;
	i = 10;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		if (digits(s, n, i + 1, 2, &h) || i + 3 >= n || s[i + 3] != ':' ||
		    digits(s, n, i + 4, 2, &mi))
			return -1;
		i += 6;
		if (i < n && s[i] == ':') {
			if (digits(s, n, i + 1, 2, &se))
				return -1;
			i += 3;
		}
		if (h > 23 || mi > 59 || se > 60)
			return -1;
		if (i < n && s[i] == '.') {
			fs = ++i;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			*fl = i - fs;
			*frac = s + fs;
			if (*fl == 0 || *fl > 9)
				return -1;
		}
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			sign = s[i] == '-' ? -1 : 1;
			if (digits(s, n, i + 1, 2, &oh))
				return -1;
			i += 3;
			if (i < n && s[i] == ':')
				i++;
			if (i < n) {
				if (digits(s, n, i, 2, &om))
					return -1;
				i += 2;
			}
			if (oh > 23 || om > 59)
				return -1;
		}
	}
	/* second 60 is a leap second, at 23:59 UTC only: anywhere else it
	 * is not a time, where timegm() would make it the next minute */
	if (i != n || (se == 60 && ((h * 60 + mi - sign * (oh * 60 + om)) %
	    1440 + 1440) % 1440 != 1439))
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*sec = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

int
ts_is_utc(const char *s, size_t n)
{
	int y, mo, d, h, mi, se;
	size_t i = 19;

	if (n < 20 || s[n - 1] != 'Z' || digits(s, n, 0, 4, &y) ||
	    s[4] != '-' || digits(s, n, 5, 2, &mo) || s[7] != '-' ||
	    digits(s, n, 8, 2, &d) || s[10] != 'T' || digits(s, n, 11, 2, &h) ||
	    s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
	    digits(s, n, 17, 2, &se))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 ||
	    mi > 59 || se > 60 || (se == 60 && (h != 23 || mi != 59)))
		return 0;
	if (s[i] == '.') {
		while (++i < n - 1 && s[i] >= '0' && s[i] <= '9')
			;
		if (i == 20 || i > 29)
			return 0;
	}
	return i == n - 1;
}

int
date_is_ymd(const char *s, size_t n)
{
	int y, mo, d;

	return n == 10 && !digits(s, n, 0, 4, &y) && s[4] == '-' &&
	    !digits(s, n, 5, 2, &mo) && s[7] == '-' &&
	    !digits(s, n, 8, 2, &d) && mo >= 1 && mo <= 12 && d >= 1 &&
	    d <= days_in(y, mo);
}

int
ts_parse(const char *s, size_t n, char out[TS_MAX])
{
	const char *frac;
	char frac3[4];
	int64_t sec;
	size_t fl;

	/* RFC 3339's years, 0000 to 9999: a time before 1970 (Go's zero
	 * time, 0001-01-01T00:00:00Z, for one) is a time too */
	if (split(s, n, &sec, &frac, &fl, frac3) == -1 || sec < SEC_MIN ||
	    sec > SEC_MAX)
		return -1;
	return ts_format((time_t)sec, frac, fl, out);
}

/* What ts_parse() accepts, the fraction dropped. */
int
ts_sec(const char *s, size_t n, int64_t *sec)
{
	const char *frac;
	char frac3[4];
	size_t fl;

	if (split(s, n, sec, &frac, &fl, frac3) == -1 || *sec < 0 ||
	    *sec > SEC_MAX)
		return -1;
	return 0;
}

int
ts_ms(const char *s, size_t n, double *ms)
{
	const char *frac;
	char frac3[4], f[12] = "0.";
	int64_t sec;
	size_t fl;

	if (split(s, n, &sec, &frac, &fl, frac3) == -1)
		return -1;
	memcpy(f + 2, frac ? frac : "0", fl ? fl : 1);
	f[2 + (fl ? fl : 1)] = 0;
	*ms = ((double)sec + strtod(f, NULL)) * 1000;
	return 0;
}

int
ts_is_rfc3339(const char *s, size_t n)
{
	return n > 16 && s[10] == 'T' && (s[n - 1] == 'Z' || (n > 21 &&
	    (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':'));
}

int
ts_run_clock(const char *now, double *ms)
{
	const char *opt = "--now";

	if (now == NULL && (now = getenv("PM_NOW")) != NULL && *now != 0)
		opt = "PM_NOW";
	if (now == NULL || *now == 0) {
		*ms = (double)time(NULL) * 1000;
		return 0;
	}
	if (!ts_is_rfc3339(now, strlen(now)) ||
	    ts_ms(now, strlen(now), ms) == -1) {
		msg("%s: \"%s\" is not a time (RFC 3339, e.g. "
		    "2026-10-06T07:00:00Z)", opt, now);
		return -1;
	}
	return 0;
}

void
ts_bound(const char *t, char out[TS_MAX])
{
	size_t n = strlen(t), fl = 0;

	if (n == 10) {
		snprintf(out, TS_MAX, "%sT00:00:00.000000000Z", t);
		return;
	}
	if (n < 20 || t[n - 1] != 'Z' || (n > 20 && t[19] != '.') ||
	    (fl = n > 20 ? n - 21 : 0) > 9) {
		snprintf(out, TS_MAX, "%s", t);	/* not ts_parse()'s */
		return;
	}
	snprintf(out, TS_MAX, "%.19s.%.*s%.*sZ", t, (int)fl, t + 20,
	    (int)(9 - fl), "000000000");
}

int
ts_margin(const char *s, double *ms)
{
	static const char units[] = "smhd";
	static const double unit_ms[] = { 1e3, 60e3, 3600e3, 86400e3 };
	unsigned long v;
	const char *u;
	char *e;

	errno = 0;
	v = strtoul(s, &e, 10);
	u = *e ? strchr(units, *e) : units;
	if (*s < '0' || *s > '9' || errno || u == NULL || (*e && e[1]) ||
	    v * unit_ms[u - units] > 365 * 86400e3) {
		msg("--margin: not a duration of at most 365 days (N, Ns, Nm, "
		    "Nh or Nd): %s", s);
		return -1;
	}
	*ms = v * unit_ms[u - units];
	return 0;
}
