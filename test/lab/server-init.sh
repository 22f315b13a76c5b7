#!/bin/sh
# First process of a light lab server: runs as PID 1 of fresh mount, UTS, IPC and PID
# namespaces (started by lab.sh through `ip netns exec … unshare …`). It gives the server its
# own /run, /tmp, /var/log, /home, /srv, user database and boot id, starts sshd, the web app and
# the heartbeat, then becomes the reaper. Everything here is private to this server: the host's
# files are only covered by mounts that vanish with the namespace.
# A server whose dir has initd/ (lab.sh gives s1 one) also gets those scripts in /etc/init.d,
# started as a SysV rc would; with localbin/ (a `pm2` link) also pm2 on PATH and the app
# `lab-worker` under pm2, run by labops as a deploy user would.
#   usage: server-init.sh NAME SERVER_DIR BIN_DIR
set -eu
name=$1 dir=$2 bin=$3

hostname "$name"
# Mounts made here must never propagate back to the host (unshare sets private, be explicit).
mount --make-rprivate /
# Mounts made on the host before this server started under the labs' state root (this lab's sys
# disk, another lab's) are not this server's: a disk fault there must not show in its df. Detached
# here, in this server's own mount namespace only.
labs=${dir%/servers/*}
labs=${labs%/*}
awk -v root="$labs/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
  while read -r m; do umount -l "$m" 2>/dev/null || true; done
mount -t tmpfs -o mode=755,size=64m lab-run /run
mount -t tmpfs -o mode=1777,size=64m lab-tmp /tmp
mount -t tmpfs -o mode=755,size=16m lab-home /home
mount -t tmpfs -o mode=755,size=16m lab-srv /srv
mount --bind "$dir/log" /var/log
for f in passwd group shadow sudoers hosts; do mount --bind "$dir/etc/$f" "/etc/$f"; done

mkdir -p /run/sshd /run/lab /home/labops /srv/data /var/log/app
chown 4077:4077 /home/labops
# A small real filesystem (ext4 on a loop device) for the disk-full fault; the loop device is
# auto-cleared when the namespace, and with it the mount, goes away.
mount -o loop "$dir/data.img" /srv/data
chown 4077:4077 /srv/data

# Reboot simulation: the boot id the server reports is a file the lab can rewrite.
cat /proc/sys/kernel/random/uuid > /run/lab/boot_id
mount --bind /run/lab/boot_id /proc/sys/kernel/random/boot_id
echo ok > /run/lab/app.mode
touch /var/log/app/error.log

/usr/sbin/sshd -D -f "$dir/etc/sshd_config" -E /var/log/sshd.log &
/usr/bin/python3 "$bin/app.py" 8080 </dev/null >>/var/log/app/app.out 2>&1 &
echo $! > /run/lab/app.pid
/bin/sh "$bin/heartbeat.sh" </dev/null >/dev/null 2>&1 &
echo $! > /run/lab/heartbeat.pid
# Read-only overlays add the server's own files to the host's directories, for this server only.
if [ -d "$dir/initd" ]; then
  mount -t overlay lab-initd -o "lowerdir=$dir/initd:/etc/init.d" /etc/init.d
  for s in "$dir"/initd/*; do "/etc/init.d/${s##*/}" start </dev/null >/dev/null 2>&1 || true; done
fi
if [ -d "$dir/localbin" ]; then
  mount -t overlay lab-localbin -o "lowerdir=$dir/localbin:/usr/local/bin" /usr/local/bin
  # pm2 daemonises; starting it (~0.5 s of node) is not waited for: tests poll for `online`.
  [ -x /usr/local/bin/pm2 ] &&
    setsid runuser -u labops -- env -i HOME=/home/labops USER=labops LOGNAME=labops \
      PATH=/usr/local/bin:/usr/bin:/bin pm2 start "$bin/pm2-app.json" \
      </dev/null >/var/log/pm2-start.log 2>&1 &
fi
echo ready > /run/lab/ready
exec /usr/bin/python3 "$bin/reaper.py"
