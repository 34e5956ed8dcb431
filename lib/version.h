/*
 * version.h - what every program's --version prints: one line naming the
 * program, its version and the git revision it was built from, then one
 * line with the versions of the libraries in use (libcurl, SQLite and libpq
 * as loaded at run time; simdjson and libjq as built: libjq 1.6 has no
 * run-time version call).  Nothing is allocated.
 */
#ifndef PM_VERSION_H
#define PM_VERSION_H

#include <stdio.h>

void version_print(FILE *f, const char *prog);

#endif
