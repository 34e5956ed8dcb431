/*
 * plot.h - pictures of the reports pm-summary makes: the reliability
 * diagram of --score (SVG for a browser, or text for a terminal) and the
 * one-line sparkline of --status.
 *
 * Each takes the report's own JSON text (score_report(), status_report()
 * with json set), so nothing here reads the database.  Output is appended
 * to out (the caller's); 0, or -1 when the JSON is not such a report or
 * memory ran out.
 */
#ifndef PM_PLOT_H
#define PM_PLOT_H

#include <stddef.h>

#include "buf.h"

/* Forecast (x) against observed frequency (y) per calibration bucket:
 * one series per variant, a point per non-empty bucket with its count,
 * the diagonal.  An SVG document. */
int plot_reliability_svg(const char *json, size_t len, struct buf *out);

/* The same as text: a grid, a letter per variant, the legend with each
 * variant's counts per bucket. */
int plot_reliability_text(const char *json, size_t len, struct buf *out);

/* "runs: ▁█▄█ ..." one glyph per listed run, oldest first, by outcome,
 * then the data's freshness; one line. */
int plot_status_sparkline(const char *json, size_t len, struct buf *out);

#endif
