/*
 * test-command.c - unit tests for lib/command.c: a signal that ends the
 * process just as a command was started (after posix_spawnp(3) returned,
 * before its group was in the table the handler kills) still takes the
 * command with it.  posix_spawnp is wrapped here to send that signal at
 * that moment.  Prints one line per failed check and "unit: N checks, N
 * failed"; exit 1 on failure.
 */
#define _GNU_SOURCE	/* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"

static int checks, failed;
static int report_fd = -1;	/* where the wrapper writes the pid */
static int end_sig;		/* what it sends itself then */

#define CHECK(c) do { checks++; if (!(c)) { failed++; \
	printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
    const posix_spawnattr_t *, char *const [], char *const []);

int
posix_spawnp(pid_t *pid, const char *file,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
    char *const argv[], char *const envp[])
{
	spawn_fn *real = (spawn_fn *)dlsym(RTLD_NEXT, "posix_spawnp");
	int e;

	if ((e = real(pid, file, fa, at, argv, envp)) == 0 && end_sig) {
		if (write(report_fd, pid, sizeof *pid) != sizeof *pid)
			_exit(99);
		raise(end_sig);
	}
	return e;
}

/* A process that runs `sleep 30` with cmd_run() and gets sig as the
 * sleep starts: the process ends by sig, the sleep is killed. */
static void
signal_at_start(int sig)
{
	char *argv[] = { "sleep", "30", NULL };
	struct cmd_result r;
	pid_t w, sleeper = 0;
	int p[2], st = 0, i;

	CHECK(pipe(p) == 0);
	if ((w = fork()) == 0) {
		close(p[0]);
		/* as a program started in the foreground has it (a test
		 * run in the background ignores SIGINT, which command.c
		 * then leaves ignored) */
		signal(sig, SIG_DFL);
		report_fd = p[1];
		end_sig = sig;
		cmd_result_init(&r, 1024, 1024);
		cmd_run(argv, NULL, "", 0, 30000, &r);
		_exit(98);	/* the signal never ended it */
	}
	close(p[1]);
	CHECK(read(p[0], &sleeper, sizeof sleeper) == sizeof sleeper);
	close(p[0]);
	CHECK(waitpid(w, &st, 0) == w);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sig);
	if (sleeper <= 0)
		return;
	/* the orphaned sleep comes to us (a subreaper): it must be dead */
	for (i = 0; i < 200; i++) {
		if (waitpid(sleeper, &st, WNOHANG) == sleeper)
			break;
		usleep(10000);
	}
	CHECK(i < 200 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	if (i == 200) {
		kill(sleeper, SIGKILL);
		waitpid(sleeper, NULL, 0);
	}
}

int
main(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal_at_start(SIGTERM);
	signal_at_start(SIGINT);
	signal_at_start(SIGHUP);
	printf("unit: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
