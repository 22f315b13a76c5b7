const id=250;const ids=[250];const modules={4250:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.r(__webpack_exports__);__webpack_require__.d(__webpack_exports__,{runTimerCommand:()=>runTimerCommand});var external_node_fs_=__webpack_require__(3024);var external_node_os_=__webpack_require__(8161);var external_node_path_=__webpack_require__(6760);var cli_args=__webpack_require__(3933);var onboarding_args=__webpack_require__(2408);;const MINUTE=6e4;const HOUR=36e5;function calendarFor(everyMs){const minutes=everyMs/MINUTE;const hours=everyMs/HOUR;if(Number.isInteger(minutes)&&minutes>=1&&minutes<60&&60%minutes===0)return{ok:true,calendar:minutes===1?"*-*-* *:*:00":`*-*-* *:00/${minutes}:00`};if(Number.isInteger(hours)&&hours>=1&&hours<=24&&24%hours===0)return{ok:true,calendar:hours===1?"*-*-* *:00:00":hours===24?"*-*-* 00:00:00":`*-*-* 00/${hours}:00:00`};return{ok:false,reason:"expected minutes that divide an hour (1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m) or hours that divide a day (1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h)"}}function unitWord(word){const escaped=word.replaceAll("%","%%").replaceAll("$","$$$$");if(/^[A-Za-z0-9/._@+=:,%$-]+$/.test(escaped))return escaped;return`"${escaped.replaceAll("\\","\\\\").replaceAll('"','\\"')}"`}function listPath(path){if(!/^\/[A-Za-z0-9/._@+-]*$/.test(path))throw new Error(`${path}: a directory for the service needs a path of plain characters (no spaces)`);return path}function writablePaths(spec){const inside=p=>p===spec.workingDirectory||p.startsWith(`${spec.workingDirectory}/`);const parent=spec.stateRepo.slice(0,spec.stateRepo.lastIndexOf("/"))||"/";return[spec.workingDirectory,...inside(spec.stateRepo)?[]:[parent]].map(listPath)}function serviceUnit(spec){const exec=[spec.node,spec.cli,"check","--config",spec.config,"--state-repo",spec.stateRepo].map(unitWord).join(" ");return`# Written by \`claudeops timer\`. Install: copy with claudeops.timer to /etc/systemd/system/, then
# systemctl daemon-reload && systemctl enable --now claudeops.timer   (status: systemctl list-timers claudeops)
[Unit]
Description=ClaudeOps health check
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=${spec.user}
WorkingDirectory=${listPath(spec.workingDirectory)}
# Secrets, one VAR=value a line, readable by root only (chmod 600): SSH_PRIVATE_KEY_FILE=/path/to/key,
# KNOWN_HOSTS_FILE=..., ANTHROPIC_API_KEY=... (optional), CLAUDEOPS_HEARTBEAT_URL=... (optional)
EnvironmentFile=-/etc/claudeops/claudeops.env
ExecStart=${exec}
# the CLI's compiled code, kept between runs (Node 22.1+): /var/cache/claudeops, this user's alone
CacheDirectory=claudeops
CacheDirectoryMode=0700
TimeoutStartSec=${Math.max(10,Math.ceil(2*spec.everyMs/MINUTE))}min

${sandbox(spec)}`}function sandbox(spec){return`# Sandbox: the check reads servers over SSH and writes only its state repository. (No
# MemoryDenyWriteExecute: node's JIT needs it off. Servers with transport: local and sudo
# need NoNewPrivileges=no.)
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=${writablePaths(spec).join(" ")}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
PrivateMounts=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
UMask=0077
`}function timerUnit(spec,calendar){const spread=Math.max(1,Math.round(Math.min(spec.everyMs/10,5*MINUTE)/1e3));return`# Written by \`claudeops timer\`: runs claudeops.service on a calendar (see the service's header).
[Unit]
Description=ClaudeOps health check, on a schedule

[Timer]
OnCalendar=${calendar}
# a run missed while the machine was off runs at boot
Persistent=true
# machines started together spread over ${spread}s, each at its own fixed offset
RandomizedDelaySec=${spread}s
FixedRandomDelay=true
AccuracySec=1s
Unit=claudeops.service

[Install]
WantedBy=timers.target
`};function runTimerCommand(argv,logger){const args=(0,onboarding_args.U1)(argv.slice(1));const calendar=calendarFor(args.everyMs);if(!calendar.ok)throw new cli_args.eb(`--every: ${calendar.reason}`);const user=args.user??(0,external_node_os_.userInfo)().username;if(user==="root"&&args.user===void 0)throw new cli_args.eb("timer: the service would run as root: give --user (an account that may read the SSH key; root only as --user root)");const spec={everyMs:args.everyMs,user,node:process.execPath,cli:(0,external_node_fs_.realpathSync)(process.argv[1]??""),workingDirectory:process.cwd(),config:(0,external_node_path_.resolve)(args.configPath),stateRepo:(0,external_node_path_.resolve)(args.stateRepo)};const service=serviceUnit(spec);const timer=timerUnit(spec,calendar.calendar);(0,external_node_fs_.mkdirSync)(args.out,{recursive:true});(0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(args.out,"claudeops.service"),service);(0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(args.out,"claudeops.timer"),timer);logger.info(`wrote ${(0,external_node_path_.join)(args.out,"claudeops.service")} and claudeops.timer (every ${calendar.calendar}, as ${user})`);logger.info(`install: sudo cp ${(0,external_node_path_.join)(args.out,"claudeops.{service,timer}")} /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now claudeops.timer`);return 0}}),2408:((__unused_webpack___webpack_module__,__webpack_exports__,__webpack_require__)=>{__webpack_require__.d(__webpack_exports__,{H2:()=>parseInitArgs,IQ:()=>parseWatchArgs,U1:()=>parseTimerArgs});var node_util__WEBPACK_IMPORTED_MODULE_0__=__webpack_require__(7975);var _core_util_duration_js__WEBPACK_IMPORTED_MODULE_1__=__webpack_require__(9277);var _cli_args_js__WEBPACK_IMPORTED_MODULE_2__=__webpack_require__(3933);const INIT_ARGS={host:{type:"string",multiple:true},user:{type:"string"},port:{type:"string"},out:{type:"string"},"accept-new":{type:"boolean"}};const HOST=/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;const USER=/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;function port(text,what){const n=Number(text);if(!/^\d{1,5}$/.test(text)||n<1||n>65535)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`${what}: expected a port from 1 to 65535 (got "${text}")`);return n}function parseHostSpec(spec,defaults){const at=spec.lastIndexOf("@");const user=at>=0?spec.slice(0,at):defaults.user;const rest=at>=0?spec.slice(at+1):spec;const m=/^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(rest)??/^([^:[\]]+)(?::(\d+))?$/.exec(rest);const host=m?.[1]??"";const isV6=rest.startsWith("[");if(!m||!isV6&&!HOST.test(host))throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`--host ${spec}: expected HOST, USER@HOST or HOST:PORT`);if(!USER.test(user))throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`--host ${spec}: "${user}" is not a user name`);return{host,port:m[2]?port(m[2],`--host ${spec}`):defaults.port,user}}function parseInitArgs(argv,env){const{values,positionals}=(0,_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.im)("init",Object.keys(INIT_ARGS),()=>(0,node_util__WEBPACK_IMPORTED_MODULE_0__.parseArgs)({args:argv,allowPositionals:true,strict:true,options:INIT_ARGS}));if(positionals.length>0)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`unexpected argument "${positionals[0]}" (give servers with --host)`);const hosts=values.host??[];if(hosts.length===0)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`init: give at least one --host

${_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.Ql.init}`);const defaults={user:values.user??env.USER??env.LOGNAME??"root",port:values.port?port(values.port,"--port"):22};const targets=hosts.map(h=>parseHostSpec(h,defaults));const seen=new Set;for(const t of targets){const key=`${t.host}:${t.port}`;if(seen.has(key))throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`--host ${t.host}:${t.port} is given twice`);seen.add(key)}return{targets,out:values.out??".github/claudeops.yml",acceptNew:values["accept-new"]??false}}const MIN_WATCH_MS=1e4;function every(text,command){if(text===void 0)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`${command}: --every DURATION is required

${_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.Ql[command]}`);const ms=(0,_core_util_duration_js__WEBPACK_IMPORTED_MODULE_1__.E9)(text);if(ms===void 0||ms<=0)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`--every: expected a duration like 1m or 90s (got "${text}")`);return ms}function parseWatchArgs(argv,env,readFile){const options={..._cli_args_js__WEBPACK_IMPORTED_MODULE_2__.A_,every:{type:"string"}};const{values,positionals}=(0,_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.im)("watch",Object.keys(options),()=>(0,node_util__WEBPACK_IMPORTED_MODULE_0__.parseArgs)({args:argv,allowPositionals:true,strict:true,options}));if(positionals.length>0)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`unexpected argument "${positionals[0]}"`);const everyMs=every(values.every,"watch");if(everyMs<MIN_WATCH_MS)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`--every: at least 10s (got "${values.every}")`);return{inputs:(0,_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.Zf)("check",values,env,readFile),everyMs}}const TIMER_ARGS={every:{type:"string"},out:{type:"string"},user:{type:"string"},config:{type:"string"},"state-repo":{type:"string"}};function parseTimerArgs(argv){const{values,positionals}=(0,_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.im)("timer",Object.keys(TIMER_ARGS),()=>(0,node_util__WEBPACK_IMPORTED_MODULE_0__.parseArgs)({args:argv,allowPositionals:true,strict:true,options:TIMER_ARGS}));if(positionals.length>0)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`unexpected argument "${positionals[0]}"`);const everyMs=every(values.every,"timer");if(!values.out)throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`timer: --out DIR is required

${_cli_args_js__WEBPACK_IMPORTED_MODULE_2__.Ql.timer}`);if(values.user!==void 0&&!USER.test(values.user))throw new _cli_args_js__WEBPACK_IMPORTED_MODULE_2__.eb(`--user: "${values.user}" is not a user name`);return{everyMs,out:values.out,user:values.user,configPath:values.config??".github/claudeops.yml",stateRepo:values["state-repo"]??".claudeops/state"}}})};export{id,ids,modules};
