/*
 * test-dotenv.c - the settings-file rules of lib/dotenv.c.  With no
 * arguments: the checks, "unit: N checks, N failed".  With `--dump FILE`:
 * FILE's settings as KEY=VALUE lines in file order (nothing set), or exit
 * 2 after the message, so that t0012 holds pipelines.sh's reader to the
 * same rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"
#include "msg.h"

static int checks, failed;

static void
line(const char *in, int want, const char *wkey, const char *wval)
{
	char key[256], val[256];
	const char *why = NULL;
	int r = dotenv_line(in, strlen(in), key, val, &why);

	checks++;
	if (r != want || (r == 1 && (strcmp(key, wkey) || strcmp(val, wval)))) {
		failed++;
		printf("FAIL dotenv_line(\"%s\"): %d [%s]=[%s] %s\n", in, r,
		    r == 1 ? key : "", r == 1 ? val : "", why ? why : "");
	}
}

static int
dump(const char *path)
{
	char *l = NULL, *key, *val;
	size_t cap = 0;
	ssize_t n;
	const char *why;
	FILE *f = fopen(path, "r");

	if (f == NULL || dotenv_load(path, 1) == -1)	/* the messages */
		return 2;
	while ((n = getline(&l, &cap, f)) != -1) {
		if (n > 0 && l[n - 1] == '\n')
			l[--n] = 0;
		key = malloc((size_t)n + 1);
		val = malloc((size_t)n + 1);
		if (key && val && dotenv_line(l, (size_t)n, key, val, &why) == 1)
			printf("%s=%s\n", key, val);
		free(key);
		free(val);
	}
	free(l);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	msg_init("test-dotenv");
	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	line("", 0, 0, 0);
	line("   # comment", 0, 0, 0);
	line("\r", 0, 0, 0);
	line("A=1", 1, "A", "1");
	line("A=1\r", 1, "A", "1");
	line("export A = 1 ", 1, "A", "1");
	line("A=x # note", 1, "A", "x");
	line("A=x#not-a-note", 1, "A", "x#not-a-note");
	line("A='a # b'", 1, "A", "a # b");
	line("A='a \\\" $HOME'", 1, "A", "a \\\" $HOME");
	line("A=\"say \\\"hi\\\" \\\\ \\n\"  # c", 1, "A", "say \"hi\" \\ \\n");
	line("A=", 1, "A", "");
	line("A=$HOME", 1, "A", "$HOME");
	line("_a1=postgresql://u:p@h/db?sslmode=require", 1, "_a1",
	    "postgresql://u:p@h/db?sslmode=require");
	line("1A=x", -1, 0, 0);
	line("A B=x", -1, 0, 0);
	line("just words", -1, 0, 0);
	line("A=\"open", -1, 0, 0);
	line("A='open", -1, 0, 0);
	line("A='x' y", -1, 0, 0);
	line("exportA=1", 1, "exportA", "1");
	printf("unit: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
