/*
 * rusage.c - run a command, then write to the file named first the peak
 * RSS in KiB of it and its descendants, and the CPU seconds (user and
 * system) they used together.  A small C parent, so the child's memory
 * before exec is a few hundred KiB, not a Python interpreter's.  A
 * server the command talks to is no descendant: its CPU is not counted.
 * usage: rusage OUTFILE CMD [ARG ...]; exits with CMD's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int st;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage outfile cmd [arg ...]\n");
		return 2;
	}
	if ((pid = fork()) == -1)
		return 127;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1 || getrusage(RUSAGE_CHILDREN, &ru) == -1)
		return 127;
	if ((f = fopen(argv[1], "w")) != NULL) {
		fprintf(f, "%ld %.3f\n", ru.ru_maxrss,
		    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
		fclose(f);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
