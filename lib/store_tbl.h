/*
 * store_tbl.h - the tables pm-store writes, column by column: one list per
 * table gives both store_tbl.c's column spec and an enum, so a row is
 * filled as v[MARKETS_QUESTION], never v[5].  Not for tools.
 *
 * Each list takes three macros: C(enum, name, type, flags), a column read
 * from the record member of its own name; N(enum, member, name, type,
 * flags), one read from a member named otherwise; X(enum, name, flags),
 * one the caller fills (F_X).  No ownership: constants only.
 */
#ifndef PM_STORE_TBL_H
#define PM_STORE_TBL_H

/* A raw record is an observation (when, by which request, in which run:
 * no key column, the table's unique index on sha256, fetched_at, endpoint
 * and url makes it once) of a payload, kept once in raw_payloads. */
#define RAW_COLS(C, N, X) \
	C(RAW_SHA256, "sha256", C_STR, F_REQ) \
	C(RAW_SOURCE, "source", C_STR, 0) \
	C(RAW_ENDPOINT, "endpoint", C_STR, F_REQ) \
	C(RAW_URL, "url", C_STR, 0) \
	C(RAW_FETCHED_AT, "fetched_at", C_TIME, 0) \
	C(RAW_REQUEST, "request", C_JSON, 0) \
	X(RAW_RUN_ID, "run_id", 0) \
	X(RAW_STORED_AT, "stored_at", 0)

/* The zstd dictionaries of the payloads of an endpoint (zpack.h). */
#define DICTS_COLS(C, N, X) \
	X(DICTS_DICT_ID, "dict_id", F_KEY) \
	X(DICTS_ENDPOINT, "endpoint", 0) \
	X(DICTS_DICT, "dict", 0) \
	X(DICTS_STORED_AT, "stored_at", 0)

#define PAYLOADS_COLS(C, N, X) \
	X(PAYLOADS_SHA256, "sha256", F_KEY) \
	X(PAYLOADS_ENCODING, "encoding", 0) \
	X(PAYLOADS_PAYLOAD, "payload", 0)

/* Markets and events compare on record_sha256, the hash of the canonical
 * record without fetched_at and raw_sha256 (canon_record): every listed
 * column is updated when the content moved; a fetch that brought the
 * same content again leaves the row as it was. */
#define MARKETS_COLS(C, N, X) \
	C(MARKETS_SOURCE, "source", C_STR, F_KEY) \
	C(MARKETS_MARKET_ID, "market_id", C_ID, F_KEY) \
	C(MARKETS_CONDITION_ID, "condition_id", C_STR, 0) \
	C(MARKETS_QUESTION_ID, "question_id", C_STR, 0) \
	C(MARKETS_SLUG, "slug", C_STR, 0) \
	C(MARKETS_QUESTION, "question", C_STR, 0) \
	C(MARKETS_DESCRIPTION, "description", C_STR, 0) \
	C(MARKETS_EVENT_ID, "event_id", C_ID, 0) \
	C(MARKETS_EVENT_SLUG, "event_slug", C_STR, 0) \
	C(MARKETS_CLOSE_TIME, "close_time", C_TIME, 0) \
	C(MARKETS_START_TIME, "start_time", C_TIME, 0) \
	C(MARKETS_CLOSED_TIME, "closed_time", C_TIME, 0) \
	C(MARKETS_UPDATED_AT, "updated_at", C_TIME, 0) \
	C(MARKETS_ACTIVE, "active", C_BOOL, 0) \
	C(MARKETS_CLOSED, "closed", C_BOOL, 0) \
	C(MARKETS_ARCHIVED, "archived", C_BOOL, 0) \
	C(MARKETS_NEG_RISK, "neg_risk", C_BOOL, 0) \
	C(MARKETS_GROUP_ITEM_TITLE, "group_item_title", C_STR, 0) \
	C(MARKETS_RESOLUTION_STATUS, "resolution_status", C_STR, 0) \
	C(MARKETS_VOLUME, "volume", C_NUM, 0) \
	C(MARKETS_LIQUIDITY, "liquidity", C_NUM, 0) \
	C(MARKETS_BEST_BID, "best_bid", C_NUM, 0) \
	C(MARKETS_BEST_ASK, "best_ask", C_NUM, 0) \
	C(MARKETS_LAST_TRADE_PRICE, "last_trade_price", C_NUM, 0) \
	C(MARKETS_VOLUME_24H, "volume_24h", C_NUM, 0) \
	C(MARKETS_VOLUME_1WK, "volume_1wk", C_NUM, 0) \
	C(MARKETS_SPREAD, "spread", C_NUM, 0) \
	C(MARKETS_ONE_DAY_PRICE_CHANGE, "one_day_price_change", C_NUM, 0) \
	C(MARKETS_RESOLUTION, "resolution", C_STR, 0) \
	C(MARKETS_RESOLVED_OUTCOME, "resolved_outcome", C_STR, 0) \
	C(MARKETS_RESOLVED_AT, "resolved_at", C_TIME, 0) \
	C(MARKETS_EVENT, "event", C_JSON, 0) \
	C(MARKETS_TAGS, "tags", C_JSON, 0) \
	C(MARKETS_RAW_SHA256, "raw_sha256", C_STR, 0) \
	C(MARKETS_FETCHED_AT, "fetched_at", C_TIME, F_NEWER) \
	X(MARKETS_RECORD, "record", 0) \
	X(MARKETS_RECORD_SHA256, "record_sha256", F_CMP) \
	X(MARKETS_RUN_ID, "run_id", 0) \
	X(MARKETS_FIRST_SEEN_AT, "first_seen_at", F_NOUPD) \
	X(MARKETS_STORED_AT, "stored_at", 0)

#define CONTRACTS_COLS(C, N, X) \
	X(CONTRACTS_SOURCE, "source", F_KEY) \
	X(CONTRACTS_MARKET_ID, "market_id", F_KEY) \
	X(CONTRACTS_OUTCOME_INDEX, "outcome_index", F_KEY) \
	C(CONTRACTS_OUTCOME, "outcome", C_STR, F_CMP) \
	C(CONTRACTS_TOKEN_ID, "token_id", C_ID, F_CMP) \
	C(CONTRACTS_PRICE, "price", C_NUM, F_CMP)

#define TAGS_COLS(C, N, X) \
	X(TAGS_SOURCE, "source", F_KEY) \
	N(TAGS_TAG_ID, "id", "tag_id", C_ID, F_KEY) \
	C(TAGS_SLUG, "slug", C_STR, F_CMP) \
	C(TAGS_LABEL, "label", C_STR, F_CMP)

#define EVENTS_COLS(C, N, X) \
	C(EVENTS_SOURCE, "source", C_STR, F_KEY) \
	C(EVENTS_EVENT_ID, "event_id", C_ID, F_KEY) \
	C(EVENTS_SLUG, "slug", C_STR, 0) \
	C(EVENTS_TITLE, "title", C_STR, 0) \
	C(EVENTS_DESCRIPTION, "description", C_STR, 0) \
	C(EVENTS_START_TIME, "start_time", C_TIME, 0) \
	C(EVENTS_END_TIME, "end_time", C_TIME, 0) \
	C(EVENTS_UPDATED_AT, "updated_at", C_TIME, 0) \
	C(EVENTS_ACTIVE, "active", C_BOOL, 0) \
	C(EVENTS_CLOSED, "closed", C_BOOL, 0) \
	C(EVENTS_ARCHIVED, "archived", C_BOOL, 0) \
	C(EVENTS_NEG_RISK, "neg_risk", C_BOOL, 0) \
	C(EVENTS_VOLUME, "volume", C_NUM, 0) \
	C(EVENTS_LIQUIDITY, "liquidity", C_NUM, 0) \
	C(EVENTS_TAGS, "tags", C_JSON, 0) \
	C(EVENTS_MARKET_IDS, "market_ids", C_JSON, 0) \
	C(EVENTS_RAW_SHA256, "raw_sha256", C_STR, 0) \
	C(EVENTS_FETCHED_AT, "fetched_at", C_TIME, F_NEWER) \
	X(EVENTS_RECORD, "record", 0) \
	X(EVENTS_RECORD_SHA256, "record_sha256", F_CMP) \
	X(EVENTS_RUN_ID, "run_id", 0) \
	X(EVENTS_FIRST_SEEN_AT, "first_seen_at", F_NOUPD) \
	X(EVENTS_STORED_AT, "stored_at", 0)

/* A point of a token's prices: the latest fetch of it wins, as for
 * markets (Polymarket revises the open bucket of a history, and another
 * fidelity gives other values for one ts), so a dump replayed after a
 * later run does not put an older value back. */
#define PRICES_COLS(C, N, X) \
	C(PRICES_TOKEN_ID, "token_id", C_ID, F_KEY) \
	C(PRICES_SIDE, "side", C_STR, F_KEY) \
	C(PRICES_TS, "ts", C_TIME, F_KEY) \
	C(PRICES_PRICE, "price", C_NUM, F_REQ | F_CMP) \
	C(PRICES_MARKET_ID, "market_id", C_ID, F_CMP) \
	C(PRICES_OUTCOME, "outcome", C_STR, F_CMP) \
	C(PRICES_RAW_SHA256, "raw_sha256", C_STR, F_CMP) \
	C(PRICES_FETCHED_AT, "fetched_at", C_TIME, F_NEWER) \
	X(PRICES_RUN_ID, "run_id", 0)

/* A run's start members: an end record that leaves one out (or gives
 * it null) keeps what its start stored, as it keeps the counts. */
#define RUNS_COLS(C, N, X) \
	C(RUNS_RUN_ID, "run_id", C_STR, F_KEY) \
	C(RUNS_FLOW, "flow", C_STR, F_CMP | F_KEEP) \
	C(RUNS_RUN_DATE, "run_date", C_DATE, F_CMP | F_KEEP) \
	C(RUNS_TARGET_DATE, "target_date", C_DATE, F_CMP | F_KEEP) \
	C(RUNS_WINDOW_DAYS, "window_days", C_INT, F_CMP | F_KEEP) \
	C(RUNS_STARTED_AT, "started_at", C_TIME, F_CMP | F_KEEP) \
	C(RUNS_GIT_SHA, "git_sha", C_STR, F_CMP | F_KEEP) \
	C(RUNS_ENVIRONMENT, "environment", C_STR, F_CMP | F_KEEP) \
	C(RUNS_OPTIONS, "options", C_JSON, F_CMP | F_KEEP) \
	X(RUNS_STORED_AT, "stored_at", 0)

#define PEVENTS_COLS(C, N, X) \
	C(PEVENTS_EVENT_KEY, "event_key", C_STR, F_KEY) \
	X(PEVENTS_RUN_ID, "run_id", 0) \
	X(PEVENTS_EVENT_ID, "event_id", 0) \
	X(PEVENTS_N_MARKETS, "n_markets", 0) \
	X(PEVENTS_N_RESULTS, "n_results", 0) \
	X(PEVENTS_RECORD, "record", 0) \
	X(PEVENTS_PROCESSED_AT, "processed_at", 0)

#define PMARKETS_COLS(C, N, X) \
	X(PMARKETS_EVENT_KEY, "event_key", F_KEY) \
	C(PMARKETS_MARKET_ID, "market_id", C_ID, F_KEY) \
	X(PMARKETS_RUN_ID, "run_id", 0) \
	C(PMARKETS_QUESTION, "question", C_STR, 0) \
	C(PMARKETS_CLOSE_TIME, "close_time", C_TIME, 0) \
	C(PMARKETS_VOLUME, "volume", C_NUM, 0) \
	C(PMARKETS_LIQUIDITY, "liquidity", C_NUM, 0) \
	C(PMARKETS_ACTIVE, "active", C_BOOL, 0) \
	C(PMARKETS_CLOSED, "closed", C_BOOL, 0) \
	X(PMARKETS_RECORD, "record", 0)

#define PCONTRACTS_COLS(C, N, X) \
	X(PCONTRACTS_EVENT_KEY, "event_key", F_KEY) \
	X(PCONTRACTS_MARKET_ID, "market_id", F_KEY) \
	X(PCONTRACTS_OUTCOME_INDEX, "outcome_index", F_KEY) \
	X(PCONTRACTS_RUN_ID, "run_id", 0) \
	C(PCONTRACTS_OUTCOME, "outcome", C_STR, 0) \
	C(PCONTRACTS_TOKEN_ID, "token_id", C_ID, 0) \
	C(PCONTRACTS_PRICE, "price", C_NUM, 0)

#define EXPERIMENTS_COLS(C, N, X) \
	C(EXPERIMENTS_EXPERIMENT_ID, "experiment_id", C_STR, F_KEY) \
	C(EXPERIMENTS_SUITE, "suite", C_STR, F_CMP) \
	C(EXPERIMENTS_STAGE, "stage", C_STR, F_CMP) \
	C(EXPERIMENTS_VARIANT, "variant", C_STR, F_CMP) \
	C(EXPERIMENTS_TYPE, "type", C_STR, F_CMP) \
	C(EXPERIMENTS_FINGERPRINT, "fingerprint", C_STR, F_CMP) \
	C(EXPERIMENTS_VERSION, "version", C_STR, F_CMP) \
	C(EXPERIMENTS_DESCRIPTION, "description", C_STR, F_CMP)

#define RESULTS_COLS(C, N, X) \
	X(RESULTS_EVENT_KEY, "event_key", F_KEY) \
	C(RESULTS_EXPERIMENT_ID, "experiment_id", C_STR, F_KEY) \
	X(RESULTS_RUN_ID, "run_id", 0) \
	C(RESULTS_SUITE, "suite", C_STR, 0) \
	C(RESULTS_STAGE, "stage", C_STR, 0) \
	C(RESULTS_VARIANT, "variant", C_STR, 0) \
	C(RESULTS_TYPE, "type", C_STR, 0) \
	C(RESULTS_STATUS, "status", C_STR, F_REQ) \
	C(RESULTS_OUTPUT, "output", C_ANY, 0) \
	C(RESULTS_PROBABILITIES, "probabilities", C_JSON, 0) \
	C(RESULTS_STARTED_AT, "started_at", C_TIME, 0) \
	C(RESULTS_FINISHED_AT, "finished_at", C_TIME, 0) \
	C(RESULTS_LATENCY_MS, "latency_ms", C_NUM, 0) \
	C(RESULTS_ERROR, "error", C_ANY, 0) \
	X(RESULTS_FINGERPRINT, "fingerprint", F_KEY) \
	C(RESULTS_VERSION, "version", C_STR, 0) \
	X(RESULTS_MARKETS, "markets", F_KEY) \
	C(RESULTS_LEAD, "lead", C_JSON, 0)

#define ARTIFACTS_COLS(C, N, X) \
	X(ARTIFACTS_EVENT_KEY, "event_key", F_KEY) \
	X(ARTIFACTS_EXPERIMENT_ID, "experiment_id", F_KEY) \
	X(ARTIFACTS_RUN_ID, "run_id", 0) \
	X(ARTIFACTS_CONTENT, "content", 0) \
	X(ARTIFACTS_FINGERPRINT, "fingerprint", F_KEY) \
	X(ARTIFACTS_MARKETS, "markets", F_KEY) \
	C(ARTIFACTS_PROVENANCE, "provenance", C_JSON, 0)

/* Which markets a result covers, with their lead time (forecasts). */
#define XMARKETS_COLS(C, N, X) \
	X(XMARKETS_EVENT_KEY, "event_key", F_KEY) \
	X(XMARKETS_EXPERIMENT_ID, "experiment_id", F_KEY) \
	X(XMARKETS_FINGERPRINT, "fingerprint", F_KEY) \
	X(XMARKETS_MARKETS, "markets", F_KEY) \
	X(XMARKETS_MARKET_ID, "market_id", F_KEY) \
	X(XMARKETS_RUN_ID, "run_id", 0) \
	X(XMARKETS_CLOSE_TIME, "close_time", 0) \
	X(XMARKETS_LEAD_H, "lead_h", 0)

#define FAIL_COLS(C, N, X) \
	X(FAIL_FAILURE_SHA256, "failure_sha256", F_KEY) \
	X(FAIL_RUN_ID, "run_id", 0) \
	C(FAIL_STAGE, "stage", C_STR, 0) \
	C(FAIL_REASON, "reason", C_STR, F_REQ) \
	C(FAIL_RETRIABLE, "retriable", C_BOOL, 0) \
	C(FAIL_MARKET_ID, "market_id", C_ID, 0) \
	C(FAIL_EVENT_KEY, "event_key", C_STR, 0) \
	C(FAIL_INPUT, "input", C_STR, 0) \
	C(FAIL_URL, "url", C_STR, 0) \
	C(FAIL_DETAIL, "detail", C_STR, 0) \
	X(FAIL_RECORDED_AT, "recorded_at", 0)

/* A fill, keyed by trade_key (pm-records(5)): only its count can move. */
#define TRADES_COLS(C, N, X) \
	C(TRADES_TRADE_KEY, "trade_key", C_STR, F_KEY) \
	C(TRADES_CONDITION_ID, "condition_id", C_STR, F_REQ) \
	C(TRADES_TOKEN_ID, "token_id", C_ID, 0) \
	C(TRADES_SIDE, "side", C_STR, F_REQ) \
	C(TRADES_SIZE, "size", C_NUM, F_REQ) \
	C(TRADES_PRICE, "price", C_NUM, F_REQ) \
	C(TRADES_TS, "ts", C_TIME, F_REQ) \
	C(TRADES_WALLET, "wallet", C_STR, 0) \
	C(TRADES_OUTCOME, "outcome", C_STR, 0) \
	C(TRADES_OUTCOME_INDEX, "outcome_index", C_INT, 0) \
	C(TRADES_TRANSACTION_HASH, "transaction_hash", C_STR, 0) \
	C(TRADES_COUNT, "count", C_INT, F_CMP) \
	C(TRADES_RAW_SHA256, "raw_sha256", C_STR, 0) \
	X(TRADES_RUN_ID, "run_id", 0)

/* One level of a book snapshot; the level object gives level, price and
 * size, the book record the rest. */
#define BOOKS_COLS(C, N, X) \
	X(BOOKS_TOKEN_ID, "token_id", F_KEY) \
	X(BOOKS_TS, "ts", F_KEY) \
	X(BOOKS_SIDE, "side", F_KEY) \
	C(BOOKS_LEVEL, "level", C_INT, F_KEY | F_REQ) \
	C(BOOKS_PRICE, "price", C_NUM, F_REQ | F_CMP) \
	C(BOOKS_SIZE, "size", C_NUM, F_REQ | F_CMP) \
	X(BOOKS_MARKET_ID, "market_id", 0) \
	X(BOOKS_RAW_SHA256, "raw_sha256", 0) \
	X(BOOKS_RUN_ID, "run_id", 0)

/* Every table: enum tbl, SQL name, columns, PostgreSQL takes it through
 * COPY.  The order is the order of enum tbl. */
#define STORE_TABLES(T) \
	T(T_RAW, "raw_observations", RAW_COLS, 1) \
	T(T_PAYLOADS, "raw_payloads", PAYLOADS_COLS, 1) \
	T(T_DICTS, "raw_dicts", DICTS_COLS, 0) \
	T(T_MARKETS, "markets", MARKETS_COLS, 1) \
	T(T_CONTRACTS, "contracts", CONTRACTS_COLS, 1) \
	T(T_TAGS, "tags", TAGS_COLS, 1) \
	T(T_EVENTS, "events", EVENTS_COLS, 0) \
	T(T_PRICES, "price_history", PRICES_COLS, 1) \
	T(T_RUNS, "processing_runs", RUNS_COLS, 0) \
	T(T_PEVENTS, "processed_events", PEVENTS_COLS, 0) \
	T(T_PMARKETS, "processed_markets", PMARKETS_COLS, 0) \
	T(T_PCONTRACTS, "processed_contracts", PCONTRACTS_COLS, 0) \
	T(T_EXPERIMENTS, "experiments", EXPERIMENTS_COLS, 0) \
	T(T_RESULTS, "experiment_results", RESULTS_COLS, 0) \
	T(T_ARTIFACTS, "research_artifacts", ARTIFACTS_COLS, 0) \
	T(T_XMARKETS, "experiment_markets", XMARKETS_COLS, 0) \
	T(T_FAILURES, "processing_failures", FAIL_COLS, 0) \
	T(T_TRADES, "trades", TRADES_COLS, 0) \
	T(T_BOOKS, "books", BOOKS_COLS, 0)

#define TBL_ENUM_(id, name, cols, bulk) id,
enum tbl { STORE_TABLES(TBL_ENUM_) T_COUNT };

/* One enum per table: its columns in order, then id##_NCOLS. */
#define COL_ENUM_C_(e, ...) e,
#define COL_ENUM_(id, name, cols, bulk) \
	enum { cols(COL_ENUM_C_, COL_ENUM_C_, COL_ENUM_C_) id##_NCOLS };
STORE_TABLES(COL_ENUM_)

#endif
