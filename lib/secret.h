/*
 * secret.h - what pm-* treats as a secret, in one place (pm-pipelines(7),
 * SECRETS), the environment a child program gets, and masking.
 *
 * A variable holds a secret when its name is DATABASE_URL,
 * SUPABASE_DB_URL, PGPASSWORD, PM_NOTIFY_URL, OPENAI_API_KEY or
 * GEMINI_API_KEY, ends in _KEY, _TOKEN, _SECRET or _PASSWORD, or is one
 * of the extra names a caller adds (every api_key_env of a
 * configuration).  A child program (a command, a jq worker) gets only
 * PATH, HOME, LANG, LC_*, TZ and TMPDIR and the names it lists; a secret
 * it lists reaches it, and its value (and a database URL's password) is
 * then replaced by *** wherever it would be recorded.
 *
 * Ownership: a struct secrets owns copies of the values; secrets_free()
 * is NULL-safe.  secret_env() returns an allocated NULL-terminated array
 * of allocated "NAME=value" strings, freed with secret_env_free().
 * Everything is read from the environment when called: call these after
 * the settings file is loaded and before threads start.
 */
#ifndef PM_SECRET_H
#define PM_SECRET_H

#include <stddef.h>

struct secrets;

/* 1 when the variable name holds a secret. */
int secret_name(const char *name, char *const extra[], size_t nextra);

/* The values of every secret variable set in the environment, the extra
 * names included; NULL when out of memory. */
struct secrets *secrets_new(char *const extra[], size_t nextra);
void secrets_free(struct secrets *s);

/* Values shorter than this are not masked: "x" or "no", the keys local
 * servers are given, are placeholders, and masking every x of a text
 * would garble it. */
#define SECRET_MIN	3

/* Replace each secret value in p[0..n) by ***; the new length (never
 * more than n).  Values shorter than SECRET_MIN bytes are not masked. */
size_t secret_mask(const struct secrets *s, char *p, size_t n);

/* The length of the longest value masked (0: none): what a text cut
 * short must be read beyond its cut for a value the cut falls in. */
size_t secret_longest(const struct secrets *s);

/* The same on a NUL-terminated string. */
void secret_mask_str(const struct secrets *s, char *str);

/* The environment of a child: the allow-list, then the names listed (when
 * set).  NULL when out of memory. */
char **secret_env(char *const names[], size_t n);
void secret_env_free(char **env);

#endif
