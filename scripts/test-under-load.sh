#!/usr/bin/env bash
# The test command (scripts/test.sh, same arguments) with two CPU burners beside it for its whole
# run: on a 2-core machine every test then gets about a third of the CPU it gets alone. The suite
# must pass like this (issue 23): timeouts with wide margins, no assertion on which of two racing
# events comes first. The burners are this script's own children, ended by PID when it exits.
# Ends with the test command's "N passed, N failed" line, then the wall time under load.
set -uo pipefail
cd "$(dirname "$0")/.."

BURNERS=${BURNERS:-2}
burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${burners[@]}"; do wait "$pid" 2>/dev/null; done
  burners=()
}
trap stop_burners EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$BURNERS"); do
  # a busy loop in a subshell: no child processes, nothing to clean up but its own PID
  (while :; do :; done) &
  burners+=("$!")
done
echo "test-under-load: ${#burners[@]} busy loops beside the suite (PIDs ${burners[*]})" >&2

started=$SECONDS
status=0
bash scripts/test.sh "$@" || status=$?
elapsed=$((SECONDS - started))

# a burner that died early would make this a run without load: say so and fail
for pid in "${burners[@]}"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "test-under-load: busy loop $pid ended before the suite did: this was not a run under load" >&2
    status=1
  fi
done
stop_burners
echo "under load (${BURNERS} busy loops): exit $status after ${elapsed}s"
exit "$status"
