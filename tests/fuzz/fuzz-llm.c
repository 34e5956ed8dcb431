/*
 * fuzz-llm.c - libFuzzer target: the readers of an LLM provider's answer
 * (lib/experiment_llm.c: OpenAI chat and Responses, Gemini; the answer
 * text, search queries, sources and their cited slices, usage; a
 * forecast's probabilities checked against the group).  The input's
 * first byte picks one of six variants (each API, research and
 * forecast), the rest is the answer's body as a 2xx response brought it;
 * xk_llm_answer() reads it as pm-experiment does after the POST.
 *
 * Besides ASan and UBSan, what it writes is checked: the output and the
 * probabilities must parse as JSON (so be UTF-8: a record that is not is
 * refused whole by the next stage), and so must the error once written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "experiment.h"
#include "experiment_kinds.h"
#include "json.h"
#include "jw.h"

static const char cfg_text[] =
    "{\"suites\": [{\"id\": \"f\", \"defaults\": {\"base_url\": "
    "\"http://127.0.0.1:9/v1/\", \"timeout\": 5},\n"
    " \"research\": [\n"
    "  {\"variant\": \"c\", \"type\": \"openai\", \"model\": \"m\"},\n"
    "  {\"variant\": \"r\", \"type\": \"openai\", \"api\": \"responses\", "
    "\"model\": \"m\", \"web_search\": true},\n"
    "  {\"variant\": \"g\", \"type\": \"gemini\", \"model\": \"gemini-x\", "
    "\"google_search\": true}],\n"
    " \"forecast\": [\n"
    "  {\"variant\": \"cf\", \"type\": \"openai\", \"model\": \"m\"},\n"
    "  {\"variant\": \"rf\", \"type\": \"openai\", \"api\": \"responses\", "
    "\"model\": \"m\"},\n"
    "  {\"variant\": \"gf\", \"type\": \"gemini\", \"model\": \"gemini-x\"}]}]}\n";

static char group_text[] =
    "{\"kind\":\"group\",\"event_key\":\"e1\",\"event\":null,\"markets\":["
    "{\"kind\":\"market\",\"market_id\":\"m1\",\"question\":\"Q\",\"contracts\":"
    "[{\"outcome\":\"Yes\",\"token_id\":\"1\",\"price\":0.25},"
    "{\"outcome\":\"No\",\"token_id\":\"2\",\"price\":0.75}]},"
    "{\"kind\":\"market\",\"market_id\":\"m2\",\"question\":\"R\",\"contracts\":"
    "[{\"outcome\":\"A\",\"token_id\":\"3\"},{\"outcome\":\"B\",\"token_id\":\"4\"},"
    "{\"outcome\":\"C\",\"token_id\":\"5\"}]}]}";

static struct config *cfg;
static struct xopts o;
static struct xworker *w;
static json_parser *check;
static struct buf body, err;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz-llm: %s\n", what);
	abort();
}

static void
setup(void)
{
	char path[] = "/tmp/fuzz-llm.XXXXXX", e[512];
	struct config_opts co = { .path = path };
	const char *pe;
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL ||
	    fputs(cfg_text, f) == EOF || fclose(f) == EOF)
		die("config file");
	cfg = config_load(&co, e, sizeof e);
	unlink(path);
	if (cfg == NULL || cfg->n != 6)
		die(cfg ? "not six variants" : e);
	o.cfg = cfg;
	o.max_line = 1 << 20;
	if ((w = xworker_new(&o)) == NULL ||
	    (check = json_parser_new(1 << 22)) == NULL)
		die("out of memory");
	if (json_parse(w->gp, group_text, sizeof group_text - 1, 0, &w->group,
	    &pe) == -1)
		die(pe);
	json_get(&w->group, "markets", &w->markets);
	w->event_key = "e1";
	buf_init(&body, 0);
	buf_init(&err, 0);
}

/* text[0..n) must parse as JSON */
static void
must_parse(const char *what, const char *text, size_t n)
{
	json_val v;
	const char *e;

	if (json_parse(check, text, n, 0, &v, &e) == -1) {
		fprintf(stderr, "fuzz-llm: %s does not parse: %s: %.*s\n", what,
		    e, (int)(n > 400 ? 400 : n), text);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xres *r;
	size_t vi;

	if (w == NULL)
		setup();
	if (size == 0)
		return 0;
	vi = data[0] % cfg->n;
	buf_reset(&body);
	if (buf_add(&body, (const char *)data + 1, size - 1) == -1)
		return 0;
	r = &w->res[vi];
	xres_reset(r);
	xk_llm_answer(w, vi, &body, r);
	if (r->output.len)
		must_parse("the output", r->output.data, r->output.len);
	if (r->probs.len)
		must_parse("the probabilities", r->probs.data, r->probs.len);
	buf_reset(&err);
	jw_open(&err, '[');
	jw_textz(&err, r->error[0] ? r->error : NULL);
	jw_close(&err, ']');
	must_parse("the error", err.data, err.len);
	return 0;
}
