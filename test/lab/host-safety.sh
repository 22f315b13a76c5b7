# Sourced by lab.sh (bash). The lab must leave the host exactly as it found it:
#  - root_path: every file the lab writes into the systemd server's root goes through it. That
#    root is an overlay whose lower layer is this host's /, so an absolute symlink in it (Debian's
#    sites-enabled/default -> /etc/nginx/sites-available/default) resolves onto the HOST when
#    followed from here. A link at the destination is replaced by a file inside the overlay; a
#    parent directory that leads out of the root is an error.
#  - host_guard_record / host_guard_check: a listing (type, mode, owner, link target, content
#    hash) of the host paths the lab could reach, taken before `up`; `down` compares and fails
#    loudly on any difference, naming it.

# The host paths the lab's servers could write through; LAB_HOST_PATHS overrides (tests only).
HOST_GUARD_PATHS=${LAB_HOST_PATHS:-/etc/nginx /etc/sudoers.d /etc/systemd /etc/supervisor /etc/postgresql /etc/mysql /etc/redis /etc/ssh}

# Prints an absolute path for ROOT/REL that is safe to create or overwrite: it stays inside ROOT.
root_path() { # root rel
  local root p parent
  root=$(realpath -e "$1") || { echo "lab: error: no root $1" >&2; return 1; }
  p=$root/${2#/}
  parent=$(realpath -m "$(dirname "$p")")
  case $parent/ in
    "$root"/*) ;;
    *) echo "lab: error: refusing to write $2 in $root: its directory resolves to $parent, outside it" >&2; return 1 ;;
  esac
  mkdir -p "$parent"
  p=$parent/$(basename "$p")
  # A link (to anywhere) is replaced by the file we write: following it could leave the root.
  if [ -L "$p" ]; then rm -f "$p"; fi
  echo "$p"
}

# Appending keeps what a file has; a link leading out of the root is first replaced by a copy.
root_append_path() { # root rel
  local root p real
  root=$(realpath -e "$1") || return 1
  p=$root/${2#/}
  real=$(realpath -m "$p")
  case $real in
    "$root"/*) echo "$p"; return 0 ;;
  esac
  [ -L "$p" ] || { echo "lab: error: $2 resolves to $real, outside $root" >&2; return 1; }
  local copy
  copy=$(root_path "$1" "$2.lab-copy") || return 1
  cp -p "$real" "$copy" 2>/dev/null || : > "$copy"
  rm -f "$p" && mv "$copy" "$p" && echo "$p"
}

# One line per entry under the guarded paths (missing paths are listed as such).
host_guard_listing() {
  local p
  for p in $HOST_GUARD_PATHS; do
    if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "$p missing"; continue; fi
    find "$p" -xdev -printf '%p %y %m %U:%G %l\n'
    find "$p" -xdev -type f -exec sha256sum {} + | sed 's/^\([0-9a-f]*\)  \(.*\)$/\2 sha256 \1/'
  done | LC_ALL=C sort
}

# Records the baseline unless one exists: `up` is idempotent and must not bless its own writes.
host_guard_record() { # file
  [ -f "$1" ] && return 0
  mkdir -p "$(dirname "$1")"
  host_guard_listing > "$1.tmp" && mv "$1.tmp" "$1"
}

# Non-zero, and a diff on stderr, if a guarded host path changed since the baseline.
host_guard_check() { # file
  local now
  [ -f "$1" ] || { echo "lab: warning: no host baseline recorded at $1; cannot verify the host" >&2; return 0; }
  now=$(mktemp)
  host_guard_listing > "$now"
  if ! cmp -s "$1" "$now"; then
    {
      echo "lab: ERROR: the lab changed the HOST under: $HOST_GUARD_PATHS"
      echo "lab: (- before up, + now)"
      diff "$1" "$now" | grep '^[<>]' | sed 's/^</-/; s/^>/+/'
    } >&2
    rm -f "$now"
    return 1
  fi
  rm -f "$now"
}

# Writes stdin to ROOT/REL (through root_path), with MODE if given.
root_put() { # root rel [mode]
  local p
  p=$(root_path "$1" "$2") || return 1
  cat > "$p"
  [ -z "${3:-}" ] || chmod "$3" "$p"
}
# Copies host files into the directory ROOT/REL, each through root_path.
root_copy() { # root rel src...
  local root=$1 rel=$2 src p
  shift 2
  for src in "$@"; do
    p=$(root_path "$root" "$rel/$(basename "$src")") || return 1
    cp -p "$src" "$p"
  done
}
# A symlink ROOT/REL -> TARGET (read inside the container: TARGET is never followed here).
root_link() { # root target rel
  local p
  p=$(root_path "$1" "$3") || return 1
  ln -sfn "$2" "$p"
}
# Appends a line to ROOT/REL unless a line matches PATTERN.
root_append_once() { # root rel pattern line
  local p
  p=$(root_append_path "$1" "$2") || return 1
  grep -q "$3" "$p" 2>/dev/null || printf '%s\n' "$4" >> "$p"
}
