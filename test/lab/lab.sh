#!/bin/bash
# ClaudeOps lab: real SSH servers on this machine, for integration, e2e and benchmark tests.
#
#   lab.sh up N [--no-nspawn]  start light servers s1..sN (+ the systemd server "sys"); idempotent
#   lab.sh down                stop everything the lab started, remove namespaces and mounts
#   lab.sh status              one line per server (name kind host pid state)
#   lab.sh exec S -- CMD...    run CMD inside server S (its mount/pid/net/uts namespaces)
#   lab.sh fault S KIND [ARG]  inject a fault (see `lab.sh faults`)
#   lab.sh undo S KIND         undo it
#   lab.sh reboot S            restart S: new boot id, fresh /run and /tmp, services started again
#   lab.sh docker S up|down    a dockerd on light server S with the lab's containers (docker_up)
#   lab.sh rpm S up|down       light server S as an RPM-family server: dnf, a local repository (rpm_up)
#   lab.sh names               the names this lab uses on the host (bridge, prefixes, addresses, cgroups)
#
# Layout (the first lab; LAB_INSTANCE=2 below is a second one with other names and 10.78). A
# bridge clab0 (10.77.0.1/16) in the host namespace; each server is a network
# namespace clab-NAME with one veth into the bridge and an address in 10.77.0.0/16, and no
# default route, so its traffic can only reach the bridge: nothing leaves the machine.
#  - light server sK (10.77.1.K for K<=250, then 10.77.2.x …): fresh mount/UTS/IPC/PID
#    namespaces whose PID 1 (server-init.sh, then reaper.py) gives it a private /run, /tmp,
#    /var/log, /home, /srv, a small ext4 at /srv/data, its own user database and boot id, and
#    runs sshd (ports 22 and 2222, key-only), the web app (8080) and a heartbeat. ~20 ms each.
#    s1 also has a SysV init script (/etc/init.d/lab-sysv, started at boot; every light server
#    has it with LAB_SYSV=all, as the benchmark brings the lab up) and pm2 on PATH
#    running the app `lab-worker` as labops (pm2 comes from the npm registry, installed once
#    outside the repo into $LAB_PM2, default /var/lib/claudeops-lab/pm2).
#  - systemd server "sys" (10.77.0.10): systemd-nspawn booting this host's own OS through an
#    overlay (lower = /, upper = tmpfs), so every installed package is there without building a
#    rootfs: real systemd with nginx (HTTP :80, HTTPS :443 with a self-signed certificate made
#    at up, valid 10 days), postgresql, mariadb, redis-server, supervisor (running the web app),
#    ssh, and a local apt repository with one pending update (lab-apt.service). Boots in a few
#    seconds; all writes vanish on down.
# Users: root and labops (uid 4077, passwordless sudo); both accept the lab client keys.
#
# State lives in $LAB_RUN (default /var/lib/claudeops-lab/run: not under /run, which every
# server covers with its own tmpfs): per-server dirs, the client keys, a
# known_hosts for every server, and the PIDs the lab started (with their start times, so a
# stale record after a crash can never make `down` kill an unrelated process).
set -euo pipefail

# LAB_INSTANCE=2 is a second lab beside the first (scripts/test.sh runs the lab files in two
# halves at once): its own bridge, namespaces, veths, addresses (10.78.0.0/16), docker cgroups
# and state dir, with no name that one lab's `down` (which removes by prefix) could take for its
# own. Both share the lock and pm2 beside their state dirs, so `up`s and reboots take turns.
LAB_INSTANCE=${LAB_INSTANCE:-1}
case $LAB_INSTANCE in
  1) BRIDGE=clab0 PREFIX=clab- VETH=clv- NET=10.77 CGROUP=claudeops-lab- RUN_NAME=run ;;
  2) BRIDGE=clab2 PREFIX=clb2- VETH=c2v- NET=10.78 CGROUP=claudeops-lab2- RUN_NAME=run2 ;;
  *) printf 'lab: error: LAB_INSTANCE is 1 or 2, not %s\n' "$LAB_INSTANCE" >&2; exit 2 ;;
esac
LAB_RUN=${LAB_RUN:-/var/lib/claudeops-lab/$RUN_NAME}
HOST_BASELINE=$LAB_RUN/host-baseline
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# root_path & co (every write into the systemd server's root) and the host guard.
# shellcheck source=host-safety.sh
. "$HERE/host-safety.sh"
LAB_UID=4077
PASSPHRASE=lab-passphrase
PACKAGES=(openssh-server openssh-client nginx redis-server supervisor systemd-container postgresql
  mariadb-server iproute2 util-linux e2fsprogs python3 sudo curl procps openssl docker.io busybox-static rpm createrepo-c dnf)
LAB_PM2=${LAB_PM2:-$(dirname "$LAB_RUN")/pm2}
PM2_VERSION=7.0.4

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- packages

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q -o DPkg::Lock::Timeout=600 >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
        --no-install-recommends "${missing[@]}" >&2; }
  # Packages install services that would start on the host where there is an init; the lab
  # runs its own copies inside namespaces and does not need the host ones.
}

# pm2 for s1, from the npm registry, once: kept beside LAB_RUN so `down` does not remove it.
ensure_pm2() {
  [ -x "$LAB_PM2/node_modules/.bin/pm2" ] && return 0
  command -v npm >/dev/null 2>&1 || { log "no npm: s1 runs no pm2 app"; return 0; }
  log "installing pm2@$PM2_VERSION into $LAB_PM2 (once)"
  npm install --prefix "$LAB_PM2" --ignore-scripts --no-audit --no-fund --loglevel=error \
    "pm2@$PM2_VERSION" >&2 || log "could not install pm2: s1 runs no pm2 app"
}

# Every name this lab gives to something the host holds once for everyone (`lab.sh names`): the
# other lab's are all different and none starts with another's, since `down` removes by prefix.
# test/lab/lab-instances.test.ts checks that, and that no lab file spells lab 1's names itself.
lab_names() {
  printf '%s %s\n' state-dir "$LAB_RUN" bridge "$BRIDGE" netns-prefix "$PREFIX" veth-prefix "$VETH" \
    network "$NET.0.0/16" sys-address "$SYS_ADDR" unused-address "$UNUSED_ADDR" \
    docker-cgroup-prefix "$CGROUP" sys-cgroup "$SYS_CGROUP" nspawn-machine "${PREFIX}sys"
}

# ---------------------------------------------------------------- pids

# Records "pid starttime" so that a later kill only hits the very process we started.
record_pid() { # file pid
  local start
  start=$(sed 's/.*) //' "/proc/$2/stat" | awk '{print $20}')
  echo "$2 $start" > "$1"
}
# Prints the pid if the record still names a live process with the same start time.
live_pid() { # file
  [ -f "$1" ] || return 1
  local pid start now
  read -r pid start < "$1" || return 1
  [ -r "/proc/$pid/stat" ] || return 1
  # comm may contain spaces: read the fields after its closing parenthesis
  now=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $1, $20}') || return 1
  # a zombie (state Z) is dead for our purposes: its parent just has not reaped it yet
  [ "$now" = "S $start" ] || [ "$now" = "R $start" ] || [ "$now" = "D $start" ] || return 1
  echo "$pid"
}
kill_recorded() { # file [grace seconds]
  local pid i
  pid=$(live_pid "$1") || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < ${2:-5} * 10; i++)); do
    live_pid "$1" >/dev/null || { rm -f "$1"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

# ---------------------------------------------------------------- addresses

light_addr() { # index -> $NET.X.Y
  local i=$(($1 - 1))
  echo "$NET.$((1 + i / 250)).$((1 + i % 250))"
}
SYS_ADDR=$NET.0.10
# never assigned: tests use it as "a lab address with nothing there" (lab.ts)
UNUSED_ADDR=$NET.0.99

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.0.1/16" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

ensure_netns() { # name addr
  local ns=$PREFIX$1 veth=$VETH$1
  if ! ip netns list | awk '{print $1}' | grep -qx "$ns"; then ip netns add "$ns"; fi
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip link del "$veth" 2>/dev/null || true
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$BRIDGE" up
    ip -n "$ns" addr add "$2/16" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  fi
  # Belt and braces: whatever happened before, a lab namespace has no default route.
  ip -n "$ns" route del default 2>/dev/null || true
}

# ---------------------------------------------------------------- keys and files

ensure_client_keys() {
  local c=$LAB_RUN/client
  mkdir -p "$c"
  chmod 700 "$c"
  [ -f "$c/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C claudeops-lab -f "$c/id_ed25519"
  [ -f "$c/id_ed25519_pass" ] ||
    ssh-keygen -q -t ed25519 -N "$PASSPHRASE" -C claudeops-lab-pass -f "$c/id_ed25519_pass"
  [ -f "$c/id_unauthorized" ] || ssh-keygen -q -t ed25519 -N '' -C not-authorized -f "$c/id_unauthorized"
  echo "$PASSPHRASE" > "$c/passphrase"
  # outside the 0700 client dir: sshd reads it as the user logging in
  cat "$c/id_ed25519.pub" "$c/id_ed25519_pass.pub" > "$LAB_RUN/authorized_keys"
  chmod 755 "$LAB_RUN"
  chmod 644 "$LAB_RUN/authorized_keys"
}

install_bin() {
  mkdir -p "$LAB_RUN/bin"
  cp "$HERE/app.py" "$HERE/heartbeat.sh" "$HERE/reaper.py" "$HERE/server-init.sh" "$HERE/pm2-app.cjs" \
    "$LAB_RUN/bin/"
  # s1's pm2 app. min_uptime (no CLI flag): pm2 counts a crash as unstable (3 of them: errored, the
  # pm2-errored fault) only if the app lived less than min_uptime, within 3 x min_uptime of its
  # start; with the 1 s default a busy machine, where node takes a second to start, never got there.
  printf '{"apps":[{"name":"lab-worker","script":"%s","max_restarts":3,"min_uptime":60000}]}\n' \
    "$LAB_RUN/bin/pm2-app.cjs" >"$LAB_RUN/bin/pm2-app.json"
}

host_keys() { # dir
  [ -f "$1/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C '' -f "$1/ssh_host_ed25519_key"
  [ -f "$1/ssh_host_ecdsa_key" ] || ssh-keygen -q -t ecdsa -N '' -C '' -f "$1/ssh_host_ecdsa_key"
}

write_info() { # name kind addr dir
  local ed ec
  ed=$(awk '{print $2}' "$4/etc/ssh_host_ed25519_key.pub")
  ec=$(awk '{print $2}' "$4/etc/ssh_host_ecdsa_key.pub")
  printf '{"name":"%s","kind":"%s","host":"%s","port":22,"altPort":2222,"user":"labops","hostKeys":{"ssh-ed25519":"%s","ecdsa-sha2-nistp256":"%s"}}\n' \
    "$1" "$2" "$3" "$ed" "$ec" > "$4/info.json"
}

write_known_hosts() {
  local out=$LAB_RUN/known_hosts.tmp d host
  : > "$out"
  for d in "$LAB_RUN"/servers/*/; do
    [ -f "$d/info.json" ] || continue
    host=$(sed -n 's/.*"host":"\([^"]*\)".*/\1/p' "$d/info.json")
    for k in ed25519 ecdsa; do
      echo "$host $(cut -d' ' -f1,2 "$d/etc/ssh_host_${k}_key.pub")" >> "$out"
      echo "[$host]:2222 $(cut -d' ' -f1,2 "$d/etc/ssh_host_${k}_key.pub")" >> "$out"
    done
  done
  mv "$out" "$LAB_RUN/known_hosts"
}

# ---------------------------------------------------------------- light servers

light_prepare() { # name addr
  local d=$LAB_RUN/servers/$1
  mkdir -p "$d/etc" "$d/log/app"
  host_keys "$d/etc"
  if [ ! -f "$d/etc/passwd" ]; then
    { grep -v '^labops:' /etc/passwd; echo "labops:x:$LAB_UID:$LAB_UID:lab operator:/home/labops:/bin/bash"; } > "$d/etc/passwd"
    { grep -v '^labops:' /etc/group; echo "labops:x:$LAB_UID:"; } > "$d/etc/group"
    # no password hashes from the host: every account is key-only ("*")
    awk -F: '{print $1":*:19000:0:99999:7:::"}' "$d/etc/passwd" > "$d/etc/shadow"
    chmod 640 "$d/etc/shadow"
    printf 'Defaults !requiretty\nroot ALL=(ALL:ALL) ALL\nlabops ALL=(ALL:ALL) NOPASSWD: ALL\n' > "$d/etc/sudoers"
    chmod 440 "$d/etc/sudoers"
    printf '127.0.0.1 localhost %s\n%s %s\n' "$1" "$2" "$1" > "$d/etc/hosts"
  fi
  cat > "$d/etc/sshd_config" <<CONF
Port 22
Port 2222
HostKey $d/etc/ssh_host_ed25519_key
HostKey $d/etc/ssh_host_ecdsa_key
PidFile /run/sshd.pid
AuthorizedKeysFile $LAB_RUN/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AllowTcpForwarding yes
X11Forwarding no
MaxStartups 200:30:400
MaxSessions 50
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
# the alternative port refuses TCP forwarding: endpoints checked over it fall back to curl
Match LocalPort 2222
  AllowTcpForwarding no
CONF
  [ -f "$d/data.img" ] || { truncate -s 64M "$d/data.img" && mkfs.ext4 -q -F -m 0 "$d/data.img"; }
  # What server-init.sh overlays on /etc/init.d and /usr/local/bin for this server only: s1's
  # SysV service and pm2; with LAB_SYSV=all (the benchmark) every light server runs lab-sysv.
  rm -rf "$d/initd" "$d/localbin"
  if [ "$1" = s1 ] || [ "${LAB_SYSV:-}" = all ]; then
    mkdir -p "$d/initd"
    install -m 755 "$HERE/lab-sysv.init" "$d/initd/lab-sysv"
  fi
  if [ "$1" = s1 ]; then
    mkdir -p "$d/localbin"
    [ -x "$LAB_PM2/node_modules/.bin/pm2" ] && ln -sfn "$LAB_PM2/node_modules/.bin/pm2" "$d/localbin/pm2"
  fi
  write_info "$1" light "$2" "$d"
}

light_start() { # name addr
  local d=$LAB_RUN/servers/$1
  if live_pid "$d/init.pid" >/dev/null; then return 0; fi
  ensure_netns "$1" "$2"
  light_prepare "$1" "$2"
  # The hosts file is bound by server-init.sh too (it is in the list with passwd & co).
  setsid ip netns exec "$PREFIX$1" unshare --mount --uts --ipc --pid --fork --kill-child \
    --mount-proc --propagation private \
    /bin/sh "$LAB_RUN/bin/server-init.sh" "$1" "$d" "$LAB_RUN/bin" \
    </dev/null >>"$d/init.log" 2>&1 9>&- &
  local pid=$!
  record_pid "$d/init.pid" "$pid"
}

# The PID (host view) of PID 1 inside the server's namespaces: the target for nsenter.
server_leader() { # name
  local d=$LAB_RUN/servers/$1 pid child
  pid=$(live_pid "$d/init.pid") || die "server $1 is not running"
  if [ -f "$d/nspawn" ]; then
    child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}')
  else
    # ip netns exec execs unshare (same pid); unshare --fork has one child, the namespace's PID 1
    child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}')
  fi
  [ -n "$child" ] || die "server $1 has no namespace leader yet"
  echo "$child"
}

inside() { # name cmd...
  local leader
  leader=$(server_leader "$1")
  shift
  nsenter -t "$leader" -m -u -i -n -p -- "$@"
}

wait_ssh() { # addr timeout_s
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    if timeout 1 bash -c "exec 3<>/dev/tcp/$1/22" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

light_stop() { # name
  local d=$LAB_RUN/servers/$1 leader
  # a dockerd (lab.sh docker) first: its containers' cgroups live outside the namespaces
  docker_down "$1"
  # Killing PID 1 of the server's PID namespace ends every process in it at once; unshare
  # (the recorded pid) then exits by itself.
  if live_pid "$d/init.pid" >/dev/null; then
    leader=$(server_leader "$1" 2>/dev/null) && kill -KILL "$leader" 2>/dev/null || true
  fi
  kill_recorded "$d/init.pid" 3
  docker_cgroups_rm "$1"
}

# ---------------------------------------------------------------- the systemd server

SYS=sys
SYS_CGROUP=${CGROUP}sys

# The cgroup directories the sys container starts in: $SYS_CGROUP beside lab.sh's own cgroup, in
# each hierarchy systemd keeps its units in (v1 name=systemd, and cgroup2). nspawn runs with
# --keep-unit and no machined, so the container's systemd puts system.slice/nginx.service & co
# under the cgroup nspawn was started in. Left in the caller's (the root cgroup here), both labs'
# sys shared one tree: `systemctl kill nginx` in one signalled the other's nginx too ("Failed to
# send signal SIGKILL to auxiliary processes"), a reboot of one stopped the other's services, and
# a port holder in one was "nginx itself" to the other.
sys_cgroup_dirs() {
  local ctl path mnt
  while IFS=: read -r _ ctl path; do
    case $ctl in
      name=systemd) mnt=$(findmnt -rn -t cgroup -o TARGET,OPTIONS | awk '$2 ~ /(^|,)name=systemd(,|$)/ { print $1; exit }') ;;
      '') mnt=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1) ;;
      *) continue ;;
    esac
    [ -z "$mnt" ] || echo "$mnt${path%/}/$SYS_CGROUP"
  done </proc/self/cgroup
}

# Removes the sys cgroups recorded at start, innermost first; a unit's cgroup goes once its last
# process has exited, a moment after the container stopped: retry for a few seconds.
sys_cgroups_rm() { # server dir
  local c i left
  [ -f "$1/cgroups" ] || return 0
  for ((i = 0; i < 50; i++)); do
    left=0
    while read -r c; do
      [ -d "$c" ] || continue
      find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [ -d "$c" ] && left=1
    done <"$1/cgroups"
    [ $left = 0 ] && { rm -f "$1/cgroups"; return 0; }
    sleep 0.1
  done
  log "sys: cgroups left: $(tr '\n' ' ' <"$1/cgroups")"
}

sys_prepare_root() { # dir root
  local d=$1 r=$2
  # This host's own OS, with its ssh host keys replaced: every lab server has its own keys.
  rm -f "$r"/etc/ssh/ssh_host_*
  root_copy "$r" etc/ssh "$d/etc/ssh_host_ed25519_key" "$d/etc/ssh_host_ed25519_key.pub" \
    "$d/etc/ssh_host_ecdsa_key" "$d/etc/ssh_host_ecdsa_key.pub"
  root_put "$r" etc/ssh/sshd_config.d/claudeops-lab.conf <<CONF
Port 22
Port 2222
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_ecdsa_key
AuthorizedKeysFile /etc/ssh/authorized_keys/lab
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
MaxStartups 200:30:400
CONF
  root_put "$r" etc/ssh/authorized_keys/lab < "$LAB_RUN/authorized_keys"
  root_append_once "$r" etc/passwd '^labops:' "labops:x:$LAB_UID:$LAB_UID:lab operator:/home/labops:/bin/bash"
  root_append_once "$r" etc/group '^labops:' "labops:x:$LAB_UID:"
  root_append_once "$r" etc/shadow '^labops:' "labops:*:19000:0:99999:7:::"
  mkdir -p "$(root_path "$r" home/labops)" && chown -h "$LAB_UID:$LAB_UID" "$r/home/labops"
  echo 'labops ALL=(ALL:ALL) NOPASSWD: ALL' | root_put "$r" etc/sudoers.d/labops 440
  echo "$SYS" | root_put "$r" etc/hostname
  printf '127.0.0.1 localhost %s\n%s %s\n' "$SYS" "$SYS_ADDR" "$SYS" | root_put "$r" etc/hosts
  systemd-id128 new | root_put "$r" etc/machine-id
  # The lab's app and heartbeat, as an operator would deploy them.
  root_copy "$r" usr/local/lib/claudeops-lab "$HERE/app.py" "$HERE/heartbeat.sh" "$HERE/lab-apt.sh" "$HERE/lab-cert.sh"
  root_put "$r" var/log/app/error.log </dev/null
  mkdir -p "$(root_path "$r" srv/data)"
  root_put "$r" etc/supervisor/conf.d/lab-app.conf <<CONF
[program:lab-app]
command=/usr/bin/python3 /usr/local/lib/claudeops-lab/app.py 8080
autorestart=true
stdout_logfile=/var/log/app/app.out
redirect_stderr=true
CONF
  root_put "$r" etc/systemd/system/lab-heartbeat.service <<CONF
[Unit]
Description=ClaudeOps lab heartbeat writer
[Service]
ExecStart=/bin/sh /usr/local/lib/claudeops-lab/heartbeat.sh
[Install]
WantedBy=multi-user.target
CONF
  # Pending updates without a network: a local apt repository (see lab-apt.sh), at every boot.
  root_put "$r" etc/systemd/system/lab-apt.service <<CONF
[Unit]
Description=ClaudeOps lab apt repository (one pending update)
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /usr/local/lib/claudeops-lab/lab-apt.sh setup
[Install]
WantedBy=multi-user.target
CONF
  local wants=etc/systemd/system/multi-user.target.wants
  root_link "$r" /etc/systemd/system/lab-heartbeat.service "$wants/lab-heartbeat.service"
  root_link "$r" /etc/systemd/system/lab-apt.service "$wants/lab-apt.service"
  root_link "$r" /lib/systemd/system/mariadb.service "$wants/mariadb.service"
  # HTTPS with a self-signed certificate valid 10 days: a certificate warning (14 days) that is
  # not yet critical (7 days); the cert-expiry fault swaps in a shorter or expired one.
  sh "$HERE/lab-cert.sh" "$(root_path "$r" etc/nginx/lab-tls)" 10 sys.lab "$SYS_ADDR"
  # Debian's sites-enabled/default is an absolute link to sites-available: replaced by a file in
  # the overlay (root_path), never written through (that was the host's own nginx site).
  root_put "$r" etc/nginx/sites-enabled/default <<'CONF'
server {
  listen 80 default_server;
  location / { return 200 "nginx ok\n"; }
  location /app/ { proxy_pass http://127.0.0.1:8080/; proxy_read_timeout 10s; }
}
server {
  listen 443 ssl default_server;
  ssl_certificate /etc/nginx/lab-tls/cert.pem;
  ssl_certificate_key /etc/nginx/lab-tls/key.pem;
  location / { return 200 "nginx tls ok\n"; }
}
CONF
  # Small enough that the "saturate" fault can fill it with a few idle sessions.
  local pgconf
  for pgconf in "$r"/etc/postgresql/*/main; do
    printf 'max_connections = 20\nsuperuser_reserved_connections = 3\n' |
      root_put "$r" "${pgconf#"$r"/}/conf.d/claudeops-lab.conf"
  done
  # Not part of the lab's server, and slow to start: keep them off. Docker's units come with the
  # host's docker.io (the lab runs its own dockerd on a light server, see docker_up).
  local unit
  for unit in apt-daily.timer apt-daily-upgrade.timer man-db.timer \
    e2scrub_all.timer dpkg-db-backup.timer systemd-networkd.service networking.service \
    console-getty.service getty@.service systemd-timesyncd.service \
    docker.service docker.socket containerd.service; do
    root_link "$r" /dev/null "etc/systemd/system/$unit"
  done
}

sys_start() {
  local d=$LAB_RUN/servers/$SYS
  if live_pid "$d/init.pid" >/dev/null; then return 0; fi
  ensure_netns "$SYS" "$SYS_ADDR"
  mkdir -p "$d/etc" "$d/upper" "$d/root" "$d/data"
  touch "$d/nspawn"
  host_keys "$d/etc"
  mountpoint -q "$d/upper" || mount -t tmpfs -o mode=755,size=4g lab-sys-upper "$d/upper"
  mkdir -p "$d/upper/u" "$d/upper/w"
  if ! mountpoint -q "$d/root"; then
    # A fresh upper on every start: a "reboot" keeps it, `down` throws it away.
    mount -t overlay lab-sys-root -o "lowerdir=/,upperdir=$d/upper/u,workdir=$d/upper/w" "$d/root"
    sys_prepare_root "$d" "$d/root"
  fi
  [ -f "$d/data.img" ] || { truncate -s 64M "$d/data.img" && mkfs.ext4 -q -F -m 0 "$d/data.img"; }
  mountpoint -q "$d/data" || mount -o loop "$d/data.img" "$d/data"
  write_info "$SYS" nspawn "$SYS_ADDR" "$d"
  # In a cgroup of this lab's own (sys_cgroup_dirs), entered before nspawn starts: it makes its
  # supervisor/ and payload/ under it. The shell execs nspawn, so $! is nspawn's pid.
  local c cgroups=
  for c in $(sys_cgroup_dirs); do
    if mkdir -p "$c"; then cgroups+="$c"$'\n'; else log "sys: no cgroup $c: it shares its caller's"; fi
  done
  printf '%s' "$cgroups" >"$d/cgroups"
  LAB_SYS_CGROUPS=$cgroups setsid /bin/sh -c 'for c in $LAB_SYS_CGROUPS; do echo $$ > "$c/cgroup.procs" || exit 1; done
    unset LAB_SYS_CGROUPS; exec "$@"' lab-sys systemd-nspawn --quiet --directory="$d/root" --machine="${PREFIX}$SYS" --hostname="$SYS" \
    --network-namespace-path="/run/netns/$PREFIX$SYS" --boot --register=no --keep-unit \
    --console=read-only --tmpfs=/work --tmpfs=/root --tmpfs=/var/lib/claudeops-lab --bind="$d/data:/srv/data" \
    </dev/null >>"$d/init.log" 2>&1 9>&- &
  record_pid "$d/init.pid" $!
}

sys_wait() {
  local i state=
  wait_ssh "$SYS_ADDR" 60 || die "sys: sshd did not come up (see $LAB_RUN/servers/$SYS/init.log)"
  for ((i = 0; i < 600; i++)); do
    state=$(inside "$SYS" systemctl is-system-running 2>/dev/null || true)
    case $state in running | degraded) break ;; esac
    sleep 0.1
  done
  [ "$state" = running ] || log "sys: systemd says '$state' ($(inside "$SYS" systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' '))"
  # Reboot simulation as on the light servers: the boot id is a file the lab can rewrite. Done
  # from the host because the container has no CAP_SYS_ADMIN to mount.
  inside "$SYS" /bin/sh -c 'mkdir -p /run/lab && [ -f /run/lab/app.mode ] || echo ok > /run/lab/app.mode
    [ -f /run/lab/boot_id ] && exit 0
    # nspawn fakes a boot id with a bind of a file it then deletes, and the kernel refuses to
    # mount on a deleted file: replace its mount with ours (same idea, a file we can rewrite).
    cat /proc/sys/kernel/random/boot_id > /run/lab/boot_id
    while grep -q " /proc/sys/kernel/random/boot_id " /proc/self/mounts; do umount /proc/sys/kernel/random/boot_id; done
    mount --bind /run/lab/boot_id /proc/sys/kernel/random/boot_id'
  # An unprivileged database role for the connection-saturation fault.
  inside "$SYS" runuser -u postgres -- psql -qtAc \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='labapp') THEN CREATE ROLE labapp LOGIN PASSWORD 'labapp'; END IF; END\$\$;" \
    >/dev/null 2>&1 || log "sys: could not create the labapp postgres role"
}

sys_stop() {
  local d=$LAB_RUN/servers/$SYS
  # SIGTERM makes nspawn power the container off cleanly (systemd stops every unit).
  kill_recorded "$d/init.pid" 20
  sys_cgroups_rm "$d"
}

sys_unmount() {
  local d=$LAB_RUN/servers/$SYS
  mountpoint -q "$d/data" && umount "$d/data"
  mountpoint -q "$d/root" && umount "$d/root"
  mountpoint -q "$d/upper" && umount "$d/upper"
  return 0
}

# ---------------------------------------------------------------- docker (on a light server)

# Debian's docker.io, by path: /usr/local/bin may hold another client.
DOCKERD=/usr/sbin/dockerd
DOCKER=/usr/bin/docker
DOCKER_IMAGES='claudeops-lab/busybox:1 claudeops-lab/web:1 claudeops-lab/web:2'

# A tiny root filesystem from Debian's busybox-static: what `docker import` turns into the base image.
docker_rootfs() { # dir
  local r=$1 a
  [ -x /bin/busybox ] || die "no /bin/busybox: apt-get install busybox-static"
  rm -rf "$r" && mkdir -p "$r/bin" "$r/www" "$r/tmp" "$r/etc"
  cp /bin/busybox "$r/bin/busybox"
  for a in sh httpd wget sleep cat echo ls true false head dd nc kill ps; do ln -s busybox "$r/bin/$a"; done
  echo ok > "$r/www/health"
  echo 'root:x:0:0:root:/:/bin/sh' > "$r/etc/passwd"
}

# `ip netns exec` gives a server a fresh /sys without the cgroup mounts dockerd needs: mount the
# host's cgroup hierarchies again inside the server's own mount namespace (gone with it).
docker_cgroups() { # server
  local script='mountpoint -q /sys/fs/cgroup || mount -t tmpfs -o mode=755,size=1m lab-cgroup /sys/fs/cgroup'
  local target type opts
  while read -r target type opts; do
    opts=${opts#rw,}; opts=${opts#rw}
    script+=$'\n'"mkdir -p '$target'; mountpoint -q '$target' || mount -t $type ${opts:+-o $opts} $type '$target'"
  done < <(findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,FS-OPTIONS | grep '^/sys/fs/cgroup/')
  inside "$1" /bin/sh -c "$script"
}

# Starts dockerd inside light server S (its own data root beside the server's state, its socket
# /run/docker.sock in the server's private /run), builds the lab images with no registry, and runs
# the lab containers (docker_containers). Idempotent. Its containers' cgroups sit under
# claudeops-lab-S, which docker_down removes.
docker_up() { # server
  local s=${1:?server} d pid i leader
  d=$LAB_RUN/servers/$s
  is_sys "$s" && die "docker runs on a light server (sK), not on $s"
  [ -x "$DOCKERD" ] && [ -x "$DOCKER" ] || die "no $DOCKERD or $DOCKER: apt-get install docker.io"
  if ! live_pid "$d/dockerd.pid" >/dev/null; then
    mkdir -p "$d/docker"
    # the deploy user may use docker as on a real host: a member of the group owning the socket
    if grep -q '^docker:' "$d/etc/group" && ! grep -q '^docker:.*labops' "$d/etc/group"; then
      # in place (cat >): the file is bind-mounted into the server, a new inode would not show
      awk -F: -v OFS=: '$1 == "docker" { $4 = ($4 == "" ? "labops" : $4 ",labops") } { print }' \
        "$d/etc/group" > "$d/etc/group.new" && cat "$d/etc/group.new" > "$d/etc/group" && rm -f "$d/etc/group.new"
    fi
    docker_cgroups "$s"
    leader=$(server_leader "$s")
    nsenter -t "$leader" -m -u -i -n -p -- setsid "$DOCKERD" --iptables=false \
      --ip-forward=false --ip-masq=false --bridge=none --userland-proxy=false \
      --data-root "$d/docker" --exec-root /run/docker --pidfile /run/docker.pid \
      -H unix:///run/docker.sock --cgroup-parent "/$CGROUP$s" --shutdown-timeout 2 \
      -G "$(grep -q '^docker:' "$d/etc/group" && echo docker || echo labops)" \
      </dev/null >>"$d/dockerd.log" 2>&1 9>&- &
    # nsenter forks into the PID namespace: its child (setsid execs) is dockerd
    for ((i = 0; i < 50; i++)); do
      pid=$(cat "/proc/$!/task/$!/children" 2>/dev/null | awk '{print $1}')
      [ -n "$pid" ] && break
      sleep 0.02
    done
    [ -n "$pid" ] && record_pid "$d/dockerd.pid" "$pid" 2>/dev/null ||
      die "$s: dockerd did not start: $(tail -n 3 "$d/dockerd.log")"
  fi
  for ((i = 0; i < 200; i++)); do
    inside "$s" "$DOCKER" version >/dev/null 2>&1 && break
    sleep 0.05
  done
  inside "$s" "$DOCKER" version >/dev/null 2>&1 || die "$s: dockerd does not answer (see $d/dockerd.log)"
  docker_images "$s"
  docker_containers "$s"
}

docker_images() { # server
  local s=$1 d=$LAB_RUN/servers/$1
  # shellcheck disable=SC2086
  inside "$s" "$DOCKER" image inspect $DOCKER_IMAGES >/dev/null 2>&1 && return 0
  docker_rootfs "$d/docker-ctx"
  tar -C "$d/docker-ctx" -c . | inside "$s" "$DOCKER" import --change 'CMD ["/bin/sh"]' - claudeops-lab/busybox:1 >/dev/null
  # web: busybox httpd on :8080 with a HEALTHCHECK; web:2 is the same app rebuilt (a new image id)
  local v
  for v in 1 2; do
    printf 'FROM claudeops-lab/busybox:1\nLABEL lab.version=%s\nHEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD wget -q -O- http://127.0.0.1:8080/health || exit 1\nCMD ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"]\n' "$v" |
      inside "$s" "$DOCKER" build -q -t "claudeops-lab/web:$v" - >/dev/null
  done
}

# The lab's containers (all network mode none: this dockerd has no bridge):
#   co-web        the web image, healthy
#   co-unhealthy  the web image with a health check that fails (HTTP 404 from wget)
#   co-exit       exits 3 at start, after a line on stderr
#   co-oom        killed by the OOM killer (16 MB limit, dd allocates 64 MB)
#   co-loop       --restart always, exits 1 at once: a restart loop (docker's back-off between
#                 tries doubles, so it is seen "restarting" nearly always)
# Recreated as they were on every call, then waits until each is in its state.
docker_containers() { # server
  local s=$1 i
  inside "$s" /bin/sh -c "$DOCKER rm -f co-web co-unhealthy co-exit co-oom co-loop >/dev/null 2>&1; true"
  inside "$s" /bin/sh -c "set -e
    D=$DOCKER
    \$D run -d --network none --name co-web claudeops-lab/web:1
    \$D run -d --network none --name co-unhealthy --health-cmd 'wget -q -O- http://127.0.0.1:8080/missing' \
      --health-interval 1s --health-timeout 2s --health-retries 2 claudeops-lab/web:1
    \$D run -d --network none --name co-exit claudeops-lab/busybox:1 sh -c 'echo \"config file /etc/app.conf missing\" >&2; exit 3'
    \$D run -d --network none --name co-oom --memory 16m --memory-swap 16m claudeops-lab/busybox:1 \
      dd if=/dev/zero of=/dev/null bs=64M count=1
    \$D run -d --network none --name co-loop --restart always claudeops-lab/busybox:1 sh -c 'echo \"cannot reach the queue\" >&2; exit 1'" >/dev/null
  for ((i = 0; i < 200; i++)); do
    [ "$(inside "$s" "$DOCKER" inspect --format '{{.Name}}={{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' \
      co-web co-unhealthy co-exit co-oom 2>/dev/null | tr '\n' ' ')" = '/co-web=healthy /co-unhealthy=unhealthy /co-exit=exited /co-oom=exited ' ] &&
      [ "$(inside "$s" "$DOCKER" inspect --format '{{.RestartCount}}' co-loop 2>/dev/null)" -ge 2 ] && return 0
    sleep 0.1
  done
  die "$s: the lab containers did not reach their states"
}

# Removes the containers (their cgroups with them), stops dockerd, removes the cgroup parents.
docker_down() { # server
  local s=$1 d=$LAB_RUN/servers/$1 c
  if live_pid "$d/dockerd.pid" >/dev/null; then
    inside "$s" /bin/sh -c "ids=\$($DOCKER ps -aq); [ -z \"\$ids\" ] || $DOCKER rm -f \$ids >/dev/null" 2>/dev/null || true
    kill_recorded "$d/dockerd.pid" 10
  fi
  # what is still busy now goes when the server stops (light_stop waits for it)
  docker_cgroups_rm "$s" 1
}

# A container's cgroup goes once its last process has exited, which the kernel finishes a moment
# after `docker rm` returns: retry for a few seconds.
docker_cgroups_rm() { # server [tries]
  local c i left
  for ((i = 0; i < ${2:-50}; i++)); do
    left=0
    for c in /sys/fs/cgroup/*/"$CGROUP$1"; do
      [ -d "$c" ] || continue
      find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [ -d "$c" ] && left=1
    done
    [ $left = 0 ] && return 0
    sleep 0.1
  done
  [ "${2:-50}" = 1 ] || log "$1: cgroups left under /sys/fs/cgroup/*/$CGROUP$1"
}

# ---------------------------------------------------------------- an RPM-family server (dnf)

# Where a light server turned RPM-family (lab.sh rpm S up) keeps dnf's and rpm's state: tmpfs
# mounts inside the server's own mount namespace, over directories the host's packages made
# (never written, and none created: the repository file lives in /etc/dnf/repos.d).
RPM_MOUNTS='/etc/dnf /var/lib/rpm /var/lib/dnf /var/cache/dnf /root /usr/lib/rpm/macros.d'

# Builds the lab's RPMs once (rpmbuild, packages without files) and the repository: the 1.1
# packages, createrepo_c, and an updateinfo.xml with one security advisory (modifyrepo_c).
rpm_repo() {
  local r=$LAB_RUN/rpm p v
  [ -f "$r/repo/repodata/repomd.xml" ] && return 0
  command -v rpmbuild >/dev/null && command -v createrepo_c >/dev/null && command -v dnf >/dev/null ||
    die "rpm needs rpmbuild, createrepo_c and dnf: apt-get install rpm createrepo-c dnf"
  rm -rf "$r" && mkdir -p "$r/repo"
  for p in claudeops-lab-openssl claudeops-lab-tools; do
    for v in 1.0 1.1; do
      rpmbuild -bb --quiet --define "_topdir $r/top" --define "_tmppath $r/tmp" --define "_dbpath $r/db" \
        --define "pkg $p" --define "ver $v" --define '_build_id_links none' "$HERE/lab-rpm.spec" >&2
    done
  done
  cp "$r"/top/RPMS/noarch/*-1.1-1.noarch.rpm "$r/repo/"
  createrepo_c -q "$r/repo" >&2
  modifyrepo_c --mdtype=updateinfo "$HERE/lab-rpm-updateinfo.xml" "$r/repo/repodata" >/dev/null
}

# Light server S becomes an RPM-family server for the updates probe: apt-get hidden, rpm's
# database in /var/lib/rpm holding claudeops-lab-openssl and claudeops-lab-tools 1.0, dnf with
# one repository (file:) offering both at 1.1, the openssl one under a security advisory
# (LAB-2026:0001, Important), metadata cached so `dnf -C` answers. Idempotent.
rpm_up() { # server
  local s=${1:?server} r=$LAB_RUN/rpm
  is_sys "$s" && die "rpm mode is for a light server (sK), not $s"
  rpm_repo
  inside "$s" /bin/sh -c "set -e
    [ -f /etc/dnf/repos.d/claudeops-lab.repo ] && exit 0
    keep=\$(mktemp -d); cp -a /usr/lib/rpm/macros.d/. \"\$keep\"/
    for m in $RPM_MOUNTS; do mount -t tmpfs -o size=32m,mode=755 lab-rpm \"\$m\"; done
    cp -a \"\$keep\"/. /usr/lib/rpm/macros.d/; rm -rf \"\$keep\"
    # Debian's rpm keeps its database in ~/.rpmdb; an RPM-family system keeps it here
    echo '%_dbpath /var/lib/rpm' > /usr/lib/rpm/macros.d/macros.claudeops-lab
    mkdir -p /etc/dnf/vars; echo 9 > /etc/dnf/vars/releasever
    mkdir -p /etc/dnf/repos.d
    printf '[main]\ngpgcheck=0\nbest=True\nreposdir=/etc/dnf/repos.d\n' > /etc/dnf/dnf.conf
    printf '[claudeops-lab]\nname=ClaudeOps lab\nbaseurl=file://$r/repo\nenabled=1\ngpgcheck=0\nmetadata_expire=never\n' \
      > /etc/dnf/repos.d/claudeops-lab.repo
    # apt-get hidden: a character device is no command (the probe picks dnf)
    mount --bind /dev/null /usr/bin/apt-get
    rpm --initdb
    rpm -i --nodeps $r/top/RPMS/noarch/claudeops-lab-openssl-1.0-1.noarch.rpm \
      $r/top/RPMS/noarch/claudeops-lab-tools-1.0-1.noarch.rpm 2>/dev/null
    dnf -q makecache >/dev/null"
}

# Undoes rpm_up: the server's own directories are back (the mounts were its namespace's only).
rpm_down() { # server
  inside "$1" /bin/sh -c "[ -f /etc/dnf/repos.d/claudeops-lab.repo ] || exit 0
    umount /usr/bin/apt-get; for m in $RPM_MOUNTS; do umount \"\$m\"; done"
}

# ---------------------------------------------------------------- up / down / status

cmd_up() {
  local n=${1:?usage: lab.sh up N [--no-nspawn]} with_sys=1 i pids=()
  [ "${2:-}" = --no-nspawn ] && with_sys=0
  [ "${LAB_NSPAWN:-1}" = 0 ] && with_sys=0
  ensure_packages
  # The baseline of the host paths the lab could reach, before the lab writes anything (after the
  # package install, which legitimately adds the servers' own config); `down` compares.
  host_guard_record "$HOST_BASELINE"
  ensure_pm2
  mkdir -p "$LAB_RUN/servers"
  ensure_client_keys
  install_bin
  ensure_bridge
  [ $with_sys = 1 ] && sys_start
  # Namespaces and links one by one (concurrent `ip netns add` races on /run/netns); the
  # servers themselves start in parallel.
  for ((i = 1; i <= n; i++)); do ensure_netns "s$i" "$(light_addr "$i")"; done
  for ((i = 1; i <= n; i++)); do
    light_start "s$i" "$(light_addr "$i")" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  write_known_hosts
  pids=()
  for ((i = 1; i <= n; i++)); do
    wait_ssh "$(light_addr "$i")" 20 || die "s$i: sshd did not come up (see $LAB_RUN/servers/s$i/init.log)" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ $with_sys = 1 ] && sys_wait
  log "up: $n light server(s)$([ $with_sys = 1 ] && echo ' + sys')"
}

cmd_down() {
  local d name
  if [ -d "$LAB_RUN/servers" ]; then
    for d in "$LAB_RUN"/servers/*/; do
      name=$(basename "$d")
      if [ -f "$d/nspawn" ]; then sys_stop; sys_unmount; else light_stop "$name" & fi
    done
    wait
  fi
  # Namespaces are ours by prefix; deleting one also deletes its veth pair.
  { ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX" || true; } | while read -r ns; do
    ip netns del "$ns" || log "could not delete netns $ns"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  # Anything still mounted under the state dir (a crash between mount and record).
  { findmnt -rn -o TARGET | grep "^$LAB_RUN/" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  # Every lab process is gone: the host must be exactly as before `up`. Loud, and after the
  # clean-up, so a failed check leaves no half-stopped lab behind.
  local host_ok=0
  host_guard_check "$HOST_BASELINE" || host_ok=1
  rm -rf "$LAB_RUN"
  [ "$host_ok" = 0 ] || die "the host's files changed while the lab was up (see above): the lab must write only inside its own namespaces and overlay"
  log "down"
}

cmd_status() {
  local d name pid state
  [ -d "$LAB_RUN/servers" ] || { log "not up"; return 0; }
  for d in "$LAB_RUN"/servers/*/; do
    name=$(basename "$d")
    pid=$(live_pid "$d/init.pid" || true)
    state=$([ -n "$pid" ] && echo running || echo stopped)
    printf '%s %s %s %s %s\n' "$name" "$([ -f "$d/nspawn" ] && echo nspawn || echo light)" \
      "$(sed -n 's/.*"host":"\([^"]*\)".*/\1/p' "$d/info.json" 2>/dev/null)" "${pid:--}" "$state"
  done
}

# ---------------------------------------------------------------- faults

is_sys() { [ -f "$LAB_RUN/servers/$1/nspawn" ]; }

FAULTS='service-stop NAME   stop a service (sys: systemd unit or lab-app; light: the app)
service-kill NAME   SIGKILL a service (light: the app stays dead; sys: a crash, systemd
                    restarts units with Restart= set, e.g. redis-server; nginx stays failed)
endpoint-500        the web app answers HTTP 500
endpoint-hang       the web app never answers
disk-fill [PCT]     fill /srv/data (a 64 MB ext4) to PCT percent (default 97)
log-errors [N]      append N ERROR lines to /var/log/app/error.log (default 5)
heartbeat-stale [AGE]  stop the heartbeat and age /run/lab/heartbeat (default "3 days ago")
boot-id             a new /proc/sys/kernel/random/boot_id (undo restores the old one)
uptime [SECONDS]    /proc/uptime shows SECONDS (static, default 30)
pg-stop             stop postgresql (sys only)
pg-saturate         hold every non-reserved postgres connection (sys only)
cert-expiry [DAYS]  nginx :443 serves a certificate valid DAYS more days (default 3; 0 or less:
                    expired -DAYS days ago) (sys only)
updates-security    a security update becomes pending too (apt suite stable-security) (sys only)
pm2-errored         the pm2 app lab-worker crashes at start until pm2 gives up: errored (s1)
On s1, service-stop/service-kill NAME with NAME lab-sysv (/etc/init.d) or lab-worker (pm2) hit
that service instead of the app; a killed lab-worker is restarted by pm2 (restart count +1).'

# pm2 as the deploy user that runs it on s1 (its daemon lives in /home/labops/.pm2).
PM2_AS_LABOPS='runuser -u labops -- env -i HOME=/home/labops USER=labops LOGNAME=labops PATH=/usr/local/bin:/usr/bin:/bin pm2'
# Waits until pm2 reports lab-worker with status $1 (jlist is JSON; its pm2_env holds the status).
pm2_wait() { echo 'for i in $(seq 100); do '"$PM2_AS_LABOPS"' jlist 2>/dev/null | grep -q "\"status\":\"'"$1"'\"" && break; sleep 0.1; done'; }
# Waits until nginx serves the certificate file now on disk (a reload replaces workers gradually).
NGINX_CERT_WAIT='want=$(openssl x509 -in /etc/nginx/lab-tls/cert.pem -noout -enddate)
  for i in $(seq 100); do
    got=$(openssl s_client -connect 127.0.0.1:443 </dev/null 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null)
    [ "$got" = "$want" ] && break; sleep 0.1; done'

# Each fault is a small script run inside the server, so the same text works for both kinds.
fault_script() { # server kind arg
  local s=$1 kind=$2 arg=${3:-}
  case $kind in
    service-stop | service-kill)
      if is_sys "$s"; then
        case ${arg:?NAME needed} in
          lab-app) [ "$kind" = service-stop ] && echo 'supervisorctl stop lab-app' ||
            echo 'kill -KILL $(supervisorctl pid lab-app); supervisorctl stop lab-app >/dev/null 2>&1 || true' ;;
          *) [ "$kind" = service-stop ] && echo "systemctl stop '$arg'" || echo "systemctl kill -s KILL '$arg'" ;;
        esac
      else
        case ${arg:-} in
          lab-sysv) [ "$kind" = service-stop ] && echo '/etc/init.d/lab-sysv stop' ||
            echo 'kill -KILL $(cat /run/lab-sysv.pid)  # the pid file stays: LSB status 1, "dead"' ;;
          lab-worker)
            if [ "$kind" = service-stop ]; then echo "$PM2_AS_LABOPS stop lab-worker >/dev/null"
            else
              # pm2 restarts a killed app at once: wait for the new pid
              echo 'old=$('"$PM2_AS_LABOPS"' pid lab-worker); kill -KILL "$old"
                for i in $(seq 100); do new=$('"$PM2_AS_LABOPS"' pid lab-worker)
                  [ -n "$new" ] && [ "$new" != 0 ] && [ "$new" != "$old" ] && break; sleep 0.1; done'
            fi ;;
          *) echo 'kill -'"$([ "$kind" = service-kill ] && echo KILL || echo TERM)"' $(cat /run/lab/app.pid); rm -f /run/lab/app.pid' ;;
        esac
      fi ;;
    endpoint-500) echo 'echo error > /run/lab/app.mode' ;;
    endpoint-hang) echo 'echo hang > /run/lab/app.mode' ;;
    disk-fill)
      echo "pct=${arg:-97}"'
        set -- $(df -P -k /srv/data | awk "NR==2{print \$3, \$4}")
        want=$(( ($1 + $2) * pct / 100 - $1 ))
        [ "$want" -gt 0 ] && fallocate -l "${want}K" /srv/data/lab-fill 2>/dev/null ||
          { [ "$want" -gt 0 ] && dd if=/dev/zero of=/srv/data/lab-fill bs=1K count="$want" status=none; }
        sync' ;;
    log-errors)
      echo "n=${arg:-5}"'; i=0; while [ $i -lt $n ]; do i=$((i+1));
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ERROR lab fault: database connection refused (#$i)" >> /var/log/app/error.log; done' ;;
    heartbeat-stale) echo "touch /run/lab/heartbeat.paused; touch -d '${arg:-3 days ago}' /run/lab/heartbeat" ;;
    boot-id)
      echo '[ -f /run/lab/boot_id.prev ] || cp /run/lab/boot_id /run/lab/boot_id.prev
        cat /proc/sys/kernel/random/uuid > /run/lab/boot_id' ;;
    uptime)
      echo "printf '%s.00 %s.00\n' ${arg:-30} ${arg:-30} > /run/lab/uptime
        grep -q ' /proc/uptime ' /proc/self/mounts || mount --bind /run/lab/uptime /proc/uptime" ;;
    pg-stop) is_sys "$s" || die "pg-stop needs the systemd server"; echo "systemctl stop postgresql 'postgresql@*'" ;;
    pg-saturate)
      is_sys "$s" || die "pg-saturate needs the systemd server"
      # Idle sessions of an unprivileged role, added one by one until an ordinary login is refused
      # (only superuser-reserved slots left): saturation as a client sees it, whatever else is
      # connected meanwhile. Up to 30 s, then it says so instead of leaving a healthy server.
      echo 'max=$(runuser -u postgres -- psql -qtAc "show max_connections"); i=0; full=
        for t in $(seq 300); do
          out=$(PGPASSWORD=labapp psql -h 127.0.0.1 -U labapp -d postgres -qtAc "select 1" 2>&1 </dev/null)
          case $out in *"too many clients"*|*"connection slots are reserved"*) full=1; break ;; esac
          if [ $i -lt "$max" ]; then i=$((i+1))
            PGPASSWORD=labapp setsid psql -h 127.0.0.1 -U labapp -d postgres -qtAc "select pg_sleep(86400)" </dev/null >/dev/null 2>&1 &
          fi
          sleep 0.1
        done
        [ -n "$full" ] || { echo "pg-saturate: ordinary logins still accepted after $i sessions" >&2; exit 1; }' ;;
    cert-expiry)
      is_sys "$s" || die "cert-expiry needs the systemd server"
      echo 'd=/etc/nginx/lab-tls
        [ -f $d/cert.pem.orig ] || { cp -p $d/cert.pem $d/cert.pem.orig && cp -p $d/key.pem $d/key.pem.orig; }
        sh /usr/local/lib/claudeops-lab/lab-cert.sh $d '"'${arg:-3}'"' sys.lab '"$SYS_ADDR"'
        systemctl reload nginx
        '"$NGINX_CERT_WAIT" ;;
    updates-security)
      is_sys "$s" || die "updates-security needs the systemd server"
      echo 'sh /usr/local/lib/claudeops-lab/lab-apt.sh security on' ;;
    pm2-errored)
      echo "echo crash > /run/lab/pm2.mode; $PM2_AS_LABOPS restart lab-worker >/dev/null"
      pm2_wait errored ;;
    *) die "unknown fault '$kind' (see lab.sh faults)" ;;
  esac
}

undo_script() { # server kind arg
  local s=$1 kind=$2 arg=${3:-}
  case $kind in
    service-stop | service-kill)
      if is_sys "$s"; then
        case ${arg:?NAME needed} in
          lab-app) echo 'supervisorctl start lab-app' ;;
          *) echo "systemctl reset-failed '$arg' 2>/dev/null; systemctl start '$arg'" ;;
        esac
      else
        case ${arg:-} in
          lab-sysv) echo '/etc/init.d/lab-sysv start'; return 0 ;;
          lab-worker)
            # back online, and its restart counter back to 0 as after a fresh start
            echo 'p=$('"$PM2_AS_LABOPS"' pid lab-worker)
              { [ -n "$p" ] && [ "$p" != 0 ] && kill -0 "$p" 2>/dev/null; } || '"$PM2_AS_LABOPS"' restart lab-worker >/dev/null
              '"$PM2_AS_LABOPS"' reset lab-worker >/dev/null'
            pm2_wait online
            return 0 ;;
        esac
        echo '[ -f /run/lab/app.pid ] && kill -0 $(cat /run/lab/app.pid) 2>/dev/null && exit 0
          setsid /usr/bin/python3 '"$LAB_RUN"'/bin/app.py 8080 </dev/null >>/var/log/app/app.out 2>&1 &
          echo $! > /run/lab/app.pid
          for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.1; done'
      fi ;;
    endpoint-500 | endpoint-hang) echo 'echo ok > /run/lab/app.mode' ;;
    disk-fill) echo 'rm -f /srv/data/lab-fill; sync' ;;
    log-errors) echo ': > /var/log/app/error.log' ;;
    heartbeat-stale) echo 'rm -f /run/lab/heartbeat.paused; touch /run/lab/heartbeat' ;;
    boot-id) echo '[ -f /run/lab/boot_id.prev ] && cat /run/lab/boot_id.prev > /run/lab/boot_id && rm -f /run/lab/boot_id.prev; true' ;;
    uptime) echo 'while grep -q " /proc/uptime " /proc/self/mounts; do umount /proc/uptime; done; true' ;;
    pg-stop) echo 'systemctl start postgresql
      for u in $(systemctl list-units --all --plain --no-legend "postgresql@*" | awk "{print \$1}"); do systemctl start "$u"; done' ;;
    pg-saturate)
      echo 'runuser -u postgres -- psql -qtAc "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = '"'labapp'"'" >/dev/null' ;;
    cert-expiry)
      echo 'd=/etc/nginx/lab-tls
        [ -f $d/cert.pem.orig ] || exit 0
        mv $d/cert.pem.orig $d/cert.pem && mv $d/key.pem.orig $d/key.pem
        systemctl reload nginx
        '"$NGINX_CERT_WAIT" ;;
    updates-security) echo 'sh /usr/local/lib/claudeops-lab/lab-apt.sh security off' ;;
    pm2-errored)
      # also the way back from a pm2 that lost the app (no daemon yet, or a boot where its start
      # failed): restart it if pm2 knows it, start it as s1's boot does if not
      echo "echo ok > /run/lab/pm2.mode
        $PM2_AS_LABOPS restart lab-worker >/dev/null 2>&1 ||
          $PM2_AS_LABOPS start '$LAB_RUN/bin/pm2-app.json' >/dev/null
        $PM2_AS_LABOPS reset lab-worker >/dev/null"
      pm2_wait online ;;
    *) die "unknown fault '$kind'" ;;
  esac
}

cmd_fault() { # server kind [arg]
  local script
  script=$(fault_script "$@")
  # bash: some scripts use /dev/tcp; it is on the light servers (the host's) and in sys (same OS)
  inside "$1" /bin/bash -c "$script"
}
cmd_undo() {
  local script
  script=$(undo_script "$@")
  inside "$1" /bin/bash -c "$script"
}

cmd_reboot() { # server
  local s=${1:?server}
  if is_sys "$s"; then
    sys_stop
    sys_start
    sys_wait
  else
    local i=${s#s}
    light_stop "$s"
    light_start "$s" "$(light_addr "$i")"
    wait_ssh "$(light_addr "$i")" 20 || die "$s: sshd did not come back"
  fi
}

# Sourced (test/lab/host-safety.test.ts runs sys_prepare_root on a scratch root): functions only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

[ "${1:-}" != names ] || { lab_names; exit 0; }
[ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, mounts, systemd-nspawn)"

# up, down and reboot change shared state: one at a time, even from parallel test files.
if [ "${1:-}" = up ] || [ "${1:-}" = down ] || [ "${1:-}" = reboot ] || [ "${1:-}" = docker ] || [ "${1:-}" = rpm ]; then
  mkdir -p "$(dirname "$LAB_RUN")"
  exec 9>"$(dirname "$LAB_RUN")/lock"
  flock 9
fi

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  exec) s=${2:?server}; shift 2; [ "${1:-}" = -- ] && shift; inside "$s" "$@" ;;
  fault) shift; cmd_fault "$@" ;;
  undo) shift; cmd_undo "$@" ;;
  reboot) cmd_reboot "${2:-}" ;;
  rpm)
    case ${3:-} in
      up) rpm_up "${2:-}" ;;
      down) rpm_down "${2:-}" ;;
      *) die "usage: lab.sh rpm S up|down" ;;
    esac ;;
  docker)
    case ${3:-} in
      up) docker_up "${2:-}" ;;
      down) docker_down "${2:-}" ;;
      *) die "usage: lab.sh docker S up|down" ;;
    esac ;;
  faults) echo "$FAULTS" ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
