/* lease.c - the run lock of a flow on a database (see lease.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ch.h"
#include "db.h"
#include "lease.h"
#include "msg.h"
#include "outfile.h"
#include "schema.h"
#include "schema_ch.h"
#include "store_ch.h"
#include "timefmt.h"

#define EXIT_HELD 4

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Signals end the hold like the end of standard input: the lock is given
 * back, not left to expire. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Where path leads through symlinks, the last one dangling (SQLite makes
 * the file there): into out, or -1 (a loop, too long, unreadable). */
static int
link_target(const char *path, char *out, size_t n)
{
	char to[PATH_MAX];
	struct stat st;
	const char *slash;
	ssize_t r;
	int hops;

	if (snprintf(out, n, "%s", path) >= (int)n)
		return -1;
	for (hops = 0; lstat(out, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		if (hops == 40 || (r = readlink(out, to, sizeof to - 1)) == -1)
			return -1;
		to[r] = 0;
		slash = strrchr(out, '/');
		if (to[0] == '/' || slash == NULL) {
			if (snprintf(out, n, "%s", to) >= (int)n)
				return -1;
		} else if ((size_t)(slash - out) + 1 + (size_t)r >= n)
			return -1;
		else
			memcpy(out + (slash - out) + 1, to, (size_t)r + 1);
	}
	return 0;
}

/* path, a file not made yet, in its directory's real path. */
static int
in_real_dir(const char *path, char *out, size_t n)
{
	char dir[PATH_MAX], rdir[PATH_MAX];
	const char *base;
	size_t dl;

	base = strrchr(path, '/');
	if (base == NULL) {
		snprintf(dir, sizeof dir, ".");
		base = path;
	} else {
		dl = (size_t)(base - path);
		if (dl >= sizeof dir)
			return -1;
		memcpy(dir, path, dl);
		dir[dl] = 0;
		if (dl == 0)
			snprintf(dir, sizeof dir, "/");
		base++;
	}
	if (realpath(dir, rdir) == NULL)
		return -1;
	return snprintf(out, n, "%s/%s", strcmp(rdir, "/") ? rdir : "", base) <
	    (int)n ? 0 : -1;
}

/* The database file's real path, symlinks and ./.. resolved, so that every
 * spelling of one file (data/pm.db, ./data/pm.db, sqlite:..., a link to
 * it) names one lock.  A file not made yet: its directory's real path; a
 * dangling link's: where the link leads (where SQLite makes the file, so
 * that the first run and one started once the file is there take one
 * lock), else beside the link. */
static int
real_db_path(const char *path, char *out, size_t n)
{
	char real[PATH_MAX];

	if (realpath(path, real) != NULL)
		return snprintf(out, n, "%s", real) < (int)n ? 0 : -1;
	if (link_target(path, real, sizeof real) == 0 &&
	    strcmp(real, path) != 0 && in_real_dir(real, out, n) == 0)
		return 0;
	(void)outfile_mkparents(path);
	return in_real_dir(path, out, n);
}

/* Open the lock file: never through a symlink (O_NOFOLLOW), never
 * truncated, never blocking on a FIFO planted there, and only a regular
 * file.  The descriptor, or -1 after a message. */
static int
open_lock(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
	    | O_NOCTTY, 0644);
	if (fd == -1) {
		msg("cannot open the lock %s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (a symbolic link: refused)" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		msg("cannot use the lock %s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* flock the file, waiting up to o->wait seconds.  The descriptor, or -1
 * with *rc the exit status. */
static int
file_lock(const struct lease_opts *o, const char *path, int *rc)
{
	long deadline = ts_mono_ms() + (long)o->wait * 1000;
	int fd, said = 0;

	if ((fd = open_lock(path)) == -1) {
		*rc = EXIT_IO;
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			msg("cannot lock %s: %s", path, strerror(errno));
			*rc = EXIT_IO;
			break;
		}
		if (stop || ts_mono_ms() >= deadline) {
			msg("another %s run on this database holds %s", o->flow,
			    path);
			*rc = EXIT_HELD;
			break;
		}
		if (!said++)
			msg("waiting for the %s run that holds %s", o->flow, path);
		ts_sleep_ms(200);
	}
	if (*rc != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Runs of the flow still marked running have no live holder now: mark
 * them abandoned.  Quietly nothing when the database has no tables yet. */
static void
abandon(struct db *db, const char *flow)
{
	struct db_stmt *st;
	char now[TS_MAX];
	int attempt, rc = DB_ERR, n = 0;

	if (schema_version(db) <= 0)
		return;
	ts_now(now);
	st = db_prepare(db, "UPDATE processing_runs SET status = 'abandoned', "
	    "finished_at = ?2 WHERE flow = ?1 AND (status IS NULL OR "
	    "status = 'running')");
	for (attempt = 0; st && attempt < DB_RETRIES; attempt++) {
		db_bind_str(st, 1, flow);
		db_bind_str(st, 2, now);
		if ((rc = db_step(st)) == DB_DONE)
			n = db_changes(st);
		db_reset(st);
		if (rc != DB_BUSY)
			break;
		db_backoff(attempt);
	}
	if (st == NULL || rc != DB_DONE)
		msg("cannot mark abandoned %s runs: %s", flow, db_errmsg(db));
	else if (n > 0)
		msg("%d earlier %s run%s marked abandoned: %s still running "
		    "without a holder", n, flow, n == 1 ? "" : "s",
		    n == 1 ? "it was" : "they were");
	db_finalize(st);
}

/* 0, or EXIT_IO for a database a newer pm-store wrote: no run of it is
 * marked (its schema is not this build's), the lock is not held. */
static int
abandon_sqlite(const struct lease_opts *o)
{
	struct db *db;
	char err[600], where[600];
	int rc = 0;

	if (!db_exists(o->url))
		return 0;
	if ((db = db_open(o->url, o->dbflags, err, sizeof err)) == NULL) {
		msg("%s", err);
		return 0;
	}
	if (schema_newer(schema_version(db), err, sizeof err)) {
		db_redact(o->url, where, sizeof where);
		msg("%s: %s", where, err);
		rc = EXIT_IO;
	} else
		abandon(db, o->flow);
	db_close(db);
	return rc;
}

#define NOW_SQL "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)"

/* One statement each, so a transaction pooler may give each its own
 * server connection; the expiry is the server's clock, not ours. */
static int
pg_take(struct db *db, const char *flow, const char *holder, int ttl,
    int *taken)
{
	struct db_stmt *st;
	char now[TS_MAX];
	int rc;

	st = db_prepare(db, "INSERT INTO run_locks (lock_key, holder, "
	    "acquired_at, expires_at) VALUES (?1, ?2, ?3, " NOW_SQL " + ?4) "
	    "ON CONFLICT (lock_key) DO UPDATE SET holder = excluded.holder, "
	    "acquired_at = excluded.acquired_at, "
	    "expires_at = excluded.expires_at "
	    "WHERE run_locks.expires_at < " NOW_SQL
	    " OR run_locks.holder = excluded.holder");
	if (st == NULL)
		return DB_ERR;
	ts_now(now);
	db_bind_str(st, 1, flow);
	db_bind_str(st, 2, holder);
	db_bind_str(st, 3, now);
	db_bind_int(st, 4, ttl);
	if ((rc = db_step(st)) == DB_DONE)
		*taken = db_changes(st) > 0;
	db_finalize(st);
	return rc;
}

static int
pg_renew(struct db *db, const char *flow, const char *holder, int ttl)
{
	struct db_stmt *st;
	int rc;

	st = db_prepare(db, "UPDATE run_locks SET expires_at = " NOW_SQL
	    " + ?3 WHERE lock_key = ?1 AND holder = ?2");
	if (st == NULL)
		return DB_ERR;
	db_bind_str(st, 1, flow);
	db_bind_str(st, 2, holder);
	db_bind_int(st, 3, ttl);
	if ((rc = db_step(st)) == DB_DONE && db_changes(st) == 0)
		rc = DB_ERR;	/* not ours any more */
	db_finalize(st);
	return rc;
}

static void
pg_release(struct db *db, const char *flow, const char *holder)
{
	struct db_stmt *st;

	st = db_prepare(db, "DELETE FROM run_locks WHERE lock_key = ?1 AND "
	    "holder = ?2");
	if (st == NULL)
		return;
	db_bind_str(st, 1, flow);
	db_bind_str(st, 2, holder);
	if (db_step(st) != DB_DONE)
		msg("cannot give the %s lease back (it expires by itself): %s",
		    flow, db_errmsg(db));
	db_finalize(st);
}

/* Take the lease, waiting up to o->wait seconds; 0 or an exit status. */
static int
pg_lock(struct db *db, const struct lease_opts *o, const char *holder)
{
	long deadline = ts_mono_ms() + (long)o->wait * 1000;
	int rc, taken = 0, said = 0, attempt = 0;

	for (;;) {
		rc = pg_take(db, o->flow, holder, o->ttl, &taken);
		if (rc == DB_BUSY && attempt < DB_RETRIES) {
			db_backoff(attempt++);
			continue;
		}
		if (rc != DB_DONE) {
			msg("cannot take the %s lease: %s", o->flow,
			    db_errmsg(db));
			return EXIT_IO;
		}
		if (taken)
			return 0;
		if (stop || ts_mono_ms() >= deadline) {
			msg("another %s run on this database holds its lease "
			    "(run_locks)", o->flow);
			return EXIT_HELD;
		}
		if (!said++)
			msg("waiting for the %s run that holds the lease",
			    o->flow);
		ts_sleep_ms(1000);
	}
}

/* A lease to renew: PostgreSQL's (db) or ClickHouse's (cl). */
struct renewal {
	struct db		*db;
	struct ch_lease		*cl;
	const char		*holder;
};

static int ch_renew(struct ch_lease *);

/* Until standard input ends (or a signal comes): renew the lease, when
 * there is one, every third of its life. */
static void
hold(const struct lease_opts *o, const struct renewal *rn)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char b[256];
	int r, ok, lost = 0;

	while (!stop) {
		r = poll(&p, 1, rn ? o->ttl * 1000 / 3 : -1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (r == 0) {
			ok = rn->db ? pg_renew(rn->db, o->flow, rn->holder,
			    o->ttl) == DB_DONE : ch_renew(rn->cl) == 0;
			if (!ok && !lost++)
				msg("cannot renew the %s lease: another run may "
				    "start", o->flow);
			continue;
		}
		if (read(STDIN_FILENO, b, sizeof b) <= 0)
			break;
	}
}

/* "locked", or -1 after a message (none for a reader gone): the lock
 * is then given back, and the exit is 3, never 0 for a lock not held. */
static int
say_locked(void)
{
	if (printf("locked\n") >= 0 && fflush(stdout) != EOF)
		return 0;
	if (errno != EPIPE)
		msg("write error: %s", strerror(errno));
	return -1;
}

static int
hold_pg(const struct lease_opts *o, const char *holder)
{
	struct db *db;
	char err[600];
	int rc;

	if ((db = db_open(o->url, o->dbflags, err, sizeof err)) == NULL) {
		msg("%s", err);
		return EXIT_IO;
	}
	if (schema_migrate(db, 0, err, sizeof err) == -1) {
		msg("%s", err);
		db_close(db);
		return EXIT_IO;
	}
	if ((rc = pg_lock(db, o, holder)) == 0) {
		struct renewal rn = { db, NULL, holder };

		abandon(db, o->flow);
		if (say_locked() == 0)
			hold(o, &rn);
		else
			rc = EXIT_IO;
		pg_release(db, o->flow, holder);
	}
	db_close(db);
	return rc;
}

/* --- ClickHouse ----------------------------------------------------------- */

/*
 * ClickHouse has no transactions, no unique key and no conditional write:
 * the lease is a row of run_leases per flow and holder (ClickHouse
 * migration 3) on the URL's first server, each claim, renewal and release
 * a new version of it.  A holder claims: it stores its row, claimed_at the
 * server's clock just before, expiring ttl seconds past the settling
 * below (a short ttl would expire it while it settles), and the server's
 * clock must read at most CH_SLOW seconds more once the insert is back
 * (else the claim is withdrawn and made again).  It then waits until the
 * clock reads claimed_at + CH_SETTLE, by when every claim made no later
 * than its own is there to be read, reads the live claims (expires_at
 * after the clock), and holds the lock if the earliest by (claimed_at,
 * holder) is its own; else it withdraws (expires_at 0), waits and claims
 * again.  Of two claims, the later one's holder reads after the earlier
 * one is there (stored within CH_SLOW of its claimed_at, read back no
 * sooner than CH_SETTLE after the later claimed_at), sees it live, and
 * withdraws: never two holders.  A renewal moves the expiry of a claim still
 * live, never of one expired (its holder stopped past ttl: the lock may
 * be another's), and keeps claimed_at, so that no later claim comes
 * first.  All of it stands on one server's clock.
 */
#define CH_SLOW		1	/* seconds */
#define CH_SETTLE	(CH_SLOW + 1)

struct ch_lease {
	struct ch	*c;
	const char	*flow, *holder, *run_id;
	int		 ttl;
	int		 sync;		/* a cluster: insert_distributed_sync */
	long long	 claimed;	/* the server's clock, seconds */
	uint64_t	 seq;		/* the row_version last written */
	struct buf	 sql, ans;
};

enum { PUT_CLAIM, PUT_RENEW, PUT_WITHDRAW };

#define CH_NOW	"toInt64(now())"

/* The server's clock, in seconds since the epoch. */
static int
ch_clock(struct ch_lease *l, long long *t)
{
	unsigned long long v;

	if (ch_number(l->c, "SELECT " CH_NOW, &v) == -1)
		return -1;
	*t = (long long)v;
	return 0;
}

/* head, then s quoted, then tail, appended to l->sql. */
static int
ch_add(struct ch_lease *l, const char *head, const char *s, const char *tail)
{
	return buf_adds(&l->sql, head) == -1 || ch_quote(&l->sql, s) == -1 ||
	    buf_adds(&l->sql, tail) == -1 ? -1 : 0;
}

/* A new version of our row: a claim, its renewal (only while it is
 * live: no version at all otherwise), its withdrawal. */
static int
ch_put(struct ch_lease *l, int what)
{
	struct timeval tv;
	uint64_t v;

	gettimeofday(&tv, NULL);
	v = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	l->seq = v > l->seq ? v : l->seq + 1;
	buf_reset(&l->sql);
	if (ch_add(l, "INSERT INTO run_leases (flow, holder, run_id, "
	    "claimed_at, expires_at, " SCHEMA_CH_VERSION_COLUMN ") SELECT ",
	    l->flow, ", ") == -1 || ch_add(l, "", l->holder, ", ") == -1 ||
	    ch_add(l, "", l->run_id, "") == -1 ||
	    buf_printf(&l->sql, ", %lld, ", l->claimed) == -1 ||
	    (what == PUT_WITHDRAW ? buf_adds(&l->sql, "0") :
	    buf_printf(&l->sql, CH_NOW " + %d", l->ttl + (what == PUT_CLAIM ?
	    CH_SETTLE : 0))) == -1 ||
	    buf_printf(&l->sql, ", %llu", (unsigned long long)l->seq) == -1 ||
	    (what == PUT_RENEW && (ch_add(l, " FROM run_leases FINAL WHERE "
	    "flow = ", l->flow, "") == -1 || ch_add(l, " AND holder = ",
	    l->holder, " AND expires_at > " CH_NOW) == -1))) {
		msg("out of memory");
		return -1;
	}
	return ch_query(l->c, l->sql.data, NULL);
}

/* Is the earliest live claim of the flow ours?  1 yes, 0 no (another's,
 * or none live: ours expired), -1 the query failed. */
static int
ch_first(struct ch_lease *l)
{
	buf_reset(&l->sql);
	buf_reset(&l->ans);
	if (ch_add(l, "SELECT holder = ", l->holder, "") == -1 ||
	    ch_add(l, " FROM run_leases FINAL WHERE flow = ", l->flow,
	    " AND expires_at > " CH_NOW " ORDER BY claimed_at, holder "
	    "LIMIT 1") == -1) {
		msg("out of memory");
		return -1;
	}
	if (ch_query(l->c, l->sql.data, &l->ans) == -1)
		return -1;
	return l->ans.len == 2 && memcmp(l->ans.data, "1\n", 2) == 0;
}

/* Our claim's expiry moved, if it is live and still the earliest. */
static int
ch_renew(struct ch_lease *l)
{
	return ch_put(l, PUT_RENEW) == 0 && ch_first(l) == 1 ? 0 : -1;
}

/* Take the lease, waiting up to o->wait seconds; 0 or an exit status. */
static int
ch_lock(struct ch_lease *l, const struct lease_opts *o)
{
	long deadline = ts_mono_ms() + (long)o->wait * 1000;
	long long t0, t;
	int r, said = 0, slow = 0;

	for (;;) {
		if (ch_clock(l, &t0) == -1)
			goto dberr;
		l->claimed = t0;
		if (ch_put(l, PUT_CLAIM) == -1 || ch_clock(l, &t) == -1)
			goto dberr;
		r = 0;
		if (t - t0 <= CH_SLOW) {
			while (t < t0 + CH_SETTLE) {
				ts_sleep_ms(200);
				if (ch_clock(l, &t) == -1)
					goto dberr;
			}
			if ((r = ch_first(l)) == -1)
				goto dberr;
			/* renewed at once: the settling took of its life */
			if (r == 1 && (r = ch_renew(l)) == 0)
				return 0;
		} else
			slow++;
		if (ch_put(l, PUT_WITHDRAW) == -1)
			goto dberr;
		if (stop || ts_mono_ms() >= deadline) {
			msg("another %s run on this database holds its lease "
			    "(run_leases)%s", o->flow, slow ? ", or the server "
			    "takes more than a second to store a claim" : "");
			return EXIT_HELD;
		}
		if (!said++)
			msg("waiting for the %s run that holds the lease",
			    o->flow);
		ts_sleep_ms(1000);
	}
dberr:
	msg("cannot take the %s lease: %s", o->flow, ch_errmsg(l->c));
	/* a claim stored before the failure expires by itself */
	return EXIT_IO;
}

/* Runs of the flow still marked running whose holder's lease is not live
 * (expired, given back, or none: a run of a driver before the lease, or
 * of pm-store alone) are marked abandoned: a new version of each row,
 * ended now, whose row_version beats the one it replaces by one, so that
 * an end its holder stores after all (its clock's microseconds) wins. */
static void
ch_abandon(struct ch_lease *l)
{
	static const char cols[] = "run_id, flow, run_date, target_date, "
	    "window_days, started_at, finished_at, status, counts, git_sha, "
	    "environment, options, stored_at, " SCHEMA_CH_VERSION_COLUMN;
	unsigned long long n = 0;
	char now[TS_MAX];
	size_t head;

	ts_now(now);
	buf_reset(&l->sql);
	buf_reset(&l->ans);
	if (buf_printf(&l->sql, "INSERT INTO processing_runs (%s) SELECT "
	    "run_id, flow, run_date, target_date, window_days, started_at, "
	    "'%s', 'abandoned', counts, git_sha, environment, options, "
	    "stored_at, " SCHEMA_CH_VERSION_COLUMN " + 1", cols, now) == -1)
		goto oom;
	head = l->sql.len;
	if (ch_add(l, " FROM processing_runs FINAL WHERE flow = ", l->flow,
	    " AND (status IS NULL OR status = 'running') AND run_id GLOBAL "
	    "NOT IN (SELECT run_id FROM run_leases FINAL WHERE flow = ") == -1 ||
	    ch_add(l, "", l->flow, " AND expires_at > " CH_NOW ")") == -1 ||
	    buf_printf(&l->ans, "SELECT count()%s", l->sql.data + head) == -1)
		goto oom;
	if (ch_number(l->c, l->ans.data, &n) == -1 || (n > 0 &&
	    ch_query_set(l->c, l->sync ? "insert_distributed_sync=1" : NULL,
	    l->sql.data, NULL) == -1)) {
		msg("cannot mark abandoned %s runs: %s", l->flow,
		    ch_errmsg(l->c));
		return;
	}
	if (n > 0)
		msg("%llu earlier %s run%s marked abandoned: %s still running "
		    "without a live lease", n, l->flow, n == 1 ? "" : "s",
		    n == 1 ? "it was" : "they were");
	return;
oom:
	msg("out of memory");
}

static int
hold_ch(const struct lease_opts *o, const char *holder)
{
	struct ch_lease l = { 0 };
	struct renewal rn = { NULL, &l, holder };
	struct chdb *d;
	int rc;

	if ((d = store_ch_lease_open(o->url, &l.c)) == NULL)
		return EXIT_IO;
	l.flow = o->flow;
	l.holder = holder;
	l.run_id = o->run_id ? o->run_id : "-";
	l.ttl = o->ttl;
	l.sync = store_ch_lease_cluster(d);
	buf_init(&l.sql, 0);
	buf_init(&l.ans, 0);
	if ((rc = ch_lock(&l, o)) == 0) {
		ch_abandon(&l);
		if (say_locked() == 0)
			hold(o, &rn);
		else
			rc = EXIT_IO;
		if (ch_put(&l, PUT_WITHDRAW) == -1)
			msg("cannot give the %s lease back (it expires by "
			    "itself): %s", o->flow, ch_errmsg(l.c));
	}
	buf_release(&l.sql);
	buf_release(&l.ans);
	store_ch_lease_close(d);
	return rc;
}

static int
hold_file(const struct lease_opts *o, const char *path)
{
	int fd, rc = 0;

	if ((fd = file_lock(o, path, &rc)) == -1)
		return rc;
	if ((rc = abandon_sqlite(o)) == 0 && (rc = say_locked()) == 0)
		hold(o, NULL);
	close(fd);
	return rc == 0 ? 0 : EXIT_IO;
}

int
lease_hold(const struct lease_opts *o)
{
	struct db_url u;
	char err[600], path[PATH_MAX + 64], real[PATH_MAX], host[256],
	    holder[600];

	catch_signals();
	if (db_url_parse(o->url, 0, &u, err, sizeof err) == -1) {
		msg("%s", err);
		return EXIT_USAGE;
	}
	if (u.engine == DB_PG || u.engine == DB_CLICKHOUSE) {
		if (gethostname(host, sizeof host) == -1)
			snprintf(host, sizeof host, "unknown");
		host[sizeof host - 1] = 0;
		/* never cut: two holders cut alike would share the lease */
		if (snprintf(holder, sizeof holder, "%s@%s:%ld",
		    o->run_id ? o->run_id : "-", host, (long)getppid()) >=
		    (int)sizeof holder) {
			msg("--run-id: too long");
			return EXIT_USAGE;
		}
		return u.engine == DB_PG ? hold_pg(o, holder) :
		    hold_ch(o, holder);
	}
	if (real_db_path(u.target, real, sizeof real) == -1) {
		msg("cannot resolve the database path %s", u.target);
		return EXIT_IO;
	}
	snprintf(path, sizeof path, "%s.%s.lock", real, o->flow);
	return hold_file(o, path);
}
