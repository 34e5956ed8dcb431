/* version.c - see version.h. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "json.h"
#include "version.h"

#ifndef PM_VERSION
#define PM_VERSION "unknown"
#endif
#ifndef PM_GIT_REV
#define PM_GIT_REV "unknown"
#endif
#ifndef PM_JQ_VERSION
#define PM_JQ_VERSION "unknown"
#endif

void
version_print(FILE *f, const char *prog)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	int pq = PQlibVersion();

	fprintf(f, "%s %s (git %s)\n", prog, PM_VERSION, PM_GIT_REV);
	fprintf(f, "libcurl %s, SQLite %s, libpq %d.%d, simdjson %s, "
	    "libjq %s (as built)\n", cv->version, sqlite3_libversion(),
	    pq / 10000, pq % 10000, json_lib_version(), PM_JQ_VERSION);
}
