/**
 * The commented config `claudeops init` writes (pure). Written by hand rather than by a YAML
 * library so that every entry carries the comment saying where it came from; every value goes
 * through `scalar` (plain when unambiguous, else a JSON string, which YAML reads as is), and every
 * comment through `commentText` (one line, printable), so server text can only ever be data.
 */
import { redact } from '../core/util/redact.js';
import type { ServerDraft, ServiceDraft } from './plan-server.js';

export interface ConfigOptions {
  now: Date;
  /** the workflow's cron, also the config's `schedule` */
  schedule: string;
  /** written under `defaults:` (servers that differ say so themselves) */
  defaults: { user: string; port: number };
}

const PLAIN = /^[A-Za-z0-9/][A-Za-z0-9._@/-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

/** A YAML scalar that reads back as exactly this string or number. */
export function scalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const numeric = value !== '' && !Number.isNaN(Number(value));
  return PLAIN.test(value) && !RESERVED.test(value) && !numeric ? value : JSON.stringify(value);
}

/**
 * One comment line: secrets redacted; control, invisible and bidi characters (newlines too, and
 * what reorders a line in an editor) become spaces; length bounded.
 */
export function commentText(text: string): string {
  const flat = redact(text)
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** `text` as comment lines under `indent`, wrapped at about 100 columns. */
function comment(indent: string, text: string): string[] {
  const words = commentText(text).split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && indent.length + 2 + line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}# ${l}`);
}

function flowMap(entries: [string, string | number | boolean | undefined][]): string {
  const parts = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${scalar(v as string)}`);
  return `{ ${parts.join(', ')} }`;
}

const MANAGER_HEADINGS: Record<ServiceDraft['manager'], string> = {
  systemd: 'systemd units enabled at boot and running',
  sysv: 'SysV init scripts reporting running',
  supervisor: 'supervisor programs running',
  pm2: 'pm2 apps online',
  docker: 'docker containers running',
  compose: 'Compose services running',
};

function servicesBlock(services: readonly ServiceDraft[]): string[] {
  if (services.length === 0) return [];
  const lines = ['    services:'];
  let manager = '';
  for (const s of services) {
    if (s.manager !== manager) {
      manager = s.manager;
      lines.push(...comment('      ', MANAGER_HEADINGS[s.manager]));
    }
    lines.push(
      `      - ${flowMap([
        ['name', s.name],
        ['manager', s.manager],
        ['port', s.port],
        ['project', s.project],
        ['file', s.file],
      ])}`,
    );
  }
  return lines;
}

/** The endpoints init found, each with where it came from and what it answered. */
function endpointsBlock(endpoints: ServerDraft['endpoints']): string[] {
  if (endpoints.length === 0) return [];
  return [
    '    endpoints:',
    ...endpoints.flatMap((e) => [
      ...comment('      ', `from ${e.source}; answered ${e.status} when init asked`),
      `      - ${flowMap([
        ['url', e.url],
        ['status', e.status],
      ])}`,
    ]),
  ];
}

function serverBlock(s: ServerDraft, options: ConfigOptions): string[] {
  const lines = [
    '',
    ...comment('  ', `${s.name}: ${s.user}@${s.host}:${s.port}${s.os ? `, ${s.os}` : ''}`),
    `  - name: ${scalar(s.name)}`,
    `    host: ${scalar(s.host)}`,
  ];
  if (s.port !== options.defaults.port) lines.push(`    port: ${s.port}`);
  if (s.user !== options.defaults.user) lines.push(`    user: ${scalar(s.user)}`);
  if (s.hostKey)
    lines.push(
      ...comment('    ', 'the host key confirmed at init: a server presenting another one is refused'),
      `    host_key: ${scalar(s.hostKey)}`,
    );
  lines.push(...comment('    ', s.sudoWhy), `    sudo: ${scalar(s.sudo)}`);
  lines.push(...servicesBlock(s.services));
  if (s.ports.length) {
    lines.push(
      ...comment('    ', `also listening: ${s.ports.map((p) => `${p.port} (${p.owner})`).join(', ')}`),
      `    ports: [${s.ports.map((p) => p.port).join(', ')}]`,
    );
  }
  lines.push(...endpointsBlock(s.endpoints));
  if (s.databases.length)
    lines.push(`    databases: [${s.databases.map((kind) => flowMap([['kind', kind]])).join(', ')}]`);
  if (s.certificates.length) lines.push(`    certificates: [${s.certificates.map(scalar).join(', ')}]`);
  if (s.securityUpdates)
    lines.push(
      ...comment('    ', 'pending security updates, from the cached package lists'),
      '    security_updates: true',
    );
  if (s.logSuggestions.length) {
    lines.push(
      ...comment('    ', 'error logs found: uncomment to raise new ERROR/FATAL lines (from the next run on)'),
      '    # logs:',
      ...s.logSuggestions.map((p) => `    #   - ${flowMap([['path', p]])}`),
    );
  }
  for (const c of s.comments) lines.push(...comment('    ', c));
  return lines;
}

export function renderConfig(servers: readonly ServerDraft[], options: ConfigOptions): string {
  const day = options.now.toISOString().slice(0, 10);
  const lines = [
    `# ClaudeOps configuration, written by \`claudeops init\` on ${day} from what runs on ${servers.length} server${servers.length === 1 ? '' : 's'}.`,
    '# Reference: docs/configuration.md. Check it with `claudeops doctor`, then commit it.',
    'version: 1',
    '# report: observe only | safe: also low-risk fixes (restart a service) | full: low and medium risk',
    'mode: safe',
    '# the workflow cron (.github/workflows/claudeops.yml): lets a run notice runs that went missing',
    `schedule: ${JSON.stringify(options.schedule)}`,
    'defaults:',
    `  user: ${scalar(options.defaults.user)}`,
    `  port: ${options.defaults.port}`,
    '  # the built-in thresholds, to tune: disk and memory in % used, load per CPU',
    '  # thresholds: { disk: { warn: 80, crit: 90 }, memory: { warn: 85, crit: 95 }, load: { warn: 2, crit: 4 } }',
    'servers:',
    ...servers.flatMap((s) => serverBlock(s, options)),
    '',
  ];
  return lines.join('\n');
}
