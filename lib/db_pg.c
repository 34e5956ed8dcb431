/*
 * db_pg.c - the PostgreSQL engine behind db.h, over libpq.
 *
 * Behind a pooler (PgBouncer in transaction mode, Supabase's pooled URL),
 * each transaction may run on another server connection, so nothing may
 * outlive a transaction: statements are unnamed (PQexecParams: parse,
 * bind and execute in one round trip), and what every transaction needs
 * (temporary tables, settings: db_session) is sent with each BEGIN, in
 * the same round trip, as SET LOCAL and ON COMMIT DROP.  A pipelined
 * statement (db_send: the bulk rows, sent in chunks) is prepared once
 * per transaction instead, its Parse sent ahead of its first chunk, and
 * deallocated in the round trip that ends the transaction, before COMMIT
 * or after ROLLBACK in one query string: the pooler gives the server
 * connection back only when the whole string has run.  A pooler shows
 * itself by answering for the server with a process id that is not the
 * server's.  Connected directly, statements are prepared on the server
 * once per connection (a plan cached saves half the time of a store) and
 * the session is set up once.  Neither way sets anything for the session
 * alone, nor takes a session advisory lock.
 *
 * A transaction's end may go into the pipeline too (db_commit_send: its
 * DEALLOCATEs, COMMIT, a Flush for the answer), and the next one's BEGIN
 * behind it, with no Sync between: a pooler gives the server connection
 * back only at a Sync that finds no transaction open, so both run on one
 * server connection and a name deallocated by the first is free for the
 * second to prepare; and if the first fails, the server skips the
 * second up to the next Sync, so it cannot commit before it.  The Sync
 * comes when a COMMIT's answer is read with nothing begun behind it (a
 * group, input idle, the end): the pooler has its connection back.
 *
 * A lost connection (a restart, a crash, a terminated backend) is
 * re-established here, trying for up to PM_DB_TIMEOUT, and reported as
 * DB_BUSY, so the caller runs its transaction again.  When the server
 * does not come back in time the connection is gone for good: DB_ERR at
 * once on every call from then on, and db_alive() is false, so the caller
 * stops instead of waiting again for each record.  Under a streamed
 * statement (db_stream: an export) the connection is not made again: the
 * rows out cannot be taken back, so it is gone for good at once.  A full
 * disk or an I/O error on the server (SQLSTATE classes 53, 58, XX) marks
 * the database down too.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_impl.h"
#include "timefmt.h"

#define PG_MAXPARAM 64

/* A statement prepared for the transaction under way (behind a pooler). */
struct txname {
	char		 name[24];
	int		 made;		/* its Parse answered, not its DEALLOCATE:
					 * it exists */
};

/* What a pipelined statement's answer says. */
enum { PD_STMT, PD_PARSE, PD_DEALLOC, PD_COMMIT };

struct pg_db {
	struct db	 base;
	PGconn		*h;
	char		*url;		/* owned: to redact libpq's messages */
	int		 gone;		/* reconnecting gave up, for good */
	int		 noresume;	/* a streamed statement (an export)
					 * under way: its rows cannot go on
					 * where a lost connection left them */
	long		 lost_at;	/* ts_mono_ms() of the connection's loss
					 * that no answer has followed since,
					 * or 0: a pooler takes the client back
					 * while its server is down */
	char		 lost[512];	/* why gone, kept for every call */
	char		 msg[512];	/* libpq's last message, redacted */
	struct buf	 begin;		/* BEGIN and the db_session() SQL */
	int		 pooled;	/* a pooler between us and the server */
	int		 pipe;		/* in pipeline mode (db_send) */
	int		 perr;		/* the pipeline's first error, or DB_DONE */
	struct pending {
		db_row_fn	 row;
		void		*arg;
		size_t		 prep;	/* PD_PARSE, PD_DEALLOC: its txname, +1 */
		int		 what;	/* PD_* */
		int		 fly;	/* its txname is in ftxp */
	}		*pend;		/* statements sent, answers not read */
	size_t		 head, npend, cap;
	int		 intx;		/* BEGIN answered, no COMMIT/ROLLBACK yet */
	unsigned	 txn;		/* BEGINs answered */
	struct txname	*txp;		/* prepared in this transaction (pooled) */
	size_t		 ntxp, captxp;
	struct txname	*ftxp;		/* those of the transaction whose COMMIT
					 * is in flight (db_commit_send) */
	size_t		 nftxp, capftxp;
	int		 cwait;		/* that COMMIT's answer not read yet */
	int		 crc;		/* its answer (DB_DONE: durable) */
	char		 fix[96];	/* the SETs out_settings found needed,
					 * or "" */
	int		 txnames;	/* 1: those names reach the server, -1:
					 * the pooler renames them (prepares
					 * itself): none then; 0: not known */
};

#define PG(db) ((struct pg_db *)(db))

static unsigned stmt_seq;
#define H(db) (PG(db)->h)

struct pg_stmt {
	struct db_stmt	 base;
	char		*sql;		/* with $N placeholders */
	char		 name[24];	/* "": unnamed, behind a pooler */
	unsigned	 gen;		/* connection it is prepared on, +1 */
	char		 tname[24];	/* behind a pooler: its name in a transaction */
	unsigned	 txn;		/* the transaction it is prepared in, +1 */
	int		 nparam;
	char		*val[PG_MAXPARAM];	/* owned copies, NULL: null */
	const char	*bin[PG_MAXPARAM];	/* borrowed arrays (binary) */
	int		 binlen[PG_MAXPARAM];
	PGresult	*res;
	int		 row, nrows, changes;
	int		 streaming;	/* its rows coming (db_stream): 1, or
					 * 2 in a transaction of its own */
};

/* The first line of a message from libpq. */
static void
first_line(const char *m, char *out, size_t n)
{
	snprintf(out, n, "%.*s", (int)strcspn(m, "\n"), m);
	if (out[0] == 0)
		snprintf(out, n, "no reason given");
}

/* The options whose value libpq takes from a list, and checks only at
 * connect (a typo there was exit 3, a server out of reach): the lists,
 * as libpq 11 to 15 take them, each word between blanks. */
static const char *const pg_enums[][2] = {
	{ "sslmode", " disable allow prefer require verify-ca verify-full " },
	{ "gssencmode", " disable prefer require " },
	{ "channel_binding", " disable prefer require " },
	{ "target_session_attrs", " any read-write read-only primary standby "
	    "prefer-standby " },
};

/* Why libpq would refuse option o's value at connect, in why, or 0. */
static int
pg_bad_value(const PQconninfoOption *o, char *why, size_t n)
{
	const char *list = NULL;
	char word[40];
	size_t k;

	if (o->val == NULL)
		return 0;
	if (strcmp(o->keyword, "port") == 0)
		return *o->val && (o->val[strspn(o->val, "0123456789,")] != 0 ||
		    strstr(o->val, ",,") || *o->val == ',') ?
		    snprintf(why, n, "invalid port number: \"%.40s\"",
		    o->val) : 0;
	for (k = 0; k < sizeof pg_enums / sizeof *pg_enums; k++)
		if (strcmp(o->keyword, pg_enums[k][0]) == 0)
			list = pg_enums[k][1];
	if (list == NULL || (strlen(o->val) + 3 <= sizeof word &&
	    strchr(o->val, ' ') == NULL && (snprintf(word, sizeof word,
	    " %s ", o->val), strstr(list, word) != NULL)))
		return 0;
	return snprintf(why, n, "invalid %s value: \"%.40s\" (one of:%.*s)",
	    o->keyword, o->val, (int)strlen(list) - 1, list);
}

/* Does the service target names (service=, else PGSERVICE) exist in
 * libpq's service file?  libpq looks it up only at connect, where its
 * absence looked like a server out of reach (exit 3).  A dry run finds
 * out, never touching the network: PQconnectStartParams resolves the
 * service first, then refuses an sslmode of no list before it connects.
 * 0, or -1 with libpq's reason (the service or its file not found, a
 * line of the file it cannot read) in err. */
static int
pg_service_check(const char *target, const char *service, char *err,
    size_t n)
{
	static const char *const key[] = { "dbname", "sslmode", "password",
	    NULL };
	/* a password, so that the dry run reads no ~/.pgpass (its
	 * warnings would be said twice) */
	const char *val[] = { target, "pm-dry-run", "x", NULL };
	PQconninfoOption *o, *p;
	PGconn *c;
	char why[300];
	int rc = -1;

	if ((service == NULL || *service == 0) &&
	    ((service = getenv("PGSERVICE")) == NULL || *service == 0))
		return 0;
	if ((c = PQconnectStartParams(key, val, 1)) == NULL) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	/* the options it took: the service was found */
	if ((o = PQconninfo(c)) != NULL)
		for (p = o; p->keyword; p++)
			if (strcmp(p->keyword, "sslmode") == 0 && p->val &&
			    strcmp(p->val, val[1]) == 0)
				rc = 0;
	if (rc == -1) {
		first_line(PQerrorMessage(c), why, sizeof why);
		db_redact_msg(target, why, err, n);
	}
	PQconninfoFree(o);
	PQfinish(c);
	return rc;
}

/* Can libpq take target (a URI or key=value string) at all?  0, or -1
 * with libpq's reason, its passwords masked, in err: a URL it cannot
 * parse, an option it does not know, a port that is not a number, a
 * value not of an option's list (sslmode=required), in the URL or in
 * the environment variable libpq reads when the URL has none (PGSSLMODE). */
int
db_pg_url_check(const char *target, char *err, size_t n)
{
	PQconninfoOption *o, *p, env;
	const char *service = NULL;
	char *m = NULL, why[300];
	size_t k;
	int rc = 0;

	if ((o = PQconninfoParse(target, &m)) == NULL) {
		k = m ? strcspn(m, "\n") : 0;
		snprintf(why, sizeof why, "%.*s", (int)k,
		    m ? m : "out of memory");
		db_redact_msg(target, why, err, n);
		PQfreemem(m);
		return -1;
	}
	for (p = o; p->keyword && rc == 0; p++) {
		if (strcmp(p->keyword, "service") == 0)
			service = p->val;
		/* what libpq takes from PGSSLMODE and the like */
		env = *p;
		if (env.val == NULL && env.envvar != NULL)
			env.val = getenv(env.envvar);
		if (pg_bad_value(&env, why, sizeof why) > 0) {
			if (p->val == NULL) {
				snprintf(err, n, "%s in the environment: %s",
				    env.envvar, why);
				rc = -1;
				break;
			}
			db_redact_msg(target, why, err, n);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = pg_service_check(target, service, err, n);
	PQconninfoFree(o);
	return rc;
}

/* A server message without the severity ("ERROR:  ") in front, without
 * the statement it quotes ("LINE 1: CREATE TABLE ..." and the line of
 * its caret: pm's own SQL, nothing a user can act on) and without the
 * passwords of the URL: libpq may quote it. */
static const char *
pg_clean(struct db *db, const char *m)
{
	char t[sizeof PG(db)->msg];
	const char *nl;
	size_t o = 0, len;

	if (strncmp(m, "FATAL:", 6) == 0 || strncmp(m, "ERROR:", 6) == 0)
		for (m += 6; *m == ' '; m++)
			;
	for (; *m; m += len) {
		nl = strchr(m, '\n');
		len = nl ? (size_t)(nl + 1 - m) : strlen(m);
		if (strncmp(m, "LINE ", 5) == 0 && m[5] >= '0' && m[5] <= '9') {
			if (nl != NULL && (nl = strchr(nl + 1, '\n')) != NULL &&
			    nl[-1] == '^')
				len = (size_t)(nl + 1 - m);
			continue;
		}
		if (len > sizeof t - 1 - o) {
			memcpy(t + o, m, sizeof t - 1 - o);
			o = sizeof t - 1;
			break;
		}
		memcpy(t + o, m, len);
		o += len;
	}
	t[o] = 0;
	db_redact_msg(PG(db)->url, t, PG(db)->msg, sizeof PG(db)->msg);
	return PG(db)->msg;
}

static const char *
pg_msg(struct db *db)
{
	return pg_clean(db, PQerrorMessage(H(db)));
}

/*
 * What pm reads back is what it stored only when the server sends float8
 * as the shortest text that reads back exact (extra_float_digits 1 or
 * more, the default) and bytea in the hex form.  A database, a role or a
 * server set for an old client (extra_float_digits = 0: 15 digits, -15:
 * one; bytea_output = 'escape') says otherwise: pg_open finds which, and
 * pm's connection says what it needs itself (fix) -- for the session
 * when connected directly (again after a reconnect), behind a pooler
 * with SET LOCAL in each transaction (and a statement outside one runs
 * in one of its own: pg_step).
 */
/* A lock waited for no longer than PM_DB_TIMEOUT (0: at once). */
static long
lock_ms(const struct db *db)
{
	return db->wait_ms > 0 ? db->wait_ms : 1;
}

static int
out_settings(struct db *db)
{
	struct pg_db *p = PG(db);
	PGresult *res;
	int rc = 0;

	if (p->fix[0] == 0)
		return 0;
	if (p->pooled) {
		if (p->begin.len == 0)
			buf_adds(&p->begin, "BEGIN");
		if (strstr(p->fix, "extra_float_digits"))
			buf_adds(&p->begin, ";SET LOCAL extra_float_digits = 1");
		if (strstr(p->fix, "bytea_output"))
			buf_adds(&p->begin, ";SET LOCAL bytea_output = 'hex'");
		if (strstr(p->fix, "lock_timeout"))
			buf_printf(&p->begin, ";SET LOCAL lock_timeout = %ld",
			    lock_ms(db));
		if (p->begin.data == NULL) {
			db_seterr(db, "out of memory");
			return -1;
		}
		return 0;
	}
	res = PQexec(H(db), p->fix);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_seterr(db, "%s", pg_msg(db));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* The server answered a statement: it is there. */
static void
answered(struct db *db)
{
	db->down = 0;
	PG(db)->lost_at = 0;
}

/* The connection lost under an export (pg_step_stream), for good. */
static int
lost_export(struct db *db, const char *cause)
{
	struct pg_db *p = PG(db);

	snprintf(p->lost, sizeof p->lost, "connection lost (%s): an export "
	    "cannot resume; run it again", cause);
	p->gone = db->down = 1;
	db_seterr(db, "%s", p->lost);
	return DB_ERR;
}

/*
 * The connection is lost: connect again, for up to wait_ms (a restart
 * takes a second or two), then give up for good.  DB_BUSY when it is back:
 * the transaction under way died with the old connection, run it again.
 * The time counts from the first loss that no answer has followed: a
 * pooler whose server is down takes the client back at once and loses
 * it again at its first statement, which is no connection re-established.
 */
static int
lost_again(struct db *db)
{
	struct pg_db *p = PG(db);
	char cause[200], why[200];
	long start, left, pause = 50;
	int first;

	if (PG(db)->gone) {
		db_seterr(db, "%s", PG(db)->lost);
		return DB_ERR;
	}
	first_line(pg_msg(db), cause, sizeof cause);
	PG(db)->pipe = 0;	/* the statements sent died with it */
	PG(db)->head = PG(db)->npend = 0;
	PG(db)->perr = DB_DONE;
	PG(db)->intx = 0;	/* and the transaction, its statements */
	PG(db)->ntxp = PG(db)->nftxp = 0;
	PG(db)->txn++;
	if (p->noresume)	/* no wait: nothing to do once back */
		return lost_export(db, cause);
	if ((first = p->lost_at == 0))
		p->lost_at = ts_mono_ms();
	for (start = p->lost_at; first || ts_mono_ms() - start < db->wait_ms;
	    first = 0) {
		PQreset(H(db));
		PQsetnonblocking(H(db), 0);
		if (PQpipelineStatus(H(db)) != PQ_PIPELINE_OFF)
			PQexitPipelineMode(H(db));
		if (PQstatus(H(db)) == CONNECTION_OK &&
		    (p->pooled || out_settings(db) == 0)) {
			db->gen++;
			db->down = 0;
			db_seterr(db, "connection lost (%s), then re-established",
			    cause);
			return DB_BUSY;
		}
		if ((left = db->wait_ms - (ts_mono_ms() - start)) <= 0)
			break;
		ts_sleep_ms(pause < left ? pause : left);
		if (pause < 1000)
			pause *= 2;
	}
	first_line(pg_msg(db), why, sizeof why);
	snprintf(PG(db)->lost, sizeof PG(db)->lost, "connection lost (%s) and not "
	    "re-established within %g s (PM_DB_TIMEOUT): %s", cause,
	    db->wait_ms / 1000.0, why);
	PG(db)->gone = db->down = 1;
	db_seterr(db, "%s", PG(db)->lost);
	return DB_ERR;
}

/* The connection lost: a COMMIT in flight is lost with it (it may have
 * been durable: a transaction stored again changes nothing). */
static int
pg_lost(struct db *db)
{
	int rc = lost_again(db);

	if (PG(db)->cwait) {
		PG(db)->cwait = 0;
		PG(db)->crc = rc;
	}
	return rc;
}

/* Classify a failed result: serialization failures, deadlocks and a lost
 * connection are worth a retry; a server out of disk, memory or in
 * trouble marks the database down; everything else is permanent. */
static int
pg_fail(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *m = res ? PQresultErrorMessage(res) : "";
	char why[300];

	if (PQstatus(H(db)) == CONNECTION_BAD)
		return pg_lost(db);
	if (PG(db)->pipe && *m)	/* the connection's message may be
				 * another statement's */
		db_seterr(db, "%s", pg_clean(db, m));
	else
		db_seterr(db, "%s", pg_msg(db));
	/* lock_timeout (pg_open): the lock was waited for PM_DB_TIMEOUT
	 * already; trying again would wait as long again, a dozen times a
	 * batch, then per record: the database is down for this run */
	if (state && strcmp(state, "55P03") == 0) {
		snprintf(why, sizeof why, "%s", db_errmsg(db));
		db->down = 1;
		db_seterr(db, "%s: held by another session for more than %g s "
		    "(PM_DB_TIMEOUT)", why, db->wait_ms / 1000.0);
		return DB_ERR;
	}
	/* a right refused (pm's schema has no row-level security: only a
	 * missing GRANT says this): every record would be refused alike,
	 * so the database is unusable to this role for the run */
	if (state && strcmp(state, "42501") == 0) {
		snprintf(why, sizeof why, "%s", db_errmsg(db));
		db->down = 1;
		db_seterr(db, "%s: the role lacks a right pm needs on it "
		    "(SQLSTATE 42501 insufficient_privilege)", why);
		return DB_ERR;
	}
	/* a pooler passes its server's end on, and keeps the client */
	if (PG(db)->noresume && state && (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P0", 4) == 0)) {
		first_line(db_errmsg(db), why, sizeof why);
		return lost_export(db, why);
	}
	if (state && (strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strncmp(state, "08", 2) == 0))
		return DB_BUSY;
	if (state && (strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "58", 2) == 0 || strncmp(state, "XX", 2) == 0))
		db->down = 1;
	return DB_ERR;
}

/*
 * Pipeline mode (db_send).  The server answers a pipelined statement only
 * when it has run it, and sends its answers on at a sync point: the
 * answers are read as they come (pipe_read(db, 0)), and all of them after
 * a sync (pg_settle).  Sending never blocks: what the socket does not
 * take waits in libpq's buffer, sent on by the next db_send or db_poll,
 * so the caller goes on reading while the server writes.
 */
static int
pipe_lost(struct db *db)
{
	return pg_lost(db);	/* clears the pipeline */
}

/* The answer of the COMMIT in flight: durable only if it says COMMIT (a
 * transaction that failed ends in ROLLBACK). */
static void
commit_answer(struct db *db, PGresult *res)
{
	struct pg_db *p = PG(db);

	p->cwait = 0;
	if (PQresultStatus(res) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(res), "COMMIT") == 0) {
		p->crc = DB_DONE;
		return;
	}
	if (p->perr == DB_DONE) {
		db_seterr(db, "the transaction was rolled back");
		p->perr = DB_ERR;
	}
	p->crc = p->perr;
}

/* One answer of the oldest statement pending. */
static void
pipe_result(struct db *db, PGresult *res)
{
	struct pending *p = &PG(db)->pend[PG(db)->head];
	const char *val[16];
	int st = PQresultStatus(res), r, c, nc;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		PG(db)->lost_at = 0;	/* the server is there */
	if (p->prep && st == PGRES_COMMAND_OK)
		(p->fly ? PG(db)->ftxp : PG(db)->txp)[p->prep - 1].made =
		    p->what == PD_PARSE;
	if (st == PGRES_TUPLES_OK && p->row) {
		nc = PQnfields(res) < 16 ? PQnfields(res) : 16;
		for (r = 0; r < PQntuples(res); r++) {
			for (c = 0; c < nc; c++)
				val[c] = PQgetisnull(res, r, c) ? NULL :
				    PQgetvalue(res, r, c);
			p->row(p->arg, nc, val);
		}
	} else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
	    PG(db)->perr == DB_DONE) {
		if (st == PGRES_PIPELINE_ABORTED) {
			db_seterr(db, "statement not run: the pipeline failed");
			PG(db)->perr = DB_ERR;
		} else
			PG(db)->perr = pg_fail(db, res);
	}
	if (p->what == PD_COMMIT)
		commit_answer(db, res);
}

/* The answers there are (block 0), or all of them (block 1: after a
 * sync).  DB_DONE, or the connection is lost. */
static int
pipe_read(struct db *db, int block)
{
	PGresult *res;

	while (PG(db)->npend > 0) {
		if (!block && (!PQconsumeInput(H(db)) || PQisBusy(H(db)))) {
			if (PQstatus(H(db)) == CONNECTION_BAD)
				return pipe_lost(db);
			return DB_DONE;
		}
		if ((res = PQgetResult(H(db))) == NULL) {
			if (PQstatus(H(db)) == CONNECTION_BAD)
				return pipe_lost(db);
			PG(db)->head++;
			PG(db)->npend--;
			continue;
		}
		pipe_result(db, res);
		PQclear(res);
		if (!PG(db)->pipe)	/* lost meanwhile */
			return PG(db)->perr == DB_DONE ? DB_ERR : PG(db)->perr;
	}
	PG(db)->head = 0;
	return DB_DONE;
}

/* Everything libpq holds for the server, sent; answers read meanwhile,
 * so neither side waits for the other. */
static int
pipe_flush(struct db *db)
{
	struct pollfd pfd;
	int r;

	while ((r = PQflush(H(db))) == 1) {
		pfd.fd = PQsocket(H(db));
		pfd.events = POLLIN | POLLOUT;
		if (poll(&pfd, 1, -1) == -1)
			continue;
		if ((pfd.revents & POLLIN) && !PQconsumeInput(H(db)))
			break;
	}
	if (r != 0 || PQstatus(H(db)) == CONNECTION_BAD)
		return PQstatus(H(db)) == CONNECTION_BAD ? pipe_lost(db) :
		    (db_seterr(db, "%s", pg_msg(db)), DB_ERR);
	return DB_DONE;
}

/* Out of pipeline mode, every answer read: DB_DONE, or the pipeline's
 * first error (the transaction is then lost). */
static int
pg_settle(struct db *db)
{
	PGresult *res;
	int rc, st, nul;

	if (!PG(db)->pipe)
		return DB_DONE;
	if (PQpipelineSync(H(db)) != 1) {
		if (PQstatus(H(db)) == CONNECTION_BAD)
			return pipe_lost(db);
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	if ((rc = pipe_flush(db)) != DB_DONE ||
	    (rc = pipe_read(db, 1)) != DB_DONE)
		return rc;
	/* up to the Sync's answer, which an error of no statement may come
	 * before: a statement_timeout that fired as the last statement
	 * ended is said when the server reads its next message, the Sync,
	 * and aborts the transaction.  Left unread, the Sync's answer kept
	 * the connection in pipeline mode, and every statement after it
	 * failed ("synchronous command execution functions are not allowed
	 * in pipeline mode"), each record of the run with it. */
	for (nul = 0; nul < 2 && PQstatus(H(db)) != CONNECTION_BAD;) {
		if ((res = PQgetResult(H(db))) == NULL) {
			nul++;
			continue;
		}
		nul = 0;
		if ((st = PQresultStatus(res)) == PGRES_FATAL_ERROR &&
		    PG(db)->perr == DB_DONE)
			PG(db)->perr = pg_fail(db, res);
		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC || !PG(db)->pipe)
			break;
	}
	if (PQstatus(H(db)) == CONNECTION_BAD)
		return pipe_lost(db);
	if (PQexitPipelineMode(H(db)) != 1) {
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	PQsetnonblocking(H(db), 0);
	PG(db)->pipe = 0;
	rc = PG(db)->perr;
	PG(db)->perr = DB_DONE;
	if (rc == DB_DONE)
		answered(db);
	return rc;
}

static int
pg_wait(struct db *db)
{
	return pg_settle(db);
}

static int
pg_poll(struct db *db)
{
	if (!PG(db)->pipe)
		return DB_DONE;
	if (PQflush(H(db)) == -1 || PQstatus(H(db)) == CONNECTION_BAD)
		return pipe_lost(db);
	return pipe_read(db, 0);
}

static int
pg_exec(struct db *db, const char *sql)
{
	PGresult *res;
	int st, rc = DB_DONE;

	if (PG(db)->gone)
		return pg_lost(db);
	if ((rc = pg_settle(db)) != DB_DONE)
		return rc;
	res = PQexec(H(db), sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(db, res);
	else
		answered(db);
	PQclear(res);
	return rc;
}

/*
 * Whether the names of the statements prepared in this transaction are
 * the server's (PgBouncer 1.18), or the pooler's own, which it renames
 * and prepares on each server connection itself (PgBouncer 1.21 and
 * later, max_prepared_statements): those are not ours to deallocate (the
 * server does not know their names), nor worth preparing again.  Asked
 * once per connection, in the first transaction that prepared one.
 */
static int
tx_names(struct db *db)
{
	struct pg_db *p = PG(db);
	const char *name = NULL;
	char sql[128];
	PGresult *res;
	size_t i;
	int rc = DB_DONE;

	for (i = 0; i < p->ntxp && name == NULL; i++)
		if (p->txp[i].made)
			name = p->txp[i].name;
	if (name == NULL)
		return DB_DONE;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_prepared_statements "
	    "WHERE name = '%s'", name);
	res = PQexec(H(db), sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(db, res);
	else
		p->txnames = atoi(PQgetvalue(res, 0, 0)) > 0 ? 1 : -1;
	PQclear(res);
	return rc;
}

/*
 * The end of a transaction in which statements were prepared (behind a
 * pooler): in one query string, so on the same server connection, each
 * deallocated before COMMIT (it is not undone if the commit fails) or
 * after ROLLBACK (a failed transaction takes nothing else).  The pipeline
 * is settled: each Parse that was answered is known.
 */
static int
tx_end(struct db *db, int which)
{
	struct pg_db *p = PG(db);
	struct buf b;
	size_t i;
	int rc;

	if ((rc = pg_settle(db)) != DB_DONE && which == DBTX_COMMIT)
		return rc;
	if (which == DBTX_COMMIT && p->txnames == 0 &&
	    (rc = tx_names(db)) != DB_DONE)
		return rc;
	buf_init(&b, 0);
	buf_adds(&b, which == DBTX_ROLLBACK ? "ROLLBACK" : "");
	for (i = 0; i < p->ntxp + p->nftxp && p->txnames >= 0; i++)
		if ((i < p->ntxp ? p->txp[i] : p->ftxp[i - p->ntxp]).made)
			buf_printf(&b, "%sDEALLOCATE %s", b.len ? ";" : "",
			    (i < p->ntxp ? p->txp[i] :
			    p->ftxp[i - p->ntxp]).name);
	buf_adds(&b, which == DBTX_COMMIT ? (b.len ? ";COMMIT" : "COMMIT") :
	    "");
	p->ntxp = p->nftxp = 0;
	p->intx = 0;
	if (b.data == NULL) {
		db_seterr(db, "out of memory");
		return DB_ERR;
	}
	rc = pg_exec(db, b.data);
	buf_release(&b);
	return rc;
}

/* Room for n more statements in the pipeline's list. */
static int
pipe_room(struct db *db, size_t n)
{
	struct pg_db *p = PG(db);
	struct pending *np;
	size_t cap;

	if (p->npend + p->head + n <= p->cap)
		return DB_DONE;
	cap = (p->cap + n) * 2 + 16;
	if ((np = realloc(p->pend, cap * sizeof *np)) == NULL) {
		db_seterr(db, "out of memory");
		return DB_ERR;
	}
	p->pend = np;
	p->cap = cap;
	return DB_DONE;
}

/* Pipeline mode on, sending without blocking. */
static int
pipe_on(struct db *db)
{
	if (PG(db)->pipe)
		return DB_DONE;
	if (PQenterPipelineMode(H(db)) != 1 || PQsetnonblocking(H(db), 1) != 0) {
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	PG(db)->pipe = 1;
	PG(db)->perr = DB_DONE;
	return DB_DONE;
}

/* sql, without parameters, into the pipeline (room made for it); its
 * answer is what (PD_*) of txname prep (+1, or 0). */
static int
pipe_query(struct db *db, const char *sql, int what, size_t prep)
{
	struct pg_db *p = PG(db);
	int rc;

	if ((rc = pipe_room(db, 1)) != DB_DONE)
		return rc;
	if (PQsendQueryParams(H(db), sql, 0, NULL, NULL, NULL, NULL, 0) != 1) {
		if (PQstatus(H(db)) == CONNECTION_BAD)
			return pipe_lost(db);
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	p->pend[p->head + p->npend++] = (struct pending){ NULL, NULL, prep,
	    what, 0 };
	return DB_DONE;
}

/*
 * BEGIN, and what every transaction needs (behind a pooler), into the
 * pipeline, behind the COMMIT in flight: one statement each (the
 * extended protocol takes one a query; our SQL has no ';' inside
 * literals).  No Sync between the two transactions: if the first fails,
 * the server skips this one up to the next Sync, so it cannot commit
 * before it; and a pooler cannot give it another server connection.
 */
static int
pipe_begin(struct db *db)
{
	struct pg_db *p = PG(db);
	const char *q = p->begin.len ? p->begin.data : "BEGIN";
	char one[1024];
	size_t n;
	int rc = DB_DONE;

	for (; *q && rc == DB_DONE; q += n + (q[n] == ';')) {
		n = strcspn(q, ";");
		if (n >= sizeof one) {
			db_seterr(db, "session SQL too long");
			return DB_ERR;
		}
		memcpy(one, q, n);
		one[n] = 0;
		rc = pipe_query(db, one, PD_STMT, 0);
	}
	if (rc != DB_DONE)
		return rc;
	p->intx = 1;
	p->txn++;
	return pg_poll(db);
}

/*
 * The transaction's end into the pipeline: its statements deallocated
 * (behind a pooler), COMMIT, and a Flush, so the server sends the answer
 * at once rather than at the next Sync.  Only one COMMIT in flight: the
 * caller reads its answer (db_committed) before sending the next.  When
 * the names prepared are not known yet to be the server's (the first
 * transaction behind a pooler), or nothing was pipelined, the COMMIT
 * waits, as db_commit's.
 */
static int pg_committed(struct db *);
static int pg_tx(struct db *, int);

static int
pg_commit_send(struct db *db)
{
	struct pg_db *p = PG(db);
	struct txname *t;
	char sql[64];
	size_t i, n;
	int rc = DB_DONE;

	if (p->cwait && (rc = pg_committed(db)) != DB_DONE)
		return rc;
	p->crc = DB_DONE;
	if (!p->pipe || p->gone || (p->ntxp > 0 && p->txnames == 0))
		return pg_tx(db, DBTX_COMMIT);
	for (i = 0; i < p->ntxp && rc == DB_DONE; i++) {
		snprintf(sql, sizeof sql, "DEALLOCATE %s", p->txp[i].name);
		rc = pipe_query(db, sql, PD_DEALLOC, i + 1);
	}
	if (rc != DB_DONE || (rc = pipe_query(db, "COMMIT", PD_COMMIT, 0)) !=
	    DB_DONE)
		return rc;
	if (PQsendFlushRequest(H(db)) != 1)
		return PQstatus(H(db)) == CONNECTION_BAD ? pipe_lost(db) :
		    (db_seterr(db, "%s", pg_msg(db)), DB_ERR);
	/* its names go in flight with it: the answers not read yet say
	 * so */
	for (i = 0; i < p->npend; i++)
		if (p->pend[p->head + i].prep)
			p->pend[p->head + i].fly = 1;
	t = p->ftxp;
	n = p->capftxp;
	p->ftxp = p->txp;
	p->nftxp = p->ntxp;
	p->capftxp = p->captxp;
	p->txp = t;
	p->captxp = n;
	p->ntxp = 0;
	p->intx = 0;
	p->cwait = 1;
	return pg_poll(db);
}

/* The answer of the COMMIT in flight, waited for; DB_DONE when there is
 * none.  A transaction that failed leaves its statements prepared (its
 * DEALLOCATEs did not run): the next db_rollback deallocates them. */
static int
pg_committed(struct db *db)
{
	struct pg_db *p = PG(db);
	struct pollfd pfd;
	int rc, fl;

	while (p->cwait) {
		if ((fl = PQflush(H(db))) == -1)
			rc = pipe_lost(db);
		else
			rc = pipe_read(db, 0);
		if (rc != DB_DONE && p->cwait) {	/* cannot be */
			p->cwait = 0;
			p->crc = rc;
		}
		if (!p->cwait)
			break;
		pfd.fd = PQsocket(H(db));
		pfd.events = POLLIN | (fl == 1 ? POLLOUT : 0);
		(void)poll(&pfd, 1, -1);
	}
	if ((rc = p->crc) == DB_DONE)
		p->nftxp = 0;	/* deallocated */
	p->crc = DB_DONE;	/* told once */
	/* no transaction begun behind it: a Sync, so that a pooler takes
	 * its server connection back while pm-store waits for input.  The
	 * transaction is durable: an error the Sync meets is none of its
	 * (a statement_timeout that fired as the COMMIT ended is said when
	 * the server reads the Sync; a connection lost is re-established,
	 * or gone for the next statement to say).  Taken for its, the
	 * batch was stored again record by record (each "unchanged"), or
	 * failed record by record though stored. */
	if (rc == DB_DONE && !p->intx)
		(void)pg_settle(db);
	return rc;
}

static int
pg_tx(struct db *db, int which)
{
	static const char *const sql[] = {
		[DBTX_BEGIN] = "BEGIN",
		[DBTX_COMMIT] = "COMMIT",
		[DBTX_ROLLBACK] = "ROLLBACK",
	};

	int rc;

	/* a rollback drops what the pipeline did, and its error */
	if (which == DBTX_ROLLBACK && PG(db)->pipe && pg_settle(db) != DB_DONE &&
	    PQstatus(H(db)) != CONNECTION_OK)
		return DB_ERR;
	if (which == DBTX_BEGIN && PG(db)->pipe)
		return pipe_begin(db);
	if (which == DBTX_BEGIN) {
		rc = pg_exec(db, PG(db)->begin.len ? PG(db)->begin.data :
		    sql[which]);
		if (rc == DB_DONE) {
			PG(db)->intx = 1;
			PG(db)->txn++;
		}
		return rc;
	}
	if (PG(db)->ntxp + PG(db)->nftxp > 0)
		return tx_end(db, which);
	PG(db)->intx = 0;
	return pg_exec(db, sql[which]);
}

/*
 * SQL every transaction needs.  Directly connected: run once.  Behind a
 * pooler: made transaction-scoped (SET becomes SET
 * LOCAL, ON COMMIT DELETE ROWS becomes ON COMMIT DROP), tried once in a
 * transaction rolled back (a setting the server refuses is refused here,
 * not at every BEGIN), then sent with each BEGIN.
 */
static int
pg_session(struct db *db, const char *sql)
{
	struct buf *b = &PG(db)->begin, try;
	const char *drop = strstr(sql, "ON COMMIT DELETE ROWS");
	int rc;

	if (!PG(db)->pooled)
		return pg_exec(db, sql);
	buf_init(&try, 0);
	buf_adds(&try, "BEGIN;");
	if (strncmp(sql, "SET ", 4) == 0 && strncmp(sql, "SET LOCAL ", 10))
		buf_printf(&try, "SET LOCAL %s", sql + 4);
	else if (drop)
		buf_printf(&try, "%.*sON COMMIT DROP%s", (int)(drop - sql), sql,
		    drop + 21);
	else
		buf_adds(&try, sql);
	if (try.data == NULL || (rc = pg_exec(db, try.data)) == DB_DONE) {
		if (b->len == 0)
			buf_adds(b, "BEGIN");
		if (try.data == NULL || (strstr(b->data, try.data + 5) == NULL &&
		    buf_printf(b, ";%s", try.data + 6) == -1))
			rc = DB_ERR;
	}
	(void)pg_exec(db, "ROLLBACK");
	buf_release(&try);
	return rc;
}

/* ?N becomes $N; our SQL has no '?' inside literals. */
static char *
pg_sql(const char *sql, int *nparam)
{
	char *s = strdup(sql), *p;
	long n;

	*nparam = 0;
	if (s == NULL)
		return NULL;
	for (p = s; (p = strchr(p, '?')) != NULL; p++) {
		*p = '$';
		n = strtol(p + 1, NULL, 10);
		if (n > *nparam)
			*nparam = (int)n;
	}
	return s;
}

static struct db_stmt *
pg_prepare(struct db *db, const char *sql)
{
	struct pg_stmt *s;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->sql = pg_sql(sql, &s->nparam)) == NULL) {
		free(s);
		db_seterr(db, "out of memory");
		return NULL;
	}
	if (s->nparam > PG_MAXPARAM) {
		db_seterr(db, "too many parameters");
		free(s->sql);
		free(s);
		return NULL;
	}
	s->base.db = db;
	if (!PG(db)->pooled)
		snprintf(s->name, sizeof s->name, "pm%u", ++stmt_seq);
	return &s->base;
}

static void
pg_clearvals(struct pg_stmt *s)
{
	int i;

	for (i = 0; i < s->nparam; i++) {
		free(s->val[i]);
		s->val[i] = NULL;
		s->bin[i] = NULL;
	}
}

/* The rest of a streamed answer read and dropped, and the transaction
 * of its own ended: the connection free for the next statement. */
static int
pg_stream_end(struct pg_stmt *s, int ok)
{
	struct db *db = s->base.db;
	PGresult *res;
	int own = s->streaming == 2;

	s->streaming = 0;
	while ((res = PQgetResult(H(db))) != NULL)
		PQclear(res);
	if (own && PQtransactionStatus(H(db)) != PQTRANS_IDLE) {
		if (ok)
			return pg_exec(db, "COMMIT");
		PQclear(PQexec(H(db), "ROLLBACK"));
	}
	return DB_DONE;
}

static void
pg_reset(struct db_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
	if (s->streaming)
		(void)pg_stream_end(s, 0);
}

static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	struct db *db = st->db;
	char sql[64];

	pg_reset(st);
	pg_clearvals(s);
	if (PG(db)->pipe)
		(void)pg_settle(db);
	if (s->gen == db->gen + 1 && PQstatus(H(db)) == CONNECTION_OK &&
	    PQtransactionStatus(H(db)) == PQTRANS_IDLE) {
		snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
		PQclear(PQexec(H(db), sql));
	}
	free(s->sql);
	free(s);
}

static int
pg_bind(struct db_stmt *st, int i, int type, const char *p, size_t n,
    int64_t iv, double dv)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	char num[40];

	if (i < 1 || i > s->nparam) {
		db_seterr(st->db, "parameter %d out of range", i);
		return -1;
	}
	free(s->val[i - 1]);
	s->val[i - 1] = NULL;
	s->bin[i - 1] = NULL;
	switch (type) {
	case DBV_ARRAY:	/* borrowed, binary */
		if (n > 0x7fffffff) {
			db_seterr(st->db, "parameter %d too large", i);
			return -1;
		}
		s->bin[i - 1] = p;
		s->binlen[i - 1] = (int)n;
		return 0;
	case DBV_TEXT:
		if (memchr(p, 0, n)) {
			db_seterr(st->db, "text with a NUL byte");
			return -1;
		}
		s->val[i - 1] = strndup(p, n);
		break;
	case DBV_BLOB:	/* bytea's hex input form */
		if ((s->val[i - 1] = malloc(2 * n + 3)) != NULL)
			db_hex_bytea(s->val[i - 1], p, n);
		break;
	case DBV_INT:
		snprintf(num, sizeof num, "%" PRId64, iv);
		s->val[i - 1] = strdup(num);
		break;
	case DBV_DOUBLE:
		snprintf(num, sizeof num, "%.17g", dv);
		s->val[i - 1] = strdup(num);
		break;
	default:
		return 0;
	}
	if (s->val[i - 1] == NULL) {
		db_seterr(st->db, "out of memory");
		return -1;
	}
	return 0;
}

/* A named statement is prepared on first use on each connection. */
static int
pg_ensure(struct pg_stmt *s)
{
	struct db *db = s->base.db;
	PGresult *res;
	int rc = DB_DONE;

	if (PG(db)->gone)
		return pg_lost(db);
	if ((rc = pg_settle(db)) != DB_DONE)
		return rc;
	if (s->name[0] == 0 || s->gen == db->gen + 1)
		return DB_DONE;
	res = PQprepare(H(db), s->name, s->sql, s->nparam, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(db, res);
	else
		s->gen = db->gen + 1;
	PQclear(res);
	return rc;
}

/* The statement prepared, and behind a pooler, where the SET LOCALs of
 * out_settings need a transaction, outside one: a transaction of its
 * own begun (*own). */
static int
pg_start(struct pg_stmt *s, int *own)
{
	struct db *db = s->base.db;
	int rc;

	*own = 0;
	if ((rc = pg_ensure(s)) != DB_DONE)
		return rc;
	*own = PG(db)->pooled && PG(db)->fix[0] &&
	    PQtransactionStatus(H(db)) == PQTRANS_IDLE;
	if (*own && (rc = pg_exec(db, PG(db)->begin.data)) != DB_DONE)
		*own = 0;
	return rc;
}

/*
 * A step of a streamed statement (db_stream): sent once, in single-row
 * mode, then each step one row of the answer, so an export of a table of
 * any size holds one row, not the table (PQexecParams keeps the whole
 * answer until it is cleared).
 */
static int
pg_stream_step(struct pg_stmt *s)
{
	struct db *db = s->base.db;
	int rc, ok, own;

	if (!s->streaming && s->res == NULL) {
		if ((rc = pg_start(s, &own)) != DB_DONE)
			return rc;
		ok = s->name[0] ? PQsendQueryPrepared(H(db), s->name,
		    s->nparam, (const char *const *)s->val, NULL, NULL, 0) :
		    PQsendQueryParams(H(db), s->sql, s->nparam, NULL,
		    (const char *const *)s->val, NULL, NULL, 0);
		if (ok != 1) {
			db_seterr(db, "%s", pg_msg(db));
			if (own)
				PQclear(PQexec(H(db), "ROLLBACK"));
			return PQstatus(H(db)) == CONNECTION_BAD ?
			    pg_lost(db) : DB_ERR;
		}
		(void)PQsetSingleRowMode(H(db));
		s->streaming = own ? 2 : 1;
	}
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
	if (!s->streaming)
		return DB_DONE;
	s->res = PQgetResult(H(db));
	switch (PQresultStatus(s->res)) {
	case PGRES_SINGLE_TUPLE:
		s->nrows = 1;
		answered(db);
		return DB_ROW;
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		PQclear(s->res);
		s->res = NULL;
		answered(db);
		return pg_stream_end(s, 1);
	default:
		rc = pg_fail(db, s->res);
		PQclear(s->res);
		s->res = NULL;
		(void)pg_stream_end(s, 0);
		return rc;
	}
}

/* A connection lost under it is not made again: the rows out already
 * cannot be taken back, nor the rest sent after them. */
static int
pg_step_stream(struct pg_stmt *s)
{
	struct pg_db *p = PG(s->base.db);
	int rc;

	p->noresume = 1;
	rc = pg_stream_step(s);
	p->noresume = 0;
	return rc;
}

static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	struct db *db = st->db;
	int rc, status, own;

	if (st->stream)
		return pg_step_stream(s);
	if (s->res == NULL) {
		if ((rc = pg_start(s, &own)) != DB_DONE)
			return rc;
		s->res = s->name[0] ? PQexecPrepared(H(db), s->name, s->nparam,
		    (const char *const *)s->val, NULL, NULL, 0) :
		    PQexecParams(H(db), s->sql, s->nparam, NULL,
		    (const char *const *)s->val, NULL, NULL, 0);
		status = PQresultStatus(s->res);
		if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
			rc = pg_fail(db, s->res);
			pg_reset(st);
			if (own && PQtransactionStatus(H(db)) != PQTRANS_IDLE)
				PQclear(PQexec(H(db), "ROLLBACK"));
			return rc;
		}
		if (own && (rc = pg_exec(db, "COMMIT")) != DB_DONE) {
			pg_reset(st);
			return rc;
		}
		s->nrows = PQntuples(s->res);
		s->changes = atoi(PQcmdTuples(s->res));
		s->row = -1;
		answered(db);
	}
	if (++s->row < s->nrows)
		return DB_ROW;
	pg_reset(st);
	return DB_DONE;
}

static int
pg_col_null(struct db_stmt *st, int i)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	return PQgetisnull(s->res, s->row, i);
}

static const char *
pg_col_text(struct db_stmt *st, int i, size_t *n)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (PQgetisnull(s->res, s->row, i)) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = (size_t)PQgetlength(s->res, s->row, i);
	return PQgetvalue(s->res, s->row, i);
}

static int64_t
pg_col_int(struct db_stmt *st, int i)
{
	const char *p = pg_col_text(st, i, NULL);

	return p ? strtoll(p, NULL, 10) : 0;
}

static int
pg_changes(struct db_stmt *st)
{
	return ((struct pg_stmt *)st)->changes;
}

static void
pg_close(struct db *db)
{
	PQfinish(H(db));
	free(PG(db)->pend);
	free(PG(db)->txp);
	free(PG(db)->ftxp);
	free(PG(db)->url);
	buf_release(&PG(db)->begin);
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;	/* NOTICEs ("relation exists, skipping") are noise */
}

static int
pg_open(struct db *db, const char *url, int flags)
{
	/* pm's text is UTF-8: not the client_encoding a database, a role,
	 * the URL or PGCLIENTENCODING may give, which would take each byte
	 * for a character of its own (LATIN1) and store mojibake */
	static const char *const key[] = { "dbname", "client_encoding", NULL };
	const char *val[] = { url, "UTF8", NULL };
	PGresult *res;

	/* an encrypted sslkey without sslpassword: no pass phrase asked on
	 * the terminal (OpenSSL's prompt, which libpq leaves it when no
	 * hook is set: a stray line on standard error from cron, a wait by
	 * hand), but the key not read, and libpq says which */
	PQsetSSLKeyPassHook_OpenSSL(PQdefaultSSLKeyPassHook_OpenSSL);
	/* the URL as is (expanded), then the encoding: PGHOST, PGUSER,
	 * PGPASSWORD, PGSSLMODE... fill in whatever they leave out. */
	if ((PG(db)->url = strdup(url)) == NULL ||
	    (H(db) = PQconnectdbParams(key, val, 1)) == NULL) {
		db_seterr(db, "out of memory");
		return -1;
	}
	if (PQstatus(H(db)) == CONNECTION_OK && (flags & DB_TLS) &&
	    !PQsslInUse(H(db))) {
		db_seterr(db, "the connection is not encrypted (TLS), as "
		    "production needs (a unix socket never is)");
		return -1;
	}
	if (PQstatus(H(db)) != CONNECTION_OK) {
		db_seterr(db, "%s", pg_msg(db));
		return -1;
	}
	PQsetNoticeProcessor(H(db), quiet, NULL);
	if ((res = PQexec(H(db), "SELECT pg_backend_pid(), "
	    "current_setting('extra_float_digits')::int < 1, "
	    "current_setting('bytea_output') <> 'hex'")) == NULL ||
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_seterr(db, "%s", pg_msg(db));
		PQclear(res);
		return -1;
	}
	PG(db)->pooled = atoi(PQgetvalue(res, 0, 0)) != PQbackendPID(H(db));
	snprintf(PG(db)->fix, sizeof PG(db)->fix, "%s%s",
	    *PQgetvalue(res, 0, 1) == 't' ? "SET extra_float_digits = 1;" : "",
	    *PQgetvalue(res, 0, 2) == 't' ? "SET bytea_output = 'hex';" : "");
	PQclear(res);
	/* a writer waits for a row or table lock (a session left idle in
	 * its transaction, a long prune), and a reader for a table lock (an
	 * ALTER TABLE, a VACUUM FULL), no longer than PM_DB_TIMEOUT, as on
	 * SQLite: then it says so and stops (pg_fail), instead of a flow or
	 * a --status check that never ends.  Through a pooler too: SET
	 * LOCAL in each transaction (out_settings), never for a server
	 * connection other clients get. */
	snprintf(PG(db)->fix + strlen(PG(db)->fix), sizeof PG(db)->fix -
	    strlen(PG(db)->fix), "SET lock_timeout = %ld;", lock_ms(db));
	return out_settings(db);
}

static int
pg_alive(const struct db *db)
{
	return PQstatus(H(db)) == CONNECTION_OK;
}

static int
pg_copy_begin(struct db *db, const char *sql)
{
	PGresult *res;
	int rc = DB_DONE;

	if (PG(db)->gone)
		return pg_lost(db);
	if ((rc = pg_settle(db)) != DB_DONE)
		return rc;
	res = PQexec(H(db), sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = pg_fail(db, res);
	PQclear(res);
	return rc;
}

static int
pg_copy_put(struct db *db, const char *p, size_t n)
{
	if (n > 0x7fffffff || PQputCopyData(H(db), p, (int)n) != 1) {
		if (PQstatus(H(db)) == CONNECTION_BAD)
			return pg_lost(db);
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	return DB_DONE;
}

static int
pg_copy_end(struct db *db)
{
	PGresult *res;
	int rc = DB_DONE;

	if (PQputCopyEnd(H(db), NULL) != 1) {
		if (PQstatus(H(db)) == CONNECTION_BAD)
			return pg_lost(db);
		db_seterr(db, "%s", pg_msg(db));
		rc = DB_ERR;
	}
	/* Drain every result, so the connection is ready again. */
	while ((res = PQgetResult(H(db))) != NULL) {
		if (rc == DB_DONE && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_fail(db, res);
		PQclear(res);
		if (PG(db)->gone || PQstatus(H(db)) == CONNECTION_BAD)
			break;
	}
	return rc;
}

/*
 * Behind a pooler, statement s prepared for the transaction under way, if
 * it is not yet: its Parse into the pipeline (the answer read with the
 * others), its name kept for the transaction's end.  The name is the
 * process's own, so that two clients on one server connection cannot
 * take each other's, and the transaction's own.  The pipeline is on,
 * with room for one more.
 */
static int
tx_prepare(struct pg_stmt *s)
{
	struct db *db = s->base.db;
	struct pg_db *p = PG(db);
	struct txname *nt;

	if (s->txn == p->txn + 1)
		return DB_DONE;
	if (p->ntxp == p->captxp) {
		if ((nt = realloc(p->txp, (p->captxp * 2 + 8) *
		    sizeof *nt)) == NULL) {
			db_seterr(db, "out of memory");
			return DB_ERR;
		}
		p->txp = nt;
		p->captxp = p->captxp * 2 + 8;
	}
	/* a name of its own in each transaction: a DEALLOCATE that did not
	 * run (a statement_timeout cancelled it, in the round trip that ends
	 * the transaction) leaves its name on a server connection the pooler
	 * gives to the next transaction, and the same name prepared there
	 * again failed with "already exists", each batch and each record */
	snprintf(s->tname, sizeof s->tname, "pm%ld_%u", (long)getpid(),
	    ++stmt_seq);
	/* planned once for the transaction, not at each of its first five
	 * executions (a pipelined statement's rows come in arrays: the
	 * plan does not depend on them) */
	if (p->ntxp == 0 && PQserverVersion(H(db)) >= 120000) {
		if (PQsendQueryParams(H(db), "SET LOCAL plan_cache_mode = "
		    "force_generic_plan", 0, NULL, NULL, NULL, NULL, 0) != 1)
			goto fail;
		p->pend[p->head + p->npend++] = (struct pending){ NULL, NULL, 0,
		    PD_STMT, 0 };
	}
	if (PQsendPrepare(H(db), s->tname, s->sql, s->nparam, NULL) != 1) {
fail:
		if (PQstatus(H(db)) == CONNECTION_BAD)
			return pipe_lost(db);
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	snprintf(p->txp[p->ntxp].name, sizeof p->txp[p->ntxp].name, "%s",
	    s->tname);
	p->txp[p->ntxp].made = 0;
	p->pend[p->head + p->npend++] = (struct pending){ NULL, NULL,
	    ++p->ntxp, PD_PARSE, 0 };
	s->txn = p->txn + 1;
	return DB_DONE;
}

/* A statement into the pipeline (db_send): array parameters binary, the
 * others text; a named statement is prepared first, once per connection
 * (the pipeline settled: a rare wait). */
static int
pg_send(struct db_stmt *st, db_row_fn row, void *arg)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	struct db *db = st->db;
	struct pg_db *p = PG(db);
	const char *val[PG_MAXPARAM];
	int len[PG_MAXPARAM], fmt[PG_MAXPARAM], i, ok, rc;

	if (s->name[0] && s->gen != db->gen + 1 &&
	    (rc = pg_ensure(s)) != DB_DONE)
		return rc;
	if (p->gone)
		return pg_lost(db);
	/* SET, Parse, statement */
	if ((rc = pipe_room(db, 3)) != DB_DONE || (rc = pipe_on(db)) != DB_DONE)
		return rc;
	if (p->pooled && p->intx && p->txnames >= 0 &&
	    (rc = tx_prepare(s)) != DB_DONE)
		return rc;
	for (i = 0; i < s->nparam; i++) {
		val[i] = s->bin[i] ? s->bin[i] : s->val[i];
		len[i] = s->bin[i] ? s->binlen[i] : 0;
		fmt[i] = s->bin[i] != NULL;
	}
	if (s->name[0] || (p->intx && s->txn == p->txn + 1))
		ok = PQsendQueryPrepared(H(db), s->name[0] ? s->name : s->tname,
		    s->nparam, val, len, fmt, 0);
	else
		ok = PQsendQueryParams(H(db), s->sql, s->nparam, NULL, val, len,
		    fmt, 0);
	pg_clearvals(s);
	if (ok != 1) {
		if (PQstatus(H(db)) == CONNECTION_BAD)
			return pipe_lost(db);
		db_seterr(db, "%s", pg_msg(db));
		return DB_ERR;
	}
	p->pend[p->head + p->npend++] = (struct pending){ row, arg, 0,
	    PD_STMT, 0 };
	return pg_poll(db);
}

const struct db_ops db_pg_ops = {
	.engine = DB_PG, .size = sizeof(struct pg_db), .open = pg_open,
	.alive = pg_alive, .exec = pg_exec, .tx = pg_tx,
	.session = pg_session, .prepare = pg_prepare,
	.finalize = pg_finalize, .bind = pg_bind, .step = pg_step,
	.reset = pg_reset, .col_null = pg_col_null, .col_text = pg_col_text,
	.col_int = pg_col_int, .changes = pg_changes,
	.copy_begin = pg_copy_begin, .copy_put = pg_copy_put,
	.copy_end = pg_copy_end, .close = pg_close, .send = pg_send,
	.poll = pg_poll, .wait = pg_wait, .commit_send = pg_commit_send,
	.committed = pg_committed,
};
