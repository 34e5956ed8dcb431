/*
 * dbenv.h - which database a program uses, and how: --db, else
 * DATABASE_URL, else SUPABASE_DB_URL (the daily design's setting), else
 * data/pm.db; with ENVIRONMENT=production only a server database over TLS
 * (DB_TLS: PostgreSQL with sslmode=require and
 * target_session_attrs=read-write unless the URL says), never SQLite.
 * pm-store and pm-summary choose the same way.
 *
 * Ownership: c->url points into argv or the environment; the rest is
 * copied into c.
 */
#ifndef PM_DBENV_H
#define PM_DBENV_H

struct db_choice {
	const char	*url;
	const char	*setting;	/* "--db", "DATABASE_URL", ... */
	int		 flags;		/* DB_TLS in production */
	char		 name[1024];	/* url with any password as *** */
};

/* Fill c from the option (NULL when not given) and the environment.  0,
 * or -1 after a message naming the setting (a usage error: exit 2). */
int db_choose(const char *opt, struct db_choice *c);

#endif
