/* plot.c - the reliability diagram and the status sparkline (plot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jw.h"
#include "msg.h"
#include "plot.h"

#define MAXV	52		/* variants in the text diagram (A..Z,
				 * a..z); the SVG draws every one */
#define MAXB	1000		/* buckets (pm-summary --buckets) */

struct series {
	char	 name[256];	/* suite:variant (stage) fingerprint */
	int	 nb;
	double	 x[MAXB], y[MAXB];
	long	 n[MAXB];
};

struct diagram {
	struct series	*s;
	int		 ns, nb;
};

static void
series_name(const json_val *v, char *out, size_t outlen)
{
	json_val su, st, va, fp;
	const char *a, *b, *c, *f;
	size_t an = 0, bn = 0, cn = 0, fn = 0;

	json_get(v, "suite", &su);
	json_get(v, "stage", &st);
	json_get(v, "variant", &va);
	json_get(v, "fingerprint", &fp);
	if ((a = json_str(&su, &an)) == NULL)
		a = "";
	if ((b = json_str(&st, &bn)) == NULL)
		b = "";
	if ((c = json_str(&va, &cn)) == NULL)
		c = "";
	if ((f = json_str(&fp, &fn)) == NULL)
		f = "";
	/* as the report's line names it: a variant whose settings changed
	 * is two lines, told apart by the fingerprint after the name */
	snprintf(out, outlen, "%.*s:%.*s (%.*s)%s%.*s", (int)an, a, (int)cn,
	    c, (int)bn, b, fn ? " " : "", (int)fn, f);
	/* a name cut short is cut between characters: a UTF-8 sequence
	 * cut in two is no XML (no browser drew the SVG) */
	out[utf8_valid(out, strlen(out))] = 0;
	/* from the configuration, as the report's JSON keeps it: as the
	 * text report shows it, no control character reaching a terminal,
	 * nor the SVG, where XML allows none (no browser drew it) */
	msg_clean(out, strlen(out), 0);
}

/* The variants and their calibration buckets out of a score report. */
static int
read_diagram(const char *json, size_t len, struct diagram *d)
{
	json_parser *p = json_parser_new(len + 1);
	json_val root, vars, v, cal, b, f;
	json_iter it, bi;
	const char *err;
	int rc = -1;
	size_t nv;

	d->s = NULL;
	d->ns = d->nb = 0;
	if (p == NULL || json_parse(p, json, len, 0, &root, &err) == -1)
		goto out;
	json_get(&root, "variants", &vars);
	if (vars.type != JSON_ARRAY)
		goto out;
	/* every variant of the report, not the first 26 */
	if ((nv = json_count(&vars)) > 0 &&
	    (d->s = calloc(nv, sizeof *d->s)) == NULL)
		goto out;
	json_iter_init(&it, &vars);
	while ((size_t)d->ns < nv && json_iter_next(&it, NULL, NULL, &v)) {
		struct series *s = &d->s[d->ns++];
		int i = 0;
		int64_t n;

		series_name(&v, s->name, sizeof s->name);
		json_get(&v, "calibration", &cal);
		json_iter_init(&bi, &cal);
		while (i < MAXB && json_iter_next(&bi, NULL, NULL, &b)) {
			json_get(&b, "n", &f);
			s->n[i] = json_int64(&f, &n) == 0 ? (long)n : 0;
			json_get(&b, "mean_forecast", &f);
			if (json_double(&f, &s->x[i]) == -1)
				s->n[i] = 0;
			json_get(&b, "observed", &f);
			if (json_double(&f, &s->y[i]) == -1)
				s->n[i] = 0;
			i++;
		}
		s->nb = i;
		if (i > d->nb)
			d->nb = i;
	}
	rc = 0;
out:
	json_parser_free(p);
	return rc;
}

static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c",
    "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf" };
#define NCOLORS (int)(sizeof colors / sizeof colors[0])

/* Text in SVG: & < > " escaped. */
static void
xml_text(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		default: buf_addc(b, *s);
		}
}

/* Plot area: x0..x0+W, y0..y0+H, (0,0) bottom left. */
#define X0 70
#define Y0 40
#define W 400
#define H 400
#define PX(v) (X0 + (v) * W)
#define PY(v) (Y0 + H - (v) * H)

static void
svg_axes(struct buf *b)
{
	int i;

	buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "fill=\"none\" stroke=\"#888\"/>\n", X0, Y0, W, H);
	for (i = 0; i <= 10; i += 2) {
		buf_printf(b, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\" "
		    "font-size=\"11\">%.1f</text>\n", PX(i / 10.0), Y0 + H + 16,
		    i / 10.0);
		buf_printf(b, "<text x=\"%d\" y=\"%g\" text-anchor=\"end\" "
		    "font-size=\"11\">%.1f</text>\n", X0 - 6, PY(i / 10.0) + 4,
		    i / 10.0);
	}
	buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
	    "font-size=\"13\">forecast probability</text>\n", X0 + W / 2,
	    Y0 + H + 36);
	buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
	    "font-size=\"13\" transform=\"rotate(-90 %d %d)\">observed "
	    "frequency</text>\n", X0 - 44, Y0 + H / 2, X0 - 44, Y0 + H / 2);
	buf_printf(b, "<line class=\"diagonal\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\" stroke=\"#aaa\" stroke-dasharray=\"4 4\"/>\n", X0,
	    Y0 + H, X0 + W, Y0);
}

static void
svg_series(struct buf *b, const struct series *s, int k)
{
	const char *c = colors[k % NCOLORS];
	int i, first = 1;

	buf_adds(b, "<g class=\"series\" data-variant=\"");
	xml_text(b, s->name);
	buf_printf(b, "\" fill=\"%s\" stroke=\"%s\">\n", c, c);
	buf_adds(b, "<polyline fill=\"none\" points=\"");
	for (i = 0; i < s->nb; i++)
		if (s->n[i] > 0) {
			buf_printf(b, "%s%.1f,%.1f", first ? "" : " ",
			    PX(s->x[i]), PY(s->y[i]));
			first = 0;
		}
	buf_adds(b, "\"/>\n");
	for (i = 0; i < s->nb; i++) {
		if (s->n[i] == 0)
			continue;
		buf_printf(b, "<circle class=\"point\" data-bucket=\"%d\" "
		    "data-n=\"%ld\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">"
		    "<title>", i, s->n[i], PX(s->x[i]), PY(s->y[i]),
		    s->n[i] >= 100 ? 6.0 : s->n[i] >= 10 ? 4.5 : 3.0);
		xml_text(b, s->name);
		buf_printf(b, ": forecast %.3f, observed %.3f, n %ld</title>"
		    "</circle>\n", s->x[i], s->y[i], s->n[i]);
		buf_printf(b, "<text class=\"count\" x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"10\" stroke=\"none\">%ld</text>\n",
		    PX(s->x[i]) + 6, PY(s->y[i]) - 6, s->n[i]);
	}
	buf_adds(b, "</g>\n");
	/* the legend */
	buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
	    "fill=\"%s\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"12\">",
	    X0 + W + 20, Y0 + 20 * k, c, X0 + W + 36, Y0 + 20 * k + 9);
	xml_text(b, s->name);
	buf_adds(b, "</text>\n");
}

int
plot_reliability_svg(const char *json, size_t len, struct buf *out)
{
	struct diagram d;
	int k, h = Y0 + H + 60;

	if (read_diagram(json, len, &d) == -1)
		return -1;
	/* tall enough for the legend: a line per variant */
	if (Y0 + 20 * d.ns + 20 > h)
		h = Y0 + 20 * d.ns + 20;
	buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	    "<title>Reliability diagram</title>\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	    "<text x=\"%d\" y=\"24\" font-size=\"15\">Reliability: forecast "
	    "against observed frequency, %d buckets</text>\n",
	    X0 + W + 300, h, X0 + W + 300, h, X0, d.nb);
	svg_axes(out);
	for (k = 0; k < d.ns; k++)
		svg_series(out, &d.s[k], k);
	free(d.s);
	return buf_adds(out, "</svg>\n");
}

/* Variant k's letter in the text diagram: A..Z, then a..z. */
#define LETTER(k)	(char)((k) < 26 ? 'A' + (k) : 'a' + (k) - 26)

/* A grid of ROWS x COLS cells; (0,0) is forecast 0, observed 0. */
#define ROWS 11
#define COLS 41

int
plot_reliability_text(const char *json, size_t len, struct buf *out)
{
	char grid[ROWS][COLS];
	struct diagram d;
	int r, c, k, i, nd;

	if (read_diagram(json, len, &d) == -1)
		return -1;
	nd = d.ns < MAXV ? d.ns : MAXV;	/* a letter each */
	memset(grid, ' ', sizeof grid);
	for (c = 0; c < COLS; c++) {
		r = (int)((double)c / (COLS - 1) * (ROWS - 1) + 0.5);
		grid[r][c] = '.';
	}
	for (k = 0; k < nd; k++)
		for (i = 0; i < d.s[k].nb; i++) {
			if (d.s[k].n[i] == 0)
				continue;
			c = (int)(d.s[k].x[i] * (COLS - 1) + 0.5);
			r = (int)(d.s[k].y[i] * (ROWS - 1) + 0.5);
			grid[r][c] = grid[r][c] == ' ' || grid[r][c] == '.' ?
			    LETTER(k) : '*';
		}
	buf_adds(out, "reliability (forecast across, observed up; "
	    ". the diagonal, * two variants at one point):\n");
	for (r = ROWS - 1; r >= 0; r--)
		buf_printf(out, "%4.1f |%.*s|\n", (double)r / (ROWS - 1), COLS,
		    grid[r]);
	buf_printf(out, "     +%.*s+\n      0.0%*s1.0\n", COLS,
	    "-----------------------------------------", COLS - 6, "");
	for (k = 0; k < nd; k++) {
		buf_printf(out, "  %c %s: n per bucket", LETTER(k),
		    d.s[k].name);
		for (i = 0; i < d.s[k].nb; i++)
			buf_printf(out, " %ld", d.s[k].n[i]);
		buf_adds(out, "\n");
	}
	if (d.ns > nd)
		buf_printf(out, "  %d variants more, not drawn here (--plot "
		    "draws every one)\n", d.ns - nd);
	free(d.s);
	return 0;
}

/* A run's glyph, as the report's runs line counts its status s (n
 * bytes): a failed or abandoned run low, and a run still going (no
 * status until pm-store ends it, or running) a dot. */
static const char *
run_glyph(const char *s, size_t n)
{
	static const struct {
		const char	*status, *glyph;
	} g[] = {
		{ "completed", "\u2588" }, { "partial", "\u2584" },
		{ "failed", "\u2581" }, { "abandoned", "\u2581" },
	};
	size_t i;

	for (i = 0; s && i < sizeof g / sizeof g[0]; i++)
		if (strlen(g[i].status) == n && memcmp(s, g[i].status, n) == 0)
			return g[i].glyph;
	return "\u00b7";
}

int
plot_status_sparkline(const char *json, size_t len, struct buf *out)
{
	json_parser *p = json_parser_new(len + 1);
	json_val root, runs, last, r, st, lv;
	const char **glyph = NULL, *err, *s, *level = "?";
	size_t n = 0, sl, i;
	json_iter it;
	int rc = -1;

	if (p == NULL || json_parse(p, json, len, 0, &root, &err) == -1)
		goto out;
	json_get(&root, "runs", &runs);
	json_get(&runs, "last", &last);
	/* every run listed (--runs, up to 10000), not the newest 64 */
	if ((n = json_count(&last)) > 0 && (glyph = calloc(n, sizeof *glyph)) == NULL)
		goto out;
	/* newest first in the report: drawn oldest first */
	json_iter_init(&it, &last);
	for (i = 0; i < n && json_iter_next(&it, NULL, NULL, &r); i++) {
		json_get(&r, "status", &st);
		s = json_str(&st, &sl);
		glyph[i] = run_glyph(s, sl);
	}
	json_get(&root, "level", &lv);
	if ((s = json_str(&lv, &sl)) != NULL)
		level = s;
	else
		sl = 1;
	buf_adds(out, "runs: ");
	for (i = n; i > 0; i--)
		buf_adds(out, glyph[i - 1]);
	/* no run listed (none stored, --runs 0): no legend of nothing */
	if (n == 0)
		buf_adds(out, "none listed");
	else
		buf_adds(out, " (oldest first: \u2588 completed, \u2584 "
		    "partial, \u2581 failed, \u00b7 running)");
	buf_printf(out, "; data %.*s\n", (int)sl, level);
	rc = 0;
out:
	free(glyph);
	json_parser_free(p);
	return rc;
}
