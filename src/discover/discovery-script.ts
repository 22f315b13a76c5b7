/**
 * `claudeops init`'s discovery script: one read-only POSIX sh script per server (one round trip)
 * that lists what runs there. It only reads: `systemctl list-*`, `docker ps`, `pm2 jlist` (only
 * when a pm2 daemon already runs, so none is spawned), `supervisorctl status`, `ps`, `ss`, the
 * web servers' configuration files, `find … -size`, `df`. Nothing is started, written or changed.
 *
 * Where the SSH user is not root but may use `sudo -n`, the commands that see more as root
 * (`ss -p` owners, `supervisorctl`, `docker`, reading the web configs, `find /var/log`) run
 * through it — the same privileges the generated config will give the collector. pm2 and the
 * SysV statuses are asked as the SSH user, as the check will ask them.
 *
 * Server text is printed only behind the `| ` prefix (probes/output-text.ts): a file name or a
 * config line can never forge a structural line.
 */
import { serverSchema } from '../config/schema.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { framedScript } from '../probes/collector-script.js';
import { diskProbe } from '../probes/disk-usage.js';
import { PM2_FILTER } from '../probes/services.js';

/** Tools whose presence decides what the generated config can check (and what doctor looks for). */
export const DISCOVERY_TOOLS = [
  'systemctl',
  'service',
  'docker',
  'pm2',
  'supervisorctl',
  'curl',
  'psql',
  'redis-cli',
  'mysql',
  'mariadb',
  'mysqladmin',
  'journalctl',
  'openssl',
  'ss',
  'apt-get',
  'dnf',
  'yum',
] as const;

/** Files that hold the virtual hosts of nginx and Apache on Debian/Ubuntu and RHEL-family systems. */
const WEB_CONFIG_GLOBS = [
  '/etc/nginx/nginx.conf',
  '/etc/nginx/conf.d/*.conf',
  '/etc/nginx/sites-enabled/*',
  '/etc/apache2/sites-enabled/*',
  '/etc/httpd/conf/httpd.conf',
  '/etc/httpd/conf.d/*.conf',
];

/** Log files over this many 512-byte blocks (100 MiB) are listed as large. */
const LARGE_LOG_BLOCKS = 204_800;

const DOCKER_FORMAT = [
  '{{.Names}}',
  '{{.Image}}',
  '{{.State}}',
  '{{.Status}}',
  '{{.Label "com.docker.compose.project"}}',
  '{{.Label "com.docker.compose.service"}}',
  '{{.Label "com.docker.compose.project.config_files"}}',
].join('\t');

/** Runs before the sections: may this user use `sudo -n`, and helpers that use it when so. */
const SUDO_PRELUDE = [
  'co_sudo=0; if [ "$(id -u)" != 0 ] && co_have sudo && sudo -n true </dev/null >/dev/null 2>&1; then co_sudo=1; fi',
  'co_root() { if [ "$co_sudo" = 1 ]; then sudo -n "$@"; else "$@"; fi; }',
  'co_rt() { co_s=$1; shift; if co_have timeout; then co_root timeout "$co_s" "$@"; else co_root "$@"; fi; }',
];

const q = (lines: string) => `${lines} | sed 's/^/| /'`;

export const DISCOVERY_SECTIONS: readonly { id: string; script: string }[] = [
  {
    id: 'host',
    script: [
      'echo "uid=$(id -u)"',
      'echo "sudo=$co_sudo"',
      'echo "time=$(date +%s)"',
      "echo '@hostname'",
      q('{ hostname 2>/dev/null || cat /proc/sys/kernel/hostname; } | head -n 1 | cut -c1-100'),
      "echo '@user'",
      q('id -un | cut -c1-64'),
      "echo '@groups'",
      q('id -Gn | cut -c1-1000'),
      "echo '@os'",
      q("sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null | tr -d '\"' | head -n 1 | cut -c1-100"),
    ].join('\n'),
  },
  {
    id: 'systemd',
    script: [
      "if ! co_have systemctl || [ ! -d /run/systemd/system ]; then echo '@none'",
      "else echo '@running'",
      q('systemctl list-units --type=service --state=running --no-legend --plain --no-pager 2>/dev/null'),
      "echo '@files'",
      q('systemctl list-unit-files --type=service --no-legend --no-pager 2>/dev/null'),
      'fi',
    ].join('\n'),
  },
  {
    // SysV init scripts only where systemd is not the init (it would list its own units again)
    id: 'sysv',
    script: [
      "if co_have systemctl && [ -d /run/systemd/system ]; then echo '@none'",
      "elif co_have service; then echo '@status-all'",
      q('co_t 60 service --status-all 2>&1 | head -n 300 | cut -c1-200'),
      "else echo '@none'; fi",
    ].join('\n'),
  },
  {
    id: 'docker',
    script: [
      "if ! co_have docker; then echo '@none'",
      `else o=$(co_rt 20 docker ps --format ${shellQuote(DOCKER_FORMAT)} 2>&1); echo "rc=$?"; echo '@ps'`,
      q(`printf '%s\\n' "$o" | head -n 500 | cut -c1-1000`),
      'fi',
    ].join('\n'),
  },
  {
    id: 'pm2',
    script: [
      "if ! co_have pm2; then echo '@none'",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
      'elif [ ! -S "${PM2_HOME:-$HOME/.pm2}/rpc.sock" ]; then echo \'@no-daemon\'',
      `else echo '@apps'; ${q(`co_t 20 pm2 jlist 2>/dev/null | node -e ${shellQuote(PM2_FILTER)}`)}; fi`,
    ].join('\n'),
  },
  {
    id: 'supervisor',
    script: [
      "if ! co_have supervisorctl; then echo '@none'",
      `else o=$(co_rt 15 supervisorctl status 2>&1); echo "rc=$?"; echo '@status'`,
      q(`printf '%s\\n' "$o" | head -n 300 | cut -c1-300`),
      'fi',
    ].join('\n'),
  },
  {
    id: 'processes',
    script: [
      "echo '@ps'",
      q('{ ps -eo pid=,comm=,unit= 2>/dev/null || ps -eo pid=,comm= 2>/dev/null; } | head -n 5000'),
    ].join('\n'),
  },
  {
    id: 'listening',
    script: [
      "if ! co_have ss; then echo '@none'",
      `else echo '@ss'; ${q('{ co_rt 15 ss -ltnpH 2>/dev/null || co_rt 15 ss -ltnp 2>/dev/null; } | head -n 1000')}; fi`,
    ].join('\n'),
  },
  {
    id: 'web',
    script: [
      `for f in ${WEB_CONFIG_GLOBS.join(' ')}; do`,
      '  [ -f "$f" ] || continue',
      "  case \"$f\" in /etc/nginx/*) echo '@file nginx' ;; *) echo '@file apache' ;; esac",
      `  ${q(`printf '%s\\n' "$f"`)}`,
      `  ${q('co_root head -c 262144 -- "$f" 2>/dev/null')}`,
      'done',
    ].join('\n'),
  },
  {
    id: 'logs',
    script: [
      "echo '@large'",
      q(
        `co_rt 30 find /var/log -xdev -type f -size +${LARGE_LOG_BLOCKS} -exec du -k {} + 2>/dev/null | sort -rn | head -n 20`,
      ),
      "echo '@errors'",
      q("co_rt 30 find /var/log -xdev -type f -name '*error*.log' -size +0 2>/dev/null | sort | head -n 20"),
    ].join('\n'),
  },
  { id: 'disk', script: diskProbe.script(serverSchema.parse({ name: 'discovery' }), { cursors: {} }) },
  {
    id: 'tools',
    script: `for t in ${DISCOVERY_TOOLS.join(' ')}; do co_have "$t" && echo "have $t"; done; true`,
  },
];

/** The whole discovery script; `nonce` frames its sections (splitSections). */
export function discoveryScript(nonce: string): string {
  return framedScript('# claudeops init: discovery (read-only)', DISCOVERY_SECTIONS, nonce, SUDO_PRELUDE);
}
