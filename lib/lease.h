/*
 * lease.h - one run of a flow at a time on one database: the lock
 * pipelines.sh holds for a run (pm-summary --hold).
 *
 * PostgreSQL: a lease row in run_locks (migration 7), keyed on the flow,
 * taken and renewed by single statements with an expiry from the server's
 * clock, so it works through a transaction pooler and across machines; a
 * holder that dies leaves a row that expires.  SQLite: an flock(2) on a
 * file beside the database file (its real path, symlinks resolved), opened
 * with O_NOFOLLOW and never truncated; the kernel drops it with its holder.
 * ClickHouse: a lease row per flow and holder in run_leases (ClickHouse
 * migration 3) on the URL's first server, taken by a claim read back once
 * every earlier claim is visible, the earliest live claim holding it;
 * renewed and expiring by the server's clock (see lease.c).
 *
 * Once the lock is taken, runs of the flow still marked running are
 * marked abandoned: their holder is gone, or it would hold the lock (on
 * ClickHouse: those whose holder's lease is not live).
 * Ownership: everything in struct lease_opts is borrowed.
 */
#ifndef PM_LEASE_H
#define PM_LEASE_H

/* The longest run id: the holder is it, the host name and a pid. */
#define LEASE_RUN_ID_MAX	256

struct lease_opts {
	const char	*url;		/* the database */
	int		 dbflags;	/* DB_TLS in production */
	const char	*flow;
	const char	*run_id;	/* who holds it, with host and pid */
	int		 wait;		/* seconds to wait for a held lock */
	int		 ttl;		/* seconds a lease lasts (not SQLite) */
};

/*
 * Take the lock, print "locked" on standard output, hold it until
 * standard input ends, release it.  The exit status: 0; 4 another run
 * holds it (for longer than o->wait); 3 the database or the lock file
 * cannot be used; 2 a bad URL.
 */
int lease_hold(const struct lease_opts *o);

#endif
