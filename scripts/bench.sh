#!/bin/bash
# npm run bench: ClaudeOps against Ansible on fleets of real lab servers (1, 10 and 50 light
# servers; see test/lab/README.md). Not a test: it prints a table of measurements.
#
#   sudo npm run bench                      # sizes 1,10,50
#   sudo BENCH_SIZES=1,10 BENCH_REPEAT=5 npm run bench
#
# The bench brings the lab up itself and takes it down at the end. The lab's network (bridge
# clab0, namespaces clab-*, 10.77.x addresses) exists once per machine, so the bench REFUSES to
# run while a lab is up (a lab test run, LAB_KEEP=1, another bench): run it when no tests run.
#
# Environment: BENCH_SIZES (default 1,10,50), BENCH_REPEAT (ClaudeOps runs per size, the median
# is shown; default 3), BENCH_ANSIBLE_REPEAT (default 1), BENCH_KEEP=1 leaves the lab up.
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

cleanup() {
  if [ "${BENCH_KEEP:-0}" != 1 ]; then bash "$ROOT/test/lab/lab.sh" down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
node "$ROOT/scripts/bench.mjs"
printf '\nMemory load time vs history length (state branch):\n'
node "$ROOT/scripts/bench-memory.mjs" 10000 3
