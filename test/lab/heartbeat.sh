#!/bin/sh
# Touches the heartbeat file every few seconds, like a backup job or worker would. While
# /run/lab/heartbeat.paused exists it stops touching it (the "stale heartbeat" fault).
mkdir -p /run/lab
while :; do
  [ -e /run/lab/heartbeat.paused ] || touch /run/lab/heartbeat
  sleep 5
done
