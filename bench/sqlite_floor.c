/*
 * sqlite_floor.c - the floor of the replay benchmark: SQLite alone writing
 * rows that are already split, with nothing else to do.
 *
 * usage: sqlite_floor DB SCHEMA.sql TABLE FILE [TABLE FILE ...]
 *
 * Runs SCHEMA.sql on a new DB (same page size, WAL and synchronous as
 * pm-store), then inserts every row of each FILE (fields separated by
 * 0x1f, rows by 0x1e: sqlite3 -ascii output) into TABLE with one prepared
 * INSERT, each field bound as text (an empty field as NULL), all in one
 * transaction.  No parsing of JSON, no checks, no hashing: no program
 * that writes these rows through SQLite can take less.  Owns nothing
 * beyond main(); exits 1 on any error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

static sqlite3 *db;

static void
die(const char *what)
{
	fprintf(stderr, "sqlite_floor: %s: %s\n", what,
	    db ? sqlite3_errmsg(db) : "cannot open");
	exit(1);
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *p;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		die(path);
	*len = (size_t)st.st_size;
	p = *len ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	if (*len && p == MAP_FAILED)
		die(path);
	close(fd);
	return p;
}

static void
load(const char *table, const char *path)
{
	sqlite3_stmt *st;
	char sql[4096];
	const char *p, *end, *row, *f;
	size_t len, n;
	int ncol, i;

	snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(table);
	ncol = sqlite3_column_count(st);
	sqlite3_finalize(st);
	n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (", table);
	for (i = 0; i < ncol && n < sizeof sql - 8; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s?",
		    i ? ", " : "");
	snprintf(sql + n, sizeof sql - n, ")");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	p = slurp(path, &len);
	end = p + len;
	while (p < end) {
		row = p;
		if ((p = memchr(row, 0x1e, (size_t)(end - row))) == NULL)
			p = end;
		for (i = 0, f = row; i < ncol; i++) {
			const char *e = memchr(f, 0x1f, (size_t)(p - f));

			if (e == NULL)
				e = p;
			if (e == f)
				sqlite3_bind_null(st, i + 1);
			else
				sqlite3_bind_text(st, i + 1, f, (int)(e - f),
				    SQLITE_STATIC);
			f = e < p ? e + 1 : p;
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			die(table);
		sqlite3_reset(st);
		p++;
	}
	sqlite3_finalize(st);
}

int
main(int argc, char **argv)
{
	size_t len;
	char *schema, *sql;
	int i;

	if (argc < 5 || argc % 2 == 0) {
		fprintf(stderr, "usage: sqlite_floor DB SCHEMA.sql TABLE FILE ...\n");
		return 1;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		die(argv[1]);
	schema = slurp(argv[2], &len);
	if ((sql = malloc(len + 1)) == NULL)
		die("out of memory");
	memcpy(sql, schema, len);
	sql[len] = '\0';
	if (sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;"
	    "PRAGMA wal_autocheckpoint=4096", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(argv[2]);
	free(sql);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		die("BEGIN");
	for (i = 3; i < argc; i += 2)
		load(argv[i], argv[i + 1]);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("COMMIT");
	if (sqlite3_close(db) != SQLITE_OK)
		die("close");
	return 0;
}
