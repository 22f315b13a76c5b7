#!/bin/sh
# Pending updates on the lab's systemd server, with no network: a local apt repository
# (file:/srv/lab-apt) holding newer versions of two dummy packages that are installed at 1.0.
#   lab-apt.sh setup         build the repository, install the 1.0 packages, point apt at the
#                            "stable" suite only (idempotent; run at boot by lab-apt.service)
#   lab-apt.sh security on   also the "stable-security" suite: one security update pending
#   lab-apt.sh security off  back to the non-security update only
# Suites are laid out as Debian's are (Origin, Version 12, Suite stable / stable-security), so
# apt prints `Inst NAME [1.0] (1.1 ClaudeOps-Lab:12/stable-security [all])` as it does for
# Debian-Security. apt-get update reads only this repository: the server's own Debian sources
# are removed (the lab has no route out), so the count is exactly what the lab put there.
set -eu
REPO=/srv/lab-apt
LIST=/etc/apt/sources.list.d/claudeops-lab.list
TOOLS=claudeops-lab-tools       # 1.1 in stable: a non-security update
OPENSSL=claudeops-lab-openssl   # 1.1 in stable-security: a security update

deb() { # name version: an empty package
  d=$REPO/build/$1_$2
  mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
  printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: ClaudeOps lab <lab@example.invalid>\nSection: misc\nPriority: optional\nDescription: ClaudeOps lab dummy package\n Installed at 1.0; its 1.1 in the lab repository is a pending update.\n' \
    "$1" "$2" > "$d/DEBIAN/control"
  echo "$1 $2" > "$d/usr/share/doc/$1/VERSION"
  dpkg-deb -Zgzip --root-owner-group -b "$d" "$REPO/pool/$1_$2_all.deb" >/dev/null
  rm -rf "$d"
}

suite() { # suite deb...: a flat repository with a Release file
  s=$REPO/$1
  shift
  mkdir -p "$s"
  : > "$s/Packages"
  for f in "$@"; do
    cp "$REPO/pool/$f" "$s/"
    { dpkg-deb -f "$s/$f"; echo "Filename: ./$f"; echo "Size: $(stat -c %s "$s/$f")"
      echo "SHA256: $(sha256sum < "$s/$f" | cut -d' ' -f1)"; echo; } >> "$s/Packages"
  done
  { echo 'Origin: ClaudeOps-Lab'; echo 'Label: ClaudeOps-Lab'; echo "Suite: $(basename "$s")"
    echo 'Version: 12'; echo "Codename: bookworm$(basename "$s" | sed -n 's/^stable//p')"
    echo "Date: $(date -Ru)"; echo 'Architectures: all'; echo 'SHA256:'
    echo " $(sha256sum < "$s/Packages" | cut -d' ' -f1) $(stat -c %s "$s/Packages") Packages"; } > "$s/Release"
}

sources() { # suites...
  : > "$LIST.tmp"
  for s in "$@"; do echo "deb [trusted=yes] file:$REPO/$s ./" >> "$LIST.tmp"; done
  mv "$LIST.tmp" "$LIST"
  apt-get update -qq -o DPkg::Lock::Timeout=60 >/dev/null
}

case ${1:-} in
  setup)
    if [ ! -f "$REPO/stable-security/Release" ]; then
      mkdir -p "$REPO/pool"
      deb "$TOOLS" 1.0; deb "$TOOLS" 1.1; deb "$OPENSSL" 1.0; deb "$OPENSSL" 1.1
      suite stable "${TOOLS}_1.1_all.deb"
      suite stable-security "${OPENSSL}_1.1_all.deb"
    fi
    dpkg-query -W -f='${Status}' "$TOOLS" "$OPENSSL" 2>/dev/null | grep -c 'install ok installed' | grep -qx 2 ||
      dpkg -i "$REPO/pool/${TOOLS}_1.0_all.deb" "$REPO/pool/${OPENSSL}_1.0_all.deb" >/dev/null
    if [ ! -f "$LIST" ]; then
      rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
      rm -rf /var/lib/apt/lists/*
      sources stable
    fi ;;
  security)
    case ${2:-} in
      on) sources stable stable-security ;;
      off) sources stable ;;
      *) echo "usage: lab-apt.sh security on|off" >&2; exit 2 ;;
    esac ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
