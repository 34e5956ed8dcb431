/*
 * db_sqlite.c - the SQLite engine behind db.h: WAL, a busy timeout, the
 * writer lock taken at BEGIN so two writers queue instead of deadlocking.
 *
 * The busy timeout (PM_DB_TIMEOUT) bounds the whole wait for another
 * writer, not each try: the callers run a transaction that met a lock
 * again a dozen times, and a lock that outlasted one timeout would
 * otherwise cost a dozen more, per record.  Once the wait has run out,
 * the lock is DB_ERR and the database is down (db_alive() false) until
 * a statement succeeds.  A full disk, an I/O error or a damaged file
 * marks it down as well: the caller stops instead of trying each record.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db_impl.h"
#include "outfile.h"
#include "timefmt.h"
#include "workq.h"

struct sq_db {
	struct db	 base;
	sqlite3		*h;
	long		 wait_since;	/* ts_mono_ms() of the first busy answer
					 * since the last success; 0: none */
	int		 gave_up;	/* the lock wait ran out */
	sqlite3_stmt	*tx[3];		/* the DBTX_* statements, prepared
					 * once; owned */
	struct workq	*ckpt;		/* the checkpointing thread, once
					 * the WAL grew (sq_wal_hook) */
};

#define SQ(db) ((struct sq_db *)(db))
#define H(db) (SQ(db)->h)

struct sq_stmt {
	struct db_stmt	 base;
	sqlite3_stmt	*st;
	int		 changes;
	int		 inserted;	/* the last step's insert made a rowid */
};

/* SQLite's own busy handler, but the wait is counted from the first busy
 * answer since the last success, across retries (see the top). */
static int
sq_busy(void *arg, int count)
{
	static const int delays[] = { 1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
	    50, 100 };
	struct sq_db *db = arg;
	long now = ts_mono_ms(), left;
	int ms;

	if (db->wait_since == 0)
		db->wait_since = now ? now : 1;
	left = db->base.wait_ms - (now - db->wait_since);
	if (left <= 0) {
		db->gave_up = 1;
		return 0;
	}
	ms = delays[count < 11 ? count : 11];
	if (ms > left)
		ms = (int)left;
	ts_sleep_ms(ms);
	return 1;
}

/* A statement went through: whatever held the database up is over. */
static void
sq_ok(struct db *db)
{
	SQ(db)->wait_since = 0;
	SQ(db)->gave_up = 0;
	db->down = 0;
}

static int
sq_rc(struct db *db, int rc)
{
	sqlite3 *h = H(db);
	int e;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		if (!SQ(db)->gave_up)
			break;
		db->down = 1;
		db_seterr(db, "%s: held by another process for more than "
		    "%g s (PM_DB_TIMEOUT)", sqlite3_errmsg(h),
		    db->wait_ms / 1000.0);
		return DB_ERR;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_NOMEM:
	case SQLITE_PROTOCOL:
	case SQLITE_PERM:
	case SQLITE_NOLFS:
		db->down = 1;
		if ((e = sqlite3_system_errno(h)) != 0) {
			db_seterr(db, "%s (%s)", sqlite3_errmsg(h), strerror(e));
			return DB_ERR;
		}
		break;
	}
	db_seterr(db, "%s", sqlite3_errmsg(h));
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ?
	    DB_BUSY : DB_ERR;
}

static int
sq_exec(struct db *db, const char *sql)
{
	int rc = sq_rc(db, sqlite3_exec(H(db), sql, NULL, NULL, NULL));

	if (rc == DB_DONE)
		sq_ok(db);
	return rc;
}

/*
 * The transaction statements, run once per batch: prepared once, not
 * parsed again each time as sqlite3_exec() would.  BEGIN IMMEDIATE takes
 * the writer lock at once, so two writers queue instead of deadlocking.
 */
static int
sq_tx(struct db *db, int which)
{
	static const char *const sql[] = {
		[DBTX_BEGIN] = "BEGIN IMMEDIATE",
		[DBTX_COMMIT] = "COMMIT",
		[DBTX_ROLLBACK] = "ROLLBACK",
	};
	sqlite3_stmt **st = &SQ(db)->tx[which];
	int rc;

	if (*st == NULL && (rc = sqlite3_prepare_v3(H(db), sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, st, NULL)) != SQLITE_OK)
		rc = sq_rc(db, rc);
	else {
		rc = sq_rc(db, sqlite3_step(*st));
		sqlite3_reset(*st);
	}
	if (rc == DB_DONE && which != DBTX_ROLLBACK)	/* says nothing */
		sq_ok(db);
	return rc;
}

/* sqlite wants ?NNN; that is what callers write already. */
static struct db_stmt *
sq_prepare(struct db *db, const char *sql)
{
	struct sq_stmt *s;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		db_seterr(db, "out of memory");
		return NULL;
	}
	s->base.db = db;
	if (sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->st, NULL) != SQLITE_OK) {
		db_seterr(db, "%s", sqlite3_errmsg(H(db)));
		free(s);
		return NULL;
	}
	return &s->base;
}

static void
sq_finalize(struct db_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	sqlite3_finalize(s->st);
	free(s);
}

static int
sq_bind(struct db_stmt *st, int i, int type, const char *p, size_t n,
    int64_t iv, double dv)
{
	struct sq_stmt *s = (struct sq_stmt *)st;
	int rc;

	switch (type) {
	case DBV_TEXT:
		rc = n > INT_MAX ? SQLITE_TOOBIG :
		    sqlite3_bind_text(s->st, i, p, (int)n, SQLITE_STATIC);
		break;
	case DBV_BLOB:
		rc = n > INT_MAX ? SQLITE_TOOBIG :
		    sqlite3_bind_blob(s->st, i, p, (int)n, SQLITE_STATIC);
		break;
	case DBV_INT:
		rc = sqlite3_bind_int64(s->st, i, iv);
		break;
	case DBV_DOUBLE:
		rc = sqlite3_bind_double(s->st, i, dv);
		break;
	default:
		rc = sqlite3_bind_null(s->st, i);
	}
	return sq_rc(st->db, rc) == DB_DONE ? 0 : -1;
}

static int
sq_step(struct db_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;
	int rc;

	/* an insert sets the rowid (never this one: SQLite makes new
	 * rowids from the largest, or at random among positive ones); an
	 * upsert that updates leaves it, and so does any other statement */
	sqlite3_set_last_insert_rowid(H(st->db), INT64_MIN);
	rc = sq_rc(st->db, sqlite3_step(s->st));
	if (rc == DB_DONE) {
		s->changes = sqlite3_changes(H(st->db));
		s->inserted = sqlite3_last_insert_rowid(H(st->db)) != INT64_MIN;
	}
	if (rc == DB_DONE || rc == DB_ROW)
		sq_ok(st->db);
	if (rc != DB_ROW)
		sqlite3_reset(s->st);
	return rc;
}

static int
sq_inserted(struct db_stmt *st)
{
	return ((struct sq_stmt *)st)->inserted;
}

static void
sq_reset(struct db_stmt *st)
{
	sqlite3_reset(((struct sq_stmt *)st)->st);
}

static int
sq_col_null(struct db_stmt *st, int i)
{
	return sqlite3_column_type(((struct sq_stmt *)st)->st, i) == SQLITE_NULL;
}

static const char *
sq_col_text(struct db_stmt *st, int i, size_t *n)
{
	sqlite3_stmt *s = ((struct sq_stmt *)st)->st;
	const char *p = (const char *)sqlite3_column_text(s, i);

	if (n)
		*n = p ? (size_t)sqlite3_column_bytes(s, i) : 0;
	return p;
}

static double
sq_col_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(((struct sq_stmt *)st)->st, i);
}

static int64_t
sq_col_int(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(((struct sq_stmt *)st)->st, i);
}

static int
sq_changes(struct db_stmt *st)
{
	return ((struct sq_stmt *)st)->changes;
}

/*
 * Checkpoints in a thread of their own, on a connection of their own:
 * copying the WAL back into the database and the fsyncs that go with it
 * (3 s of waiting for 100k markets replayed) happen while the writer goes
 * on, not inside its commits and its close.  A PASSIVE checkpoint takes
 * no lock a writer needs.  The writer's commit wakes the thread once the
 * WAL holds CKPT_FRAMES; if the WAL still outgrows CKPT_INLINE (the
 * thread behind, or not started) the writer checkpoints itself, as
 * SQLite's autocheckpoint did.  Its last close checkpoints what is left.
 */
#define CKPT_FRAMES	256
#define CKPT_INLINE	16384

/* The thread's state (workq.h): a connection of its own to the file of
 * the writer's connection (arg); NULL when it cannot be opened. */
static void *
ckpt_open(void *arg)
{
	const char *path = sqlite3_db_filename(arg, "main");
	sqlite3 *h = NULL;

	if (path && *path && sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE,
	    NULL) == SQLITE_OK && sqlite3_exec(h, "PRAGMA synchronous=NORMAL",
	    NULL, NULL, NULL) == SQLITE_OK)
		return h;
	sqlite3_close(h);
	return NULL;
}

static void
ckpt_close(void *h)
{
	sqlite3_close(h);
}

static void
ckpt_run(void *h, void *item)
{
	(void)item;
	(void)sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
}

/* After each commit (SQLite's WAL hook): a checkpoint for the thread
 * (one running and one to come at most), or one here when the WAL is
 * far too long. */
static int
sq_wal_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
	struct sq_db *d = arg;

	if (frames >= CKPT_INLINE) {
		(void)sqlite3_wal_checkpoint(h, name);
		return SQLITE_OK;
	}
	if (frames < CKPT_FRAMES)
		return SQLITE_OK;
	if (d->ckpt == NULL && (d->ckpt = workq_new(1, ckpt_open, ckpt_close,
	    ckpt_run, h)) == NULL)
		return SQLITE_OK;	/* the inline checkpoint will do */
	while (workq_next(d->ckpt, 0) != NULL)
		;	/* checkpoints done */
	if (workq_pending(d->ckpt) < 2)
		(void)workq_add(d->ckpt, d, 1);
	return SQLITE_OK;
}

static void
sq_close(struct db *db)
{
	size_t i;

	if (SQ(db)->ckpt) {	/* this close checkpoints the rest */
		while (workq_next(SQ(db)->ckpt, 1) != NULL)
			;
		workq_free(SQ(db)->ckpt);
		SQ(db)->ckpt = NULL;
	}

	for (i = 0; i < sizeof SQ(db)->tx / sizeof *SQ(db)->tx; i++)
		sqlite3_finalize(SQ(db)->tx[i]);
	sqlite3_close(H(db));	/* other statements: finalized by their owners */
}

static int
sq_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static const char *const pragmas[] = {
	"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-131072",
	"PRAGMA wal_autocheckpoint=16384", "PRAGMA foreign_keys=ON",
};

/*
 * Two processes opening one new file both hold SHARED locks when each
 * switches it to WAL; SQLite answers one of them SQLITE_BUSY at once,
 * without the busy timeout, to avoid a deadlock.  So: try again.
 */
static int
sq_pragmas(struct db *db)
{
	size_t i;
	int attempt, rc = DB_ERR;

	for (attempt = 0; attempt < 30; attempt++) {
		for (i = 0; i < sizeof pragmas / sizeof *pragmas; i++)
			if ((rc = sq_exec(db, pragmas[i])) != DB_DONE)
				break;
		if (rc != DB_BUSY)
			return rc;
		db_backoff(attempt);
	}
	return rc;
}

/* SQLite keeps no count of its memory (nothing here asks for it): the
 * count took a process-wide mutex at every allocation, and a replay's
 * two threads allocate on every row.  Set once, before SQLite starts. */
static pthread_once_t sq_config_once = PTHREAD_ONCE_INIT;

static void
sq_config(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* path with suffix exists */
static int
sq_beside(const char *path, const char *suffix)
{
	char p[PATH_MAX];

	return snprintf(p, sizeof p, "%s%s", path, suffix) < (int)sizeof p &&
	    access(p, F_OK) == 0;
}

/*
 * A reader of a WAL database needs its -shm file, and makes it when the
 * writer is gone (it removes it when it closes): in a directory this
 * user may not write to (a read-only mount, a monitoring account) that
 * fails with "attempt to write a readonly database".  With no -wal,
 * -shm or -journal there, no writer is at work and everything is in the
 * file: it is read as it is, immutable, through a file: URI.  NULL when
 * the plain path will do; else the URI, to free.
 */
static char *
sq_ro_uri(const char *path)
{
	char dir[PATH_MAX], *slash, *uri, *o;
	const char *p;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return NULL;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		slash[slash == dir] = 0;
	/* "file://x" would name a host: a path of // is left as it is */
	if (strncmp(path, "//", 2) == 0 || access(dir, W_OK) == 0 ||
	    sq_beside(path, "-wal") ||
	    sq_beside(path, "-shm") || sq_beside(path, "-journal"))
		return NULL;
	if ((uri = malloc(3 * strlen(path) + sizeof "file:?immutable=1")) ==
	    NULL)
		return NULL;
	o = uri + sprintf(uri, "file:");
	for (p = path; *p; p++)
		o += strchr("%?#", *p) ? sprintf(o, "%%%02X",
		    (unsigned char)*p) : sprintf(o, "%c", *p);
	sprintf(o, "?immutable=1");
	return uri;
}

/* A directory (-d data, meant for data/pm.db), or a path ended by a
 * slash that would be one. */
static int
sq_is_dir(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	return (n > 0 && path[n - 1] == '/') ||
	    (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

static int
sq_open(struct db *db, const char *path, int flags)
{
	/* NOMUTEX: a connection is used by one thread at a time (pm-store's
	 * writer thread takes it only while the store waits: store_aw.c;
	 * the checkpoints have their own), so SQLite's lock around every
	 * call bought nothing: 1.3% of a 100k replay's CPU, on the thread
	 * that bounds it. */
	int oflags = SQLITE_OPEN_NOMUTEX | ((flags & DB_READONLY) ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	sqlite3 *h = NULL;
	char *uri = NULL;
	int rc;

	/* said as such, not as SQLite's "disk I/O error" or "unable to
	 * open database file", and no directory made for it */
	if (sq_is_dir(path)) {
		db_seterr(db, "a directory, not a database file");
		return -1;
	}
	/* the default data/pm.db must just work */
	if (!(flags & DB_READONLY) && outfile_mkparents(path) == -1) {
		db_seterr(db, "cannot create its directory: %s",
		    strerror(errno));
		return -1;
	}
	pthread_once(&sq_config_once, sq_config);
	if ((flags & DB_READONLY) && (uri = sq_ro_uri(path)) != NULL)
		oflags |= SQLITE_OPEN_URI;
	rc = sqlite3_open_v2(uri ? uri : path, &h, oflags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		/* the caller names the database: not the path again */
		db_seterr(db, "%s", h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return -1;
	}
	H(db) = h;
	sqlite3_busy_handler(h, sq_busy, db);
	sqlite3_extended_result_codes(h, 0);
	if (flags & DB_READONLY)
		return 0;
	/* WAL: readers never block the writer; NORMAL sync is durable at
	 * every checkpoint and never corrupts, the usual WAL pairing.
	 * Bulk loads are bound by pages written twice (WAL, then the
	 * checkpoint): 16 KiB pages keep a raw payload (5 KB typical) out of
	 * overflow chains and cut the system calls four times (page_size
	 * only takes on a new file); a 128 MiB cache keeps the indexes of
	 * random keys (payload hashes, token ids: 45 MiB for 100k markets)
	 * from being read back (a third of the bytes read); checkpoints
	 * every 256 MiB of WAL instead of every 4 MiB fsync less often
	 * (100k markets replayed: 11 fsyncs, not 32; 3 s of waiting, not
	 * 6) and write a page rewritten by many batches once.  Memory stays
	 * capped (the cache fills only as the file grows).  Checkpoints
	 * run in a thread of their own (sq_wal_hook). */
	if (sq_pragmas(db) != DB_DONE)
		return -1;
	/* in place of the autocheckpoint (wal_autocheckpoint's hook) */
	sqlite3_wal_hook(h, sq_wal_hook, db);
	return 0;
}

const struct db_ops db_sqlite_ops = {
	.engine = DB_SQLITE, .size = sizeof(struct sq_db), .open = sq_open,
	.exists = sq_exists, .exec = sq_exec, .tx = sq_tx, .prepare = sq_prepare,
	.finalize = sq_finalize, .bind = sq_bind, .step = sq_step,
	.reset = sq_reset, .col_null = sq_col_null, .col_text = sq_col_text,
	.col_int = sq_col_int, .changes = sq_changes,
	.inserted = sq_inserted, .close = sq_close,
	.col_double = sq_col_double,
};
