/*
 * command.h - run an external program on a document, with a timeout.
 *
 * The program is started with posix_spawnp(3) from an argv (no shell), in
 * a process group of its own.  Its standard input gets the document, its
 * standard output is collected up to a cap, its standard error up to a
 * cap and then read and counted only.  The run ends when the program
 * exits (and its pipes are read for 200 ms more, in case something it
 * left behind holds them), or at the timeout; then its process group is
 * killed, and so is every descendant that left the group (setsid):
 * the process makes itself a child subreaper (Linux) to find them, so
 * a process that uses cmd_run() must start no other child than through
 * it.  SIGINT, SIGTERM and SIGHUP (unless ignored or caught) kill the
 * process groups of the programs running, then end this process as
 * they would have.  A descendant that outlives a SIGKILL of this process
 * itself, or one that left its group when a signal ends it, is not
 * found.  It runs with SIGPIPE at its
 * default and no descriptor of ours but the three pipes (they are made
 * close-on-exec, so programs spawned at the same time from other threads
 * never hold each other's pipes open).
 *
 * Ownership: a struct cmd_result owns its two buffers; cmd_result_release()
 * frees them (NULL-safe on a zeroed struct).  argv and the input are
 * borrowed for the call.
 */
#ifndef PM_COMMAND_H
#define PM_COMMAND_H

#include <stddef.h>

#include "buf.h"

struct cmd_result {
	int		 exited;	/* 1: exit_code is valid */
	int		 exit_code;
	int		 signal;	/* killed by this signal, or 0 */
	int		 timed_out;
	long		 max_rss_kb;	/* set by the caller: kill the program
					 * when its resident size passes it */
	int		 over_memory;	/* it was killed for that */
	int		 over_output;	/* killed: standard output passed
					 * its cap (cmd_run() returns -1) */
	struct buf	 out, err;	/* standard output, standard error */
	size_t		 err_dropped;	/* standard error past its cap, read
					 * and not kept */
	char		 why[256];	/* set when cmd_run() returns -1 */
};

void cmd_result_init(struct cmd_result *r, size_t max_out, size_t max_err);
void cmd_result_release(struct cmd_result *r);

/* "killed by signal N (SIGNAME)" into why, n bytes: the failure of a
 * program a signal ended. */
void cmd_killed(int sig, char *why, size_t n);

/*
 * Run argv[0] (looked up in PATH) with in[0..inlen) on its standard input,
 * in the environment envp (NULL: ours; see secret_env());
 * timeout in milliseconds (0: none).  Returns 0 when the program ran to an
 * exit or a signal or the timeout (see the struct), -1 when it could not
 * be started or its output passed the cap (reason in why; it is killed).
 */
int cmd_run(char *const argv[], char *const envp[], const char *in,
    size_t inlen, long timeout_ms, struct cmd_result *r);

#endif
