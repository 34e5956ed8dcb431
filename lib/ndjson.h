/*
 * ndjson.h - the one NDJSON input loop every tool stands on.
 *
 * Reads the named files in order ("-" or none: standard input) through one
 * reusable buffer, splits lines, parses each as a JSON object and hands it
 * to the tool's function with its file:line.  What cannot become a record
 * is reported here, once, for every tool: a line over the cap, invalid JSON
 * or UTF-8, a value that is not an object each give a `failure` record
 * (reason bad_record, with the position) and a message, and the loop goes
 * on.  Blank lines get a warning and are not records.  A last line without
 * a newline is a record like any other.
 *
 * Ownership: struct rec and everything in it are borrowed views valid only
 * during the call to fn; text may be modified by fn (it is the loop's
 * buffer).  The loop never holds more than max_line bytes of input plus
 * its read chunk.
 */
#ifndef PM_NDJSON_H
#define PM_NDJSON_H

#include <stddef.h>

#include "json.h"

#define NDJSON_MAX_LINE_DEFAULT (64UL * 1024 * 1024)

struct rec {
	const char	*file;	/* "stdin" for standard input */
	unsigned long	 line;
	char		*text;	/* the line as read, NUL-terminated */
	size_t		 len;
	json_val	 root;	/* always an object */
	const char	*kind;	/* value of "kind", NULL when absent */
	size_t		 kindlen;
};

struct ndjson {
	/* set by the tool */
	const char	*stage;		/* stage named in failure records */
	size_t		 max_line;	/* 0: ndjson_max_line() */
	const char	*max_why;	/* optional: why max_line, in the detail */
	int		(*fn)(struct rec *, void *);	/* 0 go on, -1 stop */
	void		*arg;
	/* optional: told of each line rejected as bad_record, before its
	 * failure record is written (pm-store keeps a row for it) */
	void		(*on_bad)(void *arg, const char *file,
			    unsigned long line, const char *detail);
	/* optional: such a line is only said, no failure record written,
	 * the tool's standard output being one document that reports it
	 * (pm-summary --json -) */
	int		 bad_unwritten;
	/* optional: called before a read that would wait, no input having
	 * come for 100 ms (pm-store commits its open batch: no lock is held
	 * while the producer is slow) */
	void		(*on_idle)(void *arg);
	/* counted by the loop */
	unsigned long	 records;	/* objects handed to fn */
	unsigned long	 bad;		/* lines reported as bad_record */
	unsigned long	 blank;
	/* ndjson_run_mem() keeps its buffer and parser here for the next
	 * call on this struct; ndjson_release() frees them */
	struct ndjson_reader *keep;
};

/* Returns 0, or EXIT_IO (msg.h) when an input could not be opened or
 * read (reported). */
int ndjson_run(struct ndjson *nd, int nfiles, char **files);

/* 1 when a loop stopped before the end of its input, its output having
 * failed (its reader gone, a full disk). */
int ndjson_cut_short(void);

/* The same loop over one buffer in memory, named name in messages (the
 * fuzz targets: no file opened, nothing allocated per input).  The
 * counts add up over calls; ndjson_release() when done with nd. */
int ndjson_run_mem(struct ndjson *nd, const char *name, const char *data,
    size_t size);
void ndjson_release(struct ndjson *nd);	/* what ndjson_run_mem() kept */

/* The line cap: PM_MAX_LINE from the environment, else the default; read
 * (and a bad value said) once. */
size_t ndjson_max_line(void);

/* 1 when the record's kind is k. */
int rec_is(const struct rec *r, const char *k);

/* Write the record to standard output byte for byte. */
void rec_pass(const struct rec *r);

#endif
