-- A database written by the pm-* programs built at commit
-- c51f474 (as build-c51f474.sql), schema migrations 1, 2, 3
-- and 7 applied as that build made them. Input: the raw records
-- of build-c51f474-run{1,2,3}.ndjson (a daily run of one event
-- with experiments, then two static runs), normalized, grouped and
-- experimented on by that build's programs and stored by its pm-store
-- into a new database.  pg_dump of PostgreSQL 15, comments left out.
-- Read by tests/t0944-store-upgrade-old-builds.sh.


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public.contracts (
    source text NOT NULL,
    market_id text NOT NULL,
    outcome_index bigint NOT NULL,
    outcome text,
    token_id text,
    price double precision
);

CREATE TABLE public.events (
    source text NOT NULL,
    event_id text NOT NULL,
    slug text,
    title text,
    description text,
    start_time text,
    end_time text,
    updated_at text,
    active bigint,
    closed bigint,
    archived bigint,
    neg_risk bigint,
    volume double precision,
    liquidity double precision,
    tags text,
    market_ids text,
    raw_sha256 text,
    fetched_at text,
    record text NOT NULL,
    record_sha256 text NOT NULL,
    run_id text,
    first_seen_at text NOT NULL,
    stored_at text NOT NULL
);

CREATE TABLE public.experiment_markets (
    event_key text NOT NULL,
    experiment_id text NOT NULL,
    fingerprint text NOT NULL,
    markets text NOT NULL,
    market_id text NOT NULL,
    run_id text,
    close_time text,
    lead_h double precision
);

CREATE TABLE public.experiment_results (
    event_key text NOT NULL,
    experiment_id text NOT NULL,
    run_id text,
    suite text,
    stage text,
    variant text,
    type text,
    status text,
    output text,
    probabilities text,
    started_at text,
    finished_at text,
    latency_ms double precision,
    error text,
    fingerprint text NOT NULL,
    version text,
    markets text NOT NULL,
    lead text
);

CREATE TABLE public.experiment_runs (
    run_id text NOT NULL,
    experiment_id text NOT NULL,
    status text NOT NULL,
    n_ok bigint NOT NULL,
    n_failed bigint NOT NULL,
    n_skipped bigint NOT NULL,
    started_at text,
    finished_at text,
    fingerprint text,
    version text,
    description text
);

CREATE TABLE public.experiments (
    experiment_id text NOT NULL,
    suite text,
    stage text,
    variant text,
    type text,
    fingerprint text,
    version text,
    description text
);

CREATE TABLE public.markets (
    source text NOT NULL,
    market_id text NOT NULL,
    condition_id text,
    question_id text,
    slug text,
    question text,
    description text,
    event_id text,
    event_slug text,
    close_time text,
    start_time text,
    closed_time text,
    updated_at text,
    active bigint,
    closed bigint,
    archived bigint,
    neg_risk bigint,
    group_item_title text,
    resolution_status text,
    volume double precision,
    liquidity double precision,
    best_bid double precision,
    best_ask double precision,
    last_trade_price double precision,
    event text,
    tags text,
    raw_sha256 text,
    fetched_at text,
    record text NOT NULL,
    record_sha256 text NOT NULL,
    run_id text,
    first_seen_at text NOT NULL,
    stored_at text NOT NULL
);

CREATE TABLE public.price_history (
    token_id text NOT NULL,
    side text NOT NULL,
    ts text NOT NULL,
    price double precision NOT NULL,
    market_id text,
    outcome text,
    raw_sha256 text,
    run_id text
);

CREATE TABLE public.processed_contracts (
    event_key text NOT NULL,
    market_id text NOT NULL,
    outcome_index bigint NOT NULL,
    run_id text,
    outcome text,
    token_id text,
    price double precision
);

CREATE TABLE public.processed_events (
    event_key text NOT NULL,
    run_id text,
    event_id text,
    n_markets bigint,
    n_results bigint,
    record text NOT NULL,
    processed_at text NOT NULL
);

CREATE TABLE public.processed_markets (
    event_key text NOT NULL,
    market_id text NOT NULL,
    run_id text,
    question text,
    close_time text,
    volume double precision,
    liquidity double precision,
    active bigint,
    closed bigint,
    record text NOT NULL
);

CREATE TABLE public.processing_failures (
    id bigint NOT NULL,
    failure_sha256 text NOT NULL,
    run_id text,
    stage text,
    reason text NOT NULL,
    retriable bigint,
    market_id text,
    event_key text,
    input text,
    url text,
    detail text,
    recorded_at text NOT NULL
);

ALTER TABLE public.processing_failures ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.processing_failures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.processing_runs (
    run_id text NOT NULL,
    flow text,
    run_date text,
    target_date text,
    window_days bigint,
    started_at text,
    finished_at text,
    status text,
    counts text,
    git_sha text,
    environment text,
    options text,
    stored_at text NOT NULL
);

CREATE TABLE public.raw_responses (
    id bigint NOT NULL,
    sha256 text NOT NULL,
    source text,
    endpoint text,
    url text,
    fetched_at text,
    request text,
    payload text NOT NULL,
    run_id text,
    stored_at text NOT NULL
);

ALTER TABLE public.raw_responses ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.raw_responses_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.research_artifacts (
    event_key text NOT NULL,
    experiment_id text NOT NULL,
    run_id text,
    content text,
    fingerprint text NOT NULL,
    markets text NOT NULL,
    provenance text
);

CREATE TABLE public.run_locks (
    lock_key text NOT NULL,
    holder text NOT NULL,
    acquired_at text NOT NULL,
    expires_at bigint NOT NULL
);

CREATE TABLE public.schema_migrations (
    version bigint NOT NULL,
    name text NOT NULL,
    applied_at text NOT NULL
);

CREATE TABLE public.status_alerts (
    alert_key text NOT NULL,
    level text NOT NULL,
    changed_at text NOT NULL
);

CREATE TABLE public.tags (
    source text NOT NULL,
    tag_id text NOT NULL,
    slug text,
    label text
);

COPY public.contracts (source, market_id, outcome_index, outcome, token_id, price) FROM stdin;
polymarket	30	0	Yes	301	1
polymarket	30	1	No	302	0
polymarket	40	0	Yes	401	0.55
polymarket	40	1	No	402	0.45
\.

COPY public.events (source, event_id, slug, title, description, start_time, end_time, updated_at, active, closed, archived, neg_risk, volume, liquidity, tags, market_ids, raw_sha256, fetched_at, record, record_sha256, run_id, first_seen_at, stored_at) FROM stdin;
\.

COPY public.experiment_markets (event_key, experiment_id, fingerprint, markets, market_id, run_id, close_time, lead_h) FROM stdin;
e3	s:research:r	7e81354a6a503ff9	30	30	20261201T070000Z-daily-0a01	2026-12-08T12:00:00Z	\N
e3	s:forecast:market	677910cdcaade691	30	30	20261201T070000Z-daily-0a01	2026-12-08T12:00:00Z	86.86392777777777
e3	s:forecast:odd	8e1b33e225e8a409	30	30	20261201T070000Z-daily-0a01	2026-12-08T12:00:00Z	86.86392777777777
\.

COPY public.experiment_results (event_key, experiment_id, run_id, suite, stage, variant, type, status, output, probabilities, started_at, finished_at, latency_ms, error, fingerprint, version, markets, lead) FROM stdin;
e3	s:research:r	20261201T070000Z-daily-0a01	s	research	r	jq	ok	{"n":1}	\N	2026-12-04T21:08:09.826Z	2026-12-04T21:08:09.860Z	33	\N	7e81354a6a503ff9	\N	30	\N
e3	s:forecast:market	20261201T070000Z-daily-0a01	s	forecast	market	builtin	ok	{"markets":1,"priced":1}	{"30":{"Yes":0.9,"No":0.1}}	2026-12-04T21:08:09.860Z	2026-12-04T21:08:09.860Z	0	\N	677910cdcaade691	\N	30	{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}
e3	s:forecast:odd	20261201T070000Z-daily-0a01	s	forecast	odd	command	failed	\N	\N	2026-12-04T21:08:09.860Z	2026-12-04T21:08:09.923Z	63	exit status 3	8e1b33e225e8a409	\N	30	{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}
\.

COPY public.experiment_runs (run_id, experiment_id, status, n_ok, n_failed, n_skipped, started_at, finished_at, fingerprint, version, description) FROM stdin;
20261201T070000Z-daily-0a01	s:forecast:market	completed	1	0	0	2026-12-04T21:08:10.510Z	2026-12-04T21:08:10.518Z	677910cdcaade691	\N	\N
20261201T070000Z-daily-0a01	s:forecast:odd	failed	0	1	0	2026-12-04T21:08:10.510Z	2026-12-04T21:08:10.518Z	8e1b33e225e8a409	\N	\N
20261201T070000Z-daily-0a01	s:research:r	completed	1	0	0	2026-12-04T21:08:10.510Z	2026-12-04T21:08:10.518Z	7e81354a6a503ff9	\N	\N
\.

COPY public.experiments (experiment_id, suite, stage, variant, type, fingerprint, version, description) FROM stdin;
s:research:r	s	research	r	jq	7e81354a6a503ff9	\N	\N
s:forecast:market	s	forecast	market	builtin	677910cdcaade691	\N	\N
s:forecast:odd	s	forecast	odd	command	8e1b33e225e8a409	\N	\N
\.

COPY public.markets (source, market_id, condition_id, question_id, slug, question, description, event_id, event_slug, close_time, start_time, closed_time, updated_at, active, closed, archived, neg_risk, group_item_title, resolution_status, volume, liquidity, best_bid, best_ask, last_trade_price, event, tags, raw_sha256, fetched_at, record, record_sha256, run_id, first_seen_at, stored_at) FROM stdin;
polymarket	40	0xc40	\N	m-40	Will 40 happen?	\N	\N	\N	2026-12-08T12:00:00Z	\N	\N	\N	1	0	\N	\N	\N	\N	400	\N	\N	\N	\N	\N	[]	24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213	2026-12-02T07:00:01.002Z	{"kind":"market","source":"polymarket","market_id":"40","condition_id":"0xc40","question_id":null,"slug":"m-40","question":"Will 40 happen?","description":null,"event_id":null,"event_slug":null,"event":null,"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":400,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"401","price":0.55},{"outcome":"No","token_id":"402","price":0.45}],"tags":[],"raw_sha256":"24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213","fetched_at":"2026-12-02T07:00:01.002Z"}	ef5423547d8223985f1c76d6b6d851b25850ba95eb0232af65f05f2498d7912e	20261202T070000Z-static-0b02	2026-12-04T21:08:10.560Z	2026-12-04T21:08:10.560Z
polymarket	30	0xc30	\N	m-30	Will 30 happen?	\N	e3	ev-e3	2026-12-08T12:00:00Z	\N	2026-12-01T10:00:00Z	\N	1	1	\N	\N	\N	resolved	360	\N	\N	\N	\N	{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]}	[]	53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e	2026-12-03T07:00:01.000Z	{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":"2026-12-01T10:00:00Z","updated_at":null,"active":true,"closed":true,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":"resolved","volume":360,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":1},{"outcome":"No","token_id":"302","price":0}],"tags":[],"raw_sha256":"53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e","fetched_at":"2026-12-03T07:00:01.000Z"}	53a82b6d42f91aca8ebb90bd125bfe5af78741b61001f0875f54bed5c487682e	20261203T070000Z-static-0c03	2026-12-04T21:08:10.510Z	2026-12-04T21:08:10.597Z
\.

COPY public.price_history (token_id, side, ts, price, market_id, outcome, raw_sha256, run_id) FROM stdin;
301	buy	2026-12-02T07:00:02.000Z	0.91	30	Yes	abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9	20261202T070000Z-static-0b02
301	sell	2026-12-02T07:00:02.000Z	0.93	30	Yes	abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9	20261202T070000Z-static-0b02
302	buy	2026-12-02T07:00:02.000Z	0.07	30	No	abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9	20261202T070000Z-static-0b02
302	sell	2026-12-02T07:00:02.000Z	0.09	30	No	abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9	20261202T070000Z-static-0b02
\.

COPY public.processed_contracts (event_key, market_id, outcome_index, run_id, outcome, token_id, price) FROM stdin;
e3	30	0	20261201T070000Z-daily-0a01	Yes	301	0.9
e3	30	1	20261201T070000Z-daily-0a01	No	302	0.1
\.

COPY public.processed_events (event_key, run_id, event_id, n_markets, n_results, record, processed_at) FROM stdin;
e3	20261201T070000Z-daily-0a01	e3	1	3	{"kind":"group","event_key":"e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"markets":[{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":300,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":0.9},{"outcome":"No","token_id":"302","price":0.1}],"tags":[],"raw_sha256":"f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b","fetched_at":"2026-12-01T07:00:01.003Z"}],"results":[{"experiment_id":"s:research:r","suite":"s","stage":"research","variant":"r","type":"jq","status":"ok","output":{"n":1},"probabilities":null,"started_at":"2026-12-04T21:08:09.826Z","finished_at":"2026-12-04T21:08:09.860Z","latency_ms":33,"error":null,"fingerprint":"7e81354a6a503ff9","market_ids":["30"],"provenance":{"type":"jq","model":null,"host":null,"prompt_fingerprint":"2a54e15f885a4374","parameters":{"max_tokens":0,"search":false,"temperature":0.0}}},{"experiment_id":"s:forecast:market","suite":"s","stage":"forecast","variant":"market","type":"builtin","status":"ok","output":{"markets":1,"priced":1},"probabilities":{"30":{"Yes":0.9,"No":0.1}},"started_at":"2026-12-04T21:08:09.860Z","finished_at":"2026-12-04T21:08:09.860Z","latency_ms":0,"error":null,"fingerprint":"677910cdcaade691","market_ids":["30"],"lead":{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}},{"experiment_id":"s:forecast:odd","suite":"s","stage":"forecast","variant":"odd","type":"command","status":"failed","output":null,"probabilities":null,"started_at":"2026-12-04T21:08:09.860Z","finished_at":"2026-12-04T21:08:09.923Z","latency_ms":63,"error":"exit status 3","stderr":null,"fingerprint":"8e1b33e225e8a409","market_ids":["30"],"lead":{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}}]}	2026-12-04T21:08:10.510Z
\.

COPY public.processed_markets (event_key, market_id, run_id, question, close_time, volume, liquidity, active, closed, record) FROM stdin;
e3	30	20261201T070000Z-daily-0a01	Will 30 happen?	2026-12-08T12:00:00Z	300	\N	1	0	{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":300,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":0.9},{"outcome":"No","token_id":"302","price":0.1}],"tags":[],"raw_sha256":"f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b","fetched_at":"2026-12-01T07:00:01.003Z"}
\.

COPY public.processing_failures (id, failure_sha256, run_id, stage, reason, retriable, market_id, event_key, input, url, detail, recorded_at) FROM stdin;
1	a13166273ccc9de9484a236dae0f1b18687c4decd8d3fcd2697ee49c480af5ec	20261201T070000Z-daily-0a01	experiment	experiment_failed	1	\N	e3	stdin:3	\N	s:forecast:odd: exit status 3	2026-12-04T21:08:10.516Z
\.

COPY public.processing_runs (run_id, flow, run_date, target_date, window_days, started_at, finished_at, status, counts, git_sha, environment, options, stored_at) FROM stdin;
20261201T070000Z-daily-0a01	daily	2026-12-01	2026-12-08	7	2026-12-01T07:00:00.000Z	2026-12-04T21:08:10.518Z	partial	{"records":3,"inserted":3,"updated":0,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}	c51f4749d5d53724b31a92290fd96ac25c0c338b	development	{}	2026-12-04T21:08:10.488Z
20261202T070000Z-static-0b02	static	2026-12-01	\N	\N	2026-12-02T07:00:00.000Z	2026-12-04T21:08:10.566Z	completed	{"records":9,"inserted":8,"updated":1,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}	c51f4749d5d53724b31a92290fd96ac25c0c338b	development	{}	2026-12-04T21:08:10.541Z
20261203T070000Z-static-0c03	static	2026-12-01	\N	\N	2026-12-03T07:00:00.000Z	2026-12-04T21:08:10.604Z	completed	{"records":2,"inserted":1,"updated":1,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}	c51f4749d5d53724b31a92290fd96ac25c0c338b	development	{}	2026-12-04T21:08:10.582Z
\.

COPY public.raw_responses (id, sha256, source, endpoint, url, fetched_at, request, payload, run_id, stored_at) FROM stdin;
1	f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b	gamma	markets/keyset	http://127.0.0.1:8/markets/keyset	2026-12-01T07:00:01.003Z	{"limit":"100"}	{"id":"30","question":"Will 30 happen?","conditionId":"0xc30","slug":"m-30","outcomes":"[\\"Yes\\", \\"No\\"]","outcomePrices":"[\\"0.9\\", \\"0.1\\"]","clobTokenIds":"[\\"301\\", \\"302\\"]","closed":false,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"300","events":[{"id":"e3","slug":"ev-e3","title":"Event e3"}]}	20261201T070000Z-daily-0a01	2026-12-04T21:08:10.506Z
2	24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213	gamma	markets/keyset	http://127.0.0.1:8/markets/keyset	2026-12-02T07:00:01.002Z	{"limit":"100"}	{"id":"40","question":"Will 40 happen?","conditionId":"0xc40","slug":"m-40","outcomes":"[\\"Yes\\", \\"No\\"]","outcomePrices":"[\\"0.55\\", \\"0.45\\"]","clobTokenIds":"[\\"401\\", \\"402\\"]","closed":false,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"400"}	20261202T070000Z-static-0b02	2026-12-04T21:08:10.560Z
3	954081f0a7f2711b6f5204631804eccd6646792c175c245a608391b4eae4878b	gamma	markets/keyset	http://127.0.0.1:8/markets/keyset	2026-12-02T07:00:01.001Z	{"limit":"100"}	{"id":"30","question":"Will 30 happen?","conditionId":"0xc30","slug":"m-30","outcomes":"[\\"Yes\\", \\"No\\"]","outcomePrices":"[\\"1\\", \\"0\\"]","clobTokenIds":"[\\"301\\", \\"302\\"]","closed":true,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"350","events":[{"id":"e3","slug":"ev-e3","title":"Event e3"}],"closedTime":"2026-12-01 10:00:00+00","umaResolutionStatus":"resolved"}	20261202T070000Z-static-0b02	2026-12-04T21:08:10.560Z
4	abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9	clob	prices	http://127.0.0.1:8/prices	2026-12-02T07:00:02.000Z	{"tokens":{"301":{"market_id":"30","outcome":"Yes"},"302":{"market_id":"30","outcome":"No"}}}	{"301":{"BUY":"0.91","SELL":"0.93"},"302":{"BUY":"0.07","SELL":"0.09"}}	20261202T070000Z-static-0b02	2026-12-04T21:08:10.560Z
5	53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e	gamma	markets/keyset	http://127.0.0.1:8/markets/keyset	2026-12-03T07:00:01.000Z	{"limit":"100"}	{"id":"30","question":"Will 30 happen?","conditionId":"0xc30","slug":"m-30","outcomes":"[\\"Yes\\", \\"No\\"]","outcomePrices":"[\\"1\\", \\"0\\"]","clobTokenIds":"[\\"301\\", \\"302\\"]","closed":true,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"360","events":[{"id":"e3","slug":"ev-e3","title":"Event e3"}],"closedTime":"2026-12-01 10:00:00+00","umaResolutionStatus":"resolved"}	20261203T070000Z-static-0c03	2026-12-04T21:08:10.597Z
\.

COPY public.research_artifacts (event_key, experiment_id, run_id, content, fingerprint, markets, provenance) FROM stdin;
e3	s:research:r	20261201T070000Z-daily-0a01	{"n":1}	7e81354a6a503ff9	30	{"type":"jq","model":null,"host":null,"prompt_fingerprint":"2a54e15f885a4374","parameters":{"max_tokens":0,"search":false,"temperature":0.0}}
\.

COPY public.run_locks (lock_key, holder, acquired_at, expires_at) FROM stdin;
\.

COPY public.schema_migrations (version, name, applied_at) FROM stdin;
1	initial tables	2026-12-04T21:08:10.471Z
2	indexes for the prices flow, summaries and failure retries	2026-12-04T21:08:10.474Z
3	fingerprints, lead times, results per experiment and market	2026-12-04T21:08:10.482Z
7	run leases, status alert state	2026-12-04T21:08:10.487Z
\.

COPY public.status_alerts (alert_key, level, changed_at) FROM stdin;
\.

COPY public.tags (source, tag_id, slug, label) FROM stdin;
\.

SELECT pg_catalog.setval('public.processing_failures_id_seq', 1, true);

SELECT pg_catalog.setval('public.raw_responses_id_seq', 5, true);

ALTER TABLE ONLY public.contracts
    ADD CONSTRAINT contracts_pkey PRIMARY KEY (source, market_id, outcome_index);

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (source, event_id);

ALTER TABLE ONLY public.experiment_markets
    ADD CONSTRAINT experiment_markets_pkey PRIMARY KEY (event_key, experiment_id, fingerprint, markets, market_id);

ALTER TABLE ONLY public.experiment_results
    ADD CONSTRAINT experiment_results_v3_pkey PRIMARY KEY (event_key, experiment_id, fingerprint, markets);

ALTER TABLE ONLY public.experiment_runs
    ADD CONSTRAINT experiment_runs_pkey PRIMARY KEY (run_id, experiment_id);

ALTER TABLE ONLY public.experiments
    ADD CONSTRAINT experiments_pkey PRIMARY KEY (experiment_id);

ALTER TABLE ONLY public.markets
    ADD CONSTRAINT markets_pkey PRIMARY KEY (source, market_id);

ALTER TABLE ONLY public.price_history
    ADD CONSTRAINT price_history_pkey PRIMARY KEY (token_id, side, ts);

ALTER TABLE ONLY public.processed_contracts
    ADD CONSTRAINT processed_contracts_pkey PRIMARY KEY (event_key, market_id, outcome_index);

ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT processed_events_pkey PRIMARY KEY (event_key);

ALTER TABLE ONLY public.processed_markets
    ADD CONSTRAINT processed_markets_pkey PRIMARY KEY (event_key, market_id);

ALTER TABLE ONLY public.processing_failures
    ADD CONSTRAINT processing_failures_failure_sha256_key UNIQUE (failure_sha256);

ALTER TABLE ONLY public.processing_failures
    ADD CONSTRAINT processing_failures_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.processing_runs
    ADD CONSTRAINT processing_runs_pkey PRIMARY KEY (run_id);

ALTER TABLE ONLY public.raw_responses
    ADD CONSTRAINT raw_responses_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.raw_responses
    ADD CONSTRAINT raw_responses_sha256_key UNIQUE (sha256);

ALTER TABLE ONLY public.research_artifacts
    ADD CONSTRAINT research_artifacts_v3_pkey PRIMARY KEY (event_key, experiment_id, fingerprint, markets);

ALTER TABLE ONLY public.run_locks
    ADD CONSTRAINT run_locks_pkey PRIMARY KEY (lock_key);

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.status_alerts
    ADD CONSTRAINT status_alerts_pkey PRIMARY KEY (alert_key);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_pkey PRIMARY KEY (source, tag_id);

CREATE INDEX contracts_token ON public.contracts USING btree (token_id);

CREATE INDEX markets_active ON public.markets USING btree (active, closed);

CREATE INDEX price_history_market ON public.price_history USING btree (market_id, ts);

CREATE INDEX processed_events_run ON public.processed_events USING btree (run_id);

CREATE INDEX processing_failures_run ON public.processing_failures USING btree (run_id);

CREATE INDEX raw_responses_run ON public.raw_responses USING btree (run_id);


