#!/bin/sh
# One-liners; each stands alone.  Not run as a script.
exit 0

# Crypto markets only, every 15 minutes from cron (the keyword filter):
pm-fetch markets --closed false |
    pm-normalize --where '.question|test("bitcoin|btc|ethereum|solana";"i")' |
    pm-store

# Replay yesterday's dump into a fresh database (no network):
./pipelines.sh replay dumps/20261122T070000Z-daily-4f2a.ndjson --db /tmp/check.db

# Export a day of markets closing tomorrow to CSV:
sqlite3 -header -csv data/pm.db \
    "SELECT market_id, question, close_time, volume FROM markets
     WHERE close_time >= date('now','+1 day') AND close_time < date('now','+2 day')" >tomorrow.csv

# Rebuild silver from bronze without fetching:
pm-store --export raw | pm-normalize | pm-store

# Which token is which outcome:
pm-normalize -R dump.ndjson | jq -r '.contracts[]? | [.outcome, .token_id] | @tsv'

# The markets closing next Friday, forecast at least two hours ahead:
./pipelines.sh daily --target-date "$(date -u -d 'next friday' +%F)" --margin 2h

# The markets closing tomorrow, as a run at 07:00 would see them (the clock
# fixed: the same command gives the same target day whenever it runs):
./pipelines.sh daily --window-days 1 --now "$(date -u +%F)T07:00:00Z" --dry-run

# What the daily flow would run, with an override, without running it:
./pipelines.sh daily --list-experiments --experiment-override market.temperature=0
