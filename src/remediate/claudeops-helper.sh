#!/bin/sh
# claudeops-helper @VERSION@: the root side of ClaudeOps' actions that delete a path or signal a
# process. Printed by `claudeops helper`; do not edit it: ClaudeOps compares its sha256 before
# each use under `sudo: actions`, and sends this same text inline on servers without it.
# Install (as root): install -o root -g root -m 0755 claudeops-helper /usr/local/sbin/claudeops-helper
#
#   claudeops-helper clear-directory DIR
#   claudeops-helper remove-stale-lock FILE
#   claudeops-helper free-port PORT SERVICE NAMES START-PROGRAM START-ARG...
#
# Every argument is checked here again, whatever sudoers let through. Every path is resolved here,
# as root, right before it is used, and then used through the directory this shell stands in (its
# inode, not its name); every signal goes to a process judged at that moment.
# Exit status: 0 done or nothing to do, 2 a path refused, 3 a process refused, 4 a tool missing or
# a file unreadable, 5 the service did not come up, 64 wrong arguments.
set -u -f
PATH=/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL
unset CDPATH
IFS=' 	
'

refuse() { # code message...
  code=$1
  shift
  printf 'refusing: %s\n' "$*"
  exit "$code"
}
usage() { # message...
  printf 'claudeops-helper: %s\n' "$*" >&2
  exit 64
}

# ---------------------------------------------------------------- paths

# A path as the catalog passes it: absolute, printable, one meaning (no //, no . or .. steps).
plain_path() { # path
  case $1 in
    /*) ;;
    *) usage "$1: not an absolute path" ;;
  esac
  case $1 in
    *[![:print:]]*) usage "a path with a control character" ;;
  esac
  case $1/ in
    *//* | */./* | */../*) usage "$1: not a plain path (//, . or ..)" ;;
  esac
}

# Enters directory $1 and stands in it: from here on, "." is that directory (its inode), whatever
# happens to the name. HERE is where it really is (no symlink left in the path).
enter() { # dir
  cd -P -- "$1" 2>/dev/null || refuse 2 "$1 is not a directory"
  HERE=$(pwd -P) || refuse 2 "cannot tell where $1 leads"
}

# Every directory above $1 (a physical path) is root's and nobody else may change it: not
# writable by group or others, or sticky like /tmp with the next step root's. Then nobody but root
# can rename or replace any step of the path, and it keeps naming what it names now.
check_above() { # physical path
  above=/
  rest=${1#/}
  while [ -n "$rest" ]; do
    step=${rest%%/*}
    next=${above%/}/$step
    set -- $(stat -c '%u %a' -- "$above" 2>/dev/null)
    [ $# = 2 ] || refuse 2 "cannot read the owner of $above"
    [ "$1" = 0 ] || refuse 2 "$above belongs to uid $1, not root: it could swap what is below it"
    if [ $((0$2 & 022)) -ne 0 ]; then
      [ $((0$2 & 01000)) -ne 0 ] || refuse 2 "$above is writable by group or others (mode $2)"
      owner=$(stat -c %u -- "$next" 2>/dev/null) || refuse 2 "cannot read the owner of $next"
      [ "$owner" = 0 ] || refuse 2 "$next belongs to uid $owner inside $above, which others may write (mode $2): it could be swapped"
    fi
    above=$next
    case $rest in
      */*) rest=${rest#*/} ;;
      *) rest= ;;
    esac
  done
}

# After check_above "$HERE": the name cannot change any more; it must still be where we stand.
bound_here() {
  [ "$(stat -c '%d:%i' -- "$HERE" 2>/dev/null)" = "$(stat -c '%d:%i' . 2>/dev/null)" ] ||
    refuse 2 "$HERE changed while it was checked"
}

PROTECTED_TREES='@PROTECTED_TREES@'
PROTECTED_DIRS='@PROTECTED_DIRS@'

clear_directory() { # dir
  [ $# = 1 ] || usage "clear-directory takes one directory"
  dir=$1
  plain_path "$dir"
  for d in $PROTECTED_DIRS; do [ "$dir" = "$d" ] && refuse 2 "$dir is a system directory"; done
  for t in $PROTECTED_TREES; do
    case $dir/ in "$t"/*) refuse 2 "$dir is inside $t" ;; esac
  done
  enter "$dir"
  [ "$HERE" = "$dir" ] || refuse 2 "$dir resolves to $HERE (a symlink on the way): not cleared"
  check_above "$HERE"
  bound_here
  # from ".": GNU find neither follows symlinks nor leaves the filesystem (-xdev), and checks
  # each directory it enters against what it listed
  n=$(find . -xdev -mindepth 1 -delete -print | wc -l)
  echo "cleared $dir: $n entries removed"
}

LOCK_ROOTS='@LOCK_ROOTS@'

# $1 (a physical directory) is a lock root or at most two steps below one, once the roots too
# are resolved (/var/run is /run on most systems).
in_lock_roots() { # physical dir
  for r in $LOCK_ROOTS; do
    real=$(cd -P -- "$r" 2>/dev/null && pwd -P) || continue
    case $1 in
      "$real") return 0 ;;
      "$real"/*/*/*) ;;
      "$real"/*) return 0 ;;
    esac
  done
  return 1
}

remove_stale_lock() { # file
  [ $# = 1 ] || usage "remove-stale-lock takes one file"
  f=$1
  case $f in
    *[!A-Za-z0-9_./-]*) usage "$f: not a lock file path" ;;
  esac
  plain_path "$f"
  printf '%s\n' "$f" | grep -Eq '@LOCK_ERE@' ||
    usage "$f: not a .pid/.lock/.lck file under /run, /var/run, /var/lock, /tmp or /var/tmp"
  dir=${f%/*}
  name=${f##*/}
  if [ ! -e "$f" ] && [ ! -L "$f" ]; then
    echo "already gone: $f"
    exit 0
  fi
  enter "$dir"
  in_lock_roots "$HERE" || refuse 2 "$dir resolves to $HERE, outside the lock directories"
  check_above "$HERE"
  bound_here
  if [ ! -e "./$name" ] && [ ! -L "./$name" ]; then
    echo "already gone: $f"
    exit 0
  fi
  if [ -L "./$name" ] || [ ! -f "./$name" ]; then refuse 2 "$f is not a regular file"; fi
  ino=$(stat -c %i -- "./$name" 2>/dev/null) || refuse 4 "cannot read $f"
  # nofollow: a symlink put there since the test above is not read through
  text=$(dd if="./$name" bs=64 count=1 iflag=nofollow,nonblock status=none) || refuse 4 "cannot read $f"
  lock_owner "$text" "$ino"
  [ -z "$OWNER" ] || refuse 3 "$f is not stale: $OWNER"
  [ "$(stat -c %i -- "./$name" 2>/dev/null)" = "$ino" ] || refuse 2 "$f was replaced while it was judged"
  rm -f -- "./$name" || refuse 4 "could not remove $f"
  echo "removed $f"
}

# Who owns a lock file now (OWNER, empty when nobody): the process its first number names, if that
# is alive (pid files, UUCP and X locks, PostgreSQL's lock files all start with the PID; the digits
# after it are data directories, start times, ports), or any process the kernel says holds a lock
# on its inode (flock, POSIX or OFD; such files are often empty). Inode numbers only: a device
# number in /proc/locks is not always stat's (btrfs, overlayfs), and a false match only refuses.
lock_owner() { # text inode
  OWNER=
  pid=$(printf '%s' "$1" | tr -c 0-9 '\n' | sed -n '/./{s/^0*//;p;q;}' | cut -c1-10)
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then OWNER="process $pid named by it is alive" && return; fi
  held=$(grep -E " [0-9a-f]+:[0-9a-f]+:$2 " /proc/locks 2>/dev/null | head -n 1)
  [ -z "$held" ] || OWNER="a process holds a lock on it (/proc/locks: $held)"
}

# ---------------------------------------------------------------- processes

# "PPID START" of a process as it is now (START: clock ticks after boot, field 22 of its stat;
# with the PID it names one process, whatever reuses the PID later), or failure when it is gone.
# The command name in parentheses may hold anything: the fields after its last ") " are fixed.
proc_stat() { # pid
  s=$(tr '\n' ' ' <"/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*") "}
  set -- $s
  [ $# -ge 20 ] || return 1
  p=$2
  shift 19
  echo "$p $1"
}

comm_of() { # pid
  tr -d '\n' <"/proc/$1/comm" 2>/dev/null
}

# The steps of the process's cgroup paths (systemd units, container scopes), one per line.
cgroup_steps() { # pid
  sed -n 's/^[^:]*:[^:]*://p' "/proc/$1/cgroup" 2>/dev/null | tr '/' '\n'
}

NEVER='@NEVER@'
CONTAINER_STEPS='@CONTAINER_STEPS@'

# Judges process $1 as it is now. WHY says why it must not be signalled (empty: nothing forbids
# it); SELF is set when it is the service being freed; GONE when it exited; START is its start
# time. The rules look at its systemd unit, its container, and its name and every ancestor's up to
# PID 1 (which everything descends from): sshd or an SSH session, a user's systemd, init, a
# container runtime or shim, a process supervisor, or any configured service.
judge() { # pid
  WHY=
  SELF=
  GONE=
  START=
  case $1 in '' | *[!0-9]*) WHY="not a process id" && return ;; esac
  [ "$1" -gt 1 ] || { WHY="it is PID $1" && return; }
  st=$(proc_stat "$1") || { GONE=1 && return; }
  START=${st#* }
  [ "${st% *}" != 2 ] || { WHY="it is a kernel thread" && return; }
  unit=$(cgroup_steps "$1" | grep -E '\.service$' | tail -n 1)
  if [ -n "$unit" ]; then
    [ "$unit" = "$SVC.service" ] || [ "$unit" = "$SVC" ] && { SELF=1 && WHY="it is $SVC itself ($unit)" && return; }
    WHY="it runs in $unit: systemd manages it (and would start it again)" && return
  fi
  for step in $(cgroup_steps "$1"); do
    for c in $CONTAINER_STEPS; do
      case $step in $c) WHY="it runs in a container ($step)" && return ;; esac
    done
  done
  judge_ancestry "$1"
  # the same process from start to end of the judgement, or it is judged again next round
  [ "$(proc_stat "$1")" = "$st" ] || { WHY="it changed while it was judged" && return; }
}

judge_ancestry() { # pid
  p=$1
  depth=0
  while [ "$p" -gt 1 ]; do
    c=$(comm_of "$p") || { WHY="its ancestry changed while it was judged" && return; }
    who="PID $p ($c)"
    [ "$p" = "$1" ] && who="it ($c)"
    for n in $NAMES; do
      if [ "$c" = "$(printf '%.15s' "$n")" ]; then
        [ "$n" = "$SVC" ] && SELF=1
        WHY="$who is the configured service $n" && return
      fi
    done
    for n in $NEVER; do
      case $c in $n) WHY="$who is $n, which ClaudeOps never signals (nor what it runs)" && return ;; esac
    done
    next=$(proc_stat "$p") || { WHY="its ancestry changed while it was judged" && return; }
    p=${next% *}
    [ "$p" != 0 ] || { WHY="$who has its parent outside this PID namespace" && return; }
    depth=$((depth + 1))
    [ "$depth" -lt 256 ] || { WHY="its ancestry is deeper than 256" && return; }
  done
}

# The listening TCP sockets on the port (their inodes), and every process holding one of them
# open: the kernel's file descriptor tables, never a process name's text.
holders() {
  set +f
  for ino in $(ss -Htlne "sport = :$PORT" 2>/dev/null | sed -n 's/.* ino:\([0-9]*\).*/\1/p'); do
    [ "$ino" = 0 ] || find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\[$ino\\]" 2>/dev/null
  done | sed 's#^/proc/\([0-9]*\)/.*#\1#' | sort -un
}

listening() {
  ss -Htln "sport = :$PORT" 2>/dev/null | grep -q .
}
not_listening() { ! listening; }

# Signals one holder, judged again at this moment: SIGTERM the first time this (PID, start time)
# is seen, SIGKILL when the same process still holds the port a round later. A PID whose start
# time changed is another process: judged anew and sent SIGTERM first, never killed blind.
signal_holder() { # pid
  judge "$1"
  [ -z "$GONE" ] && [ -z "$SELF" ] || return 0
  [ -z "$WHY" ] || refuse 3 "PID $1 on port $PORT: $WHY"
  case " $SIGNALLED " in
    *" $1:$START "*)
      echo "PID $1 still holds port $PORT after 5 s: SIGKILL"
      kill -KILL "$1" 2>/dev/null
      return 0
      ;;
    *" $1:"*) echo "PID $1 is another process now (started at tick $START): judged again" ;;
  esac
  echo "stopping PID $1, user $(stat -c %U "/proc/$1" 2>/dev/null), command: $(tr '\000' ' ' <"/proc/$1/cmdline" 2>/dev/null | cut -c1-200)"
  kill -TERM "$1" 2>/dev/null
  SIGNALLED="$SIGNALLED $1:$START"
}

# Some process signalled earlier (the same PID and start time) is still there.
signalled_alive() {
  for key in $SIGNALLED; do
    st=$(proc_stat "${key%%:*}") && [ "${st#* }" = "${key#*:}" ] && return 0
  done
  return 1
}

# Waits up to $1 seconds by the clock (however slow the server is) while "$2" holds.
wait_while() { # seconds condition
  end=$(($(date +%s) + $1))
  while $2 && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
}
held_by_signalled() { listening && signalled_alive; }

# One round: every holder judged before any is signalled (one protected holder and nothing is
# signalled), then each judged again as it is signalled. Succeeds when the round had nothing to do.
free_round() {
  others=
  for pid in $(holders); do
    judge "$pid"
    if [ -n "$SELF" ]; then
      echo "PID $pid on port $PORT: $WHY"
    elif [ -z "$GONE" ]; then
      [ -z "$WHY" ] || refuse 3 "PID $pid on port $PORT: $WHY"
      others="$others $pid"
    fi
  done
  [ -n "$others" ] || return 0
  for pid in $others; do signal_holder "$pid"; done
  wait_while 5 held_by_signalled
  return 1
}

START_PROGRAMS='@START_PROGRAMS@'

free_port() { # port service names start-argv...
  [ $# -ge 5 ] || usage "free-port PORT SERVICE NAMES START-PROGRAM START-ARG..."
  PORT=$1
  SVC=$2
  NAMES=$(printf '%s' "$3" | tr ',' ' ')
  shift 3
  case $PORT in '' | *[!0-9]*) usage "port $PORT: not a number" ;; esac
  [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || usage "port $PORT: out of range"
  case "$SVC,$NAMES" in *[!A-Za-z0-9_.@:\ ,-]*) usage "service names with other characters" ;; esac
  ok=
  for p in $START_PROGRAMS; do [ "$1" = "$p" ] && ok=1; done
  [ -n "$ok" ] || usage "free-port starts the service with its manager ($START_PROGRAMS), not $1"
  case " $* " in *" start "*) ;; *) usage "free-port's command must start the service: $*" ;; esac
  command -v ss >/dev/null 2>&1 || refuse 4 "ss (iproute2) is not installed"
  if [ -z "$(holders)" ]; then
    listening && refuse 3 "port $PORT is held but its process cannot be seen (not root?)"
    echo "port $PORT was free: nothing to stop"
  fi
  SIGNALLED=
  round=0
  until free_round; do
    round=$((round + 1))
    [ $round -lt 3 ] || break
  done
  self=
  for pid in $(holders); do
    judge "$pid"
    [ -n "$GONE" ] && continue
    [ -n "$SELF" ] || refuse 3 "port $PORT is still held by PID $pid${WHY:+: $WHY}"
    self=1
  done
  if [ -n "$self" ]; then
    echo "$SVC is listening on port $PORT"
    exit 0
  fi
  listening && refuse 3 "port $PORT is still held"
  echo "starting $SVC"
  "$@" </dev/null || exit $?
  wait_while 20 not_listening
  listening || { echo "$SVC started but port $PORT is not listening after 20 s" && exit 5; }
  echo "$SVC is listening on port $PORT"
}

# ---------------------------------------------------------------- main

[ $# -ge 1 ] || usage "clear-directory DIR | remove-stale-lock FILE | free-port PORT SERVICE NAMES START..."
command=$1
shift
case $command in
  clear-directory) clear_directory "$@" ;;
  remove-stale-lock) remove_stale_lock "$@" ;;
  free-port) free_port "$@" ;;
  version) echo "claudeops-helper @VERSION@" ;;
  *) usage "unknown command $command" ;;
esac
