#!/usr/bin/env bash
# Sets up and runs the whole test suite on a fresh Debian 12 machine (root) or a developer box.
# Installs the real servers the tests use (sshd, systemd-nspawn, nginx, postgres, redis,
# supervisor), the npm dependencies, then runs vitest and ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(openssh-server openssh-client nginx redis-server redis-tools supervisor systemd-container
  postgresql postgresql-client mariadb-server mariadb-client iproute2 git curl openssl procps dash sudo
  util-linux e2fsprogs python3 docker.io docker-compose busybox-static dnf rpm createrepo-c chromium)

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

# The lab project (real servers, timing-sensitive: readiness, restarts) runs after the main one
# rather than beside it, so a loaded machine cannot turn a slow start into a failure.
main=$(mktemp -t claudeops-vitest-main-XXXXXX.json)
lab=$(mktemp -t claudeops-vitest-lab-XXXXXX.json)
status=0
npx vitest run --project main --passWithNoTests --reporter=default --reporter=json --outputFile.json="$main" "$@" || status=$?
npx vitest run --project lab --passWithNoTests --reporter=default --reporter=json --outputFile.json="$lab" "$@" || status=$?
node scripts/count-results.mjs "$main" "$lab"
rm -f "$main" "$lab"
exit "$status"
