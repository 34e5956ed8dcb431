/*
 * db_impl.h - what db.c shares with its two engines (db_sqlite.c,
 * db_pg.c).  Not for tools: they speak db.h.
 *
 * Ownership as in db.h.  Each engine's statement struct starts with a
 * struct db_stmt, so db.c can dispatch on st->db->ops.
 */
#ifndef PM_DB_IMPL_H
#define PM_DB_IMPL_H

#include "db.h"

enum { DBV_NULL, DBV_TEXT, DBV_INT, DBV_DOUBLE };
enum { DBTX_BEGIN, DBTX_COMMIT, DBTX_ROLLBACK };

struct db_ops {
	int	(*exec)(struct db *, const char *);
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
	void	(*close)(struct db *);
	int	(*tx)(struct db *, int);	/* DBTX_*, in the engine's own SQL */
};

struct db {
	const struct db_ops *ops;
	int		 engine;
	int		 flags;
	unsigned	 gen;
	void		*h;		/* sqlite3 * or PGconn * */
	long		 wait_ms;	/* PM_DB_TIMEOUT: for a lock, a reconnection */
	long		 wait_since;	/* SQLite: ts_mono_ms() of the first busy
					 * answer since the last success; 0: none */
	int		 gave_up;	/* SQLite: the lock wait ran out */
	int		 down;		/* the database itself failed: locked past
					 * wait_ms, unreachable, full, I/O error;
					 * cleared by the next success */
	int		 gone;		/* PostgreSQL: reconnecting gave up, for good */
	char		 err[512];
	char		 lost[512];	/* PostgreSQL: why gone, kept for every call */
	void		*tx[3];		/* SQLite: the DBTX_* statements,
					 * prepared once; owned */
};

struct db_stmt {
	struct db	*db;
};

void db_seterr(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
long db_wait_ms(void);	/* PM_DB_TIMEOUT in milliseconds */

int db_sqlite_open(struct db *db, const char *path, int flags);
int db_pg_open(struct db *db, const char *url);
int db_pg_alive(const struct db *db);

#endif
