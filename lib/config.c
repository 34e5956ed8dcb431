/* config.c - experiment configuration (see config.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jv.h>

#include "buf.h"
#include "config.h"
#include "jw.h"
#include "secret.h"
#include "sha.h"

/* No configuration: a snapshot of the markets and the market price. */
static const char builtin_config[] =
    "{\"suites\":[{\"id\":\"builtin\","
    "\"research\":[{\"variant\":\"baseline\",\"type\":\"builtin\"}],"
    "\"forecast\":[{\"variant\":\"market\",\"type\":\"builtin\"}]}]}";

static const char *const type_names[] = { "builtin", "jq", "command",
    "openai", "gemini" };

/* Where each LLM provider is, and where its key is, unless told. */
static const struct {
	const char	*base_url, *key_env;
} llm_defaults[] = {
	[XT_OPENAI] = { "https://api.openai.com/v1", "OPENAI_API_KEY" },
	[XT_GEMINI] = { "https://generativelanguage.googleapis.com/v1beta",
	    "GEMINI_API_KEY" },
};
static const char *const stage_names[] = { "research", "forecast" };

/* The members a suite and a variant's parameters may have, whatever the
 * type (a suite's defaults are every type's): any other is a typo that
 * would go unsaid, the parameter not set, a stage not run. */
static const char *const root_keys[] = { "suites", NULL };
static const char *const suite_keys[] = { "id", "defaults", "research",
    "forecast", NULL };
static const char *const param_keys[] = { "variant", "name", "type",
    "timeout", "depends_on", "version", "description", "builtin", "program",
    "program_file", "max_memory_mb", "argv", "env", "api", "base_url",
    "model", "api_key_env", "system", "prompt", "temperature", "max_tokens",
    "max_completion_tokens", "json_mode", "json_schema", "web_search",
    "google_search", "search_context_size", "allowed_domains",
    "user_location", "requests_per_minute", "max_retries", "max_retry_wait",
    NULL };

struct loader {
	struct config	*c;
	size_t		 cap;
	jv		 files;		/* override file objects, in order */
	jv		 inl;		/* [name, path, value] triples */
	jv		 deps;		/* depends_on of each variant */
	char		*dir;		/* of the configuration file */
	double		 timeout;	/* default, seconds */
	char		*err;
	size_t		 errlen;
	int		 parsed;	/* the file was: errors name it */
};

const char *
config_type_name(int type)
{
	return type_names[type];
}

const char *
config_stage_name(int stage)
{
	return stage_names[stage];
}

const char *
config_overridden(const struct variant *v)
{
	return v->overridden ? " (with the overrides)" : "";
}

static int
fail(struct loader *L, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(L->err, L->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Why path could not be read, in err: a long path is cut short, not the
 * reason (a 4000-byte one left no room for it). */
static void
read_fail(const char *path, const char *why, char *err, size_t errlen)
{
	size_t n = strlen(path);

	snprintf(err, errlen, "%.*s%s: %s", (int)(n > 256 ? 256 : n), path,
	    n > 256 ? "..." : "", why);
}

static char *
read_all(const char *path, char *err, size_t errlen)
{
	struct buf b;
	char tmp[65536];
	size_t n;
	FILE *f;

	buf_init(&b, 64 * 1024 * 1024);
	if ((f = fopen(path, "r")) == NULL) {
		read_fail(path, strerror(errno), err, errlen);
		return NULL;
	}
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(&b, tmp, n) == -1)
			break;
	if (ferror(f) || !feof(f) || b.data == NULL) {
		/* a directory opens, and its read says why (EISDIR) */
		read_fail(path, ferror(f) ? strerror(errno) : b.data == NULL ?
		    "empty file" : "cannot read", err, errlen);
		buf_release(&b);
		b.data = NULL;
	}
	fclose(f);
	return b.data;
}

/* Parse JSON text; on error an invalid jv and the reason in err, on one
 * line (libjq's message ends with the whole text it parsed). */
static jv
parse(const char *what, const char *text, char *err, size_t errlen)
{
	jv v = jv_parse(text), m;
	const char *s, *e;

	if (!jv_is_valid(v)) {
		m = jv_invalid_get_msg(v);
		s = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "invalid JSON";
		e = strstr(s, " (while parsing");
		snprintf(err, errlen, "%s: %.*s", what,
		    (int)(e ? (size_t)(e - s) : strlen(s)), s);
		jv_free(m);
		return jv_invalid();
	}
	return v;
}

static jv
parse_file(const char *path, char *err, size_t errlen)
{
	char *text = read_all(path, err, errlen);
	jv v;

	if (text == NULL)
		return jv_invalid();
	v = parse(path, text, err, errlen);
	free(text);
	return v;
}

/* A name a suite or variant may have: it must survive "NAME.key=value"
 * and "suite:stage:variant", and fit the buffers built from it (a longer
 * one was cut short there: two research variants became one key). */
static int
good_name(const char *s)
{
	if (*s == 0 || strlen(s) > CONFIG_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* The first member of object o that is not in known, or NULL; owned by
 * the caller. */
static char *
unknown_key(jv o, const char *const *known)
{
	const char *const *k;
	char *bad = NULL;

	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return NULL;
	jv_object_foreach(o, key, val) {
		for (k = known; *k && strcmp(*k, jv_string_value(key)); k++)
			;
		if (*k == NULL && bad == NULL)
			bad = strdup(jv_string_value(key));
		jv_free(key);
		jv_free(val);
	}
	return bad;
}

/* "NAME.key.path=value" as [NAME, [key, path], value]; value typed as
 * JSON when it parses (true, 12, null, [..]), else a string. */
static int
parse_override(struct loader *L, const char *s)
{
	const char *eq = strchr(s, '='), *dot, *p;
	jv path, val;

	if (eq == NULL || (dot = memchr(s, '.', (size_t)(eq - s))) == NULL ||
	    dot == s)
		return fail(L, "--override %s: not NAME.key=value", s);
	path = jv_array();
	for (p = dot + 1;; p++) {
		const char *e = memchr(p, '.', (size_t)(eq - p));

		if (e == NULL)
			e = eq;
		if (e == p) {
			jv_free(path);
			return fail(L, "--override %s: empty key", s);
		}
		path = jv_array_append(path, jv_string_sized(p, (int)(e - p)));
		if ((p = e) == eq)
			break;
	}
	val = jv_parse(eq + 1);
	if (!jv_is_valid(val)) {
		jv_free(val);
		val = jv_string(eq + 1);
	}
	L->inl = jv_array_append(L->inl, JV_ARRAY(jv_string_sized(s,
	    (int)(dot - s)), path, val));
	return 0;
}

/* How the n bytes at s name v: 1 its suite, 2 its name, 3 suite:name,
 * 4 its id (suite:stage:variant, as --list prints it), 0 not at all. */
static int
names(const char *s, size_t n, const struct variant *v)
{
	size_t sl = strlen(v->suite), vl = strlen(v->name);

	if (n == sl && memcmp(s, v->suite, n) == 0)
		return 1;
	if (n == vl && memcmp(s, v->name, n) == 0)
		return 2;
	if (n == sl + 1 + vl && memcmp(s, v->suite, sl) == 0 && s[sl] == ':' &&
	    memcmp(s + sl + 1, v->name, vl) == 0)
		return 3;
	return n == strlen(v->id) && memcmp(s, v->id, n) == 0 ? 4 : 0;
}

/* Whether s names v itself, not (only) its suite. */
static int
names_variant(const char *s, size_t n, const struct variant *v)
{
	return (n == strlen(v->name) && memcmp(s, v->name, n) == 0) ||
	    names(s, n, v) >= 3;
}

static int
match(const char *name, const struct variant *v)
{
	return names(name, strlen(name), v);
}

/* Files first, each from the least to the most specific name (jv objects
 * have no key order), then the inline overrides as given. */
static jv
apply_overrides(struct loader *L, jv p, const struct variant *var)
{
	int level;

	jv_array_foreach(L->files, i, f) {
		for (level = 1; level <= 4; level++) {
			jv_object_foreach(f, k, v) {
				if (match(jv_string_value(k), var) ==
				    level && jv_get_kind(v) == JV_KIND_OBJECT)
					p = jv_object_merge_recursive(p, v);
				else
					jv_free(v);
				jv_free(k);
			}
		}
		jv_free(f);
	}
	jv_array_foreach(L->inl, i, t) {
		jv n = jv_array_get(jv_copy(t), 0);

		if (match(jv_string_value(n), var))
			p = jv_setpath(p, jv_array_get(jv_copy(t), 1),
			    jv_array_get(jv_copy(t), 2));
		jv_free(n);
		jv_free(t);
	}
	return p;
}

/* A string member as a new C string; *bad set when it is another type. */
static char *
pstr(jv p, const char *key, int *bad)
{
	jv v = jv_object_get(jv_copy(p), jv_string(key));
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		if ((s = strdup(jv_string_value(v))) == NULL)
			*bad = 1;
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		*bad = 1;
	jv_free(v);
	return s;
}

/* 1 set, 0 absent or null, -1 not a number. */
static int
pnum(jv p, const char *key, double *d)
{
	jv v = jv_object_get(jv_copy(p), jv_string(key));
	int r = 0;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*d = jv_number_value(v);
		r = 1;
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		r = -1;
	jv_free(v);
	return r;
}

/* true into *on; absent, null or false: 0.  Any other value ("true",
 * 1) is an error: it read as false, a search or JSON mode asked for
 * silently not asked. */
static int
pbool(struct loader *L, const struct variant *v, jv p, const char *key,
    int *on)
{
	jv x = jv_object_get(jv_copy(p), jv_string(key));
	jv_kind k = jv_get_kind(x);

	jv_free(x);
	*on = k == JV_KIND_TRUE;
	if (k != JV_KIND_INVALID && k != JV_KIND_NULL && k != JV_KIND_TRUE &&
	    k != JV_KIND_FALSE)
		return fail(L, "%s: %s: true or false", v->id, key);
	return 0;
}

static int
fill_argv(struct loader *L, struct variant *v, jv p)
{
	jv a = jv_object_get(jv_copy(p), jv_string("argv")), e;
	int n = jv_get_kind(a) == JV_KIND_ARRAY ? jv_array_length(jv_copy(a)) :
	    0, i, rc = 0;

	if (n == 0 || (v->argv = calloc((size_t)n + 1, sizeof *v->argv)) ==
	    NULL) {
		jv_free(a);
		return fail(L, "%s: argv must be a non-empty array of strings",
		    v->id);
	}
	for (i = 0; i < n && rc == 0; i++) {
		e = jv_array_get(jv_copy(a), i);
		if (jv_get_kind(e) != JV_KIND_STRING ||
		    (v->argv[i] = strdup(jv_string_value(e))) == NULL)
			rc = fail(L, "%s: argv must be a non-empty array of "
			    "strings", v->id);
		else if (i == 0 && v->argv[0][0] == 0)
			rc = fail(L, "%s: argv[0]: no program (an empty "
			    "string)", v->id);
		else if (strlen(v->argv[i]) !=
		    (size_t)jv_string_length_bytes(jv_copy(e)))
			rc = fail(L, "%s: argv[%d]: holds a NUL character",
			    v->id, i);
		jv_free(e);
	}
	jv_free(a);
	return rc;
}

static int prange(struct loader *L, const struct variant *v, jv p,
    const char *key, double lo, double hi, int whole, double *d);

static int
good_env_name(const char *s)
{
	return *s && (*s < '0' || *s > '9') && strspn(s, "abcdefghijklmnopqrstu"
	    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(s);
}

/* env: the names of the variables a command or jq program is given beyond
 * the allow-list (secret.h); then its environment. */
static int
fill_env(struct loader *L, struct variant *v, jv p)
{
	jv a = jv_object_get(jv_copy(p), jv_string("env")), e;
	int n = 0, i, rc = 0;

	if (jv_get_kind(a) == JV_KIND_ARRAY)
		n = jv_array_length(jv_copy(a));
	else if (jv_is_valid(a) && jv_get_kind(a) != JV_KIND_NULL)
		rc = -1;
	if (rc == 0 && (v->env = calloc((size_t)n + 1, sizeof *v->env)) == NULL)
		rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		e = jv_array_get(jv_copy(a), i);
		if (jv_get_kind(e) != JV_KIND_STRING ||
		    !good_env_name(jv_string_value(e)) ||
		    (v->env[i] = strdup(jv_string_value(e))) == NULL)
			rc = -1;
		else
			v->nenv++;
		jv_free(e);
	}
	jv_free(a);
	if (rc == -1)
		return fail(L, "%s: env: an array of variable names", v->id);
	if ((v->envp = secret_env(v->env, v->nenv)) == NULL)
		return fail(L, "out of memory");
	return 0;
}

static int
fill_jq(struct loader *L, struct variant *v, jv p)
{
	char *file, path[4096];
	double mb = 1024;
	int bad = 0;

	if (prange(L, v, p, "max_memory_mb", 16, 1048576, 1, &mb) == -1 ||
	    fill_env(L, v, p) == -1)
		return -1;
	v->max_mb = (long)mb;

	v->program = pstr(p, "program", &bad);
	file = pstr(p, "program_file", &bad);
	if (bad || (v->program == NULL) == (file == NULL)) {
		free(file);
		return fail(L, "%s: give program or program_file, a string",
		    v->id);
	}
	if (file) {
		/* one cut short names another file, and that one was run */
		if ((size_t)snprintf(path, sizeof path, "%s%s", file[0] == '/' ?
		    "" : L->dir, file) >= sizeof path) {
			free(file);
			return fail(L, "%s: program_file: over %zu bytes with "
			    "the config's directory", v->id, sizeof path - 1);
		}
		free(file);
		if ((v->program = read_all(path, L->err, L->errlen)) == NULL)
			return -1;
	}
	return 0;
}

/* A member of JSON kind k as compact JSON text; NULL when absent or null,
 * *bad set when it is of another kind. */
static char *
pjson(jv p, const char *key, jv_kind k, int *bad)
{
	jv v = jv_object_get(jv_copy(p), jv_string(key)), t;
	char *s = NULL;

	if (jv_get_kind(v) == k) {
		t = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);
		if ((s = strdup(jv_string_value(t))) == NULL)
			*bad = 1;
		jv_free(t);
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		*bad = 1;
	jv_free(v);
	return s;
}

/* A number in [lo, hi] (whole when asked) into *d; absent keeps *d. */
static int
prange(struct loader *L, const struct variant *v, jv p, const char *key,
    double lo, double hi, int whole, double *d)
{
	double x;
	int r = pnum(p, key, &x);

	if (r == -1 || (r == 1 && (x < lo || x > hi || (whole &&
	    x != floor(x)))))
		return fail(L, "%s: %s: a %snumber from %.15g to %.15g", v->id, key,
		    whole ? "whole " : "", lo, hi);
	if (r == 1)
		*d = x;
	return 0;
}

/* The openai search tool (responses) or web_search_options (chat) from
 * web_search and its options, as the request will carry it. */
static int
fill_openai_search(struct loader *L, struct variant *v, jv p)
{
	static const char *const opts[] = { "search_context_size",
	    "allowed_domains", "user_location" };
	static const jv_kind kinds[] = { JV_KIND_STRING, JV_KIND_ARRAY,
	    JV_KIND_OBJECT };
	jv t, o[3];
	int i, given = 0, ok = 1;

	for (i = 0; i < 3; i++) {
		o[i] = jv_object_get(jv_copy(p), jv_string(opts[i]));
		if (!jv_is_valid(o[i])) {	/* absent: as null */
			jv_free(o[i]);
			o[i] = jv_null();
		}
		given |= jv_get_kind(o[i]) != JV_KIND_NULL;
		ok &= jv_get_kind(o[i]) == JV_KIND_NULL ||
		    jv_get_kind(o[i]) == kinds[i];
	}
	if (jv_get_kind(o[0]) == JV_KIND_STRING)
		ok &= !strcmp(jv_string_value(o[0]), "low") ||
		    !strcmp(jv_string_value(o[0]), "medium") ||
		    !strcmp(jv_string_value(o[0]), "high");
	t = v->api == XA_RESPONSES ? JV_OBJECT(jv_string("type"),
	    jv_string("web_search")) : jv_object();
	if (jv_get_kind(o[0]) == JV_KIND_STRING)
		t = jv_object_set(t, jv_string(opts[0]), jv_copy(o[0]));
	if (jv_get_kind(o[1]) == JV_KIND_ARRAY)
		t = jv_object_set(t, jv_string("filters"),
		    JV_OBJECT(jv_string(opts[1]), jv_copy(o[1])));
	if (jv_get_kind(o[2]) == JV_KIND_OBJECT)
		t = jv_object_set(t, jv_string(opts[2]), jv_copy(o[2]));
	for (i = 0; i < 3; i++)
		jv_free(o[i]);
	t = jv_dump_string(t, JV_PRINT_SORTED);
	if (v->search && ok && (v->search_tool = strdup(jv_string_value(t))) ==
	    NULL)
		ok = 0;
	jv_free(t);
	if (!ok)
		return fail(L, "%s: search_context_size: low, medium or high; "
		    "allowed_domains: an array; user_location: an object", v->id);
	if (given && !v->search)
		return fail(L, "%s: search options without web_search", v->id);
	if (v->search && v->api == XA_CHAT && strstr(v->search_tool,
	    "allowed_domains"))
		return fail(L, "%s: allowed_domains needs \"api\": \"responses\"",
		    v->id);
	return 0;
}

/* The API an LLM variant calls, and its search. */
static int
fill_api(struct loader *L, struct variant *v, jv p)
{
	int bad = 0;
	char *api = pstr(p, "api", &bad);

	v->api = v->type == XT_GEMINI ? XA_GEMINI : XA_CHAT;
	if (api && v->type == XT_OPENAI && strcmp(api, "responses") == 0)
		v->api = XA_RESPONSES;
	else if (api && (v->type != XT_OPENAI || strcmp(api, "chat") != 0))
		bad = 1;
	free(api);
	if (bad)
		return fail(L, "%s: api: chat or responses, for openai only",
		    v->id);
	if (pbool(L, v, p, v->type == XT_OPENAI ? "google_search" :
	    "web_search", &bad) == -1)
		return -1;
	if (bad)
		return fail(L, "%s: search is %s for %s", v->id, v->type ==
		    XT_OPENAI ? "web_search" : "google_search",
		    type_names[v->type]);
	if (pbool(L, v, p, v->type == XT_OPENAI ? "web_search" :
	    "google_search", &v->search) == -1)
		return -1;
	if (v->type == XT_OPENAI)
		return fill_openai_search(L, v, p);
	if (v->search && v->json_mode)
		return fail(L, "%s: google_search with json_mode or json_schema: "
		    "Gemini refuses JSON output together with search", v->id);
	return 0;
}

/* Every parameter of an openai or gemini variant, resolved here only. */
static int
fill_llm(struct loader *L, struct variant *v, jv p)
{
	double d = -1, retries = 2, wait = 60;
	int bad = 0;

	v->base_url = pstr(p, "base_url", &bad);
	v->model = pstr(p, "model", &bad);
	v->api_key_env = pstr(p, "api_key_env", &bad);
	v->system = pstr(p, "system", &bad);
	v->prompt = pstr(p, "prompt", &bad);
	if (bad)
		return fail(L, "%s: base_url, model, api_key_env, system and "
		    "prompt are strings", v->id);
	/* an empty name went to the provider on every request, each
	 * refused */
	if (v->model == NULL || v->model[strspn(v->model, " \t")] == 0)
		return fail(L, "%s: model missing", v->id);
	/* Gemini's goes in the URL path: none that would change the path
	 * or overflow it (a 5000-letter name was cut short, its
	 * ":generateContent" too) */
	if (v->type == XT_GEMINI && (*v->model == 0 ||
	    strlen(v->model) > LLM_MODEL_MAX || strspn(v->model,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
	    != strlen(v->model)))
		return fail(L, "%s: model: 1 to %d letters, digits, '.', '-' "
		    "and '_'", v->id, LLM_MODEL_MAX);
	if ((v->base_url == NULL && (v->base_url =
	    strdup(llm_defaults[v->type].base_url)) == NULL) ||
	    (v->api_key_env == NULL && (v->api_key_env =
	    strdup(llm_defaults[v->type].key_env)) == NULL))
		return fail(L, "out of memory");
	/* libcurl takes "api.openai.com/v1" for http://: the key would go
	 * in clear text; a query would take the API's path in */
	if (strncasecmp(v->base_url, "http://", 7) != 0 &&
	    strncasecmp(v->base_url, "https://", 8) != 0)
		return fail(L, "%s: base_url: not an http:// or https:// URL",
		    v->id);
	if (strpbrk(v->base_url, "?#") != NULL)
		return fail(L, "%s: base_url: a base URL has no query or "
		    "fragment", v->id);
	if (prange(L, v, p, "temperature", 0, 2, 0, &d) == -1)
		return -1;
	v->temperature = d;
	d = 0;
	if (prange(L, v, p, "max_tokens", 1, 1000000, 1, &d) == -1 ||
	    prange(L, v, p, "max_retries", 0, 10, 1, &retries) == -1 ||
	    prange(L, v, p, "max_retry_wait", 0, 3600, 0, &wait) == -1)
		return -1;
	v->max_tokens = (long)d;
	v->max_retries = (int)retries;
	v->max_wait_ms = (long)(wait * 1000);
	if (prange(L, v, p, "requests_per_minute", 0, 1000000, 0,
	    &v->per_minute) == -1)
		return -1;
	v->json_schema = pjson(p, "json_schema", JV_KIND_OBJECT, &bad);
	if (bad)
		return fail(L, "%s: json_schema: an object", v->id);
	if (pbool(L, v, p, "json_mode", &v->json_mode) == -1)
		return -1;
	v->json_mode = v->json_mode || v->json_schema != NULL;
	if (fill_api(L, v, p) == -1)
		return -1;
	/* OpenAI's reasoning models refuse chat's max_tokens and take the
	 * same cap as max_completion_tokens; other providers may know only
	 * max_tokens: the name is the user's.  One cap: the fingerprint's. */
	d = 0;
	if (prange(L, v, p, "max_completion_tokens", 1, 1000000, 1, &d) == -1)
		return -1;
	if (d != 0 && v->api != XA_CHAT)
		return fail(L, "%s: max_completion_tokens is the chat API's; "
		    "this one's cap is max_tokens", v->id);
	if (d != 0 && v->max_tokens != 0)
		return fail(L, "%s: max_tokens and max_completion_tokens: one "
		    "cap, under one name", v->id);
	if (d != 0) {
		v->max_tokens = (long)d;
		v->cap_completion = 1;
	}
	return 0;
}

static int
fill_builtin(struct loader *L, struct variant *v, jv p)
{
	int bad = 0;
	char *b = pstr(p, "builtin", &bad);
	const char *name = b ? b : v->name;

	if (strcmp(name, "baseline") == 0)
		v->builtin = XB_BASELINE;
	else if (strcmp(name, "market") == 0)
		v->builtin = XB_MARKET;
	else
		bad = 1;
	free(b);
	if (bad)
		return fail(L, "%s: builtin must be baseline or market", v->id);
	return 0;
}

static int
fill_variant(struct loader *L, struct variant *v, jv p)
{
	char *type;
	jv s;
	double t = L->timeout;
	int bad = 0, have;

	s = jv_dump_string(jv_copy(p), JV_PRINT_SORTED);
	v->params = strdup(jv_string_value(s));
	jv_free(s);
	type = pstr(p, "type", &bad);
	for (v->type = 0; type && v->type < XT_NTYPES; v->type++)
		if (strcmp(type, type_names[v->type]) == 0)
			break;
	have = type != NULL;
	free(type);
	if (v->params == NULL || !have || v->type == XT_NTYPES)
		return fail(L, "%s: type must be builtin, jq, command, openai or "
		    "gemini", v->id);
	/* as --timeout: less than a millisecond was none at all */
	if (pnum(p, "timeout", &t) == -1 || !(t >= 0.001 && t <= 86400))
		return fail(L, "%s: timeout: seconds, from 0.001 to 86400",
		    v->id);
	v->timeout_ms = (long)(t * 1000);
	switch (v->type) {
	case XT_BUILTIN:
		return fill_builtin(L, v, p);
	case XT_JQ:
		return fill_jq(L, v, p);
	case XT_COMMAND:
		return fill_env(L, v, p) == -1 ? -1 : fill_argv(L, v, p);
	default:
		return fill_llm(L, v, p);
	}
}

static struct variant *
new_variant(struct loader *L, const char *suite, const char *name, int stage)
{
	struct config *c = L->c;
	struct variant *v;
	size_t n;

	if (c->n == L->cap) {
		L->cap = L->cap ? L->cap * 2 : 16;
		if ((v = realloc(c->v, L->cap * sizeof *v)) == NULL)
			return NULL;
		c->v = v;
	}
	v = &c->v[c->n++];
	memset(v, 0, sizeof *v);
	n = strlen(suite) + strlen(name) + 12;
	v->stage = stage;
	v->suite = strdup(suite);
	v->name = strdup(name);
	if ((v->id = malloc(n)) != NULL)
		snprintf(v->id, n, "%s:%s:%s", suite, stage_names[stage], name);
	return v->suite && v->name && v->id ? v : NULL;
}

/* depends_on: a name or an array of names, kept for resolve_deps(). */
static int
keep_deps(struct loader *L, struct variant *v, jv p)
{
	jv d = jv_object_get(jv_copy(p), jv_string("depends_on"));
	int ok = 1;

	if (!jv_is_valid(d) || jv_get_kind(d) == JV_KIND_NULL) {
		jv_free(d);
		d = jv_array();
	} else if (jv_get_kind(d) == JV_KIND_STRING)
		d = JV_ARRAY(d);
	if (jv_get_kind(d) != JV_KIND_ARRAY)
		ok = 0;
	else
		jv_array_foreach(d, i, e) {
			ok &= jv_get_kind(e) == JV_KIND_STRING;
			jv_free(e);
		}
	if (ok && v->stage == XS_RESEARCH && jv_array_length(jv_copy(d)) > 0)
		ok = -1;
	L->deps = jv_array_append(L->deps, d);
	if (ok == -1)
		return fail(L, "%s: only forecast variants have depends_on",
		    v->id);
	return ok ? 0 : fail(L, "%s: depends_on: a research variant name or "
	    "an array of them", v->id);
}

/* version and description: said about a variant, not part of what it
 * computes (its fingerprint). */
static int
fill_meta(struct loader *L, struct variant *v, jv p)
{
	int bad = 0;

	v->version = pstr(p, "version", &bad);
	if (!bad)
		v->description = pstr(p, "description", &bad);
	if (bad)
		return fail(L, "%s: version and description must be strings",
		    v->id);
	return 0;
}

/* Whether objects p and q differ in member k (absent from both: no). */
static int
differs(jv p, jv q, const char *k)
{
	jv a = jv_object_get(jv_copy(p), jv_string(k)),
	    b = jv_object_get(jv_copy(q), jv_string(k));
	int va = jv_is_valid(a), vb = jv_is_valid(b);

	if (va && vb)
		return !jv_equal(a, b);
	jv_free(a);
	jv_free(b);
	return va != vb;
}

static int
load_variant(struct loader *L, const char *suite, int stage, jv defaults,
    jv entry)
{
	struct variant *v;
	char *name;
	size_t i;
	int bad = 0, rc;
	jv p, q;

	if ((name = pstr(entry, "variant", &bad)) == NULL && !bad)
		name = pstr(entry, "name", &bad);
	if (bad || name == NULL || !good_name(name)) {
		free(name);
		return fail(L, "suite %s: %s variant without a name of 1 to %d "
		    "letters, digits, - and _", suite, stage_names[stage],
		    CONFIG_NAME_MAX);
	}
	for (i = 0; i < L->c->n; i++)
		if (L->c->v[i].stage == stage && !strcmp(L->c->v[i].suite, suite)
		    && !strcmp(L->c->v[i].name, name)) {
			rc = fail(L, "%s:%s:%s: defined twice", suite,
			    stage_names[stage], name);
			free(name);
			return rc;
		}
	v = new_variant(L, suite, name, stage);
	free(name);
	if (v == NULL)
		return fail(L, "out of memory");
	q = jv_object_merge_recursive(jv_copy(defaults), jv_copy(entry));
	p = apply_overrides(L, jv_copy(q), v);
	if (!jv_is_valid(p)) {
		jv_free(p);
		jv_free(q);
		return fail(L, "%s: an override does not fit the parameters",
		    v->id);
	}
	v->overridden = !jv_equal(jv_copy(p), jv_copy(q));
	rc = v->overridden && (differs(p, q, "variant") ||
	    differs(p, q, "name"));
	jv_free(q);
	/* the name was read before: a new one renamed nothing, exit 0 */
	if (rc)
		rc = fail(L, "%s: an override cannot rename a variant", v->id);
	else if ((name = unknown_key(p, param_keys)) != NULL) {
		rc = fail(L, "%s: unknown parameter %s", v->id, name);
		free(name);
	} else
		rc = fill_variant(L, v, p);
	if (rc == 0)
		rc = fill_meta(L, v, p);
	if (rc == 0)
		rc = keep_deps(L, v, p);
	if (rc == -1) {
		i = strlen(L->err);
		snprintf(L->err + i, L->errlen - i, "%s",
		    config_overridden(v));
	}
	jv_free(p);
	return rc;
}

static int
load_suite(struct loader *L, jv suite)
{
	char *id, *name;
	int bad = 0, stage, rc = 0;
	size_t i;
	jv defaults, list;

	if (jv_get_kind(suite) != JV_KIND_OBJECT)
		return fail(L, "a suite is not an object");
	if ((id = pstr(suite, "id", &bad)) == NULL || bad || !good_name(id)) {
		free(id);
		return fail(L, "a suite without an id of 1 to %d letters, "
		    "digits, - and _", CONFIG_NAME_MAX);
	}
	for (i = 0; i < L->c->n; i++)
		if (strcmp(L->c->v[i].suite, id) == 0) {
			rc = fail(L, "suite %s: defined twice", id);
			goto out;
		}
	if ((name = unknown_key(suite, suite_keys)) != NULL) {
		rc = fail(L, "suite %s: unknown member %s (id, defaults, research "
		    "and forecast)", id, name);
		free(name);
		goto out;
	}
	defaults = jv_object_get(jv_copy(suite), jv_string("defaults"));
	if (jv_get_kind(defaults) != JV_KIND_OBJECT) {
		/* "defaults": "gpt-4o" set nothing, silently */
		if (jv_is_valid(defaults) &&
		    jv_get_kind(defaults) != JV_KIND_NULL)
			rc = fail(L, "suite %s: defaults is not an object", id);
		jv_free(defaults);
		defaults = jv_object();
	}
	/* each variant's own name is read, never the defaults' */
	for (i = 0; i < 2 && rc == 0; i++)
		if (jv_object_has(jv_copy(defaults),
		    jv_string(i ? "name" : "variant")))
			rc = fail(L, "suite %s: defaults: %s names no variant "
			    "(each variant names itself)", id,
			    i ? "name" : "variant");
	for (stage = XS_RESEARCH; stage <= XS_FORECAST && rc == 0; stage++) {
		list = jv_object_get(jv_copy(suite),
		    jv_string(stage_names[stage]));
		if (jv_get_kind(list) == JV_KIND_ARRAY) {
			jv_array_foreach(list, j, e) {
				if (rc == 0 && jv_get_kind(e) != JV_KIND_OBJECT)
					rc = fail(L, "suite %s: a %s variant is not "
					    "an object", id, stage_names[stage]);
				if (rc == 0)
					rc = load_variant(L, id, stage, defaults, e);
				jv_free(e);
			}
		} else if (jv_is_valid(list) && jv_get_kind(list) != JV_KIND_NULL)
			rc = fail(L, "suite %s: %s is not an array", id,
			    stage_names[stage]);
		jv_free(list);
	}
	jv_free(defaults);
out:
	free(id);
	return rc;
}

/* The research variant ref names for a forecast of suite: its name in
 * that suite, suite:name or its id. */
static int
find_research(const struct config *c, const char *suite, const char *ref,
    size_t *at)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].stage == XS_RESEARCH && (match(ref, &c->v[i]) >= 3 ||
		    (!strcmp(c->v[i].suite, suite) && !strcmp(c->v[i].name, ref)))) {
			*at = i;
			return 0;
		}
	return -1;
}

static int
resolve_deps(struct loader *L)
{
	struct variant *v;
	size_t i, k, at;
	int n;

	for (i = 0; i < L->c->n; i++) {
		jv d = jv_array_get(jv_copy(L->deps), (int)i);

		v = &L->c->v[i];
		n = jv_array_length(jv_copy(d));
		if (n > 0 && (v->deps = calloc((size_t)n, sizeof *v->deps)) ==
		    NULL) {
			jv_free(d);
			return fail(L, "out of memory");
		}
		jv_array_foreach(d, j, e) {
			/* one named twice ("r" and "s:r") is one: its
			 * output went twice into the forecast's research
			 * object, a key twice, and its fingerprint twice */
			if (find_research(L->c, v->suite, jv_string_value(e),
			    &k) == 0) {
				for (at = 0; at < v->ndeps &&
				    v->deps[at] != k; at++)
					;
				if (at == v->ndeps)
					v->deps[v->ndeps++] = k;
				n--;
			} else
				fail(L, "%s: depends on %s, not a research "
				    "variant", v->id, jv_string_value(e));
			jv_free(e);
		}
		jv_free(d);
		if (n != 0)
			return -1;
	}
	return 0;
}

/* Whether name names some variant: as its suite when suite, else at all. */
static int
named(const struct config *c, const char *name, int suite)
{
	size_t i;
	int m;

	for (i = 0; i < c->n; i++)
		if ((m = match(name, &c->v[i])) && (!suite || m == 1))
			return 1;
	return 0;
}

/* An override naming nothing is a typo: say so rather than ignore it. */
static int
check_names(struct loader *L)
{
	int rc = 0;

	jv_array_foreach(L->inl, j, t) {
		jv n = jv_array_get(jv_copy(t), 0);

		if (rc == 0 && !named(L->c, jv_string_value(n), 0))
			rc = fail(L, "--override: no suite or variant named %s",
			    jv_string_value(n));
		jv_free(n);
		jv_free(t);
	}
	jv_array_foreach(L->files, j, f) {
		jv_object_foreach(f, k, v) {
			if (rc == 0 && !named(L->c, jv_string_value(k), 0))
				rc = fail(L, "--override-file: no suite or "
				    "variant named %s", jv_string_value(k));
			jv_free(k);
			jv_free(v);
		}
		jv_free(f);
	}
	return rc;
}

static int
load_overrides(struct loader *L, const struct config_opts *o)
{
	size_t i;
	jv f;

	for (i = 0; i < o->nfiles; i++) {
		f = parse_file(o->files[i], L->err, L->errlen);
		if (!jv_is_valid(f))
			return -1;
		if (jv_get_kind(f) != JV_KIND_OBJECT) {
			jv_free(f);
			return fail(L, "%s: not a JSON object", o->files[i]);
		}
		L->files = jv_array_append(L->files, f);
	}
	for (i = 0; i < o->ninline; i++)
		if (parse_override(L, o->inline_ovr[i]) == -1)
			return -1;
	return 0;
}

static int
load_root(struct loader *L, const struct config_opts *o)
{
	const char *slash;
	char *name;
	jv root, suites;
	int rc = 0;

	if (o->path) {
		slash = strrchr(o->path, '/');
		L->dir = strndup(o->path, slash ? (size_t)(slash - o->path) + 1 :
		    0);
		root = parse_file(o->path, L->err, L->errlen);
	} else {
		L->dir = strdup("");
		root = parse("builtin suite", builtin_config, L->err, L->errlen);
	}
	if (L->dir == NULL || !jv_is_valid(root)) {
		jv_free(root);
		return L->dir ? -1 : fail(L, "out of memory");
	}
	L->parsed = 1;
	suites = jv_get_kind(root) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(root), jv_string("suites")) : jv_copy(root);
	/* a misspelt "suite" or a key meant for a suite was read as
	 * nothing, silently, where a variant's is refused */
	if ((name = unknown_key(root, root_keys)) != NULL) {
		rc = fail(L, "unknown member %s (a configuration holds only "
		    "suites)", name);
		free(name);
	} else if (jv_get_kind(suites) != JV_KIND_ARRAY)
		rc = fail(L, "no suites array");
	else if (jv_array_length(jv_copy(suites)) == 0)
		rc = fail(L, "an empty suites array: no suite to run");
	else
		jv_array_foreach(suites, i, s) {
			if (rc == 0)
				rc = load_suite(L, s);
			jv_free(s);
		}
	jv_free(suites);
	jv_free(root);
	return rc;
}

void
config_host(struct buf *b, const char *url)
{
	const char *h = url ? strstr(url, "://") : NULL, *at;
	size_t n;

	h = h ? h + 3 : url;
	jw_key(b, "host");
	if (h == NULL) {
		jw_null(b);
		return;
	}
	/* never user:password@, a proxy's credentials */
	n = strcspn(h, "/?#");
	while ((at = memchr(h, '@', n)) != NULL) {
		n -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	jw_str(b, h, n);
}

static void
fp_strs(struct buf *b, const char *key, const char *s)
{
	jw_key(b, key);
	jw_strz(b, s);
}

/* The members in sorted order, so the text is canonical. */
void
config_fingerprint(const struct config *c, const struct variant *v,
    char out[17])
{
	char sha[65];
	struct buf b;
	char **a;
	size_t i;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "api");
	jw_int(&b, v->type == XT_OPENAI || v->type == XT_GEMINI ? v->api : -1);
	jw_key(&b, "argv");
	jw_open(&b, '[');
	for (a = v->argv; a && *a; a++)
		jw_strz(&b, *a);
	jw_close(&b, ']');
	jw_key(&b, "builtin");
	jw_int(&b, v->type == XT_BUILTIN ? v->builtin : -1);
	jw_key(&b, "deps");
	jw_open(&b, '[');
	for (i = 0; i < v->ndeps; i++)
		jw_strz(&b, c->v[v->deps[i]].fingerprint);
	jw_close(&b, ']');
	config_host(&b, v->base_url);
	jw_key(&b, "json_mode");
	jw_int(&b, v->json_mode);
	fp_strs(&b, "json_schema", v->json_schema);
	jw_key(&b, "max_tokens");
	jw_int(&b, v->max_tokens);
	fp_strs(&b, "model", v->model);
	fp_strs(&b, "program", v->program);
	fp_strs(&b, "prompt", v->prompt);
	jw_key(&b, "search");
	jw_int(&b, v->search);
	fp_strs(&b, "search_tool", v->search_tool);
	fp_strs(&b, "system", v->system);
	jw_key(&b, "temperature");
	jw_double(&b, v->temperature);
	fp_strs(&b, "type", config_type_name(v->type));
	jw_close(&b, '}');
	if (b.data == NULL || sha256_hex(b.data, b.len, sha) == -1)
		snprintf(sha, sizeof sha, "%s", "unknown");	/* out of memory */
	snprintf(out, 17, "%.16s", sha);
	buf_release(&b);
}

/* Research first: a forecast's fingerprint includes its research's. */
static void
fingerprint_all(struct config *c)
{
	int stage;
	size_t i;

	for (stage = XS_RESEARCH; stage <= XS_FORECAST; stage++)
		for (i = 0; i < c->n; i++)
			if (c->v[i].stage == stage)
				config_fingerprint(c, &c->v[i],
				    c->v[i].fingerprint);
}

/* An error of the configuration file's content (not of its reading,
 * which names it already) said as "FILE: reason". */
static void
in_file(struct loader *L, const char *path)
{
	char m[1024];

	if (path == NULL || !L->parsed)
		return;
	snprintf(m, sizeof m, "%s", L->err);
	read_fail(path, m, L->err, L->errlen);
}

struct config *
config_load(const struct config_opts *o, char *err, size_t errlen)
{
	struct loader L = { 0 };
	int rc = -1;

	L.err = err;
	L.errlen = errlen;
	L.timeout = o->timeout > 0 ? o->timeout : 60;
	L.files = jv_array();
	L.inl = jv_array();
	L.deps = jv_array();
	if ((L.c = calloc(1, sizeof *L.c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (load_overrides(&L, o) == -1)
		goto out;
	if (load_root(&L, o) == -1 || resolve_deps(&L) == -1) {
		in_file(&L, o->path);
		goto out;
	}
	if (check_names(&L) == -1)
		goto out;
	fingerprint_all(L.c);
	rc = 0;
out:
	jv_free(L.files);
	jv_free(L.inl);
	jv_free(L.deps);
	free(L.dir);
	if (rc == -1) {
		config_free(L.c);
		return NULL;
	}
	return L.c;
}

static void
free_strv(char **a)
{
	char **p;

	for (p = a; p && *p; p++)
		free(*p);
	free(a);
}

void
config_free(struct config *c)
{
	size_t i, k;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		struct variant *v = &c->v[i];
		char *own[] = { v->suite, v->name, v->id, v->params,
		    v->program, v->base_url, v->model, v->api_key_env,
		    v->system, v->prompt, v->json_schema, v->search_tool,
		    v->version, v->description };

		for (k = 0; k < sizeof own / sizeof own[0]; k++)
			free(own[k]);
		free_strv(v->argv);
		free_strv(v->env);
		secret_env_free(v->envp);
		free(v->deps);
	}
	free(c->v);
	free(c);
}

/* Whether the comma list names v: as variant, suite:variant or its id. */
static int
in_list(const char *list, const struct variant *v)
{
	const char *p, *e;

	for (p = list; *p; p = *e ? e + 1 : e)
		if (names_variant(p, (size_t)((e = p + strcspn(p, ",")) - p), v))
			return 1;
	return 0;
}

/* Every item of a list must name a variant of that stage. */
static int
check_list(const struct config *c, int stage, const char *list, char *err,
    size_t errlen)
{
	const char *p, *e;
	size_t i;
	int found;

	for (p = list; *p; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		for (i = 0, found = e == p; i < c->n && !found; i++)
			found = c->v[i].stage == stage &&
			    names_variant(p, (size_t)(e - p), &c->v[i]);
		if (!found) {
			snprintf(err, errlen, "--include-%s: no %s variant %.*s",
			    stage_names[stage], stage_names[stage],
			    (int)(e - p), p);
			return -1;
		}
	}
	return 0;
}

/* Add "OPT VAL" to the message: " by" before the first (no option has
 * been named while it has no '-'), ", " before the others. */
static void
by(char *err, size_t errlen, const char *opt, const char *val)
{
	size_t k = strlen(err);

	snprintf(err + k, errlen - k, "%s %s %s", strchr(err, '-') ? "," : " by",
	    opt, val);
}

int
config_select(struct config *c, const struct selection *s, char *err,
    size_t errlen)
{
	struct variant *v;
	size_t i, j, n = 0;
	int st;

	for (j = 0; j < s->nsuites; j++)
		if (!named(c, s->suites[j], 1)) {
			snprintf(err, errlen, "--suite: no suite %s", s->suites[j]);
			return -1;
		}
	for (st = XS_RESEARCH; st <= XS_FORECAST; st++)
		if (s->inc[st] && check_list(c, st, s->inc[st], err, errlen))
			return -1;
	for (i = 0; i < c->n; i++) {
		v = &c->v[i];
		v->selected = (s->stages & (1 << v->stage)) != 0;
		for (j = 0; j < s->nsuites && v->selected; j++)
			if (strcmp(v->suite, s->suites[j]) == 0)
				break;
		if (s->nsuites && j == s->nsuites)
			v->selected = 0;
		if (s->inc[v->stage] && !in_list(s->inc[v->stage], v))
			v->selected = 0;
	}
	for (i = 0; i < c->n; i++)
		for (j = 0; c->v[i].selected && j < c->v[i].ndeps; j++)
			c->v[c->v[i].deps[j]].selected = 1;
	for (i = 0; i < c->n; i++)
		n += c->v[i].selected != 0;
	if (n == 0) {
		snprintf(err, errlen, "no variant selected");
		for (j = 0; j < s->nsuites; j++)
			by(err, errlen, "--suite", s->suites[j]);
		if (s->stages != (1 << XS_RESEARCH | 1 << XS_FORECAST))
			by(err, errlen, "--stage", stage_names[s->stages >> 1]);
		for (st = XS_RESEARCH; st <= XS_FORECAST; st++)
			if (s->inc[st])
				by(err, errlen, st == XS_RESEARCH ?
				    "--include-research" : "--include-forecast",
				    s->inc[st]);
		return -1;
	}
	return 0;
}

void
config_list(const struct config *c, FILE *f)
{
	const struct variant *v;
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		v = &c->v[i];
		if (!v->selected)
			continue;
		fprintf(f, "%s\t%s\t%s\t%s\t", v->suite, stage_names[v->stage],
		    v->name, type_names[v->type]);
		for (j = 0; j < v->ndeps; j++)
			fprintf(f, "%s%s", j ? "," : "", c->v[v->deps[j]].id);
		fprintf(f, "%s\n", v->ndeps ? "" : "-");
	}
}
