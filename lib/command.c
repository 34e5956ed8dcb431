/* command.c - external programs with a timeout (see command.h). */
#define _GNU_SOURCE	/* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "timefmt.h"

extern char **environ;

/* How long the pipes are read after the program exited. */
#define GRACE_MS 200

/*
 * The programs this process started and has not reaped yet.  As a child
 * subreaper (Linux), this process inherits every descendant that outlives
 * its parent, setsid(2) or not; a child of ours that is not in this list
 * is such an orphan, and kill_orphans() ends it.  Process-wide because
 * the parentage is: every thread's commands are in it.
 */
static pthread_mutex_t kids_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pid_t *kids;
static size_t nkids, capkids;

static int children_add(pid_t pid);
static size_t our_orphans(pid_t *got, size_t max, int kill_them);

/*
 * The process groups of the commands running now, in a table a signal
 * handler can read: a signal that ends this process (^C, which reaches
 * the terminal's foreground group; timeout(1), this process or its
 * group) never reaches them, in groups of their own, and this process,
 * ended by it, left them running.  The handler kills each group, then
 * this process as the signal would have.  A command past the table's
 * size is only not in it.  A slot is set and cleared under kids_lock,
 * cleared before its leader is reaped (so the group id is not reused
 * while it is there).
 */
#define NGROUPS 1024
static volatile sig_atomic_t groups[NGROUPS];
/* Set while a command is started and put in the table: the thread doing
 * it blocks the signals, and a handler in another thread waits for the
 * table to hold the new group rather than miss it. */
static volatile sig_atomic_t starting;
static const int end_sigs[] = { SIGINT, SIGTERM, SIGHUP };

/* Under kids_lock: pid's slot set to to (0: a free one taken). */
static void
group_set(pid_t from, pid_t to)
{
	size_t i;

	for (i = 0; i < NGROUPS; i++)
		if (groups[i] == from) {
			groups[i] = to;
			return;
		}
}

static void
on_end_signal(int sig)
{
	struct timespec ms = { 0, 1000000 };
	size_t i;
	pid_t g;

	while (__atomic_load_n(&starting, __ATOMIC_SEQ_CST))
		nanosleep(&ms, NULL);
	for (i = 0; i < NGROUPS; i++)
		if ((g = groups[i]) > 0)
			kill(-g, SIGKILL);
	/* SA_RESETHAND: delivered when the handler returns, it ends us */
	raise(sig);
}

/* SIGINT, SIGTERM and SIGHUP, unless ignored (a program started in the
 * background by a script ignores SIGINT, and must go on to) or caught
 * by the program itself. */
static void
catch_end_signals(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_end_signal;
	sa.sa_flags = SA_RESETHAND;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof end_sigs / sizeof *end_sigs; i++)
		if (sigaction(end_sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			sigaction(end_sigs[i], &sa, NULL);
}

/* Children this process had before (a shell can exec a program that has
 * some) are listed for good: they are not orphans of ours to kill. */
static void
become_subreaper(void)
{
	pid_t got[256];
	size_t i, n;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	catch_end_signals();
	pthread_mutex_lock(&kids_lock);
	n = our_orphans(got, 256, 0);
	for (i = 0; i < n; i++)
		children_add(got[i]);
	pthread_mutex_unlock(&kids_lock);
}

/* Under kids_lock. */
static int
children_add(pid_t pid)
{
	pid_t *k;

	if (nkids == capkids) {
		if ((k = realloc(kids, (capkids ? capkids * 2 : 16) *
		    sizeof *k)) == NULL)
			return -1;
		kids = k;
		capkids = capkids ? capkids * 2 : 16;
	}
	kids[nkids++] = pid;
	return 0;
}

static int
is_kid(pid_t pid)
{
	size_t i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == pid)
			return 1;
	return 0;
}

static void
children_del(pid_t pid)
{
	size_t i;

	pthread_mutex_lock(&kids_lock);
	for (i = 0; i < nkids; i++)
		if (kids[i] == pid) {
			kids[i] = kids[--nkids];
			break;
		}
	pthread_mutex_unlock(&kids_lock);
}

static pid_t
parent_of(const char *name)
{
	char path[64], line[512], *e;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%.20s/stat", name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) != NULL &&
	    (e = strrchr(line, ')')) != NULL && sscanf(e + 1, " %*c %d",
	    &ppid) != 1)
		ppid = 0;
	fclose(f);
	return (pid_t)ppid;
}

/* Under kids_lock: our children that are not in the list, at most max,
 * killed when asked. */
static size_t
our_orphans(pid_t *got, size_t max, int kill_them)
{
	pid_t me = getpid(), pid;
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	if ((dir = opendir("/proc")) == NULL)
		return 0;
	while (n < max && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		pid = (pid_t)atol(d->d_name);
		if (parent_of(d->d_name) == me && !is_kid(pid) &&
		    (!kill_them || kill(pid, SIGKILL) == 0))
			got[n++] = pid;
	}
	closedir(dir);
	return n;
}

/* Kill our children that are not in the list (orphans of commands, left
 * to us as subreaper), then theirs, which come to us in turn. */
static void
kill_orphans(void)
{
	pid_t got[64];
	size_t n, i, round;

	for (round = 0; round < 16; round++) {
		pthread_mutex_lock(&kids_lock);
		n = our_orphans(got, 64, 1);
		pthread_mutex_unlock(&kids_lock);
		for (i = 0; i < n; i++)
			while (waitpid(got[i], NULL, 0) == -1 && errno == EINTR)
				;
		if (n == 0)
			break;
	}
}

void
cmd_result_init(struct cmd_result *r, size_t max_out, size_t max_err)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->out, max_out);
	buf_init(&r->err, max_err);
}

void
cmd_killed(int sig, char *why, size_t n)
{
	const char *name = sigabbrev_np(sig);

	snprintf(why, n, "killed by signal %d%s%s%s", sig, name ? " (SIG" : "",
	    name ? name : "", name ? ")" : "");
}

void
cmd_result_release(struct cmd_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
}

/* Spawn with the pipes as 0, 1, 2; p[i][0] read ends, p[i][1] write ends. */
static int
spawn(char *const argv[], char *const envp[], int p[3][2], pid_t *pid,
    char *why, size_t n)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int e;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);	/* we ignore it; the child must not */
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
	posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
	/* nothing else of ours: not an input file, not the LLM connections
	 * other threads hold (libcurl's sockets are not close-on-exec) */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	e = posix_spawnp(pid, argv[0], &fa, &at, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		snprintf(why, n, "%s: %s", argv[0], strerror(e));
		return -1;
	}
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* Read what is there into b; 1 at end of file, 0 more to come, -1 cap.
 * With *dropped, what passes the cap is counted there and read on. */
static int
drain(int fd, struct buf *b, size_t *dropped)
{
	char tmp[65536];
	size_t room;
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		if (buf_add(b, tmp, (size_t)n) == 0)
			continue;
		if (dropped == NULL)
			return -1;
		room = b->max > b->len ? b->max - b->len : 0;
		if (room > (size_t)n)
			room = (size_t)n;
		if (room && buf_add(b, tmp, room) == -1)
			room = 0;
		*dropped += (size_t)n - room;
	}
}

static long
rss_kb(pid_t pid)
{
	char path[64];
	unsigned long size, rss = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (long)(rss * (unsigned long)(sysconf(_SC_PAGESIZE) / 1024));
}

/* Whether pid exited; it is left a zombie, so that its process group id
 * cannot be reused before the group is killed. */
static int
exited(pid_t pid)
{
	siginfo_t si;

	si.si_pid = 0;
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == pid;
}

/* Feed the input and collect the output until both output pipes close,
 * or GRACE_MS after the program exited: 0 done, 1 deadline passed, -1
 * standard output passed its cap, 2 the resident size passed
 * r->max_rss_kb (looked at every 10 ms). */
static int
pump(pid_t pid, int *in_fd, int *out_fd, int *err_fd, const char *in,
    size_t inlen, long deadline, struct cmd_result *r)
{
	struct pollfd pf[3];
	int *fd[3] = { in_fd, out_fd, err_fd };
	size_t off = 0, chunk;
	long grace = 0;
	ssize_t w;
	int n, i, t, d;

	if (inlen == 0)
		close_fd(in_fd);
	while (*out_fd != -1 || *err_fd != -1) {
		for (i = n = 0; i < 3; i++)
			if (*fd[i] != -1) {
				pf[n].fd = *fd[i];
				pf[n].events = i == 0 ? POLLOUT : POLLIN;
				pf[n++].revents = 0;
			}
		if (grace == 0 && exited(pid)) {
			/* It exited, but something it left behind may hold
			 * its pipes: read on for a short grace only. */
			grace = ts_mono_ms() + GRACE_MS;
		}
		if (grace && ts_mono_ms() >= grace)
			return 0;
		t = -1;
		if (deadline && (t = (int)(deadline - ts_mono_ms())) <= 0)
			return 1;
		if (r->max_rss_kb && rss_kb(pid) > r->max_rss_kb)
			return 2;
		if (t == -1 || t > (r->max_rss_kb ? 10 : 50))
			t = r->max_rss_kb ? 10 : 50;
		if (poll(pf, (nfds_t)n, t) == -1 && errno != EINTR)
			return 1;
		for (i = 0; i < n; i++) {
			if (pf[i].revents == 0)
				continue;
			if (pf[i].fd == *in_fd) {
				chunk = inlen - off > 65536 ? 65536 : inlen - off;
				w = write(*in_fd, in + off, chunk);
				if (w > 0)
					off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
				    off == inlen)
					close_fd(in_fd);	/* EPIPE too */
				continue;
			}
			d = pf[i].fd == *out_fd ? drain(pf[i].fd, &r->out, NULL) :
			    drain(pf[i].fd, &r->err, &r->err_dropped);
			if (d == -1)
				return -1;
			if (d == 1)
				close_fd(pf[i].fd == *out_fd ? out_fd : err_fd);
		}
	}
	return 0;
}

/* Wait for the exit (not reaped): 0 exited, 1 deadline passed. */
static int
reap(pid_t pid, long deadline)
{
	for (;;) {
		if (exited(pid))
			return 0;
		if (deadline && ts_mono_ms() >= deadline)
			return 1;
		ts_sleep_ms(5);
	}
}

int
cmd_run(char *const argv[], char *const envp[], const char *in, size_t inlen,
    long timeout_ms, struct cmd_result *r)
{
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	long deadline = timeout_ms > 0 ? ts_mono_ms() + timeout_ms : 0;
	sigset_t block, was;
	int i, k, st = 0, rc = -1;
	pid_t pid;

	for (i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) == -1) {
			snprintf(r->why, sizeof r->why, "pipe: %s",
			    strerror(errno));
			goto out;
		}
	pthread_once(&once, become_subreaper);
	sigemptyset(&block);
	for (i = 0; i < (int)(sizeof end_sigs / sizeof *end_sigs); i++)
		sigaddset(&block, end_sigs[i]);
	pthread_sigmask(SIG_BLOCK, &block, &was);
	pthread_mutex_lock(&kids_lock);
	__atomic_store_n(&starting, 1, __ATOMIC_SEQ_CST);
	k = spawn(argv, envp, p, &pid, r->why, sizeof r->why);
	if (k == 0 && children_add(pid) == -1) {
		/* Untracked, it could be taken for an orphan: never run it. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		snprintf(r->why, sizeof r->why, "out of memory");
		k = -1;
	} else if (k == 0)
		group_set(0, pid);
	__atomic_store_n(&starting, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&kids_lock);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (k == -1)
		goto out;
	for (i = 0; i < 3; i++) {	/* the child's ends, then ours */
		close_fd(&p[i][i != 0]);
		fcntl(p[i][i == 0], F_SETFL, O_NONBLOCK);
	}
	k = pump(pid, &p[0][1], &p[1][0], &p[2][0], in, inlen, deadline, r);
	if (k == 0)
		k = reap(pid, deadline);
	/* What it left behind in its group goes with it (or with it timed
	 * out); what left the group is found by kill_orphans(). */
	kill(-pid, SIGKILL);
	pthread_mutex_lock(&kids_lock);
	group_set(pid, 0);
	pthread_mutex_unlock(&kids_lock);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	children_del(pid);
	kill_orphans();
	if (k != 0) {
		r->timed_out = k == 1;
		r->over_memory = k == 2;
		if (k == -1) {	/* standard error is never over: dropped */
			r->over_output = 1;
			snprintf(r->why, sizeof r->why, "output over %zu bytes",
			    r->out.max);
			goto out;
		}
	}
	if (WIFEXITED(st)) {
		r->exited = 1;
		r->exit_code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st))
		r->signal = WTERMSIG(st);
	rc = 0;
out:
	for (i = 0; i < 3; i++) {
		close_fd(&p[i][0]);
		close_fd(&p[i][1]);
	}
	return rc;
}
