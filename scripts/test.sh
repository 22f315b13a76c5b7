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

# The two projects run at once, and the lab's files run in two halves, each on a lab
# of its own (lab.sh LAB_INSTANCE=2: other namespaces, bridge, addresses and state dir;
# LAB_LANES=1: one lab for all of them). One after the
# other they took main ~415 s + lab ~650 s on a quiet 2-core runner. A lab runs its files one at a
# time and uses about one core (remediation-scenarios: 91 s of CPU, servers included, for its 82 s);
# with one lab beside the main project (CI of 630965a: main 506 s, lab 923 s) the lab ran its last
# 417 s alone with the other core mostly idle. Two labs split the lab's files by their known
# seconds (test/slow-first-sequencer.ts balancedShards) and keep both cores busy to the end. Until each lab's systemd server had a cgroup of its own (lab.sh
# sys_cgroup_dirs), both labs' systemds kept their units in one tree and a fault on one lab's nginx
# hit the other's (20 of lab 2's tests failed beside a busy lab 1). Since: the lab project alone on
# both labs at once, 15 files, 103/103 passed, 463 s with both ups (quiet machine).
# They share nothing: the main project never uses a lab's servers, namespaces or state, each lab
# file uses only its own lab (LAB_INSTANCE, LAB_RUN; `lab.sh names` lists what a lab holds on the
# host, test/lab/lab-instances.test.ts checks the two labs' differ), and each writes its own
# temporary directories.
# As root with no arguments this script brings the labs up first (in the labs' lanes, so the main
# project starts at once), and the lab project's global setup reuses them and leaves stopping them
# to this script. A failed `up` is not fatal: the global setup brings the lab up again and says
# why it cannot. With arguments (some files) there is one lane, and the global setup starts and
# stops the lab if a lab file is among them. Two labs only as root with no arguments.
LAB_RUN=${LAB_RUN:-/var/lib/claudeops-lab/run}
LAB_RUN2=$(dirname "$LAB_RUN")/run2
lab_up=0
lanes=1
if [ $# -eq 0 ] && [ "$(id -u)" = 0 ] && [ "$(uname -s)" = Linux ] && [ ! -e "$LAB_RUN/known_hosts" ]; then
  lab_up=1
  [ "${LAB_LANES:-2}" != 2 ] || [ -e "$LAB_RUN2/known_hosts" ] || lanes=2
fi
out=$(mktemp -d -t claudeops-test-XXXXXX)
main=$out/main.json

# A lab's lane: its output goes to a file, printed after the main project's so neither is cut
# into the other's; its phase times go to a file the summary line reads.
lab_lane() { # lane number (= lab instance), then vitest's arguments
  local n=$1 clock=$SECONDS r=0 name=lab shard=()
  shift
  export LAB_INSTANCE=$n LAB_RUN
  [ "$n" = 1 ] || LAB_RUN=$LAB_RUN2
  if [ "$lanes" = 2 ]; then name="lab $n" shard=(--shard="$n/$lanes"); fi
  if [ "$lab_up" = 1 ]; then
    bash test/lab/lab.sh up 3 >"$out/lab$n-up.log" 2>&1 || r=$?
    echo "$name up beside the main project: exit $r after $((SECONDS - clock))s" >>"$out/lab$n-up.log"
    echo " $name up ($where) $((SECONDS - clock))s" >>"$out/lab$n-phases"
    clock=$SECONDS
  fi
  r=0
  npx vitest run --project lab "${shard[@]}" --passWithNoTests --reporter=default --reporter=json \
    --outputFile.json="$out/lab$n.json" "$@" >"$out/lab$n.log" 2>&1 || r=$?
  echo " $name project ($where) $((SECONDS - clock))s" >>"$out/lab$n-phases"
  return "$r"
}
# Each lane is a process group of its own (set -m while it forks), so an interrupted run ends all
# of it by one ID. LAB_AFTER_MAIN=1 starts the lanes only once the main project is done (the
# layout before, ~6 min longer on a quiet runner): for a machine too busy for both at once.
where='beside main'
[ "${LAB_AFTER_MAIN:-0}" != 1 ] || where='after main'
lab_pids=()
start_lab_lanes() {
  local n
  set -m
  for ((n = 1; n <= lanes; n++)); do
    lab_lane "$n" "$@" &
    lab_pids+=($!)
  done
  set +m
}
[ "$where" != 'beside main' ] || start_lab_lanes "$@"
lab_down() { # lane
  if [ "$1" = 1 ]; then LAB_INSTANCE=1 LAB_RUN=$LAB_RUN bash test/lab/lab.sh down
  else LAB_INSTANCE=2 LAB_RUN=$LAB_RUN2 bash test/lab/lab.sh down; fi
}
stop_lab_lanes() {
  local pid n
  for pid in "${lab_pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # lab.sh down waits for an interrupted `up`'s lock
  if [ "$lab_up" = 1 ]; then for ((n = 1; n <= lanes; n++)); do lab_down "$n" >/dev/null 2>&1 || true; done; fi
}
trap stop_lab_lanes EXIT

status=0
npx vitest run --project main --passWithNoTests --reporter=default --reporter=json --outputFile.json="$main" "$@" || status=$?
phase main
[ "${#lab_pids[@]}" -gt 0 ] || start_lab_lanes "$@"

for pid in "${lab_pids[@]}"; do wait "$pid" || status=1; done
trap - EXIT
for ((n = 1; n <= lanes; n++)); do
  if [ "$lab_up" = 1 ]; then
    tail -n 1 "$out/lab$n-up.log"
    grep -q ': exit 0 after' "$out/lab$n-up.log" || cat "$out/lab$n-up.log" >&2
  fi
  cat "$out/lab$n.log"
done
phase 'lab after main'
for ((n = 1; n <= lanes; n++)); do
  [ ! -f "$out/lab$n-phases" ] || while IFS= read -r line; do timings+=("$line"); done <"$out/lab$n-phases"
done

# Stopping the lab checks that the host is as it was before `up`: a failure there fails the suite.
down_failed=0
if [ "$lab_up" = 1 ]; then
  for ((n = 1; n <= lanes; n++)); do
    if ! lab_down "$n" >"$out/lab$n-down.log" 2>&1; then
      cat "$out/lab$n-down.log" >&2
      echo "lab.sh down failed (lab $n): the lab could not be stopped or the host changed (see above)" >&2
      down_failed=$((down_failed + 1))
      status=1
    fi
  done
  phase 'lab down'
fi
(IFS=";"; echo "test phases:${timings[*]}")
labs=()
for ((n = 1; n <= lanes; n++)); do labs+=("$out/lab$n.json"); done
node scripts/count-results.mjs --extra-failures="$down_failed" "$main" "${labs[@]}"
rm -rf "$out"
exit "$status"
