/* dbenv.c - the database a program uses (see dbenv.h). */
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "db.h"
#include "dbenv.h"
#include "msg.h"

int
db_choose(const char *opt, struct db_choice *c)
{
	const char *env = getenv("ENVIRONMENT");
	struct db_url u;
	char err[600];

	c->flags = 0;
	c->url = opt;
	c->setting = "--db";
	if (c->url == NULL && (c->url = getenv("DATABASE_URL")) != NULL)
		c->setting = "DATABASE_URL";
	if ((c->url == NULL || *c->url == 0) &&
	    (c->url = getenv("SUPABASE_DB_URL")) != NULL)
		c->setting = "SUPABASE_DB_URL";
	if (c->url == NULL || *c->url == 0)
		c->url = "data/pm.db";
	db_redact(c->url, c->name, sizeof c->name);
	if (db_url_parse(c->url, 0, &u, err, sizeof err) == -1) {
		msg("%s: %s", c->setting, err);
		return -1;
	}
	/* a URL no server could take is the user's to fix, not a server
	 * out of reach (exit 3) */
	if ((u.engine == DB_CLICKHOUSE &&
	    ch_url_check(c->url, err, sizeof err) == -1) ||
	    (u.engine == DB_PG &&
	    db_pg_url_check(u.target, err, sizeof err) == -1)) {
		msg("%s: %s: %s", c->setting, c->name, err);
		return -1;
	}
	if (env && strcmp(env, "production") == 0) {
		c->flags |= DB_TLS;
		if (u.engine == DB_CLICKHOUSE &&
		    db_url_parse(c->url, DB_TLS, &u, err, sizeof err) == -1) {
			msg("ENVIRONMENT=production: refusing %s: %s",
			    c->name, err);
			return -1;
		}
		if (u.engine == DB_SQLITE) {
			msg("ENVIRONMENT=production: refusing to %s %s; "
			    "production needs a postgresql:// database over TLS "
			    "(or clickhouses://)",
			    msg_prog() && strstr(msg_prog(), "pm-store") ?
			    "store in" : "use", c->name);
			return -1;
		}
	}
	return 0;
}
