/*
 * config.h - experiment suites: the configuration file, overrides, the
 * selection of what runs, and the manifest (pm-experiment(1)).
 *
 * A configuration lists suites; each suite has research variants and
 * forecast variants; a variant's parameters are the suite's "defaults",
 * then its own members, then the override files in order, then the inline
 * overrides in order (later wins).  libjq's jv is used to read and merge
 * the configuration only; what comes out is plain C, read-only, that
 * threads share without locks (jv reference counts are not atomic).
 *
 * Ownership: a struct config owns every string and array in it; free it
 * with config_free() (NULL-safe).  Option strings are borrowed.
 */
#ifndef PM_CONFIG_H
#define PM_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

enum { XS_RESEARCH = 0, XS_FORECAST = 1 };
enum { XT_BUILTIN, XT_JQ, XT_COMMAND, XT_OPENAI, XT_GEMINI, XT_NTYPES };
enum { XA_CHAT, XA_RESPONSES, XA_GEMINI };	/* the API an LLM variant calls */
enum { XB_BASELINE, XB_MARKET };

/* The longest Gemini model name: it goes in the request's URL path. */
#define LLM_MODEL_MAX	256
/* The longest suite id or variant name: they are joined into research
 * keys, ids and --dump-dir file names (suite.stage.variant.what.json must
 * stay within a file name's 255 bytes), all sized from this. */
#define CONFIG_NAME_MAX	64

struct variant {
	char	 *suite, *name;
	char	 *id;		/* suite:stage:variant */
	int	  stage;	/* XS_* */
	int	  type;		/* XT_* */
	int	  builtin;	/* XB_*, for XT_BUILTIN */
	char	 *params;	/* the merged parameters, compact JSON */
	int	  overridden;	/* an override changed them */
	char	 *program;	/* jq: the program text */
	char	**argv;		/* command: NULL-terminated */
	char	**env;		/* command, jq: the variables it is given
				 * beyond secret.h's allow-list */
	size_t	  nenv;
	char	**envp;		/* command, jq: its environment, built from
				 * ours at load time (secret_env()) */
	long	  max_mb;	/* jq: max_memory_mb */
	/* openai and gemini, all resolved by fill_llm() in config.c */
	int	  api;		/* XA_* */
	char	 *base_url, *model, *api_key_env, *system, *prompt;
	double	  temperature;	/* < 0: not sent */
	long	  max_tokens;	/* 0: not sent */
	int	  cap_completion;	/* chat: max_tokens sent as
					 * max_completion_tokens */
	int	  json_mode;	/* ask for a JSON answer */
	char	 *json_schema;	/* compact JSON, or NULL */
	int	  search;	/* web_search or google_search */
	char	 *search_tool;	/* openai: the tool (responses) or the
				 * web_search_options (chat), compact JSON */
	double	  per_minute;	/* requests_per_minute; 0: no limit */
	int	  max_retries;	/* after a 429 */
	long	  max_wait_ms;	/* longest retry delay accepted */
	long	  timeout_ms;
	size_t	 *deps;		/* indexes of the research variants needed */
	size_t	  ndeps;
	int	  selected;
	char	 *version, *description;	/* declared, or NULL */
	char	  fingerprint[17];	/* of what changes the output */
};

struct config {
	struct variant	*v;
	size_t		 n;
};

struct config_opts {
	const char	 *path;		/* NULL: the builtin suite */
	char		**files;	/* --override-file, in order */
	size_t		  nfiles;
	char		**inline_ovr;	/* --override NAME.key=value */
	size_t		  ninline;
	double		  timeout;	/* seconds, for variants without one */
};

struct selection {
	char		**suites;	/* --suite; none: all */
	size_t		  nsuites;
	int		  stages;	/* bit XS_RESEARCH, bit XS_FORECAST */
	const char	 *inc[2];	/* --include-research/-forecast lists */
};

const char *config_type_name(int type);
const char *config_stage_name(int stage);
/* What an error of v's settings adds when an override made them: the
 * file alone may be right. */
const char *config_overridden(const struct variant *v);

/* NULL with the reason in err. */
struct config *config_load(const struct config_opts *o, char *err,
    size_t errlen);
void config_free(struct config *c);

/* Mark what runs; a selected forecast pulls in the research it needs.
 * -1 with the reason in err (an unknown suite or variant, nothing left). */
int config_select(struct config *c, const struct selection *s, char *err,
    size_t errlen);

/* The manifest of the selected variants: one line each, tab-separated
 * suite, stage, variant, type, dependencies ("-" for none). */
void config_list(const struct config *c, FILE *f);

/* The first 16 hex digits of the sha256 of the canonical JSON of what
 * changes v's output (type, program, model, prompts, sampling, endpoint
 * host, API, search, and the fingerprints of the research it uses; not
 * timeouts, limits, retries or keys), into out.  config_load() fills
 * every variant's fingerprint with it, research first. */
void config_fingerprint(const struct config *c, const struct variant *v,
    char out[17]);

/* "host": the host[:port] of a base URL (the endpoint without its path
 * and without any user name or password), or null, as a member of the
 * JSON object open in b. */
void config_host(struct buf *b, const char *url);

#endif
