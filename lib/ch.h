/*
 * ch.h - the project's face of ClickHouse's HTTP interface, over libcurl.
 *
 * A URL clickhouse://[user[:password]@]host[:port]/database (port 8123) or
 * clickhouses://... (HTTPS, port 8443, the CA settings of lib/http.h:
 * --cacert, PM_CA_BUNDLE, so http_tls_init() before ch_open()).  User
 * and password travel only as the X-ClickHouse-User and X-ClickHouse-Key
 * headers, never in a URL; every message names the server by ch_origin(),
 * which has no password.  The database goes as the database= parameter of
 * each request, and every *_overflow_mode setting as throw: a profile's
 * break would cut an answer short without a word.  A user that may not
 * have throw (readonly=1 with break) fails ch_open().
 *
 * Every request is retried while the server is unreachable or the
 * connection drops (refused, reset, timed out, a 503, a network error
 * between a Distributed table and its shards), with a growing pause, for
 * up to wait_ms (PM_DB_TIMEOUT) from the first failure; when the server
 * does not come back in time the connection is gone for good: that call
 * and every later one fail at once with the cause, and ch_alive() is
 * false.  A request that is retried may have reached the server the first
 * time: inserts into ReplacingMergeTree tables are idempotent under FINAL,
 * and the schema's statements are, so no harm.  ch_open() does not wait:
 * a server down at the start is an error at once.
 *
 * Every request, ch_open()'s first and every one after, is given up when
 * nothing goes or comes for PM_DB_TIMEOUT (wait_ms, at least 1 s): a
 * server that took it and hangs (stopped, a proxy stuck) is not waited
 * for forever.  It is not tried again, and the connection is gone, as
 * above; the message names the request ("INSERT INTO markets: no answer
 * within 10 s (PM_DB_TIMEOUT)").  An answer that keeps coming is never
 * cut, however long it takes; but the server answers a query once it is
 * done (wait_end_of_query), so a query (ch_query) is given query_ms
 * (PM_DB_QUERY_TIMEOUT) for its answer to begin.
 *
 * Inserts go in blocks (struct ch_block): rows of JSONEachRow sent as one
 * INSERT when the block holds max_rows rows or max_bytes bytes, or when its
 * oldest row has waited max_age_ms.  ClickHouse 18.16 rejects a whole
 * block for one bad row; the block is then split (at the row the server
 * names, else in halves) until each bad row stands alone: those go to the
 * bad() callback with the server's reason, the rest is stored.
 *
 * A block is sent while the next one is gathered: a connection's blocks
 * go, in the order they were sent, through one sender thread (started at
 * the first send), so a caller parses and checks rows while the server
 * takes the last block.  Each struct ch_block holds at most two sets of
 * rows: the one it gathers and the one in flight; sending again first
 * waits for the one in flight.  What a send came to reaches the caller in
 * its own thread, when it waits (ch_block_wait, or the next send of that
 * block): bad() is called there, never from the sender.  When a send
 * fails, the sends queued behind it on the connection fail too, unsent,
 * and ch_errmsg() keeps the first cause.  While a send is in flight the
 * connection is the sender's: ch_errmsg() and ch_alive() say what they
 * say only after a wait; ch_query() first waits for every send.
 *
 * Ownership: a struct ch owns its curl handle, its sender thread and the
 * credentials.  A struct ch_block borrows its struct ch (free the block
 * first) and owns a copy of the rows it holds.  Strings passed in are borrowed for the
 * call; strings handed to a callback are valid during the callback only.
 * Query answers go into the caller's struct buf.
 */
#ifndef PM_CH_H
#define PM_CH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ch_url {
	int	 tls;		/* clickhouses:// */
	char	 user[128];	/* "" when absent: the server's default user */
	char	 password[256];
	char	 host[256];	/* without the brackets of an IPv6 address */
	int	 port;
	char	 database[128];	/* "default" when the path is empty */
};

/* 1 when url names ClickHouse: clickhouse:// or clickhouses://. */
int ch_url_is(const char *url);

/* Split url (percent-escapes decoded).  -1 with the reason in err; the
 * reason never holds the password. */
int ch_url_parse(const char *url, struct ch_url *u, char *err, size_t errlen);

/* scheme://[user@]host:port/database: url without its password, for
 * messages and records.  A url that does not parse is shown as its scheme
 * and "<unparsable>". */
void ch_redact(const char *url, char *out, size_t n);

/* Whether url is one the stores take: ch_url_parse() of what comes before
 * a '?', and after it no key but cluster= and shards=.  0, or -1 with the
 * reason in err (never the password): a usage error, found before any
 * server is asked. */
int ch_url_check(const char *url, char *err, size_t errlen);

struct ch_opts {
	long	 wait_ms;	/* PM_DB_TIMEOUT in ms: how long a server may
				 * be unreachable, or a request get nothing,
				 * before giving up */
	long	 timeout_ms;	/* one request in all, 0: no limit */
	long	 connect_timeout_ms;	/* 0: 10 s */
	long	 query_ms;	/* PM_DB_QUERY_TIMEOUT in ms: how long a
				 * query (ch_query) may work before its
				 * answer begins; 0: as wait_ms */
};

struct ch;

/* Connect: parse url and run SELECT 1, once, without retrying, given
 * wait_ms (at least 1 s) to answer, as every request: a server that takes
 * the connection and never answers is not waited for.  NULL with the
 * reason in err. */
struct ch *ch_open(const char *url, const struct ch_opts *o, char *err,
    size_t errlen);
void ch_close(struct ch *c);

const char *ch_origin(const struct ch *c);	/* the redacted URL */
const char *ch_database(const struct ch *c);
const char *ch_errmsg(const struct ch *c);	/* one line, no password */
/* ch_errmsg() without the server it begins with ("SERVER: "), for a
 * message that names the server itself first. */
const char *ch_reason(const struct ch *c);
int ch_code(const struct ch *c);	/* the server's error code, or 0 */
int ch_alive(const struct ch *c);	/* 0: gave up waiting for the server */
unsigned long ch_requests(const struct ch *c);	/* HTTP requests sent */

/*
 * Run one SQL statement (the POST body; ClickHouse takes one per request)
 * and append its answer to out (may be NULL).  The server finishes the
 * query before it answers (wait_end_of_query), so an error half-way is an
 * error, not a truncated answer; so is a 200 answer with a line "Code:
 * NNN. ... DB::Exception" (the server's error once its answer had begun,
 * passed on by a proxy).  0, or -1 with ch_errmsg(): the server's
 * own text, one line, e.g. "Code: 62, e.displayText() = DB::Exception:
 * Syntax error: ...".
 */
int ch_query(struct ch *c, const char *sql, struct buf *out);
/* ch_query() with settings, URL parameters ("insert_distributed_sync=1"). */
int ch_query_set(struct ch *c, const char *settings, const char *sql,
    struct buf *out);

/*
 * ch_query() for an answer of any size (an export), never held in
 * memory: it goes to an unlinked temporary file in $TMPDIR (else /tmp)
 * as fast as the server sends it, then each of its lines, without its
 * newline, to fn, which may change its bytes and stops the rest by
 * returning non-zero (0 then).  An answer that does not come whole, or
 * holds the server's exception line, gives fn nothing.  0, or -1 with
 * ch_errmsg().
 */
int ch_query_lines(struct ch *c, const char *sql,
    int (*fn)(char *line, size_t n, void *arg), void *arg);

/* Run a query whose answer is one number (TabSeparated: a count, a
 * version, EXISTS): 0 with it in *v, or -1 with ch_errmsg(), which for
 * an answer that is no such number quotes it (a proxy's page, a cut
 * answer), so that no caller takes it for 0. */
int ch_number(struct ch *c, const char *sql, unsigned long long *v);

/* A string as an SQL literal ('...', quotes and backslashes escaped) or an
 * identifier (`...`), appended to b. */
int ch_quote(struct buf *b, const char *s);
int ch_ident(struct buf *b, const char *s);

/*
 * Check a JSONEachRow row's numbers before they go in: 18.16 stores what
 * does not fit silently wrong (1e400 becomes null or inf, an integer past
 * Int64 wraps round).  Every number must be finite as a double; the values
 * of the keys in int_keys (NULL-terminated, may be NULL) must moreover be
 * integers within Int64.  0, or -1 with the reason in why (naming the key).
 */
int ch_row_check(const char *row, size_t n, const char *const *int_keys,
    char *why, size_t whylen);

struct ch_block_opts {
	size_t	 max_rows;	/* 0: 10000; at most 1000000 */
	size_t	 max_bytes;	/* 0: 16 MiB */
	long	 max_age_ms;	/* 0: 1000 */
	int	 distributed_sync;	/* insert_distributed_sync=1 */
	const char *const *int_keys;	/* for ch_row_check() */
	/* A row the server (or ch_row_check) refused: id is the caller's,
	 * from ch_block_add(); reason is one line. */
	void	(*bad)(void *arg, uint64_t id, const char *row, size_t n,
		    const char *reason);
	void	*arg;
};

struct ch_block_stats {
	uint64_t rows;		/* stored */
	uint64_t bad;		/* given to bad() */
	uint64_t inserts;	/* INSERT requests that succeeded */
};

struct ch_block;

/* A block for INSERT INTO table (a name, quoted here).  NULL when out of
 * memory. */
struct ch_block *ch_block_new(struct ch *c, const char *table,
    const struct ch_block_opts *o);

/*
 * Add one row: a JSON object on one line, no newline.  A row that fails
 * ch_row_check() goes to bad() at once.  A full block is sent
 * (ch_block_send) before the row goes in, and a block the row fills or
 * makes due after.  0, or -1 when a send failed for another reason than
 * bad rows (server gone, table missing...): ch_errmsg() says why and the
 * rows of that send are held, not stored; the next send tries them first.
 */
int ch_block_add(struct ch_block *b, const char *row, size_t n, uint64_t id);

/* Start sending what the block gathered; waits first for its send in
 * flight (its bad rows to bad()).  0, or -1 as ch_block_add(), for the
 * send waited for. */
int ch_block_send(struct ch_block *b);

/* Wait for the block's send in flight: 0 when every row sent so far is
 * stored or given to bad(), -1 as ch_block_add(). */
int ch_block_wait(struct ch_block *b);

/* 1 while a send of the block is in flight; does not wait. */
int ch_block_busy(struct ch_block *b);

/* ch_block_send() and ch_block_wait(): what the block holds is stored. */
int ch_block_flush(struct ch_block *b);

/* 1 when the oldest row has waited max_age_ms: a caller waiting for input
 * flushes then. */
int ch_block_due(const struct ch_block *b);

/* Rows not known stored: gathered, in flight, or held by a failed send. */
size_t ch_block_rows(const struct ch_block *b);
const struct ch_block_stats *ch_block_stats(const struct ch_block *b);

/* Release without sending (waits for a send in flight, unreported);
 * NULL-safe. */
void ch_block_free(struct ch_block *b);

#endif
