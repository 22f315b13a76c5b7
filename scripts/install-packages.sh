#!/usr/bin/env bash
# Installs the Debian packages the tests use (the real servers: sshd, systemd-nspawn, nginx,
# postgres, mariadb, redis, supervisor, dockerd, dnf, chromium) when any is missing. Root only:
# otherwise it says which tests will be skipped. scripts/test.sh runs it first; .ci/run also starts
# it beside npm ci and its checks, so on a fresh machine apt's time overlaps theirs.
set -euo pipefail

PACKAGES=(openssh-server openssh-client nginx redis-server redis-tools supervisor systemd-container
  postgresql postgresql-client mariadb-server mariadb-client iproute2 git curl openssl procps dash sudo
  util-linux e2fsprogs python3 docker.io docker-compose busybox-static dnf rpm createrepo-c chromium)

if [ "$(id -u)" != 0 ]; then
  echo "not root: tests that need real servers (lab, sshd, systemd-nspawn) will be skipped" >&2
  exit 0
fi
# one dpkg-query for all (a package it does not know is missing too)
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null |
  awk '$NF == "installed" {print $1}' || true)
missing=()
for p in "${PACKAGES[@]}"; do grep -qx "$p" <<<"$installed" || missing+=("$p"); done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "installing: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
