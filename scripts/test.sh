#!/usr/bin/env bash
# Sets up and runs the whole test suite on a fresh Debian 12 machine (root) or a developer box.
# Installs the real servers the tests use (sshd, systemd-nspawn, nginx, postgres, redis,
# supervisor), the npm dependencies, then runs vitest and ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# Per-phase wall times, printed just before the result line.
timings=()
clock=$SECONDS
phase() { timings+=(" $1 $((SECONDS - clock))s"); clock=$SECONDS; }

bash scripts/install-packages.sh

# A clean install exactly as locked, unless node_modules already matches the lock.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
phase packages

# The two projects run at once. One after the other they took main ~415 s + lab ~650 s on a
# quiet 2-core runner, and neither keeps both cores busy alone: the lab runs its files one at a
# time and uses about one core (remediation-scenarios: 91 s of CPU, servers included, for its
# 82 s), the rest of its time waiting on restarts, reboots and settle delays. Side by side the lab
# (the longer one) sets the wall time. They share nothing: the main project never
# uses the lab's servers, namespaces or state, and each writes its own temporary directories.
# As root with no arguments this script brings the lab up first (in the lab's lane, so the main
# project starts at once), and the lab project's global setup reuses it and leaves stopping it to
# this script. A failed `up` is not fatal: the global setup brings the lab up again and says why
# it cannot. With arguments (some files) the global setup starts and stops the lab if a lab file
# is among them.
LAB_RUN=${LAB_RUN:-/var/lib/claudeops-lab/run}
lab_up=0
if [ $# -eq 0 ] && [ "$(id -u)" = 0 ] && [ "$(uname -s)" = Linux ] && [ ! -e "$LAB_RUN/known_hosts" ]; then
  lab_up=1
fi
out=$(mktemp -d -t claudeops-test-XXXXXX)
main=$out/main.json
lab=$out/lab.json

# The lab's lane: its output goes to a file, printed after the main project's so neither is cut
# into the other's; its phase times go to a file the summary line reads.
lab_lane() {
  local clock=$SECONDS r=0
  if [ "$lab_up" = 1 ]; then
    bash test/lab/lab.sh up 3 >"$out/lab-up.log" 2>&1 || r=$?
    echo "lab up beside the main project: exit $r after $((SECONDS - clock))s" >>"$out/lab-up.log"
    echo " lab up ($where) $((SECONDS - clock))s" >>"$out/lab-phases"
    clock=$SECONDS
  fi
  r=0
  npx vitest run --project lab --passWithNoTests --reporter=default --reporter=json \
    --outputFile.json="$lab" "$@" >"$out/lab.log" 2>&1 || r=$?
  echo " lab project ($where) $((SECONDS - clock))s" >>"$out/lab-phases"
  return "$r"
}
# Its own process group (set -m while it forks), so an interrupted run ends all of it by one ID.
# LAB_AFTER_MAIN=1 starts it only once the main project is done (the layout before, ~6 min
# longer on a quiet runner): for a machine too busy for both at once.
where='beside main'
[ "${LAB_AFTER_MAIN:-0}" != 1 ] || where='after main'
lab_pid=
start_lab_lane() {
  set -m
  lab_lane "$@" &
  lab_pid=$!
  set +m
}
[ "$where" != 'beside main' ] || start_lab_lane "$@"
stop_lab_lane() {
  if [ -n "$lab_pid" ]; then
    kill -- "-$lab_pid" 2>/dev/null || true
    wait "$lab_pid" 2>/dev/null || true
  fi
  # lab.sh down waits for an interrupted `up`'s lock
  [ "$lab_up" = 0 ] || bash test/lab/lab.sh down >/dev/null 2>&1
}
trap stop_lab_lane EXIT

status=0
npx vitest run --project main --passWithNoTests --reporter=default --reporter=json --outputFile.json="$main" "$@" || status=$?
phase main
[ -n "$lab_pid" ] || start_lab_lane "$@"

wait "$lab_pid" || status=1
trap - EXIT
if [ "$lab_up" = 1 ]; then
  tail -n 1 "$out/lab-up.log"
  grep -q ': exit 0 after' "$out/lab-up.log" || cat "$out/lab-up.log" >&2
fi
cat "$out/lab.log"
phase 'lab after main'
[ ! -f "$out/lab-phases" ] || while IFS= read -r line; do timings+=("$line"); done <"$out/lab-phases"

# Stopping the lab checks that the host is as it was before `up`: a failure there fails the suite.
down_failed=0
if [ "$lab_up" = 1 ]; then
  if ! bash test/lab/lab.sh down >"$out/lab-down.log" 2>&1; then
    cat "$out/lab-down.log" >&2
    echo "lab.sh down failed: the lab could not be stopped or the host changed (see above)" >&2
    down_failed=1
    status=1
  fi
  phase 'lab down'
fi
(IFS=";"; echo "test phases:${timings[*]}")
node scripts/count-results.mjs --extra-failures="$down_failed" "$main" "$lab"
rm -rf "$out"
exit "$status"
