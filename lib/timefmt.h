/*
 * timefmt.h - timestamps in, RFC 3339 UTC out.
 *
 * Accepted (the shapes Polymarket sends): RFC 3339 with 0-9 fractional
 * digits and Z or an offset; "YYYY-MM-DD HH:MM:SS[.fff]+00"; a date alone
 * (midnight UTC); epoch seconds or milliseconds as digits (12 or more
 * digits are milliseconds).  A date and time without a zone is UTC.
 * ts_parse() takes years 0000 to 9999, ts_sec() and ts_epoch() none
 * before 1970.
 * Output: "YYYY-MM-DDTHH:MM:SS[.fff]Z", the fraction kept as given.
 * No ownership: out is the caller's, TS_MAX bytes.
 */
#ifndef PM_TIMEFMT_H
#define PM_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TS_MAX 48

int ts_parse(const char *s, size_t n, char out[TS_MAX]);
/* 1 when s is a time as pm-records(5) keeps one, what ts_parse() writes:
 * YYYY-MM-DDTHH:MM:SS, a fraction of 1-9 digits or none, Z; a real
 * date and time (2026-02-30 is none; :60 only at 23:59, a leap second).
 * A scan: no conversion, no allocation (pm-store checks every time). */
int ts_is_utc(const char *s, size_t n);
/* 1 when s is a UTC date as run records have one: YYYY-MM-DD, real. */
int date_is_ymd(const char *s, size_t n);
int ts_ms(const char *s, size_t n, double *ms);	/* epoch milliseconds */
int ts_sec(const char *s, size_t n, int64_t *sec); /* whole seconds, >= 0 */
int ts_epoch(int64_t v, char out[TS_MAX]);	/* seconds, or ms if >= 1e11 */
void ts_now(char out[TS_MAX]);			/* with milliseconds */
long ts_mono_ms(void);		/* monotonic clock, for durations */
void ts_sleep_ms(long ms);	/* sleep ms milliseconds */
/* A delay a server asked for, in seconds, as milliseconds: -1 for none
 * (NaN, negative), at most TS_DELAY_MAX (whatever the server sent). */
#define TS_DELAY_MAX (1000L * 86400 * 366 * 100)
long ts_delay_ms(double sec);
/* The run's clock in epoch ms: now (a --now value) if given, else
 * $PM_NOW, else the system's; -1 after a message naming the source. */
int ts_run_clock(const char *now, double *ms);
/* 1 when s has the shape of an RFC 3339 date and time, as --now takes
 * one (and pipelines.sh's set_clock()): a date, T, a time, Z or an
 * offset +HH:MM; no date alone, no epoch.  ts_ms() or ts_sec() checks
 * the rest. */
int ts_is_rfc3339(const char *s, size_t n);
/* --margin's N[s|m|h|d], at most 365 days, as milliseconds; -1 after a
 * message. */
int ts_margin(const char *s, double *ms);
int ts_format(time_t t, const char *frac, size_t fraclen, char out[TS_MAX]);
/*
 * A bound stored times are compared with (t: a date, its midnight, or a
 * time as ts_parse() writes it), its fraction nine digits long:
 * "...:00Z" sorts after "...:00.500Z", so half a second past a
 * whole-second bound was before it.  As text, a stored time before the
 * bound is before it, but not every one: its fraction kept as a record
 * gave it (0 to 9 digits), "...:59.999Z" sorts after the bound
 * "...:59.999900000Z" ('Z' after the digits).  TS_SQL_BEFORE() and
 * TS_SQL_SINCE() compare exactly.
 */
void ts_bound(const char *t, char out[TS_MAX]);
/*
 * SQL (SQLite and PostgreSQL) of a stored time t before a ts_bound()
 * bound b, and at or after it (t and b: SQL text, b of type text).  A
 * range of t, which an index on t serves, and in the bound's second (the
 * times from b to its whole second's "...Z") a test of t's fraction
 * padded to nine digits.
 */
#define TS_SQL_NINE(t) "(substr(" t ", 1, 19) || '.' || " \
	"substr(rtrim(substr(" t ", 21), 'Z') || '000000000', 1, 9) || 'Z')"
#define TS_SQL_BEFORE(t, b) "(" t " <= (substr(" b ", 1, 19) || 'Z') " \
	"AND (" t " < " b " OR " TS_SQL_NINE(t) " < " b "))"
#define TS_SQL_SINCE(t, b) "(" t " >= " b " AND (" t " > (substr(" b \
	", 1, 19) || 'Z') OR " TS_SQL_NINE(t) " >= " b "))"

#endif
