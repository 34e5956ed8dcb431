/*
 * maxrss.c - run a command, then write the peak RSS in KiB of it and its
 * descendants to the file named first.  A small C parent, so the child's
 * memory before exec is a few hundred KiB, not a Python interpreter's.
 * usage: maxrss OUTFILE CMD [ARG ...]; exits with CMD's status.
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
		fprintf(stderr, "usage: maxrss outfile cmd [arg ...]\n");
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
		fprintf(f, "%ld\n", ru.ru_maxrss);
		fclose(f);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
