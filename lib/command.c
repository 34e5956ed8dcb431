/* command.c - external programs with a timeout (see command.h). */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "timefmt.h"

extern char **environ;

void
cmd_result_init(struct cmd_result *r, size_t max_out, size_t max_err)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->out, max_out);
	buf_init(&r->err, max_err);
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

/* Read what is there into b; 1 at end of file, 0 more to come, -1 cap. */
static int
drain(int fd, struct buf *b)
{
	char tmp[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		if (buf_add(b, tmp, (size_t)n) == -1)
			return -1;
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

/* Feed the input and collect the output until both output pipes close:
 * 0 done, 1 deadline passed, -1 an output passed its cap, 2 the resident
 * size passed r->max_rss_kb (looked at every 10 ms). */
static int
pump(pid_t pid, int *in_fd, int *out_fd, int *err_fd, const char *in,
    size_t inlen, long deadline, struct cmd_result *r)
{
	struct pollfd pf[3];
	int *fd[3] = { in_fd, out_fd, err_fd };
	size_t off = 0, chunk;
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
		t = -1;
		if (deadline && (t = (int)(deadline - ts_mono_ms())) <= 0)
			return 1;
		if (r->max_rss_kb && rss_kb(pid) > r->max_rss_kb)
			return 2;
		if (r->max_rss_kb && (t == -1 || t > 10))
			t = 10;
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
			d = drain(pf[i].fd, pf[i].fd == *out_fd ? &r->out :
			    &r->err);
			if (d == -1)
				return -1;
			if (d == 1)
				close_fd(pf[i].fd == *out_fd ? out_fd : err_fd);
		}
	}
	return 0;
}

/* Wait for the exit: 0 reaped, 1 deadline passed. */
static int
reap(pid_t pid, long deadline, int *st)
{
	struct timespec ts = { 0, 5 * 1000000L };
	pid_t w;

	for (;;) {
		w = waitpid(pid, st, deadline ? WNOHANG : 0);
		if (w == pid)
			return 0;
		if (w == -1 && errno != EINTR)
			return 1;
		if (deadline && ts_mono_ms() >= deadline)
			return 1;
		if (w == 0)
			nanosleep(&ts, NULL);
	}
}

int
cmd_run(char *const argv[], char *const envp[], const char *in, size_t inlen,
    long timeout_ms, struct cmd_result *r)
{
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	long deadline = timeout_ms > 0 ? ts_mono_ms() + timeout_ms : 0;
	int i, k, st = 0, rc = -1;
	pid_t pid;

	for (i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) == -1) {
			snprintf(r->why, sizeof r->why, "pipe: %s",
			    strerror(errno));
			goto out;
		}
	if (spawn(argv, envp, p, &pid, r->why, sizeof r->why) == -1)
		goto out;
	close_fd(&p[0][0]);
	close_fd(&p[1][1]);
	close_fd(&p[2][1]);
	fcntl(p[0][1], F_SETFL, O_NONBLOCK);
	fcntl(p[1][0], F_SETFL, O_NONBLOCK);
	fcntl(p[2][0], F_SETFL, O_NONBLOCK);
	k = pump(pid, &p[0][1], &p[1][0], &p[2][0], in, inlen, deadline, r);
	if (k == 0)
		k = reap(pid, deadline, &st);
	if (k != 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		r->timed_out = k == 1;
		r->over_memory = k == 2;
		if (k == -1) {
			snprintf(r->why, sizeof r->why, "output over %zu bytes",
			    r->out.len >= r->out.max ? r->out.max : r->err.max);
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
