/*
 * stub.c - stands in for a program of the design that is not written yet.
 * It says so and fails, so no pipeline mistakes it for the real thing.
 */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "%s: not implemented yet\n", PROG);
	return 69;
}
