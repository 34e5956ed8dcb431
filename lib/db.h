/*
 * db.h - the one database interface pm-store speaks: SQLite (embedded, the
 * default) or PostgreSQL (libpq) behind the same calls, so the storage
 * logic (store.c) never sees either library.
 *
 * SQL is written once with ?1, ?2 ... placeholders (the PostgreSQL side
 * turns them into $1, $2); values are always bound, never spliced.  Errors
 * come back as DB_ERR (permanent: the statement or the data is wrong) or
 * DB_BUSY (transient: a lock, a serialization failure, a lost connection
 * made again; roll back and run the transaction again).  When the database
 * itself fails (a lock or a lost server outlasting PM_DB_TIMEOUT, a full
 * disk, an I/O error) it is DB_ERR and db_alive() is false: stop, do not
 * try each record.  db_errmsg() says why, on one line, without passwords.
 *
 * Ownership: a struct db owns its connection; a struct db_stmt belongs to
 * the caller and is finalized with db_finalize() before db_close().
 * Every sqlite3_stmt is finalized and every PGresult cleared inside these
 * calls.  Bound strings are borrowed until the next db_step() returns
 * DB_DONE or db_reset() is called; column values are valid until the next
 * db_step() or db_reset() on that statement.
 */
#ifndef PM_DB_H
#define PM_DB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum db_engine { DB_SQLITE = 1, DB_PG = 2, DB_CLICKHOUSE = 3 };
enum { DB_DONE = 0, DB_ROW = 1, DB_ERR = -1, DB_BUSY = -2 };

#define DB_READONLY	1	/* never write; a missing SQLite file stays missing */
#define DB_MEMORY	2	/* tests: an in-memory SQLite database is fine */
#define DB_TLS		4	/* production: a server over TLS, writable; with
				 * PostgreSQL sslmode=require and
				 * target_session_attrs=read-write unless the
				 * URL (or PGSSLMODE, PGTARGETSESSIONATTRS) says */

struct db;
struct db_stmt;

/*
 * A database URL, parsed, never guessed: a path or sqlite:PATH
 * (sqlite://PATH, sqlite:///abs) is SQLite; postgresql://, postgres://,
 * postgresql+psycopg:// and a libpq key=value string ("host=... dbname=
 * ...") are PostgreSQL; clickhouse:// and clickhouses:// are ClickHouse
 * (clickhouses:// only with DB_TLS), which db_open() opens for reading
 * only (DB_READONLY: SELECT, lib/db_ch.c; pm-store writes it through
 * lib/store_ch.c).  Anything else of the form scheme:// is refused, and
 * so is an in-memory SQLite database
 * (:memory:, file:...mode=memory) unless flags has DB_MEMORY: it would
 * keep nothing; DB_TLS refuses SQLite.  -1 with the reason in err (never
 * a password).
 */
struct db_url {
	int	 engine;	/* DB_* */
	char	 target[4096];	/* SQLite: the path; else what libpq takes */
};
int db_url_parse(const char *url, int flags, struct db_url *u, char *err,
    size_t errlen);

/* 0 when url names an SQLite file that does not exist yet (a reader then
 * has nothing to read, and must not create it) or cannot be parsed; 0
 * for ClickHouse too, which db_open() opens only for reading. */
int db_exists(const char *url);

/* url with any password replaced by "***", for messages and records:
 * a URI's user:password@ and every password=... value. */
void db_redact(const char *url, char *out, size_t n);
/* A copy of arg (a command line's --db URL) to use, its passwords in arg
 * itself overwritten with '*', so that ps(1) and /proc/PID/cmdline do not
 * show them; arg itself when there is no memory for the copy.  The copy
 * lives until the next call. */
char *db_url_hide(char *arg);
/* A message about url (libpq's own quote the URL, or pieces of it) with
 * every password of url, or piece of one, replaced by "***". */
void db_redact_msg(const char *url, const char *msg, char *out, size_t n);

/* 0 when libpq can parse target (db_url's for PostgreSQL), else -1 and
 * why (redacted) in err: a URL it cannot take is a usage error. */
int db_pg_url_check(const char *target, char *err, size_t n);

/* NULL on failure, the (redacted) reason in err. */
struct db *db_open(const char *url, int flags, char *err, size_t errlen);
void db_close(struct db *db);

int db_engine(const struct db *db);
int db_alive(const struct db *db);	/* usable: see DB_ERR above */
const char *db_errmsg(const struct db *db);
/* Bumped each time the PostgreSQL connection was re-established: session
 * state (temporary tables) must then be made again. */
unsigned db_generation(const struct db *db);

/* How often a transaction that failed with DB_BUSY is tried, and the
 * pause before try attempt+1: exponential, with jitter, capped at 2 s. */
#define DB_RETRIES 12
void db_backoff(int attempt);

int db_exec(struct db *db, const char *sql);	/* no parameters, no rows */
/* SQL every transaction from now on needs, written for the session (SET
 * ..., CREATE TEMP TABLE IF NOT EXISTS ... ON COMMIT DELETE ROWS) and
 * given once, outside a transaction (again after db_generation() moved).
 * It runs at once; but behind a transaction pooler, which may give each
 * transaction another server connection, PostgreSQL sends it with each
 * BEGIN instead, made SET LOCAL and ON COMMIT DROP. */
int db_session(struct db *db, const char *sql);
int db_begin(struct db *db);	/* SQLite: BEGIN IMMEDIATE, the writer lock */
int db_commit(struct db *db);
int db_rollback(struct db *db);	/* always leaves no transaction open */
/* The open transaction's COMMIT sent without waiting for its answer
 * (PostgreSQL's pipeline, after db_send): the next transaction may begin
 * at once and goes to the server behind it; if this one fails, the next
 * fails with it (roll it back).  db_committed() waits for the answer:
 * DB_DONE once the transaction is durable, else DB_ERR or DB_BUSY, as
 * db_commit(); DB_DONE at once when none is in flight.  One at a time:
 * read the answer before sending the next.  Engines without (SQLite)
 * commit at once: db_commit_send() returns what db_commit() would. */
int db_commit_send(struct db *db);
int db_committed(struct db *db);

struct db_stmt *db_prepare(struct db *db, const char *sql);
void db_finalize(struct db_stmt *st);
int db_bind_text(struct db_stmt *st, int i, const char *s, size_t n);
int db_bind_str(struct db_stmt *st, int i, const char *s);	/* NULL: null */
int db_bind_null(struct db_stmt *st, int i);
int db_bind_int(struct db_stmt *st, int i, int64_t v);
int db_bind_double(struct db_stmt *st, int i, double v);
/* Bytes (SQLite BLOB, PostgreSQL bytea); NULL s: null. */
int db_bind_blob(struct db_stmt *st, int i, const void *s, size_t n);
int db_step(struct db_stmt *st);	/* DB_ROW, DB_DONE, DB_ERR, DB_BUSY */
void db_reset(struct db_stmt *st);
/* Read the statement's rows as the server sends them, a row in memory at
 * a time, not its whole answer (PostgreSQL; SQLite and ClickHouse read
 * so anyway): for an export.  Until it is done or reset, no other
 * statement may run on the connection.  A PostgreSQL connection lost
 * under it is not made again (DB_ERR, "an export cannot resume"). */
void db_stream(struct db_stmt *st);
int db_col_null(struct db_stmt *st, int i);	/* columns count from 0 */
const char *db_col_text(struct db_stmt *st, int i, size_t *n);	/* NULL: null */
int64_t db_col_int(struct db_stmt *st, int i);
double db_col_double(struct db_stmt *st, int i);	/* exactly as stored */
int db_changes(struct db_stmt *st);	/* rows the last DB_DONE step changed */
/* Did the last DB_DONE step insert a row (an upsert that updated one
 * did not)?  1 or 0; -1 if the engine does not tell (PostgreSQL: ask
 * RETURNING). */
int db_inserted(struct db_stmt *st);

/* PostgreSQL COPY ... FROM STDIN in text format; rows are built with
 * db_copy_field() (a NULL s writes \N) and sent with db_copy_put(). */
int db_copy_begin(struct db *db, const char *sql);
int db_copy_put(struct db *db, const char *p, size_t n);
int db_copy_end(struct db *db);
int db_copy_field(struct buf *b, const char *s, size_t n, int last);
/* Bytes as a COPY field (bytea's hex form, escaped); NULL p: null. */
int db_copy_blob(struct buf *b, const void *p, size_t n, int last);
/* bytea's hex input form of n bytes into out (2n + 3 bytes). */
void db_hex_bytea(char *out, const void *p, size_t n);
/* A BLOB / bytea column's bytes (PostgreSQL's hex text decoded into
 * scratch, which they borrow); NULL when null or not decodable. */
const char *db_col_blob(struct db_stmt *st, int i, size_t *n,
    struct buf *scratch);

/*
 * PostgreSQL: many rows in one statement whose parameters are arrays, one
 * element a row (PostgreSQL's binary array form: no escaping, no hex),
 * sent without waiting for the answer (libpq's pipeline mode), so the
 * server writes them while the caller reads on.  Each row of the answer
 * goes to row() as it comes, at the latest in db_wait(); an error comes
 * back from db_wait(), db_poll() or the next call that waits (db_step,
 * db_exec, db_commit ...): the transaction is then lost, roll it back.
 * Nothing outlives the transaction, so it works behind a transaction
 * pooler too.  A db_array owns its bytes; db_bind_array() borrows them
 * until db_send() returns.
 */
enum { DB_A_BLOB = 17, DB_A_INT = 20, DB_A_TEXT = 25, DB_A_DOUBLE = 701 };
struct db_array {
	struct buf	 b;
	size_t		 n;	/* elements */
	unsigned	 type;	/* DB_A_* */
	int		 nulls;
};
void db_array_init(struct db_array *a);
void db_array_reset(struct db_array *a, unsigned type);
void db_array_release(struct db_array *a);
/* Text or bytes as they are (NULL p: null); 0 or -1 out of memory. */
int db_array_add(struct db_array *a, const void *p, size_t n);
int db_array_int(struct db_array *a, int64_t v);
int db_array_double(struct db_array *a, double v);
int db_bind_array(struct db_stmt *st, int i, struct db_array *a);
typedef void (*db_row_fn)(void *arg, int ncol, const char *const *val);
int db_send(struct db_stmt *st, db_row_fn row, void *arg);
int db_poll(struct db *db);	/* send what the server takes, read answers */
int db_wait(struct db *db);	/* every answer sent so far */

#endif
