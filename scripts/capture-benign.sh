#!/bin/bash
# Captures real benign server output from the lab into test/fixtures/benign/ (the false-positive
# measurement of the redactor: test/unit/core/util/redact-false-positives.test.ts and
# `npm run bench:redact`). Run it under the lab lock; it brings the lab down when done:
#   flock /tmp/claudeops-lab.lock bash scripts/capture-benign.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=test/lab/lab.sh
OUT=test/fixtures/benign
mkdir -p "$OUT"
trap 'bash $LAB down >/dev/null 2>&1 || true' EXIT
bash $LAB up 1 >/dev/null
sys() { bash $LAB exec sys -- "$@"; }
s1() { bash $LAB exec s1 -- "$@"; }

# nginx access log: a bounded burst of ordinary requests from s1 (paths, query strings, agents)
s1 sh -c 'for i in $(seq 1 1500); do
  curl -s -o /dev/null -A "Mozilla/5.0 (X11; Linux x86_64) check/$i" "http://10.77.0.10/?page=$i&sort=name&id=$(cat /proc/sys/kernel/random/uuid)";
  curl -s -o /dev/null "http://10.77.0.10/static/app.$(printf %08x $i).js";
  curl -s -o /dev/null -k "https://10.77.0.10/health?ts=$i";
done' || true
sys cat /var/log/nginx/access.log > "$OUT/nginx-access.txt"
sys sh -c 'journalctl -o short-iso --no-pager -n 20000' > "$OUT/journal.txt"
{ sys ps auxww; s1 ps auxww; } > "$OUT/ps.txt"
{ sys df -hT; sys df -i; sys findmnt -l; sys lsblk -o NAME,SIZE,TYPE,UUID,MOUNTPOINT 2>/dev/null || true; } > "$OUT/disk.txt"
{ sys dpkg -l; sys sh -c 'apt list --installed 2>/dev/null'; } > "$OUT/packages.txt"
sys sh -c 'cat /var/log/dpkg.log 2>/dev/null; cat /var/log/apt/history.log 2>/dev/null' > "$OUT/dpkg.txt" || true
{ sys systemctl list-units --all --no-pager; sys systemctl status --no-pager nginx postgresql redis-server ssh 2>&1 || true; } > "$OUT/systemd.txt"
{ sys ss -tanp; sys ip -d addr; sys ip route; } > "$OUT/network.txt"
sys sh -c 'sha256sum /usr/bin/* 2>/dev/null | head -n 3000; md5sum /usr/lib/x86_64-linux-gnu/*.so* 2>/dev/null | head -n 1500' > "$OUT/checksums.txt"
sys sh -c 'for i in $(seq 1 2000); do cat /proc/sys/kernel/random/uuid; done' > "$OUT/uuids.txt"
git log -n 3000 --format='%H %h %ad %an %s' --date=iso > "$OUT/git-log.txt"
# containers: ids, digests, inspect output
bash $LAB docker s1 up >/dev/null
{ s1 docker ps -a --no-trunc; s1 docker images --digests --no-trunc; s1 sh -c 'docker inspect $(docker ps -aq)'; s1 docker info 2>/dev/null; } > "$OUT/docker.txt"
bash $LAB docker s1 down >/dev/null || true
wc -c "$OUT"/* | tail -n 1
