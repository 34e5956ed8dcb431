/*
 * score.h - how good the forecasts were (pm-summary --score): every ok
 * forecast result stored by pm-store whose markets have since resolved is
 * scored per experiment id and fingerprint, overall and per lead-time
 * bucket (the lead stored with the result): Brier score, log loss and calibration
 * buckets, next to the market-implied forecast on the same markets (the
 * contract prices the experiment saw, processed_contracts) as reference.
 *
 * A market has resolved when it is closed, its resolution_status is null
 * or "resolved", and one outcome's stored price is at least 1 - 1e-3 while
 * every other is at most 1e-3 (Gamma's final outcome prices, 1 and 0).
 *
 * Per market, with K outcomes, p_i the forecast and o_i 1 for the winner:
 *	Brier    = (1/K) sum (p_i - o_i)^2   (binary: (p_yes - o_yes)^2)
 *	log loss = -ln(clamp(p_winner, eps, 1 - eps))
 * An outcome the forecast leaves out gets an equal share of what the
 * given ones leave below 1; a number for a market is its first outcome's
 * probability; a forecast naming an outcome the market does not have, or
 * one twice, is invalid, and so is a market named twice.  Calibration buckets take every (p_i, o_i), each in the bucket
 * whose edges as reported hold it.  Read in byte order on every engine,
 * every double as stored: the same data gives the same report.
 *
 * With two variants or more, they are also compared on the markets (an
 * event key and a market id) that every one of them scored: each one's
 * means there, in the order it scored them, and the reference's, once a
 * market.  For that, 64 bytes are held per market each variant scored
 * until the report is written (the pair as 16 bytes of its SHA-256).
 *
 * Read-only.  Ownership: the database and the output buffer are borrowed.
 */
#ifndef PM_SCORE_H
#define PM_SCORE_H

#include "buf.h"
#include "db.h"

struct score_opts {
	int	 buckets;	/* calibration buckets over [0, 1] */
	double	 clamp;		/* eps of the log loss */
	int	 json;
};

/* 0, or -1 when the database failed (the reason in err). */
int score_report(struct db *db, const struct score_opts *o, struct buf *out,
    char *err, size_t errlen);

#endif
