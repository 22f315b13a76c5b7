#!/usr/bin/env bash
# Sets up and runs the whole test suite on a fresh Debian 12 machine (root) or a developer box.
# Installs the real servers the tests use (sshd, systemd-nspawn, nginx, postgres, redis,
# supervisor), the npm dependencies, then runs vitest and ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(openssh-server openssh-client nginx redis-server redis-tools supervisor systemd-container
  postgresql postgresql-client mariadb-server mariadb-client iproute2 git curl openssl procps dash sudo
  util-linux e2fsprogs python3 docker.io docker-compose busybox-static dnf rpm createrepo-c chromium)

# Per-phase wall times, printed just before the result line.
timings=()
clock=$SECONDS
phase() { timings+=(" $1 $((SECONDS - clock))s"); clock=$SECONDS; }

if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
  fi
else
  echo "not root: tests that need real servers (lab, sshd, systemd-nspawn) will be skipped" >&2
fi

# A clean install exactly as locked, unless node_modules already matches the lock.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
phase packages

# The whole suite (no arguments) as root: the lab's servers boot while the main project runs
# (booting is mostly waiting), so the lab project finds them up. Its global setup reuses a running
# lab and leaves stopping it to whoever started it: this script, after the lab project. A failed
# `up` here is not fatal: the global setup brings the lab up again and says why it cannot.
LAB_RUN=${LAB_RUN:-/var/lib/claudeops-lab/run}
lab_pid=
lab_log=
if [ $# -eq 0 ] && [ "$(id -u)" = 0 ] && [ "$(uname -s)" = Linux ] && [ ! -e "$LAB_RUN/known_hosts" ]; then
  lab_log=$(mktemp -t claudeops-lab-up-XXXXXX.log)
  (
    started=$SECONDS
    r=0
    bash test/lab/lab.sh up 3 >"$lab_log" 2>&1 || r=$?
    echo "lab up beside the main project: exit $r after $((SECONDS - started))s" >>"$lab_log"
  ) &
  lab_pid=$!
  # interrupted: stop what was started (lab.sh down waits for lab.sh up's lock)
  trap 'wait "$lab_pid" 2>/dev/null; bash test/lab/lab.sh down >/dev/null 2>&1' EXIT
fi

main=$(mktemp -t claudeops-vitest-main-XXXXXX.json)
lab=$(mktemp -t claudeops-vitest-lab-XXXXXX.json)
status=0
npx vitest run --project main --passWithNoTests --reporter=default --reporter=json --outputFile.json="$main" "$@" || status=$?
phase main

# The lab project (real servers, timing-sensitive: readiness, restarts) runs after the main one
# rather than beside it, so a loaded machine cannot turn a slow start into a failure.
if [ -n "$lab_pid" ]; then
  wait "$lab_pid" || true
  tail -n 1 "$lab_log"
  grep -q ': exit 0 after' "$lab_log" || cat "$lab_log" >&2
  phase 'lab up (what main did not cover)'
fi
npx vitest run --project lab --passWithNoTests --reporter=default --reporter=json --outputFile.json="$lab" "$@" || status=$?
phase lab

# Stopping the lab checks that the host is as it was before `up`: a failure there fails the suite.
down_failed=0
if [ -n "$lab_pid" ]; then
  trap - EXIT
  if ! bash test/lab/lab.sh down >"$lab_log" 2>&1; then
    cat "$lab_log" >&2
    echo "lab.sh down failed: the lab could not be stopped or the host changed (see above)" >&2
    down_failed=1
    status=1
  fi
  phase 'lab down'
fi
(IFS=";"; echo "test phases:${timings[*]}")
node scripts/count-results.mjs --extra-failures="$down_failed" "$main" "$lab"
rm -f "$main" "$lab" ${lab_log:+"$lab_log"}
exit "$status"
