const id=180;const ids=[180];const modules={1042:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.d(__webpack_exports__,{Cp:()=>normalizeAbsolutePath,KV:()=>PROTECTED_DIRS,rq:()=>PROTECTED_TREES,zN:()=>protectedReason});var node_path__WEBPACK_IMPORTED_MODULE_0__=__webpack_require__(6760);function normalizeAbsolutePath(raw){if(!raw.startsWith("/"))return{ok:false,error:`${JSON.stringify(raw)} is not an absolute path`};if(/[\0\n\r]/.test(raw))return{ok:false,error:`${JSON.stringify(raw)} contains a control character`};if(raw.split("/").includes(".."))return{ok:false,error:`${JSON.stringify(raw)} contains a .. segment`};const normal=node_path__WEBPACK_IMPORTED_MODULE_0__.posix.normalize(raw).replace(/^\/+/,"/");return{ok:true,path:normal.length>1?normal.replace(/\/+$/,""):normal}}const PROTECTED_TREES=["/bin","/boot","/dev","/etc","/lib","/lib32","/lib64","/libx32","/proc","/root","/sbin","/sys","/usr"];const PROTECTED_DIRS=new Set(["/","/home","/media","/mnt","/opt","/run","/srv","/tmp","/var","/var/cache","/var/lib","/var/log","/var/spool","/var/tmp"]);function protectedReason(path){if(PROTECTED_DIRS.has(path))return`${path} is a system directory`;const tree=PROTECTED_TREES.find(t=>path===t||path.startsWith(`${t}/`));return tree?`${path} is inside ${tree}`:void 0}}),4180:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.d(__webpack_exports__,{oY:()=>buildCatalog,Nn:()=>describeCatalog,nK:()=>renderAction});var clearable=__webpack_require__(4100);var command_template=__webpack_require__(2891);var server_helper=__webpack_require__(7964);;const SERVICE=[{param:"service"}];function serviceWords(service,verb){switch(service.manager){case"systemd":return[["systemctl"],[verb],["--"],SERVICE];case"sysv":return[["service"],SERVICE,[verb]];case"supervisor":return[["supervisorctl"],[verb],SERVICE];case"pm2":return[["pm2"],[verb],SERVICE];case"docker":return[["docker"],[verb],["--"],SERVICE];case"compose":return composeWords(service,verb)}}function composeWords(service,verb){const cli=service.compose_command==="docker-compose"?[["docker-compose"]]:[["docker"],["compose"]];return[...cli,["--project-name"],[{text:service.project??""}],["--file"],[{text:service.file??""}],[verb],SERVICE]}const ROOT_MANAGERS=new Set(["systemd","sysv","supervisor","docker","compose"]);;const MINUTE=6e4;function eligible(server){return server.services.filter(s=>s.port!==void 0&&s.manager!=="pm2")}function freePortWords(server,service){const names=[...new Set(server.services.map(s=>s.name.replace(/\.service$/,"")))];return(0,server_helper.Gj)("free-port",[[String(service.port)],[{text:service.name}],[{text:names.join(",")}],...serviceWords(service,"start")])}function freePortActions(server){const services=eligible(server);if(services.length===0)return[];const words=params=>{const service=services.find(s=>s.name===params.service);if(!service)throw new Error(`free-port: no service ${params.service} with a port`);return freePortWords(server,service)};return[{id:"free-port",description:"Stop the process squatting a down service's configured port (never PID 1, an SSH session, systemd, a container, a supervisor or a configured service's process), then start the service and wait for its port.",source:"builtin",params:{service:{kind:"enum",values:services.map(s=>s.name),description:"a configured service with a port (not pm2)"}},targetParam:"service",risk:"medium",verify:["service","port"],cooldownMs:30*MINUTE,maxPerDay:3,timeoutMs:9e4,rootCommand:words,template:params=>(0,server_helper.BT)(server,words(params))}]};function rootCommandOnly(server,words){return{rootCommand:()=>words,template:()=>(0,command_template.tE)((0,command_template.SM)(server),words)}}const HOUR=36e5;const catalog_MINUTE=6e4;const LOCK_FILE_PATTERN=new RegExp(`^(?!.*/\\.\\.?(?:/|$))${server_helper.UJ.slice(1)}`);const JOURNAL_SIZE_PATTERN=/^[1-9][0-9]{0,4}[MG]$/;function serviceOf(server,params){const service=server.services.find(s=>s.name===params.service);if(!service)throw new Error(`unknown service ${params.service}`);return service}function serviceCommand(server,verb){const rootCommand=params=>{const service=serviceOf(server,params);return ROOT_MANAGERS.has(service.manager)?serviceWords(service,verb):void 0};const template=params=>{const root=rootCommand(params);return root?(0,command_template.tE)((0,command_template.SM)(server),root):(0,command_template.uu)(serviceWords(serviceOf(server,params),verb))};return{rootCommand,template}}function serviceActions(server){if(server.services.length===0)return[];return[{...serviceActionBase(server),id:"restart-service",description:"Restart a configured service with its manager (systemd, sysv, supervisor, pm2, docker, compose).",cooldownMs:30*catalog_MINUTE,maxPerDay:3,...serviceCommand(server,"restart")},{...serviceActionBase(server),id:"start-service",description:"Start a configured service that is stopped (boot recovery).",cooldownMs:10*catalog_MINUTE,maxPerDay:6,...serviceCommand(server,"start")}]}function serviceActionBase(server){const service={kind:"enum",values:server.services.map(s=>s.name),description:"a service configured on this server"};return{source:"builtin",params:{service},targetParam:"service",verify:["service"],risk:"low",timeoutMs:12e4}}const CLEAR_WORDS=(0,server_helper.Gj)("clear-directory",[[{param:"directory"}]]);function clearDirectory(server){const dirs=(0,clearable.B)(server);if(dirs.length===0)return[];return[{id:"clear-directory",description:"Delete everything inside a directory the config lists as clearable (the directory stays).",source:"builtin",params:{directory:{kind:"enum",values:dirs,description:"a clearable directory of this server"}},targetParam:"directory",risk:"low",verify:["disk","inodes"],cooldownMs:HOUR,maxPerDay:4,timeoutMs:3e5,rootCommand:()=>CLEAR_WORDS,template:()=>(0,server_helper.BT)(server,CLEAR_WORDS)}]}const VACUUM_WORDS=[["journalctl"],["--vacuum-size=",{param:"size"}]];const REMOVE_LOCK_WORDS=(0,server_helper.Gj)("remove-stale-lock",[[{param:"path"}]]);const LOGROTATE_WORDS=[["logrotate"],["-f"],["/etc/logrotate.conf"]];function housekeeping(server){return[vacuumJournal(server),removeStaleLock(server),rotateLogs(server)]}function vacuumJournal(server){return{id:"vacuum-journal",description:"Shrink the systemd journal to a size (default 500M) with journalctl --vacuum-size.",source:"builtin",params:{size:{kind:"pattern",pattern:JOURNAL_SIZE_PATTERN,maxLength:6,description:"target size like 500M or 2G",default:"500M"}},risk:"low",verify:["disk"],cooldownMs:6*HOUR,maxPerDay:2,timeoutMs:3e5,...rootCommandOnly(server,VACUUM_WORDS)}}function removeStaleLock(server){return{id:"remove-stale-lock",description:"Remove a stale lock or pid file under /run, /var/run, /var/lock or /tmp; refuses while the process it names is alive or any process holds a lock on it.",source:"builtin",params:{path:{kind:"pattern",pattern:LOCK_FILE_PATTERN,maxLength:200,description:"absolute path of a .pid/.lock/.lck file under /run, /var/run, /var/lock, /tmp",sudoers:server_helper.Af.filter(r=>!server_helper.Af.some(o=>r.startsWith(`${o}/`))).map(r=>`${r}/*`)}},targetParam:"path",targetOf:lockTarget,risk:"medium",verify:["service"],cooldownMs:HOUR,maxPerDay:3,timeoutMs:3e4,rootCommand:()=>REMOVE_LOCK_WORDS,template:()=>(0,server_helper.BT)(server,REMOVE_LOCK_WORDS)}}function lockTarget(path){return path.replace(/^\/var\/run\//,"/run/").replace(/^\/var\/lock\//,"/run/lock/")}function rotateLogs(server){return{id:"rotate-logs",description:"Force a logrotate run with the system configuration (/etc/logrotate.conf).",source:"builtin",params:{},risk:"medium",verify:["disk"],cooldownMs:6*HOUR,maxPerDay:2,timeoutMs:3e5,...rootCommandOnly(server,LOGROTATE_WORDS)}}function appliesTo(remediation,server){if(!remediation.servers)return true;return remediation.servers.some(s=>s===server.name||s==="*"||s.startsWith("tag:")&&server.tags.includes(s.slice(4)))}function configAction(id2,remediation,server){const root=remediation.sudo===false?void 0:[[command_template.Q_],["-c"],[{text:remediation.command}]];return{id:id2,description:remediation.description??`Repository-defined remediation: ${remediation.command}`,source:"config",params:{},risk:remediation.risk,verify:remediation.verify,cooldownMs:remediation.cooldown,maxPerDay:remediation.max_per_day,timeoutMs:remediation.timeout,...remediation.settle!==void 0?{settleMs:remediation.settle}:{},...root?{rootCommand:()=>root}:{},template:()=>root&&server.sudo==="actions"?(0,command_template.tE)("sudo -n ",root):[remediation.command]}}function buildCatalog(server,config){const actions=new Map;for(const action of[...serviceActions(server),...freePortActions(server),...clearDirectory(server),...housekeeping(server)]){actions.set(action.id,action)}const warnings=[...(0,clearable.E)(server).refused];for(const[id2,remediation]of Object.entries(config.remediations)){if(!appliesTo(remediation,server))continue;if(BUILTIN_IDS.has(id2)){warnings.push(`remediations.${id2}: the name of a built-in action; rename it (left out)`);continue}actions.set(id2,configAction(id2,remediation,server))}return{actions,warnings}}const BUILTIN_IDS=new Set(["restart-service","start-service","clear-directory","vacuum-journal","remove-stale-lock","rotate-logs","free-port"]);function renderAction(action,input){const validated=(0,command_template.XB)(action,input);if(!validated.ok)return validated;const params=validated.value;const given=action.targetParam?params[action.targetParam]:void 0;const target=given===void 0?"-":action.targetOf?.(given)??given;return{ok:true,value:{action,params,command:(0,command_template.sg)(action.template(params),params),target,key:`${action.id}:${target}`}}}function describeCatalog(actions){const lines=[];for(const a of actions){const params=(0,command_template._H)(a.params);lines.push(`- ${a.id} (risk ${a.risk}${params?`; ${params}`:"; no parameters"}): ${a.description}`)}return lines.join("\n")}}),4100:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.d(__webpack_exports__,{B:()=>safeClearable,E:()=>checkClearable});var _core_util_safe_path_js__WEBPACK_IMPORTED_MODULE_0__=__webpack_require__(1042);function checkClearable(server){const dirs=[];const refused=[];for(const raw of server.clearable){const normal=(0,_core_util_safe_path_js__WEBPACK_IMPORTED_MODULE_0__.Cp)(raw);const why=normal.ok?(0,_core_util_safe_path_js__WEBPACK_IMPORTED_MODULE_0__.zN)(normal.path):normal.error;if(why||!normal.ok)refused.push(`clearable ${JSON.stringify(raw)} left out: ${why}`);else if(!dirs.includes(normal.path))dirs.push(normal.path)}return{dirs,refused}}function safeClearable(server){return checkClearable(server).dirs}}),2891:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.d(__webpack_exports__,{Q_:()=>CONFIG_SHELL,RC:()=>wordsToArgv,SM:()=>sudoPrefix,XB:()=>validateParams,_H:()=>describeParams,sg:()=>renderFragments,tE:()=>asRoot,uu:()=>wordsToFragments});var _core_util_shell_quote_js__WEBPACK_IMPORTED_MODULE_0__=__webpack_require__(2594);function sudoPrefix(server){return server.sudo==="actions"?"sudo -n ":""}function wordsToFragments(words){return words.flatMap((word,i)=>i===0?[...word]:[" ",...word])}function fragmentText(fragment,params,quote){if(typeof fragment==="string")return fragment;if("text"in fragment)return quote(fragment.text);const value=params[fragment.param];if(value===void 0)throw new Error(`template uses an undeclared parameter ${fragment.param}`);return quote(value)}const verbatim=value=>value;function wordsToArgv(words,params){return words.map(word=>word.map(fragment=>fragmentText(fragment,params,verbatim)).join(""))}function asRoot(prefix,words){return prefix?[prefix,...wordsToFragments(words)]:wordsToFragments(words)}function checkParam(name,spec,value){if(value===void 0&&spec.kind==="pattern"&&spec.default!==void 0){return{ok:true,value:spec.default}}if(typeof value!=="string")return{ok:false,error:`${name}: expected a string (${spec.description})`};if(spec.kind==="enum"){return spec.values.includes(value)?{ok:true,value}:{ok:false,error:`${name}: expected one of ${spec.values.join(", ")} (got ${JSON.stringify(value)})`}}if(value.length>spec.maxLength||!spec.pattern.test(value)){return{ok:false,error:`${name}: expected ${spec.description} (got ${JSON.stringify(value.slice(0,80))})`}}return{ok:true,value}}function validateParams(action,input){const given=input??{};if(typeof given!=="object"||Array.isArray(given))return{ok:false,error:"params: expected an object"};const entries=given;const errors=[];const unknown=Object.keys(entries).filter(k=>!Object.hasOwn(action.params,k));if(unknown.length>0)errors.push(`unknown parameter(s) ${unknown.join(", ")} for ${action.id}`);const params={};for(const[name,spec]of Object.entries(action.params)){const checked=checkParam(name,spec,entries[name]);if(checked.ok)params[name]=checked.value;else errors.push(checked.error)}return errors.length>0?{ok:false,error:errors.join("; ")}:{ok:true,value:params}}function renderFragments(fragments,params){return fragments.map(fragment=>fragmentText(fragment,params,_core_util_shell_quote_js__WEBPACK_IMPORTED_MODULE_0__.Z)).join("")}function describeParams(params){return Object.entries(params).map(([name,spec])=>spec.kind==="enum"?`${name}: one of [${spec.values.join(", ")}]`:`${name}: ${spec.description}`).join("; ")}const CONFIG_SHELL="/bin/sh"}),7964:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.d(__webpack_exports__,{RI:()=>HELPER_PATH,UJ:()=>LOCK_FILE_ERE,Af:()=>LOCK_ROOTS,IU:()=>helperScript,BT:()=>helperTemplate,Gj:()=>helperWords});var external_node_crypto_=__webpack_require__(7598);var safe_path=__webpack_require__(1042);;const HELPER_TEMPLATE=`#!/bin/sh
# claudeops-helper @VERSION@: the root side of ClaudeOps' actions that delete a path or signal a
# process. Printed by \`claudeops helper\`; do not edit it: ClaudeOps compares its sha256 before
# each use under \`sudo: actions\`, and sends this same text inline on servers without it.
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
  printf 'refusing: %s\\n' "$*"
  exit "$code"
}
usage() { # message...
  printf 'claudeops-helper: %s\\n' "$*" >&2
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
  rest=\${1#/}
  while [ -n "$rest" ]; do
    step=\${rest%%/*}
    next=\${above%/}/$step
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
      */*) rest=\${rest#*/} ;;
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
  printf '%s\\n' "$f" | grep -Eq '@LOCK_ERE@' ||
    usage "$f: not a .pid/.lock/.lck file under /run, /var/run, /var/lock, /tmp or /var/tmp"
  dir=\${f%/*}
  name=\${f##*/}
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
  pid=$(printf '%s' "$1" | tr -c 0-9 '\\n' | sed -n '/./{s/^0*//;p;q;}' | cut -c1-10)
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then OWNER="process $pid named by it is alive" && return; fi
  held=$(grep -E " [0-9a-f]+:[0-9a-f]+:$2 " /proc/locks 2>/dev/null | head -n 1)
  [ -z "$held" ] || OWNER="a process holds a lock on it (/proc/locks: $held)"
}

# ---------------------------------------------------------------- processes

# "PPID START" of a process as it is now (START: clock ticks after boot, field 22 of its stat;
# with the PID it names one process, whatever reuses the PID later), or failure when it is gone.
# The command name in parentheses may hold anything: the fields after its last ") " are fixed.
proc_stat() { # pid
  s=$(tr '\\n' ' ' <"/proc/$1/stat" 2>/dev/null) || return 1
  s=\${s##*") "}
  set -- $s
  [ $# -ge 20 ] || return 1
  p=$2
  shift 19
  echo "$p $1"
}

comm_of() { # pid
  tr -d '\\n' <"/proc/$1/comm" 2>/dev/null
}

# The steps of the process's cgroup paths (systemd units, container scopes), one per line.
cgroup_steps() { # pid
  sed -n 's/^[^:]*:[^:]*://p' "/proc/$1/cgroup" 2>/dev/null | tr '/' '\\n'
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
  START=\${st#* }
  [ "\${st% *}" != 2 ] || { WHY="it is a kernel thread" && return; }
  unit=$(cgroup_steps "$1" | grep -E '\\.service$' | tail -n 1)
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
    p=\${next% *}
    [ "$p" != 0 ] || { WHY="$who has its parent outside this PID namespace" && return; }
    depth=$((depth + 1))
    [ "$depth" -lt 256 ] || { WHY="its ancestry is deeper than 256" && return; }
  done
}

# The listening TCP sockets on the port (their inodes), and every process holding one of them
# open: the kernel's file descriptor tables, never a process name's text.
holders() {
  set +f
  for ino in $(ss -Htlne "sport = :$PORT" 2>/dev/null | sed -n 's/.* ino:\\([0-9]*\\).*/\\1/p'); do
    [ "$ino" = 0 ] || find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\\\[$ino\\\\]" 2>/dev/null
  done | sed 's#^/proc/\\([0-9]*\\)/.*#\\1#' | sort -un
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
  echo "stopping PID $1, user $(stat -c %U "/proc/$1" 2>/dev/null), command: $(tr '\\000' ' ' <"/proc/$1/cmdline" 2>/dev/null | cut -c1-200)"
  kill -TERM "$1" 2>/dev/null
  SIGNALLED="$SIGNALLED $1:$START"
}

# Some process signalled earlier (the same PID and start time) is still there.
signalled_alive() {
  for key in $SIGNALLED; do
    st=$(proc_stat "\${key%%:*}") && [ "\${st#* }" = "\${key#*:}" ] && return 0
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
  case "$SVC,$NAMES" in *[!A-Za-z0-9_.@:\\ ,-]*) usage "service names with other characters" ;; esac
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
    [ -n "$SELF" ] || refuse 3 "port $PORT is still held by PID $pid\${WHY:+: $WHY}"
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
`;var command_template=__webpack_require__(2891);;const HELPER_PATH="/usr/local/sbin/claudeops-helper";const HELPER_VERSION="1";const NEVER_SIGNALLED=["sshd","sshd-*","systemd","systemd-*","init","docker-init","tini","dockerd","docker-proxy","containerd","containerd-shim*","runc","conmon","supervisord","PM2*","runsv","runsvdir","s6-supervise"];const CONTAINER_STEPS=["docker","docker-*.scope","libpod-*","kubepods*","lxc.payload*","crio-*","machine.slice"];const LOCK_ROOTS=["/run","/var/run","/run/lock","/var/lock","/tmp","/var/tmp"];const LOCK_FILE_ERE="^/(run|var/run|run/lock|var/lock|tmp|var/tmp)/([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+\\.(pid|lock|lck)$";const START_PROGRAMS=["systemctl","service","supervisorctl","docker","docker-compose"];let script;function helperScript(){script??=HELPER_TEMPLATE.replaceAll("@VERSION@",HELPER_VERSION).replaceAll("@PROTECTED_TREES@",safe_path.rq.join(" ")).replaceAll("@PROTECTED_DIRS@",[...safe_path.KV].join(" ")).replaceAll("@LOCK_ROOTS@",LOCK_ROOTS.join(" ")).replaceAll("@LOCK_ERE@",LOCK_FILE_ERE).replaceAll("@NEVER@",NEVER_SIGNALLED.join(" ")).replaceAll("@CONTAINER_STEPS@",CONTAINER_STEPS.join(" ")).replaceAll("@START_PROGRAMS@",START_PROGRAMS.join(" "));return script}function helperDigest(){return(0,external_node_crypto_.createHash)("sha256").update(helperScript()).digest("hex")}function helperWords(command,args){return[[HELPER_PATH],[command],...args]}function installedCheck(){return[`h=${HELPER_PATH}`,'set -- $(stat -Lc "%u %a" "$h" 2>/dev/null)',`if [ "$#" != 2 ] || [ "$1" != 0 ] || [ $((0$2 & 022)) != 0 ] || [ "$(sha256sum < "$h" | cut -c1-64)" != ${helperDigest()} ]; then`,`  echo "refusing: $h is missing, not root-only or not the helper of this ClaudeOps version: install the output of 'claudeops helper' there (docs/least-privilege.md)"; exit 4`,"fi"].join("\n")}function helperTemplate(server,words){if(server.sudo==="actions")return[installedCheck(),"\nsudo -n ",...(0,command_template.uu)(words)];const[,...args]=words;return["set -- ",...(0,command_template.uu)(args),"\n",helperScript()]}})};export{id,ids,modules};
