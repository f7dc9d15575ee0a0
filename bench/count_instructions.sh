#!/bin/bash
# Instructions per request of one page, counted by callgrind (exact, and not disturbed by other
# work on the machine), from the repository root:
#   bench/count_instructions.sh consultation_20 [requests]
# Runs bench/profile_pages.py --only PAGE under valgrind with instrumentation off while it sets
# up, counts the PAGE requests alone, and prints the instructions per request (millions).
set -euo pipefail
page=$1
requests=${2:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
work=$(mktemp -d)
ready=$work/ready
PROFILE_READY_FILE=$ready valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$work/callgrind.out" "$python" "$here/bench/profile_pages.py" \
  --only "$page" --requests "$requests" >"$work/log" 2>&1 &
pid=$!
until [ "$(cat "$ready" 2>/dev/null)" = ready ]; do
  kill -0 $pid 2>/dev/null || { cat "$work/log"; exit 1; }
  sleep 0.5
done
callgrind_control -i on $pid >/dev/null
echo go >"$ready.tmp" && printf go >"$ready" && rm -f "$ready.tmp"
until [ "$(cat "$ready" 2>/dev/null)" = done ]; do sleep 0.5; done
callgrind_control -i off $pid >/dev/null
rm -f "$ready"
wait $pid
total=$(grep -h '^totals:' "$work"/callgrind.out* | awk '{s+=$2} END {print s}')
awk -v t="$total" -v n="$requests" -v p="$page" 'BEGIN {printf "%s: %.1f M instructions per request\n", p, t / n / 1e6}'
rm -rf "$work"
