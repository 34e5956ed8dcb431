/*
 * db_impl.h - what db.c shares with its engines (db_sqlite.c, db_pg.c,
 * db_ch.c: ClickHouse, read-only).
 * Not for tools: they speak db.h.
 *
 * An engine is a table of operations (as curl's struct Curl_ssl); one
 * without a feature leaves that slot NULL.  Its connection struct starts
 * with a struct db, its statement struct with a struct db_stmt, so db.c
 * dispatches on db->ops.  Ownership as in db.h.
 */
#ifndef PM_DB_IMPL_H
#define PM_DB_IMPL_H

#include "db.h"

enum { DBV_NULL, DBV_TEXT, DBV_INT, DBV_DOUBLE, DBV_BLOB, DBV_ARRAY };
enum { DBTX_BEGIN, DBTX_COMMIT, DBTX_ROLLBACK };

struct db_ops {
	int	 engine;		/* DB_* */
	size_t	 size;			/* of the engine's struct, for db_open */
	/* target: the SQLite path, the libpq connection string; 0 or -1 */
	int	(*open)(struct db *, const char *target, int flags);
	int	(*exists)(const char *target);	/* NULL: a server, always */
	int	(*alive)(const struct db *);	/* NULL: alive unless down */
	int	(*exec)(struct db *, const char *);
	int	(*tx)(struct db *, int);	/* DBTX_*, in the engine's own SQL */
	int	(*session)(struct db *, const char *);	/* NULL: exec */
	struct db_stmt *(*prepare)(struct db *, const char *);
	void	(*finalize)(struct db_stmt *);
	int	(*bind)(struct db_stmt *, int, int, const char *, size_t,
		    int64_t, double);
	int	(*step)(struct db_stmt *);
	void	(*reset)(struct db_stmt *);
	int	(*col_null)(struct db_stmt *, int);
	const char *(*col_text)(struct db_stmt *, int, size_t *);
	int64_t	(*col_int)(struct db_stmt *, int);
	int	(*changes)(struct db_stmt *);
	int	(*copy_begin)(struct db *, const char *);	/* NULL: no COPY */
	int	(*copy_put)(struct db *, const char *, size_t);
	int	(*copy_end)(struct db *);
	void	(*close)(struct db *);
	double	(*col_double)(struct db_stmt *, int);	/* NULL: from text */
	/* NULL: no pipelined statements (db_send); bind takes DBV_ARRAY */
	int	(*send)(struct db_stmt *, db_row_fn, void *);
	int	(*poll)(struct db *);
	int	(*wait)(struct db *);
	int	(*inserted)(struct db_stmt *);	/* NULL: not told */
	/* NULL: a COMMIT always waits for its answer */
	int	(*commit_send)(struct db *);
	int	(*committed)(struct db *);
};

struct db {
	const struct db_ops *ops;
	int		 flags;
	unsigned	 gen;
	long		 wait_ms;	/* PM_DB_TIMEOUT: for a lock, a reconnection */
	int		 down;		/* the database itself failed: locked past
					 * wait_ms, unreachable, full, I/O error;
					 * cleared by the next success */
	char		 err[512];
};

struct db_stmt {
	struct db	*db;
	int		 stream;	/* db_stream: rows as they come */
};

extern const struct db_ops db_sqlite_ops, db_pg_ops, db_ch_ops;

void db_seterr(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
long db_wait_ms(void);	/* PM_DB_TIMEOUT in milliseconds */
long db_query_ms(void);	/* PM_DB_QUERY_TIMEOUT in milliseconds */

#endif
