/*
 * experiment_llm.c - the openai and gemini kinds (see experiment_kinds.h).
 *
 * Three APIs, each a path, a request builder and an answer reader in
 * apis[]: OpenAI chat completions, OpenAI responses, Gemini
 * generateContent.  One caller paces the requests, retries a 408, 429,
 * 5xx or dropped connection after the provider's delay (bounded), and
 * makes a provider's error body the variant's failure.  The key is read
 * from the environment for the call and scrubbed from whatever comes
 * back before it is dumped or quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_kinds.h"
#include "json.h"
#include "jw.h"
#include "opt.h"
#include "secret.h"
#include "timefmt.h"

/* A JSON literal whose length the compiler counts. */
#define RAW(b, lit) jw_raw((b), (lit), sizeof (lit) - 1)

/* Citations and sources kept per answer, at most. */
#define MAX_CITES 512

/* What the provider said of an answer it did not end, at most. */
#define WHY_MAX 256

static const char default_research[] =
    "Research this prediction-market event: summarise the facts, dates and "
    "base rates that matter for how its markets resolve.\n\n"
    "Event: {{.event.title // .event_key}}\nMarkets:\n"
    "{{[.markets[] | \"- \" + .market_id + \": \" + .question] | "
    "join(\"\\n\")}}\n";

static const char default_forecast[] =
    "Estimate the probability of each outcome of these prediction markets."
    "\n\nEvent: {{.event.title // .event_key}}\nMarkets:\n"
    "{{[.markets[] | \"- market_id \" + .market_id + \": \" + .question + "
    "\" (outcomes: \" + ([.contracts[].outcome] | join(\", \")) + \")\"] | "
    "join(\"\\n\")}}\n"
    "{{if .research then \"\\nResearch:\\n\" + ([.research[] | "
    "(.content // tostring) + (if (.sources? // []) | length > 0 then "
    "\"\\nSources:\\n\" + ([.sources[] | \"- \" + (.title // .url) + \" <\" "
    "+ .url + \">\"] | join(\"\\n\")) else \"\" end)] | join(\"\\n\\n\")) "
    "else \"\" end}}\n"
    "Answer with JSON only: {\"probabilities\": {\"<market_id>\": "
    "{\"<outcome>\": <probability from 0 to 1>}}}\n";

/* A source of an answer, or one citation of it: views into the parsed
 * answer (part is the text the offsets index). */
struct cite {
	const char	*url, *title;	/* title may be NULL */
	size_t		 ul, tl;
	double		 start, end;	/* start < 0: a source nobody cites */
	const char	*part;
	size_t		 plen;
};

/* What an answer reader finds; the answer text goes into w->tmp, the
 * search queries (a JSON array's members) into w->tmp2. */
struct answer {
	json_val	 model, usage;
	struct cite	*c;
	size_t		 nc;
	const char	*unit;		/* of the offsets */
	long		 search_calls;	/* -1: not counted */
	int		 grounded;	/* write queries and sources always */
	char		 why[WHY_MAX];	/* why it stopped, when not done: said
					 * with a failure of the answer */
	int		 cut;		/* it did not end: cut at the token
					 * limit, refused, filtered, blocked */
};

struct api {
	const char	*path;		/* after base_url; %s: the model */
	int		 key_header;	/* LLM_KEY_* */
	void		(*build)(const struct variant *v, const struct buf *prompt,
			    struct buf *b);
	int		(*read)(struct xworker *w, const json_val *root,
			    struct answer *a);	/* -1: no answer text */
};

static void
add_cite(struct answer *a, const json_val *url, const json_val *title,
    const json_val *start, const json_val *end, const char *part, size_t plen)
{
	struct cite *c = &a->c[a->nc];

	if (a->nc == MAX_CITES || (c->url = json_str(url, &c->ul)) == NULL)
		return;
	c->title = json_str(title, &c->tl);
	c->start = -1;
	if (end && json_double(end, &c->end) == 0 && (start->type ==
	    JSON_ABSENT || json_double(start, &c->start) == 0)) {
		if (start->type == JSON_ABSENT)
			c->start = 0;	/* Gemini leaves a 0 out */
		c->part = part;
		c->plen = plen;
	}
	a->nc++;
}

static void
add_query(struct buf *q, const json_val *s)
{
	if (s->type == JSON_STRING)
		jw_val(q, s);
}

/* a->why: what the provider said of an answer that did not end as one
 * does (what, then the value, a string), unless it is done (a string
 * other than ok, or none).  The first one said is kept. */
static void
say_why(struct answer *a, const char *what, const json_val *val,
    const char *ok)
{
	const char *s;
	size_t n;

	if (a->why[0] || (s = json_str(val, &n)) == NULL || n == 0 ||
	    (ok && strlen(ok) == n && memcmp(s, ok, n) == 0))
		return;
	a->cut = 1;
	snprintf(a->why, sizeof a->why, "%s %.*s", what, (int)(n > 200 ? 200 :
	    n), s);
}

/* A byte offset into part that falls inside a character. */
static int
mid_char(const struct cite *c, size_t at)
{
	return at < c->plen && ((unsigned char)c->part[at] & 0xc0) == 0x80;
}

/* part[start, end) in codepoints or bytes, or NULL when out of range or,
 * in bytes, when an end falls inside a character (the slice would not be
 * UTF-8: the record, refused). */
static const char *
slice(const struct cite *c, int bytes, size_t *n)
{
	size_t i, cp = 0, a = 0, z = 0;

	if (c->start < 0 || c->end < c->start || c->end > (double)c->plen)
		return NULL;
	if (bytes) {
		a = (size_t)c->start;
		z = (size_t)c->end;
		if (mid_char(c, a) || mid_char(c, z))
			return NULL;
		*n = z - a;
		return c->part + a;
	}
	for (i = 0; i <= c->plen; i++)
		if (i == c->plen || ((unsigned char)c->part[i] & 0xc0) != 0x80) {
			if (cp == (size_t)c->start)
				a = i;
			if (cp++ == (size_t)c->end) {
				z = i;
				break;
			}
		}
	if (i > c->plen)
		return NULL;
	*n = z - a;
	return c->part + a;
}

static void
write_cite(struct buf *b, const struct cite *c, const char *unit)
{
	size_t n = 0;
	const char *s = slice(c, strcmp(unit, "byte") == 0, &n);

	jw_open(b, '{');
	jw_key(b, "start");
	jw_double(b, c->start);
	jw_key(b, "end");
	jw_double(b, c->end);
	jw_key(b, "unit");
	jw_strz(b, unit);
	jw_key(b, "text");
	if (s)
		jw_str(b, s, n);
	else
		jw_null(b);
	jw_close(b, '}');
}

static int
same_url(const struct cite *a, const struct cite *b)
{
	return a->ul == b->ul && memcmp(a->url, b->url, a->ul) == 0;
}

/* One entry per url, in the order first met, with its citations. */
static void
write_sources(struct buf *b, const struct answer *a)
{
	const struct cite *c = a->c, *t;
	size_t i, k;

	jw_key(b, "sources");
	jw_open(b, '[');
	for (i = 0; i < a->nc; i++) {
		for (k = 0; k < i && !same_url(&c[k], &c[i]); k++)
			;
		if (k < i)
			continue;
		for (t = &c[i], k = i; k < a->nc && t->title == NULL; k++)
			if (same_url(&c[k], &c[i]))
				t = &c[k];
		jw_open(b, '{');
		jw_key(b, "url");
		jw_str(b, c[i].url, c[i].ul);
		jw_key(b, "title");
		if (t->title)
			jw_str(b, t->title, t->tl);
		else
			jw_null(b);
		jw_key(b, "cited");
		jw_open(b, '[');
		for (k = i; k < a->nc; k++)
			if (c[k].start >= 0 && same_url(&c[k], &c[i]))
				write_cite(b, &c[k], a->unit);
		jw_close(b, ']');
		jw_close(b, '}');
	}
	jw_close(b, ']');
}

static void
write_output(struct xworker *w, const struct answer *a, struct xres *r)
{
	struct buf *b = &r->output;

	jw_open(b, '{');
	jw_key(b, "model");
	a->model.type == JSON_ABSENT ? jw_null(b) : jw_val(b, &a->model);
	jw_key(b, "content");
	jw_str(b, w->tmp.data ? w->tmp.data : "", w->tmp.len);
	if (a->grounded) {
		jw_key(b, "queries");
		jw_open(b, '[');
		buf_add(b, w->tmp2.data, w->tmp2.len);
		jw_close(b, ']');
	}
	if (a->grounded || a->nc)
		write_sources(b, a);
	jw_key(b, "usage");
	a->usage.type == JSON_ABSENT ? jw_null(b) : jw_val(b, &a->usage);
	if (a->search_calls >= 0) {
		jw_key(b, "web_search_calls");
		jw_int(b, a->search_calls);
	}
	jw_close(b, '}');
}

/* temperature and the output token cap, when set: max names the cap. */
static void
sampling(const struct variant *v, const char *max, struct buf *b)
{
	if (v->temperature >= 0) {
		jw_key(b, "temperature");
		jw_double(b, v->temperature);
	}
	if (v->max_tokens) {
		jw_key(b, max);
		jw_int(b, v->max_tokens);
	}
}

/* The messages, sampling and JSON mode every API has, in chat's words. */
static void
build_chat(const struct variant *v, const struct buf *prompt, struct buf *b)
{
	jw_key(b, "model");
	jw_strz(b, v->model);
	jw_key(b, "messages");
	jw_open(b, '[');
	if (v->system) {
		RAW(b, "{\"role\":\"system\",\"content\":");
		jw_strz(b, v->system);
		jw_close(b, '}');
	}
	RAW(b, "{\"role\":\"user\",\"content\":");
	jw_str(b, prompt->data, prompt->len);
	jw_close(b, '}');
	jw_close(b, ']');
	sampling(v, v->cap_completion ? "max_completion_tokens" :
	    "max_tokens", b);
	if (v->json_schema) {
		jw_key(b, "response_format");
		RAW(b, "{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
		    "\"answer\",\"strict\":true,\"schema\":");
		jw_raw(b, v->json_schema, strlen(v->json_schema));
		buf_adds(b, "}}");
	} else if (v->json_mode) {
		jw_key(b, "response_format");
		RAW(b, "{\"type\":\"json_object\"}");
	}
	if (v->search) {
		jw_key(b, "web_search_options");
		jw_raw(b, v->search_tool, strlen(v->search_tool));
	}
}

static void
build_responses(const struct variant *v, const struct buf *prompt,
    struct buf *b)
{
	jw_key(b, "model");
	jw_strz(b, v->model);
	if (v->system) {
		jw_key(b, "instructions");
		jw_strz(b, v->system);
	}
	jw_key(b, "input");
	jw_str(b, prompt->data, prompt->len);
	sampling(v, "max_output_tokens", b);
	if (v->search) {
		jw_key(b, "tools");
		jw_open(b, '[');
		jw_raw(b, v->search_tool, strlen(v->search_tool));
		jw_close(b, ']');
		jw_key(b, "include");
		RAW(b, "[\"web_search_call.action.sources\"]");
	}
	if (v->json_mode) {
		jw_key(b, "text");
		RAW(b, "{\"format\":{\"type\":\"json_schema\",\"name\":"
		    "\"answer\",\"strict\":");
		if (v->json_schema) {
			RAW(b, "true,\"schema\":");
			jw_raw(b, v->json_schema, strlen(v->json_schema));
		} else
			RAW(b, "false,\"schema\":{\"type\":\"object\"}");
		buf_adds(b, "}}");
	}
}

static void
build_gemini(const struct variant *v, const struct buf *prompt, struct buf *b)
{
	jw_key(b, "contents");
	RAW(b, "[{\"role\":\"user\",\"parts\":[{\"text\":");
	jw_str(b, prompt->data, prompt->len);
	buf_adds(b, "}]}]");
	if (v->system) {
		jw_key(b, "systemInstruction");
		RAW(b, "{\"parts\":[{\"text\":");
		jw_strz(b, v->system);
		buf_adds(b, "}]}");
	}
	if (v->search) {
		jw_key(b, "tools");
		RAW(b, "[{\"google_search\":{}}]");
	}
	jw_key(b, "generationConfig");
	jw_open(b, '{');
	sampling(v, "maxOutputTokens", b);
	if (v->json_mode) {
		jw_key(b, "responseMimeType");
		jw_strz(b, "application/json");
	}
	if (v->json_schema) {
		jw_key(b, "responseSchema");
		jw_raw(b, v->json_schema, strlen(v->json_schema));
	}
	jw_close(b, '}');
}

/* A content sent as a list of parts (Mistral's reasoning models: a
 * thinking part, then text): its text parts, one after the other; the
 * others are not the answer.  -1 when none has text. */
static int
chat_parts(struct xworker *w, const json_val *content)
{
	json_val part, type, text;
	json_iter it;
	const char *s;
	size_t sl, tl;
	int n = 0;

	json_iter_init(&it, content);
	while (json_iter_next(&it, NULL, NULL, &part)) {
		json_get(&part, "type", &type);
		json_get(&part, "text", &text);
		s = json_str(&type, &tl);
		if ((s == NULL || (tl == 4 && memcmp(s, "text", 4) == 0)) &&
		    (s = json_str(&text, &sl)) != NULL) {
			buf_add(&w->tmp, s, sl);
			n++;
		}
	}
	return n > 0 ? 0 : -1;
}

/* choices[0].message: its content, and the url_citation annotations a
 * search model adds (code-point offsets into the content). */
static int
read_chat(struct xworker *w, const json_val *root, struct answer *a)
{
	json_val ch, c0, msg, content, anns, an, uc, m[4], why;
	static const char *const names[] = { "end_index", "start_index",
	    "title", "url" };
	json_iter it;
	const char *s;
	size_t sl;

	json_get(root, "choices", &ch);
	json_iter_init(&it, &ch);
	if (ch.type != JSON_ARRAY || !json_iter_next(&it, NULL, NULL, &c0))
		c0 = (json_val){ .type = JSON_ABSENT };
	json_get(&c0, "message", &msg);
	json_get(&msg, "refusal", &why);
	say_why(a, "refusal:", &why, NULL);
	json_get(&c0, "finish_reason", &why);
	say_why(a, "finish_reason", &why, "stop");
	/* a compatible provider's own word for an answer done (Together's
	 * "eos") is said with a failure, but cuts nothing: these do */
	a->cut = strncmp(a->why, "refusal:", 8) == 0 ||
	    strcmp(a->why, "finish_reason length") == 0 ||
	    strcmp(a->why, "finish_reason model_length") == 0 ||
	    strcmp(a->why, "finish_reason content_filter") == 0;
	json_get(&msg, "content", &content);
	json_get(root, "model", &a->model);
	json_get(root, "usage", &a->usage);
	a->unit = "codepoint";
	a->search_calls = -1;
	if (content.type == JSON_ARRAY)
		return chat_parts(w, &content);
	if ((s = json_str(&content, &sl)) == NULL)
		return -1;
	buf_add(&w->tmp, s, sl);
	json_get(&msg, "annotations", &anns);
	json_iter_init(&it, &anns);
	while (json_iter_next(&it, NULL, NULL, &an)) {
		json_get(&an, "url_citation", &uc);
		json_pick(&uc, names, 4, m);
		add_cite(a, &m[3], &m[2], &m[1], &m[0], s, sl);
	}
	return 0;
}

/* A message item's output_text parts: their text, and their url_citation
 * annotations (code-point offsets into that part). */
static void
read_message(struct xworker *w, const json_val *item, struct answer *a,
    int *texts)
{
	static const char *const names[] = { "end_index", "start_index",
	    "title", "url" };
	json_val content, part, type, text, anns, an, m[4];
	json_iter it, ia;
	const char *s;
	size_t sl;

	json_get(item, "content", &content);
	json_iter_init(&it, &content);
	while (json_iter_next(&it, NULL, NULL, &part)) {
		json_get(&part, "refusal", &text);
		say_why(a, "refusal:", &text, NULL);
		json_get(&part, "type", &type);
		json_get(&part, "text", &text);
		s = json_str(&type, &sl);
		if (s == NULL || strcmp(s, "output_text") != 0 ||
		    (s = json_str(&text, &sl)) == NULL)
			continue;
		buf_add(&w->tmp, s, sl);
		(*texts)++;
		json_get(&part, "annotations", &anns);
		json_iter_init(&ia, &anns);
		while (json_iter_next(&ia, NULL, NULL, &an)) {
			json_pick(&an, names, 4, m);
			add_cite(a, &m[3], &m[2], &m[1], &m[0], s, sl);
		}
	}
}

/* A web_search_call: its queries and the sources it found. */
static void
read_search_call(struct xworker *w, const json_val *item, struct answer *a)
{
	json_val action, q, qs, srcs, src, url, none = { .type = JSON_ABSENT };
	json_iter it;

	a->search_calls++;
	json_get(item, "action", &action);
	json_get(&action, "query", &q);
	add_query(&w->tmp2, &q);
	json_get(&action, "queries", &qs);
	json_iter_init(&it, &qs);
	while (json_iter_next(&it, NULL, NULL, &q))
		add_query(&w->tmp2, &q);
	json_get(&action, "sources", &srcs);
	json_iter_init(&it, &srcs);
	while (json_iter_next(&it, NULL, NULL, &src)) {
		json_get(&src, "url", &url);
		add_cite(a, &url, &none, &none, NULL, NULL, 0);
	}
}

/* output[]: the messages first (cited sources lead), then the searches. */
static int
read_responses(struct xworker *w, const json_val *root, struct answer *a)
{
	json_val out, item, type, d, why;
	json_iter it;
	const char *s;
	size_t sl;
	int pass, texts = 0;

	json_get(root, "incomplete_details", &d);
	json_get(&d, "reason", &why);
	say_why(a, "incomplete_details.reason", &why, NULL);
	json_get(root, "output", &out);
	for (pass = 0; pass < 2; pass++) {
		json_iter_init(&it, &out);
		while (json_iter_next(&it, NULL, NULL, &item)) {
			json_get(&item, "type", &type);
			if ((s = json_str(&type, &sl)) == NULL)
				continue;
			if (pass == 0 && strcmp(s, "message") == 0)
				read_message(w, &item, a, &texts);
			else if (pass == 1 && strcmp(s, "web_search_call") == 0)
				read_search_call(w, &item, a);
		}
	}
	json_get(root, "model", &a->model);
	json_get(root, "usage", &a->usage);
	a->unit = "codepoint";
	a->grounded = 1;
	return texts ? 0 : -1;
}

/* Chunk k of groundingMetadata.groundingChunks: its web uri and title. */
static void
chunk_web(const json_val *chunks, const json_val *k, json_val *url,
    json_val *title)
{
	json_val ch, web = { .type = JSON_ABSENT };
	json_iter it;
	double want;
	size_t i = 0;

	json_iter_init(&it, chunks);
	while (json_double(k, &want) == 0 && json_iter_next(&it, NULL, NULL,
	    &ch))
		if ((double)i++ == want) {
			json_get(&ch, "web", &web);
			break;
		}
	json_get(&web, "uri", url);
	json_get(&web, "title", title);
}

/* groundingMetadata: queries, and each support's segment (byte offsets
 * into the whole answer text) for each chunk it names; then the chunks,
 * so that those nobody cites are kept too. */
static void
read_grounding(struct xworker *w, const json_val *gm, struct answer *a)
{
	json_val q, chunks, sup, seg, idx, k, url, title, st, en;
	json_iter it, ii;

	json_get(gm, "webSearchQueries", &q);
	json_iter_init(&it, &q);
	while (json_iter_next(&it, NULL, NULL, &k))
		add_query(&w->tmp2, &k);
	json_get(gm, "groundingChunks", &chunks);
	json_get(gm, "groundingSupports", &q);
	json_iter_init(&it, &q);
	while (json_iter_next(&it, NULL, NULL, &sup)) {
		json_get(&sup, "segment", &seg);
		json_get(&seg, "startIndex", &st);
		json_get(&seg, "endIndex", &en);
		json_get(&sup, "groundingChunkIndices", &idx);
		json_iter_init(&ii, &idx);
		while (json_iter_next(&ii, NULL, NULL, &k)) {
			chunk_web(&chunks, &k, &url, &title);
			add_cite(a, &url, &title, &st, &en, w->tmp.data,
			    w->tmp.len);
		}
	}
	json_iter_init(&it, &chunks);
	while (json_iter_next(&it, NULL, NULL, &k)) {
		json_get(&k, "web", &seg);
		json_get(&seg, "uri", &url);
		json_get(&seg, "title", &title);
		add_cite(a, &url, &title, &st, NULL, NULL, 0);
	}
}

/* candidates[0]: the text of its parts (thoughts left out), and its
 * grounding. */
static int
read_gemini(struct xworker *w, const json_val *root, struct answer *a)
{
	json_val cands, c0, content, parts, part, text, thought, gm, d, why;
	json_iter it;
	const char *s;
	size_t sl;
	int texts = 0, th;

	json_get(root, "promptFeedback", &d);
	json_get(&d, "blockReason", &why);
	say_why(a, "promptFeedback.blockReason", &why, NULL);
	json_get(root, "candidates", &cands);
	json_iter_init(&it, &cands);
	if (cands.type != JSON_ARRAY || !json_iter_next(&it, NULL, NULL, &c0))
		c0 = (json_val){ .type = JSON_ABSENT };
	json_get(&c0, "finishReason", &why);
	say_why(a, "finishReason", &why, "STOP");
	json_get(&c0, "content", &content);
	json_get(&content, "parts", &parts);
	json_iter_init(&it, &parts);
	while (json_iter_next(&it, NULL, NULL, &part)) {
		json_get(&part, "text", &text);
		json_get(&part, "thought", &thought);
		if ((s = json_str(&text, &sl)) != NULL &&
		    (json_bool(&thought, &th) == -1 || !th)) {
			buf_add(&w->tmp, s, sl);
			texts++;
		}
	}
	json_get(&c0, "groundingMetadata", &gm);
	read_grounding(w, &gm, a);
	json_get(root, "modelVersion", &a->model);
	json_get(root, "usageMetadata", &a->usage);
	a->unit = "byte";
	a->search_calls = -1;
	a->grounded = 1;
	return texts ? 0 : -1;
}

static const struct api apis[] = {
	[XA_CHAT] = { .path = "/chat/completions", .key_header = LLM_KEY_BEARER,
	    .build = build_chat, .read = read_chat },
	[XA_RESPONSES] = { .path = "/responses", .key_header = LLM_KEY_BEARER,
	    .build = build_responses, .read = read_responses },
	[XA_GEMINI] = { .path = "/models/%s:generateContent",
	    .key_header = LLM_KEY_GOOG, .build = build_gemini,
	    .read = read_gemini },
};

static const char *const no_answer[] = {
	[XA_CHAT] = "answer without choices[0].message.content",
	[XA_RESPONSES] = "answer without output_text",
	[XA_GEMINI] = "answer without candidates[0].content.parts text",
};

/* The total of a usage object, whichever provider's words it is in. */
static unsigned long
total_tokens(const json_val *usage)
{
	json_val t;
	double d;

	json_get(usage, "total_tokens", &t);
	if (t.type == JSON_ABSENT)
		json_get(usage, "totalTokenCount", &t);
	return json_double(&t, &d) == 0 && d > 0 && d < 1e15 ?
	    (unsigned long)d : 0;
}

/* The provider's error body, {error: {message, type | status | code}}
 * or {error: message}, as the failure; the body itself when it is not
 * one. */
static void
provider_error(struct xworker *w, long status, const struct buf *resp,
    const char *tail, struct xres *r)
{
	json_val root, err, m, t;
	const char *e, *msg = NULL, *type = NULL;
	size_t ml = 0, tl = 0;

	if (json_parse(w->sp, resp->data, resp->len, 0, &root, &e) == 0) {
		json_get(&root, "error", &err);
		json_get(&err, "message", &m);
		json_get(&err, "type", &t);
		if (t.type == JSON_ABSENT)
			json_get(&err, "status", &t);
		if (t.type == JSON_ABSENT)	/* Responses' status failed */
			json_get(&err, "code", &t);
		msg = json_str(err.type == JSON_STRING ? &err : &m, &ml);
		type = json_str(&t, &tl);
	}
	if (msg)
		xres_fail(r, "http %ld%s%.*s: %.*s%s", status, type ? " " : "",
		    (int)tl, type ? type : "", (int)(ml > 500 ? 500 : ml), msg,
		    tail);
	else
		xres_fail(r, "http %ld: %.200s%s", status, resp->len ?
		    resp->data : "empty answer", tail);
}

/* The answer text into w->tmp, the output into r, and into why what
 * the provider said of an answer it did not end (a.why), into cut
 * whether that cut it.  -1 with r failed: a 2xx whose body is an error
 * object (a proxy's way) fails with its message, as another status
 * does. */
static int
read_answer(struct xworker *w, const struct variant *v, const struct buf *resp,
    struct xres *r, char why[WHY_MAX], int *cut)
{
	struct answer a = { .search_calls = 0 };
	json_val root, err, usage;
	const char *e;
	int rc = -1;

	if (json_parse(w->sp, resp->data, resp->len, 0, &root, &e) == -1) {
		xres_fail(r, "answer is not JSON: %s", e);
		return -1;
	}
	json_get(&root, "error", &err);
	if (err.type == JSON_OBJECT || err.type == JSON_STRING) {
		provider_error(w, 200, resp, "", r);
		return -1;
	}
	/* an answer that fails (empty, refused, cut) was paid for too */
	json_get(&root, "usage", &usage);
	if (usage.type == JSON_ABSENT)
		json_get(&root, "usageMetadata", &usage);
	r->tokens = total_tokens(&usage);
	if ((a.c = calloc(MAX_CITES, sizeof *a.c)) == NULL) {
		xres_fail(r, "out of memory");
		return -1;
	}
	buf_reset(&w->tmp);
	buf_reset(&w->tmp2);
	if (apis[v->api].read(w, &root, &a) == -1)
		xres_fail(r, "%s", no_answer[v->api]);
	else if (w->tmp.len == 0)	/* e.g. a reasoning model out of tokens */
		xres_fail(r, "answer with an empty text");
	else {
		write_output(w, &a, r);
		rc = 0;
	}
	memcpy(why, a.why, sizeof a.why);
	*cut = a.cut;
	free(a.c);
	return rc;
}

/* Gemini's RetryInfo.retryDelay ("34s") in the body, in ms; -1: none. */
static long
body_delay(struct xworker *w, const struct buf *resp)
{
	json_val root, err, details, d, type, delay;
	json_iter it;
	const char *e, *s;
	size_t sl;

	if (json_parse(w->sp, resp->data, resp->len, 0, &root, &e) == -1)
		return -1;
	json_get(&root, "error", &err);
	json_get(&err, "details", &details);
	json_iter_init(&it, &details);
	while (json_iter_next(&it, NULL, NULL, &d)) {
		json_get(&d, "@type", &type);
		json_get(&d, "retryDelay", &delay);
		if ((s = json_str(&type, &sl)) != NULL &&
		    strstr(s, "RetryInfo") != NULL &&
		    (s = json_str(&delay, &sl)) != NULL)
			return ts_delay_ms(strtod(s, NULL));
	}
	return -1;
}

/* Every copy of the key in what the provider sent becomes '*', but for
 * a key shorter than SECRET_MIN: a local server's "x" would turn every
 * x of the answer, its JSON's keys too, into a '*'. */
static void
scrub(struct buf *b, const char *key)
{
	size_t kl = key ? strlen(key) : 0, i;

	if (kl < SECRET_MIN)
		return;
	for (i = 0; i + kl <= b->len; i++)
		if (memcmp(b->data + i, key, kl) == 0)
			memset(b->data + i, '*', kl);
}

/* Worth another try: a 408, a 429, a 5xx (503 overloaded), or no
 * answer (the connection reset or dropped mid-answer); never another 4xx. */
static int
transient(const struct llm_reply *rep, int failed)
{
	if (failed)
		return rep->dropped;
	return rep->status == 408 || rep->status == 429 ||
	    (rep->status >= 500 && rep->status <= 599);
}

/* POST, paced, with transient failures retried after the provider's
 * delay (else 1, 2, 4 ... s) while the retries last and the delay is at
 * most max_retry_wait.  0 with a 2xx answer in resp; -1 with r failed. */
static int
post(struct xworker *w, size_t vi, const struct llm_call *call,
    struct buf *resp, struct xres *r)
{
	const struct variant *v = &w->o->cfg->v[vi];
	struct llm_reply rep;
	char err[512], tail[128] = "";
	const char *n;
	long delay, over = -1;
	int tries, failed;

	for (tries = 0;; tries++) {
		buf_reset(resp);
		llm_pace_wait(w->o->pace, vi, v->per_minute);
		failed = llm_post(w->llm, call, &rep, resp, err,
		    sizeof err) == -1;
		if (!failed) {
			scrub(resp, call->api_key);
			/* half a character (a model's emoji cut in two):
			 * U+FFFD, not an answer lost */
			json_fix_surrogates(resp->data, resp->len);
			xdump(w, vi, "response", resp->data, resp->len);
		}
		if (!transient(&rep, failed) || tries == v->max_retries)
			break;
		delay = failed ? -1 : rep.retry_after_ms;
		if (delay < 0 && !failed)
			delay = body_delay(w, resp);
		if (delay < 0)
			delay = 1000L << tries;
		if (delay > v->max_wait_ms) {
			over = delay;
			break;
		}
		llm_sleep_ms(delay);
	}
	/* why the retries stopped: a wait over max_retry_wait (after some
	 * retries or none) or max_retries spent */
	n = tries == 1 ? "retry" : "retries";
	if (over >= 0 && tries)
		snprintf(tail, sizeof tail, " (after %d %s, retry after %.3g s: "
		    "over max_retry_wait)", tries, n, over / 1000.0);
	else if (over >= 0)
		snprintf(tail, sizeof tail, " (retry after %.3g s: over "
		    "max_retry_wait)", over / 1000.0);
	else if (transient(&rep, failed) && tries)
		snprintf(tail, sizeof tail, " (after %d %s)", tries, n);
	if (failed) {
		xres_fail(r, "%s%s", err, tail);
		return -1;
	}
	if (rep.status >= 200 && rep.status <= 299 && resp->len)
		return 0;
	provider_error(w, rep.status, resp, tail, r);
	return -1;
}

/* The closing brace of the object opening at a (balanced braces,
 * strings skipped), at most z; NULL when it does not close by then. */
static const char *
object_end(const char *a, const char *z)
{
	size_t depth = 0;
	int str = 0;

	for (; a <= z; a++)
		if (str) {
			if (*a == '\\' && a < z)
				a++;
			else if (*a == '"')
				str = 0;
		} else if (*a == '"')
			str = 1;
		else if (*a == '{')
			depth++;
		else if (*a == '}' && --depth == 0)
			return a;
	return NULL;
}

/* A forecast answer: the JSON object in the content (models wrap it in
 * prose or code fences), {"probabilities": {...}} or the map itself:
 * from the first '{' to the last '}', else (prose after it holding a
 * '}') the first complete object. */
static void
answer_probs(struct xworker *w, struct xres *r)
{
	const char *s = w->tmp.data, *a, *z, *e, *e1;
	json_val root, pv;
	char err[512];

	a = s ? strchr(s, '{') : NULL;
	z = s ? strrchr(s, '}') : NULL;
	if (a == NULL || z == NULL || z < a) {
		xres_fail(r, "answer holds no JSON object");
		return;
	}
	if (json_parse(w->sp, a, (size_t)(z - a) + 1, 0, &root, &e) == -1 &&
	    ((e1 = object_end(a, z)) == NULL || e1 == z ||
	    json_parse(w->sp, a, (size_t)(e1 - a) + 1, 0, &root, &e1) == -1)) {
		xres_fail(r, "answer's JSON: %s", e);
		return;
	}
	json_get(&root, "probabilities", &pv);
	if (pv.type == JSON_ABSENT)
		pv = root;
	if (probs_write(w, &pv, &r->probs, err, sizeof err) == -1)
		xres_fail(r, "answer's probabilities: %s", err);
}

/* The request body into w->tmp; -1 with the reason in err. */
static int
build_request(struct xworker *w, const struct variant *v, const char *in,
    size_t n, char *err, size_t errlen)
{
	const char *t = v->prompt ? v->prompt : v->stage == XS_RESEARCH ?
	    default_research : default_forecast;

	buf_reset(&w->tmp2);
	/* the placeholders are bounded as a jq variant is (max_memory_mb's
	 * default: an LLM variant has none) */
	if (tmpl_fill(t, in, n, w->sp, &(struct jqf_bounds){ .timeout_ms =
	    v->timeout_ms, .max_mb = 1024 }, &w->tmp2, err, errlen) == -1)
		return -1;
	buf_reset(&w->tmp);
	jw_open(&w->tmp, '{');
	apis[v->api].build(v, &w->tmp2, &w->tmp);
	if (jw_close(&w->tmp, '}') == -1) {
		snprintf(err, errlen, "request too large");
		return -1;
	}
	return 0;
}

void
xk_llm_answer(struct xworker *w, size_t vi, const struct buf *resp,
    struct xres *r)
{
	const struct variant *v = &w->o->cfg->v[vi];
	char why[WHY_MAX] = "";
	size_t n;
	int cut = 0;

	/* research cut at max_tokens (or refused, filtered) would reach its
	 * forecasts cut: it fails; a forecast stands by its probabilities */
	if (read_answer(w, v, resp, r, why, &cut) == 0 &&
	    v->stage == XS_FORECAST)
		answer_probs(w, r);
	else if (r->status != XR_FAILED && cut)
		xres_fail(r, "answer incomplete");
	/* an answer cut at max_tokens, refused or blocked: the failure says
	 * so, as the provider did */
	n = strlen(r->error);
	if (r->status == XR_FAILED && why[0] && n < sizeof r->error)
		snprintf(r->error + n, sizeof r->error - n, " (%s)", why);
}

void
xk_llm(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r)
{
	const struct variant *v = &w->o->cfg->v[vi];
	struct llm_call call = { .base_url = v->base_url,
	    .key_header = apis[v->api].key_header,
	    .timeout_ms = v->timeout_ms };
	struct buf resp;
	char err[512], path[sizeof "/models/:generateContent" + LLM_MODEL_MAX];

	buf_init(&resp, 16 * 1024 * 1024);
	if (*v->api_key_env && ((call.api_key = getenv(v->api_key_env)) ==
	    NULL || *call.api_key == 0)) {
		xres_fail(r, "%s is not set", v->api_key_env);
		goto out;
	}
	/* it goes in a header: a CR LF in it sent headers of its own */
	if (call.api_key && opt_has_ctl(call.api_key)) {
		xres_fail(r, "%s holds a control character", v->api_key_env);
		goto out;
	}
	if (build_request(w, v, in, n, err, sizeof err) == -1) {
		xres_fail(r, "prompt: %s", err);
		goto out;
	}
	snprintf(path, sizeof path, apis[v->api].path, v->model);
	call.path = path;
	call.body = w->tmp.data;
	call.len = w->tmp.len;
	xdump(w, vi, "request", w->tmp.data, w->tmp.len);
	if (post(w, vi, &call, &resp, r) == 0)
		xk_llm_answer(w, vi, &resp, r);
out:
	buf_release(&resp);
}
