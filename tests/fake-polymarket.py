#!/usr/bin/env python3
"""fake-polymarket.py - a local stand-in for Polymarket's Gamma and CLOB APIs.

Serves the recorded real responses in tests/fixtures/ and synthetic markets
cloned from them (new ids, condition ids, slugs and token ids), through the
endpoints and envelopes of the real API, and injects faults on demand.
Listens on 127.0.0.1 only; python3 standard library only.

Usage:
  fake-polymarket.py [options]

  --port N             port to listen on (default 0: a free one)
  --port-file FILE     write the port there once listening (atomically)
  --fixtures DIR       recorded responses (default: tests/fixtures)
  --markets N          add N synthetic open markets (default 0)
  --events N           add N synthetic events, each embedding clones of a
                       recorded event's markets (default 0)
  --only-synthetic     serve only the synthetic markets and events
  --closed-every K     every Kth synthetic market is closed (default 0: none)
  --now T              the clock synthetic end dates are laid out from
                       (RFC 3339; default: the time the server starts)
  --spread-days N      synthetic market i closes on day i mod N after the
                       day of --now (day 0 is that day), at hour
                       (5 * (i div N)) mod 24, minute 30 UTC, instead of
                       spread over a month back to a year ahead
  --group-size K       with --spread-days: markets closing on one day share
                       an embedded event, K at a time in index order (event
                       id 30000000 + 100 * day + i div N div K)
  --offset-ceiling N   legacy /markets and /events: 422 past offset N
                       (default 2000)
  --latency MS         sleep before every API answer (default 0)
  --every-429 N        every Nth API request gets 429 (default 0: never)
  --retry-after S      the Retry-After sent with those 429s, seconds
                       (default 0; -1: no header; a string by /_control:
                       the header's text as it is)
  --every-5xx N        every Nth API request gets 500 (default 0: never)
  --every-truncate N   every Nth API request gets a 200 cut in half
  --truncate-mode M    cut: Content-Length promises the whole body and the
                       connection closes early (default); json: the header
                       matches the cut body, which is not valid JSON
  --every-drop N       every Nth API request: connection closed, no answer
  --stuck-cursor N     keyset: from the Nth page of a listing on, next_cursor
                       repeats the cursor just received (a server bug)
  --budget NAME=N/S    enforce a budget: more than N requests to NAME in
                       any S seconds get 429 (Retry-After 1) and are counted.
                       NAME: markets, events, prices, price, book, midpoint,
                       prices-history, last-trade-price, or listing (the
                       /markets and /events listings together).  Repeatable.
  --published-budgets  the Gamma listing budgets of Polymarket's rate-limits
                       page: markets=300/10, events=500/10, listing=900/10
  --no-end-every K     every Kth synthetic market (from the first) has no
                       endDate (default 0: all have one)
  --ignore-order       keyset listings ignore order and ascending (id order)
  --event-size K       synthetic markets, K at a time in index order, make
                       one synthetic event (id 40000000 + i div K) that
                       /events lists with the markets nested, as the real
                       API does; each market names its event (default 0)
  --log FILE           append every API request line (METHOD path?query)
  --trades N           Data API /trades: N trades per market (default 20),
                       the recorded real rows cloned into the market (its
                       condition id, tokens, outcomes, slugs), every 20 rows
                       an hour older, the newest in the hour of --now
  --trades-offset-cap N  /trades: 400 "max historical trades offset of N
                       exceeded" past offset N (default 10000)
  --trades-page-cap N  /trades: limit clamped to N (default 10000)
  --no-gzip            never compress (default: gzip when asked for)
  --mutate SEED        every 200 API answer is mutated, as a hostile or
                       broken server's might be: values of other types,
                       NaN, huge numbers, lone surrogates, deep nesting,
                       long strings, keys gone; one answer in eight has
                       bytes flipped or cut as well.  The same SEED and
                       request (path and body) give the same answer
                       (default: none; POST /_control {"mutate": SEED})
  --clock-skew S       the server's clock runs S seconds ahead of the
                       machine's (negative: behind): the updatedAt that
                       /_touch stamps and every answer's Date header
                       (default 0; POST /_control {"clock_skew": S})
  --tls CERT KEY       HTTPS only, with this certificate chain and key
                       (PEM files); the handshake happens in the request's
                       thread, and one that fails is not an API request

  Counting: request numbers (for every-N) count API requests only, from 1;
  when several faults fall on one request the order is drop, 429, 5xx,
  truncate.

Endpoints (as the real API): GET /markets/keyset, /events/keyset (keyset
paging: limit clamped to 100, default 20, after_cursor in, opaque
next_cursor out and absent on the last page, 422 for offset), GET /markets,
/events (legacy offset listing, bare arrays), GET /markets/{id}; filters
closed (default false), active, end_date_min/max (inclusive), id (repeat),
tag_id, order (a JSON field name) and ascending.  CLOB: POST /prices
(at most 500 items), GET /price, /midpoint, /book, /last-trade-price,
/prices-history (interval: four points up to now on the server's clock;
startTs/endTs, not with interval: the points on the fidelity grid in the
window, none after now, a window over 15 days refused with 400).  A closed
market's tokens have no book: /book, /price, /midpoint and
/last-trade-price answer 404 "No orderbook exists for the requested token
id", POST /prices leaves them out (as POST /books does), and their
/prices-history has no point after the close (closedTime).  Gamma /markets also takes condition_ids (repeatable;
closed still defaults to false).  Data API: GET /trades (market=comma
list of condition ids, user, takerOnly (default true: the first row of
each recorded transaction is its taker row, the others are maker rows),
side, filterType CASH|TOKENS with filterAmount, start/end epoch seconds
inclusive and only with market or user, limit, offset; newest first).

Control:
  GET  /_stats    counts as JSON: requests, by endpoint, by status,
                  injected faults, budget 429s per name, concurrency peak,
                  span: per budget name the monotonic times of its first
                  and last request and their count; in_quiet: requests
                  that came between quiet_ms [LO, HI] after the last 429
  GET  /_ids      {"markets": ids of the open markets, "events": ids of
                  the open events}: what a full listing must return
  POST /_control  JSON object of settings to change (every_429, every_5xx,
                  every_truncate, every_drop, retry_after, latency_ms,
                  quiet_ms [LO, HI] (see in_quiet),
                  stuck_cursor, truncate_mode, budgets {"name":[n,s]},
                  trades_offset_cap, trades_page_cap, mutate, clock_skew,
                  answer_200: {PATH: [BODY, N]}: the next N requests to
                  PATH (null: every one) get 200 with BODY (JSON), as
                  a gateway's or proxy's answer of its own: {"error":
                  ...}, null; {} takes every one back;
                  trades_fail_offset: /trades from that offset on get
                  500, every try: a run's later pages fail, null never;
                  trades_fail_status: that answer's status instead of
                  500 (403: a proxy's refusal, not retried);
                  trades_ignore_offset: true: /trades answers every
                  offset with the first page, as a server that dropped
                  the parameter would;
                  trades_until: /trades serves no trade newer than
                  these epoch seconds, as if not made yet, null all;
                  history_fail_before: /prices-history windows starting
                  before these epoch seconds get 500, every try, null
                  never; history_fail_status: their status instead of
                  500; listing_fail_end_min: keyset listings with
                  this end_date_min (its text) get 500, every try: one
                  partition of a listing fails, null none)
                  cursor: "offset" (the default: next_cursor is the
                  position of the next page, so a row gone before it
                  shifts the rest) or "keyset" (next_cursor is the last
                  row's sort key and id, the next page what sorts after
                  it, as a keyset listing is) or "number" (next_cursor
                  a JSON number, not a string: an API that changed it);
                  on_page {"after": N, "do": [CHANGE ...]}: once N more
                  listing pages (keyset or legacy, any query) are made,
                  the changes are applied before the Nth is sent, so the
                  next page sees them: {"close": M}, {"touch": M}
                  (updatedAt now), {"end": [M, T]} (endDate T, null for
                  none; updatedAt now), {"delete": M}, M a market's id,
                  else an event's; /_stats "changes" counts the pages
                  that applied some
  POST /_reset    counters back to zero
  POST /_touch    {"every": K}: every Kth market (by id order) changes now:
                  updatedAt becomes the current time and its volume grows,
                  as a live market's would; answers {"touched": [ids]};
                  {"every": K, "close": true}: they close as well
  POST /_close    {"id": M}: market M closes now (closed, closedTime and
                  updatedAt now, on the server's clock); answers
                  {"closed": M}
  POST /_add_market  {"event_id": E}: a new market joins event E (of
                  --group-size), closing when its first market does and
                  updated now, as one listed later on Polymarket; answers
                  {"added": id}
"""

import argparse
import base64
import collections
import copy
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_tls import tls_wrap
from hostile import mutate

HERE = os.path.dirname(os.path.abspath(__file__))
MARKET_SCHEMA = "https://gamma-api.polymarket.com/schemas/MarketsKeysetListResponse.json"
EVENT_SCHEMA = "https://gamma-api.polymarket.com/schemas/EventsKeysetListResponse.json"
KEYSET_OFFSET_ERROR = {"error": "offset is not allowed on keyset endpoints",
                       "type": "validation error"}
OFFSET_TOO_LARGE = {"error": "offset too large, use /markets/keyset for deeper pagination",
                    "type": "validation error"}


def load(fixtures, name):
    with open(os.path.join(fixtures, name), encoding="utf-8") as f:
        return json.load(f)


def dump_bytes(v):
    """Compact UTF-8 JSON, as the API writes it; a lone surrogate (half a
    character, which no UTF-8 holds) as its \\u escape, as JSON.stringify
    writes it."""
    return re.sub("[\ud800-\udfff]", lambda m: "\\u%04x" % ord(m.group()),
                  json.dumps(v, ensure_ascii=False, separators=(",", ":"))).encode()


def digest(*parts):
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()


def token_id(*parts):
    # uint256 decimal strings of 77 digits, like the real ones
    return str(10 ** 76 + int.from_bytes(digest("token", *parts), "big") % (9 * 10 ** 76))


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    try:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return None


class Data:
    """Markets and events, each kept with its serialized bytes."""

    def __init__(self, args):
        fx = args.fixtures
        recorded = []
        for name in ("gamma-markets-Alex-Alaniz-2.json", "gamma-markets-bobaoxu2001-1.json",
                     "gamma-markets-ra1nty-1.json"):
            recorded += load(fx, name)
        recorded += load(fx, "gamma-markets-keyset-hisefath-1.json")["markets"]
        seen, templates = set(), []
        for m in recorded:
            if m["id"] not in seen:
                seen.add(m["id"])
                templates.append(m)
        events = load(fx, "gamma-events-bobaoxu2001-1.json")
        self.markets = [] if args.only_synthetic else list(templates)
        self.events = [] if args.only_synthetic else list(events)
        now = parse_time(args.now) if args.now else time.time() + args.clock_skew
        if now is None:
            sys.exit("fake-polymarket: --now: not a time: %s" % args.now)
        for i in range(args.markets):
            if args.spread_days:
                end = self.spread_end(i, now, args.spread_days)
            else:
                # End dates spread over a month back to a year ahead.
                end = now - 30 * 86400 + 395 * 86400 * (i + 0.5) / args.markets
            m = self.clone_market(templates[i % len(templates)], i, end, now)
            if args.spread_days and args.group_size:
                m["events"] = [self.spread_event(i, args)]
            if args.closed_every and i % args.closed_every == 0:
                m["closed"] = True
            if args.no_end_every and i % args.no_end_every == 0:
                m.pop("endDate", None)
            self.markets.append(m)
        for j in range(args.events):
            self.events.append(self.clone_event(events[j % len(events)], j, now))
        grouped = self.group_events(args) if args.event_size else []
        self.events += grouped
        self.markets.sort(key=lambda m: int(m["id"]))
        self.events.sort(key=lambda e: int(e["id"]))
        self.blob = {}
        for m in self.markets + [e for e in self.events if not e.get("_grouped")]:
            self.blob[id(m)] = dump_bytes(m)
        for e in grouped:
            self.blob[id(e)] = self.event_blob(e)
        self.tokens = {}
        # the tokens of closed markets: no book any more, and no history
        # after the close (epoch seconds; None: closed from the start)
        self.closed_at = {}
        for m in self.markets:
            for t in json.loads(m.get("clobTokenIds") or "[]"):
                self.tokens[t] = m["id"]
                if m.get("closed"):
                    self.closed_at[t] = None
        self.book = load(fx, "clob-book-ra1nty-1.json")
        self.history = load(fx, "clob-prices-history-ra1nty-1.json")
        self.cache = {}
        self.lock = threading.Lock()
        self.trade_tmpl = load(fx, "data-trades-vishnuvardhan0ffl-1.json")
        self.trades_n = args.trades
        self.trade_anchor = now // 3600 * 3600
        self.by_cond = {m["conditionId"]: m for m in self.markets if m.get("conditionId")}
        self.trade_cache = {}

    @staticmethod
    def clone_market(t, i, end, now):
        m = dict(t)  # nested values shared, never changed in place
        m["id"] = str(10_000_000 + i)
        m["conditionId"] = "0x" + digest("cond", i).hex()
        m["questionID"] = "0x" + digest("question", i).hex()
        m["slug"] = "%s-syn-%d" % (t.get("slug", "market"), i)
        m["question"] = "%s (synthetic %d)" % (t.get("question", ""), i)
        m["closed"] = False
        m["active"] = True
        m["archived"] = False
        outcomes = json.loads(t["outcomes"]) if t.get("outcomes") else ["Yes", "No"]
        m["outcomes"] = json.dumps(outcomes)
        m["clobTokenIds"] = json.dumps([token_id(i, k) for k in range(len(outcomes))])
        p = (int.from_bytes(digest("p", i)[:2], "big") % 999 + 1) / 1000
        m["outcomePrices"] = json.dumps([str(p), str(round(1 - p, 3))][:len(outcomes)])
        m["endDate"] = iso(end)
        m["updatedAt"] = iso(now - 86400 * ((i * 7919) % 1000) / 1000)
        m.pop("events", None)
        return m

    def group_events(self, args):
        """--event-size: K synthetic markets at a time make an event."""
        out, syn = [], [m for m in self.markets if int(m["id"]) >= 10_000_000]
        for k in range(0, len(syn), args.event_size):
            ms = syn[k:k + args.event_size]
            eid = str(40_000_000 + k // args.event_size)
            e = {"id": eid, "ticker": "syn-event-%s" % eid,
                 "slug": "syn-event-%s" % eid, "title": "Synthetic event %s" % eid,
                 "active": True, "closed": False, "_grouped": True, "markets": ms}
            if ms[0].get("endDate"):
                e["endDate"] = ms[0]["endDate"]
            stub = {"id": eid, "slug": e["slug"], "title": e["title"]}
            for m in ms:
                m["events"] = [stub]
            out.append(e)
        return out

    def event_blob(self, e):
        """A grouped event with its markets' own bytes nested."""
        head = {k: v for k, v in e.items() if k not in ("markets", "_grouped")}
        b = dump_bytes(head)
        return b[:-1] + b',"markets":[' + b",".join(self.blob[id(m)] for m in e["markets"]) + b"]}"

    @staticmethod
    def spread_end(i, now, days):
        """Day i mod N from the day of now, hour 5 * (i div N) mod 24, :30."""
        day0 = now // 86400 * 86400
        return day0 + (i % days) * 86400 + (5 * (i // days) % 24) * 3600 + 1800

    @staticmethod
    def spread_event(i, args):
        """The event a spread market belongs to (--group-size)."""
        day, k = i % args.spread_days, i // args.spread_days // args.group_size
        eid = 30_000_000 + 100 * day + k
        return {"id": str(eid), "slug": "spread-%d" % eid,
                "title": "Spread event %d" % eid}

    @classmethod
    def clone_event(cls, t, j, now):
        e = copy.deepcopy(t)
        e["id"] = str(20_000_000 + j)
        e["slug"] = e["ticker"] = "%s-syn-%d" % (t.get("slug", "event"), j)
        end = now + 86400 * (1 + j % 365)
        e["endDate"] = iso(end)
        e["closed"] = False
        e["markets"] = [cls.clone_market(m, 1_000_000 + j * 100 + k, end, now)
                        for k, m in enumerate(t.get("markets", []))]
        return e

    def touch(self, every, skew=0, close=False):
        """Change every Kth market now (the server's clock, skew seconds
        off the machine's), for the delta flow's tests; with close, it
        closes as well."""
        now, touched = time.time() + skew, []
        for i, m in enumerate(self.markets):
            if every > 0 and i % every == 0:
                m["updatedAt"] = iso(now)
                if close:
                    self.mark_closed(m, now)
                m["volume"] = str(float(m.get("volume") or 0) + 1)
                self.blob[id(m)] = dump_bytes(m)
                touched.append(m["id"])
        for e in self.events:
            if e.get("_grouped"):
                self.blob[id(e)] = self.event_blob(e)
        self.cache.clear()
        return touched

    def mark_closed(self, m, t):
        """Market m closes at t (the server's clock): Gamma's closedTime,
        and the CLOB has no book of its tokens and no history after t."""
        m["closed"] = True
        m["closedTime"] = dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S+00")
        for tok in json.loads(m.get("clobTokenIds") or "[]"):
            self.closed_at[tok] = int(t)

    def close(self, ident, skew=0):
        """A market closes now: its last trades are in."""
        m = next((m for m in self.markets if m["id"] == ident), None)
        if m is None:
            return None
        self.mark_closed(m, time.time() + skew)
        m["updatedAt"] = iso(time.time() + skew)
        self.blob[id(m)] = dump_bytes(m)
        self.cache.clear()
        return ident

    def change(self, c, skew=0):
        """One change of on_page (see /_control) to a market, or to an
        event when no market has the id."""
        (op, arg), = c.items()
        ident = str(arg[0] if isinstance(arg, list) else arg)
        rows = self.markets
        m = next((m for m in rows if m["id"] == ident), None)
        if m is None:
            rows = self.events
            m = next((e for e in rows if e["id"] == ident), None)
        if m is None:
            return
        if op == "delete":
            rows.remove(m)
        else:
            if op == "close":
                self.mark_closed(m, time.time() + skew)
            elif op == "end":
                if arg[1] is None:
                    m.pop("endDate", None)
                else:
                    m["endDate"] = arg[1]
            # to the millisecond, as the real API's: a run that began
            # before the change is before its updatedAt
            t = time.time() + skew
            m["updatedAt"] = iso(t)[:-1] + ".%03dZ" % (t * 1000 % 1000)
            self.blob[id(m)] = self.event_blob(m) if m.get("_grouped") else dump_bytes(m)
            for e in self.events:
                if e.get("_grouped") and any(x is m for x in e["markets"]):
                    self.blob[id(e)] = self.event_blob(e)
        self.cache.clear()

    def add_market(self, event_id, skew=0):
        """A market joins an event later: a clone of its first market,
        updated now (the server's clock), as a market just listed is."""
        first = next((m for m in self.markets
                      if any(e.get("id") == event_id for e in m.get("events") or [])), None)
        if first is None:
            return None
        self.added = getattr(self, "added", 0) + 1
        m = self.clone_market(first, 900_000 + self.added,
                              parse_time(first["endDate"]), time.time())
        m["events"] = copy.deepcopy(first["events"])
        m["updatedAt"] = iso(time.time() + skew)
        self.markets.append(m)
        self.markets.sort(key=lambda x: int(x["id"]))
        self.blob[id(m)] = dump_bytes(m)
        for t in json.loads(m["clobTokenIds"]):
            self.tokens[t] = m["id"]
        self.cache.clear()
        return m["id"]

    def select(self, kind, q):
        """Objects matching the filters, in order; cached per query."""
        key = (kind, tuple(sorted((k, tuple(v)) for k, v in q.items()
                                  if k not in ("limit", "offset", "after_cursor"))))
        with self.lock:
            hit = self.cache.get(key)
        if hit is not None:
            return hit
        rows = self.markets if kind == "markets" else self.events
        closed = q.get("closed", ["false"])[0]
        active = q.get("active", [None])[0]
        emin = parse_time(q["end_date_min"][0]) if "end_date_min" in q else None
        emax = parse_time(q["end_date_max"][0]) if "end_date_max" in q else None
        ids = set(q.get("id", []))
        conds = set(c for v in q.get("condition_ids", []) for c in v.split(",") if c)
        tag = q.get("tag_id", [None])[0]
        out = []
        for r in rows:
            if closed in ("true", "false") and bool(r.get("closed")) != (closed == "true"):
                continue
            if active in ("true", "false") and bool(r.get("active")) != (active == "true"):
                continue
            if emin is not None or emax is not None:
                end = parse_time(r.get("endDate"))
                if end is None or (emin is not None and end < emin) or \
                        (emax is not None and end > emax):
                    continue
            if ids and r["id"] not in ids:
                continue
            if conds and r.get("conditionId") not in conds:
                continue
            if tag is not None and not has_tag(r, tag):
                continue
            out.append(r)
        order = q.get("order", [None])[0]
        if order:
            desc = q.get("ascending", ["true"])[0] == "false"
            present = [r for r in out if r.get(order) is not None]
            absent = [r for r in out if r.get(order) is None]
            present.sort(key=lambda r: str(r[order]), reverse=desc)
            # PostgreSQL: NULLs last ascending, first descending
            out = absent + present if desc else present + absent
        with self.lock:
            if len(self.cache) > 256:
                self.cache.clear()
            self.cache[key] = out
        return out


class TradeError(Exception):
    pass


def market_trades(d, cond):
    """The trades of one market: (row, taker, bytes), newest first."""
    with d.lock:
        hit = d.trade_cache.get(cond)
    if hit is not None:
        return hit
    m = d.by_cond.get(cond)
    rows = []
    if m is not None:
        tmpl, toks = d.trade_tmpl, json.loads(m.get("clobTokenIds") or "[]")
        outs = json.loads(m.get("outcomes") or "[]")
        ev = (m.get("events") or [{}])[0]
        shift = d.trade_anchor - tmpl[0]["timestamp"]
        for k in range(d.trades_n):
            i, cycle = k % len(tmpl), k // len(tmpl)
            t = tmpl[i]
            r = dict(t)
            x = t["outcomeIndex"]
            r["asset"] = toks[x] if x < len(toks) else ""
            r["outcome"] = outs[x] if x < len(outs) else t["outcome"]
            r["conditionId"] = cond
            r["title"], r["slug"] = m.get("question", ""), m.get("slug", "")
            r["icon"], r["eventSlug"] = m.get("icon", ""), ev.get("slug", "")
            r["timestamp"] = t["timestamp"] + shift - 3600 * cycle
            r["transactionHash"] = "0x" + digest("tx", cond, cycle, t["transactionHash"]).hex()
            taker = i == 0 or tmpl[i - 1]["transactionHash"] != t["transactionHash"]
            rows.append((r, taker, json.dumps(r, separators=(",", ":")).encode()))
    with d.lock:
        d.trade_cache[cond] = rows
    return rows


def trade_rows(d, q):
    """The rows /trades answers for a query, before limit and offset."""
    key = tuple(sorted((k, tuple(v)) for k, v in q.items() if k not in ("limit", "offset")))
    with d.lock:
        hit = d.trade_cache.get(key)
    if hit is not None:
        return hit
    one = lambda k: q.get(k, [None])[0]
    conds = [c for v in q.get("market", []) for c in v.split(",") if c]
    user, side = one("user"), one("side")
    ftype, famount = one("filterType"), one("filterAmount")
    if conds and one("eventId"):
        raise TradeError("market and eventId exclude each other")
    if user is not None and (len(user) != 42 or not user.startswith("0x")):
        raise TradeError("invalid user address")
    if (ftype is None) != (famount is None) or ftype not in (None, "CASH", "TOKENS"):
        raise TradeError("filterType and filterAmount go together")
    if side not in (None, "BUY", "SELL"):
        raise TradeError("invalid side")
    try:
        amount = float(famount) if famount is not None else None
        start = int(one("start")) if one("start") else None
        end = int(one("end")) if one("end") else None
    except ValueError:
        raise TradeError("invalid number")
    if not (conds or user):
        start = end = None     # the unscoped feed ignores them
    taker_only = one("takerOnly") != "false"
    src = []
    for c in (conds or list(d.by_cond)):
        src += market_trades(d, c)
    out = []
    for r, taker, blob in src:
        if taker_only and not taker or user and r["proxyWallet"] != user or \
                side and r["side"] != side:
            continue
        if start is not None and r["timestamp"] < start or end is not None and r["timestamp"] > end:
            continue
        if amount is not None and (r["size"] * (r["price"] if ftype == "CASH" else 1)) < amount:
            continue
        out.append((r, taker, blob))
    out.sort(key=lambda e: -e[0]["timestamp"])
    with d.lock:
        if len(d.trade_cache) > 4096:
            d.trade_cache.clear()
        d.trade_cache[key] = out
    return out


def has_tag(r, tag):
    for t in r.get("tags") or []:
        if str(t.get("id")) == tag:
            return True
    for e in r.get("events") or []:
        for t in e.get("tags") or []:
            if str(t.get("id")) == tag:
                return True
    return False


def budget_name(path):
    p = path.strip("/").split("/")[0]
    return p


def budget_names(path):
    """Every budget a request counts against: its own, and for the
    /markets and /events listings (not /markets/{id}) the shared one."""
    parts = path.strip("/").split("/")
    if parts[0] in ("markets", "events") and (len(parts) == 1 or parts[1] == "keyset"):
        return [parts[0], "listing"]
    return [parts[0]]


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.cfg = {
            "latency_ms": args.latency, "every_429": args.every_429,
            "retry_after": args.retry_after, "every_5xx": args.every_5xx,
            "every_truncate": args.every_truncate, "every_drop": args.every_drop,
            "truncate_mode": args.truncate_mode, "stuck_cursor": args.stuck_cursor,
            "offset_ceiling": args.offset_ceiling, "gzip": not args.no_gzip,
            "budgets": {}, "ignore_order": args.ignore_order,
            "trades_offset_cap": args.trades_offset_cap,
            "trades_page_cap": args.trades_page_cap, "mutate": args.mutate,
            "trades_fail_offset": None, "trades_until": None,
            "history_fail_before": None, "clock_skew": args.clock_skew,
            "listing_fail_end_min": None, "answer_200": {},
            "cursor": "offset", "on_page": None, "quiet_ms": None,
        }
        for spec in args.budget:
            name, _, rate = spec.partition("=")
            n, _, s = rate.partition("/")
            self.cfg["budgets"][name] = [int(n), float(s or 10)]
        if args.published_budgets:
            for name, n in (("markets", 300), ("events", 500), ("listing", 900)):
                self.cfg["budgets"].setdefault(name, [n, 10.0])
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.reset()

    def reset(self):
        self.n = 0
        self.stats = {"requests": 0, "endpoints": {}, "status": {},
                      "injected": {"429": 0, "5xx": 0, "truncated": 0, "dropped": 0},
                      "budget_429": {}, "concurrency_peak": 0, "span": {},
                      "changes": 0, "in_quiet": 0}
        self.last_429 = None
        self.windows = {}
        self.inflight = 0

    def admit(self, path, line):
        """Number the request, pick its fault: None, or what to inject."""
        with self.lock:
            self.n += 1
            n = self.n
            st = self.stats
            st["requests"] += 1
            ep = path.strip("/")
            st["endpoints"][ep] = st["endpoints"].get(ep, 0) + 1
            self.inflight += 1
            st["concurrency_peak"] = max(st["concurrency_peak"], self.inflight)
            if self.log:
                self.log.write(line + "\n")
                self.log.flush()
            c = self.cfg
            q = c["quiet_ms"]
            if q and self.last_429 is not None:
                since = (time.monotonic() - self.last_429) * 1000
                if q[0] <= since <= q[1]:
                    st["in_quiet"] += 1
            fault = None
            for name, key in (("drop", "every_drop"), ("429", "every_429"),
                              ("5xx", "every_5xx"), ("truncate", "every_truncate")):
                if c[key] and n % c[key] == 0:
                    fault = name
                    break
            names = budget_names(path)
            now = time.monotonic()
            for name in names:
                sp = st["span"].setdefault(name, [now, now, 0])
                sp[1], sp[2] = now, sp[2] + 1
            if fault is None and self.over_budget(names, now):
                fault = "budget"
            return fault

    def over_budget(self, names, now):
        """Sliding windows: a request over any of its budgets is refused
        and counted there; only an admitted one takes a place in each."""
        over = False
        for name in names:
            b = self.cfg["budgets"].get(name)
            if not b:
                continue
            limit, window = b
            w = self.windows.setdefault(name, collections.deque())
            while w and w[0] <= now - window:
                w.popleft()
            if len(w) >= limit:
                self.stats["budget_429"][name] = self.stats["budget_429"].get(name, 0) + 1
                over = True
        if not over:
            for name in names:
                if self.cfg["budgets"].get(name):
                    self.windows[name].append(now)
        return over

    def done(self, status):
        with self.lock:
            self.inflight -= 1
            s = str(status)
            self.stats["status"][s] = self.stats["status"].get(s, 0) + 1


def sort_key(r, order, desc):
    """Where a row sorts in a listing: (group, value, id), nulls last
    ascending and first descending, ties by id (select's order)."""
    v = r.get(order) if order else None
    g = (v is None) != desc if order else 0
    return [int(g), "" if v is None else str(v), int(r["id"])]


def after_key(rows, key, order, desc):
    """The index of the first row that sorts after key."""
    g, v, i = key
    for n, r in enumerate(rows):
        rg, rv, ri = sort_key(r, order, desc)
        if rg != g:
            if rg > g:
                return n
        elif rv != v:
            if (rv < v) == desc:
                return n
        elif ri > i:
            return n
    return len(rows)


def encode_cursor(offset, qkey, key=None):
    c = {"v": 1, "o": offset, "q": qkey}
    if key is not None:
        c["k"] = key
    raw = json.dumps(c, separators=(",", ":")).encode()
    sig = hashlib.sha256(b"fake-polymarket" + raw).hexdigest()[:16]
    return base64.urlsafe_b64encode(sig.encode() + b"." + raw).decode().rstrip("=")


def decode_cursor(text):
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sig, _, body = raw.partition(b".")
        if hashlib.sha256(b"fake-polymarket" + body).hexdigest()[:16].encode() != sig:
            return None
        return json.loads(body)
    except (ValueError, TypeError):
        return None


# The real CLOB refuses a startTs/endTs window longer than about 15 days
# ("interval is too long"), whatever the fidelity.
HISTORY_MAX_WINDOW = 15 * 86400


def price_of(token, side=""):
    p = (int.from_bytes(digest("price", token)[:2], "big") % 998 + 1) / 1000
    if side.upper() == "SELL":
        p = min(p + 0.01, 0.999)
    return "%.3f" % p


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-polymarket/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def date_time_string(self, timestamp=None):
        """The Date header, on the server's clock (--clock-skew)."""
        if timestamp is None:
            timestamp = time.time() + self.server.state.cfg["clock_skew"]
        return super().date_time_string(timestamp)

    # -- plumbing -----------------------------------------------------
    def send_body(self, status, body, headers=()):
        st = self.server.state
        ctype = "application/json"
        enc = None
        if st.cfg.get("mutate") is not None and status == 200 and \
                getattr(self, "api", False):
            rng = random.Random("%s %s %s" % (st.cfg["mutate"], self.path,
                                              getattr(self, "body", b"")))
            body = mutate(body, rng)
        if st.cfg["gzip"] and "gzip" in self.headers.get("Accept-Encoding", "") \
                and len(body) > 512:
            body = gzip.compress(body, compresslevel=1)
            enc = "gzip"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if enc:
            self.send_header("Content-Encoding", enc)
        for k, v in headers:
            self.send_header(k, v)
        if self.fault == "truncate" and status == 200:
            cut = body[:len(body) // 2]
            if st.cfg["truncate_mode"] == "json" and not enc:
                self.send_header("Content-Length", str(len(cut)))
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(cut)
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj, headers=()):
        self.send_body(status, json.dumps(obj, separators=(",", ":")).encode(), headers)

    def handle_api(self, method):
        st = self.server.state
        url = urlsplit(self.path)
        self.q = parse_qs(url.query, keep_blank_values=True)
        self.fault = st.admit(url.path, "%s %s" % (method, self.path))
        status = 200
        try:
            self.api = True
            if st.cfg["latency_ms"]:
                time.sleep(st.cfg["latency_ms"] / 1000)
            if self.fault == "drop":
                st.stats["injected"]["dropped"] += 1
                self.close_connection = True
                status = 0
                return
            if self.fault in ("429", "budget"):
                ra = st.cfg["retry_after"] if self.fault == "429" else 1
                # a number of seconds, -1 for none; or (by /_control) a
                # string sent as it is: a date, or what no server should
                if isinstance(ra, str):
                    hdr = [("Retry-After", ra)]
                else:
                    hdr = [] if ra is None or ra < 0 else [("Retry-After", str(ra))]
                if self.fault == "429":
                    st.stats["injected"]["429"] += 1
                status = 429
                st.last_429 = time.monotonic()
                self.send_json(429, {"error": "Too Many Requests"}, hdr)
                return
            if self.fault == "5xx":
                st.stats["injected"]["5xx"] += 1
                status = 500
                self.send_json(500, {"error": "internal error"})
                return
            if self.fault == "truncate":
                st.stats["injected"]["truncated"] += 1
            if self.canned(url.path):
                return
            status = self.route(method, url.path)
        finally:
            self.api = False
            st.done(status)

    def canned(self, path):
        """answer_200: a 200 of the body set for path, if any is left."""
        st = self.server.state
        with st.lock:
            c = st.cfg["answer_200"].get(path)
            if c is None or c[1] is not None and c[1] <= 0:
                return False
            if c[1] is not None:
                c[1] -= 1
        self.send_json(200, c[0])
        return True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path.startswith("/_ids"):
            d, self.fault = self.server.data, None
            self.send_json(200, {k: [r["id"] for r in rows if not r.get("closed")]
                                 for k, rows in (("markets", d.markets), ("events", d.events))})
            return
        if self.path.startswith("/_stats"):
            with self.server.state.lock:
                self.fault = None
                self.send_json(200, self.server.state.stats)
            return
        self.handle_api("GET")

    def do_POST(self):
        if self.path.startswith("/_"):
            self.fault = None
            self.control()
            return
        self.body = self.read_body()
        self.handle_api("POST")

    def control(self):
        st = self.server.state
        body = self.read_body()
        with st.lock:
            if self.path.startswith("/_reset"):
                st.reset()
            elif self.path.startswith("/_touch"):
                try:
                    req = json.loads(body or b"{}")
                    every, close = int(req.get("every", 0)), bool(req.get("close"))
                except (ValueError, AttributeError):
                    self.send_json(400, {"error": "want {\"every\": K}"})
                    return
                self.send_json(200, {"touched": self.server.data.touch(
                    every, st.cfg["clock_skew"], close)})
                return
            elif self.path.startswith("/_add_market"):
                try:
                    added = self.server.data.add_market(
                        str(json.loads(body or b"{}").get("event_id")),
                        st.cfg["clock_skew"])
                except (ValueError, AttributeError):
                    added = None
                if added is None:
                    self.send_json(400, {"error": "want {\"event_id\": E} of a known event"})
                else:
                    self.send_json(200, {"added": added})
                return
            elif self.path.startswith("/_close"):
                try:
                    closed = self.server.data.close(
                        str(json.loads(body or b"{}").get("id")),
                        st.cfg["clock_skew"])
                except (ValueError, AttributeError):
                    closed = None
                if closed is None:
                    self.send_json(400, {"error": "want {\"id\": M} of a known market"})
                else:
                    self.send_json(200, {"closed": closed})
                return
            elif self.path.startswith("/_control"):
                try:
                    st.cfg.update(json.loads(body or b"{}"))
                except ValueError:
                    self.send_json(400, {"error": "not JSON"})
                    return
            else:
                self.send_json(404, {"error": "no such control"})
                return
        self.send_json(200, st.cfg)

    # -- the API --------------------------------------------------------
    def route(self, method, path):
        parts = path.strip("/").split("/")
        if method == "POST":
            return self.prices() if path == "/prices" else self.not_found()
        if parts[0] in ("markets", "events"):
            if len(parts) == 2 and parts[1] == "keyset":
                return self.keyset(parts[0])
            if len(parts) == 1:
                return self.legacy(parts[0])
            if len(parts) == 2:
                return self.one(parts[0], parts[1])
            return self.not_found()
        clob = {"price": self.price, "midpoint": self.midpoint, "book": self.book,
                "last-trade-price": self.last_trade, "prices-history": self.history}
        if parts[0] in clob and len(parts) == 1:
            return clob[parts[0]]()
        if path == "/trades":
            return self.trades()
        return self.not_found()

    def not_found(self):
        self.send_json(404, {"error": "not found"})
        return 404

    def fail(self, status, obj):
        self.send_json(status, obj)
        return status

    def limit(self, default=20):
        try:
            n = int(self.q.get("limit", [default])[0])
        except ValueError:
            return None
        return max(0, min(n, 100))

    def listing(self, kind, rows):
        d = self.server.data
        return b"[" + b",".join(d.blob[id(r)] for r in rows) + b"]"

    def keyset(self, kind):
        d = self.server.data
        if "offset" in self.q:
            return self.fail(422, KEYSET_OFFSET_ERROR)
        limit = self.limit()
        if limit is None:
            return self.fail(422, {"error": "limit is invalid", "type": "validation error"})
        fail_min = self.server.state.cfg.get("listing_fail_end_min")
        if fail_min is not None and self.q.get("end_date_min", [None])[0] == fail_min:
            return self.fail(500, {"error": "injected listing failure"})
        q = self.q
        if self.server.state.cfg["ignore_order"]:
            q = {k: v for k, v in q.items() if k not in ("order", "ascending")}
        rows = d.select(kind, q)
        qkey = hashlib.sha256(repr(sorted((k, v) for k, v in self.q.items()
                                          if k not in ("after_cursor", "limit"))).encode()
                              ).hexdigest()[:12]
        start, after = 0, self.q.get("after_cursor", [None])[0]
        if after:
            c = decode_cursor(after)
            if c is None or c.get("q") != qkey:
                return self.fail(422, {"error": "after_cursor is invalid",
                                       "type": "validation error"})
            start = c["o"]
        order = q.get("order", [None])[0]
        desc = q.get("ascending", ["true"])[0] == "false"
        if after and "k" in c:
            start = after_key(rows, c["k"], order, desc)
        page = rows[start:start + limit]
        body = b'{"$schema":"' + (MARKET_SCHEMA if kind == "markets" else EVENT_SCHEMA).encode() \
            + b'","' + kind.encode() + b'":' + self.listing(kind, page)
        stuck = self.server.state.cfg["stuck_cursor"]
        if start + limit < len(rows):
            nxt = encode_cursor(start + limit, qkey)
            if self.server.state.cfg["cursor"] == "keyset" and page:
                nxt = encode_cursor(None, qkey, sort_key(page[-1], order, desc))
            if stuck and after and start // max(limit, 1) + 1 >= stuck:
                nxt = after
            if self.server.state.cfg["cursor"] == "number":
                # an API that changed the cursor's type: a page more
                # to come, and no string to ask for it with
                body += b',"next_cursor":%d' % (start + limit)
            else:
                body += b',"next_cursor":"' + nxt.encode() + b'"'
        self.changes()
        self.send_body(200, body + b"}")
        return 200

    def changes(self):
        """A listing page is made: on_page's changes, once its count is
        reached (see /_control)."""
        st = self.server.state
        with st.lock:
            op = st.cfg.get("on_page")
            if not op:
                return
            op["served"] = op.get("served", 0) + 1
            if op["served"] != op.get("after", 1):
                return
            st.cfg["on_page"] = None
            st.stats["changes"] += 1
            for c in op.get("do", []):
                self.server.data.change(c, st.cfg["clock_skew"])

    def legacy(self, kind):
        d = self.server.data
        limit = self.limit()
        try:
            offset = int(self.q.get("offset", ["0"])[0])
        except ValueError:
            return self.fail(422, {"error": "offset is invalid", "type": "validation error"})
        if limit is None or offset < 0:
            return self.fail(422, {"error": "limit is invalid", "type": "validation error"})
        if offset > self.server.state.cfg["offset_ceiling"]:
            err = dict(OFFSET_TOO_LARGE)
            if kind == "events":
                err["error"] = err["error"].replace("markets", "events")
            return self.fail(422, err)
        rows = d.select(kind, self.q)[offset:offset + limit]
        self.changes()
        self.send_body(200, self.listing(kind, rows), [
            ("Deprecation", "true"), ("Sunset", "Fri, 01 May 2026 00:00:00 GMT"),
            ("Warning", '299 - "use /%s/keyset"' % kind)])
        return 200

    def one(self, kind, ident):
        d = self.server.data
        rows = d.markets if kind == "markets" else d.events
        for r in rows:
            if r["id"] == ident:
                self.send_body(200, d.blob[id(r)])
                return 200
        return self.fail(422 if not ident.isdigit() else 404,
                         {"type": "validation error", "error": "id is invalid"})

    def token(self, key="token_id"):
        t = self.q.get(key, [""])[0]
        return t if t.isdigit() else None

    def no_book(self, t):
        """A closed market's token: the CLOB's 404 (None when it has one)."""
        if t not in self.server.data.closed_at:
            return None
        return self.fail(404, {"error": "No orderbook exists for the requested token id"})

    def prices(self):
        try:
            items = json.loads(self.body)
            assert isinstance(items, list)
        except (ValueError, AssertionError):
            return self.fail(400, {"error": "Invalid payload"})
        if len(items) > 500:
            return self.fail(400, {"error": "Payload exceeds the limit"})
        out = {}
        for it in items:
            t = str(it.get("token_id", ""))
            if t in self.server.data.closed_at:
                continue    # no book: left out, as POST /books does
            sides = [it["side"].upper()] if it.get("side") else ["BUY", "SELL"]
            for s in sides:
                out.setdefault(t, {})[s] = price_of(t, s)
        self.send_json(200, out)
        return 200

    def price(self):
        t, side = self.token(), self.q.get("side", [""])[0]
        if t is None or side.upper() not in ("BUY", "SELL"):
            return self.fail(400, {"error": "Invalid side or token id"})
        if self.no_book(t):
            return 404
        self.send_json(200, {"price": price_of(t, side)})
        return 200

    def midpoint(self):
        t = self.token()
        if t is None:
            return self.fail(400, {"error": "Invalid token id"})
        if self.no_book(t):
            return 404
        b, a = float(price_of(t, "BUY")), float(price_of(t, "SELL"))
        self.send_json(200, {"mid": ("%.4f" % ((a + b) / 2)).rstrip("0")})
        return 200

    def last_trade(self):
        t = self.token()
        if t is None:
            return self.fail(400, {"error": "Invalid token id"})
        if self.no_book(t):
            return 404
        self.send_json(200, {"price": price_of(t), "side": "BUY"})
        return 200

    def book(self):
        t = self.token()
        if t is None or t not in self.server.data.tokens and not t.startswith("9"):
            return self.fail(404, {"error": "No orderbook exists for the requested token id"})
        if self.no_book(t):
            return 404
        b = dict(self.server.data.book)
        b["asset_id"] = t
        b["timestamp"] = str(int(time.time() * 1000))
        self.send_json(200, b)
        return 200

    def trades(self):
        cfg = self.server.state.cfg
        try:
            limit = int(self.q.get("limit", ["100"])[0])
            offset = int(self.q.get("offset", ["0"])[0])
        except ValueError:
            return self.fail(400, {"error": "invalid limit or offset"})
        if offset < 0 or limit < 0:
            return self.fail(400, {"error": "invalid limit or offset"})
        if offset > cfg["trades_offset_cap"]:
            return self.fail(400, {"error": "max historical trades offset of %d exceeded"
                                   % cfg["trades_offset_cap"]})
        fail_at = cfg.get("trades_fail_offset")
        if fail_at is not None and offset >= fail_at:
            return self.fail(cfg.get("trades_fail_status") or 500,
                             {"error": "internal error"})
        try:
            rows = trade_rows(self.server.data, self.q)
        except TradeError as e:
            return self.fail(400, {"error": str(e)})
        if cfg.get("trades_until") is not None:
            rows = [e for e in rows if e[0]["timestamp"] <= cfg["trades_until"]]
        if cfg.get("trades_ignore_offset"):
            offset = 0
        page = rows[offset:offset + min(limit, cfg["trades_page_cap"])]
        self.send_body(200, b"[" + b",".join(e[2] for e in page) + b"]")
        return 200

    def history(self):
        t = self.token("market")
        if t is None:
            return self.fail(400, {"error": "market is required"})
        if "interval" in self.q and ("startTs" in self.q or "endTs" in self.q):
            return self.fail(400, {"error": "interval is mutually exclusive with startTs/endTs"})
        cfg = self.server.state.cfg
        now = int(time.time() + cfg["clock_skew"])
        # a closed market's history ends at its close
        closed = self.server.data.closed_at.get(t)
        if closed is not None:
            now = min(now, closed)
        step = 60 * int(self.q.get("fidelity", ["60"])[0])
        if "startTs" not in self.q and "endTs" not in self.q:
            # an interval: the last points before now, off the step grid
            pts = [{"t": now - step * k, "p": float(price_of(t + str(k)))}
                   for k in range(4, 0, -1)]
            self.send_json(200, {"history": pts})
            return 200
        end = int(self.q.get("endTs", [now])[0])
        start = int(self.q.get("startTs", [end - 86400])[0])
        if end - start > HISTORY_MAX_WINDOW:
            return self.fail(400, {"error": "invalid filters: 'startTs' and 'endTs' interval is too long"})
        fail_before = cfg.get("history_fail_before")
        if fail_before is not None and start < fail_before:
            return self.fail(cfg.get("history_fail_status") or 500,
                             {"error": "internal error"})
        # a window: the points on the step grid in it, none after now
        first = -(-start // step) * step
        pts = [{"t": x, "p": float(price_of(t + str(x)))}
               for x in range(first, min(end, now) + 1, step)]
        self.send_json(200, {"history": pts})
        return 200


def main():
    ap = argparse.ArgumentParser(description="a local fake of Polymarket's APIs")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--fixtures", default=os.path.join(HERE, "fixtures"))
    ap.add_argument("--markets", type=int, default=0)
    ap.add_argument("--events", type=int, default=0)
    ap.add_argument("--only-synthetic", action="store_true")
    ap.add_argument("--closed-every", type=int, default=0)
    ap.add_argument("--now")
    ap.add_argument("--spread-days", type=int, default=0)
    ap.add_argument("--group-size", type=int, default=0)
    ap.add_argument("--offset-ceiling", type=int, default=2000)
    ap.add_argument("--latency", type=float, default=0)
    ap.add_argument("--every-429", type=int, default=0)
    ap.add_argument("--retry-after", type=float, default=0)
    ap.add_argument("--every-5xx", type=int, default=0)
    ap.add_argument("--every-truncate", type=int, default=0)
    ap.add_argument("--truncate-mode", choices=("cut", "json"), default="cut")
    ap.add_argument("--every-drop", type=int, default=0)
    ap.add_argument("--stuck-cursor", type=int, default=0)
    ap.add_argument("--budget", action="append", default=[])
    ap.add_argument("--log")
    ap.add_argument("--trades", type=int, default=20)
    ap.add_argument("--trades-offset-cap", type=int, default=10000)
    ap.add_argument("--trades-page-cap", type=int, default=10000)
    ap.add_argument("--no-gzip", action="store_true")
    ap.add_argument("--mutate")
    ap.add_argument("--clock-skew", type=float, default=0)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--published-budgets", action="store_true")
    ap.add_argument("--no-end-every", type=int, default=0)
    ap.add_argument("--event-size", type=int, default=0)
    ap.add_argument("--ignore-order", action="store_true")
    args = ap.parse_args()
    if args.retry_after == int(args.retry_after):
        args.retry_after = int(args.retry_after)

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.request_queue_size = 128
    srv.data = Data(args)
    srv.state = State(args)
    if args.tls:
        tls_wrap(srv, *args.tls)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
