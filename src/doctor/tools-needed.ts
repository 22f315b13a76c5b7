/**
 * The programs each configured probe runs on a server (pure): what `claudeops doctor` looks for
 * before the first check finds out. Alternatives are listed where a probe takes whichever exists.
 */
import type { ServerConfig } from '../config/schema.js';
import { serverEndpoints } from '../probes/endpoints.js';

export interface ToolNeed {
  /** any one of these will do */
  anyOf: string[];
  /** what needs it, for the message */
  for: string;
  /** how to fix it when it is missing */
  fix: string;
}

const install = (pkg: string) => `install ${pkg} on the server (apt-get install ${pkg} / dnf install ${pkg})`;

/** The first word of a custom check's command, when it names a program (not shell syntax). */
function programOf(command: string): string | undefined {
  const first = command.trim().split(/\s+/)[0] ?? '';
  return /^[A-Za-z0-9_./-]+$/.test(first) && !first.includes('=') ? first : undefined;
}

export function toolsNeeded(server: ServerConfig): ToolNeed[] {
  const needs: ToolNeed[] = [];
  const add = (anyOf: string[], what: string, fix: string) => {
    if (!needs.some((n) => n.anyOf.join() === anyOf.join())) needs.push({ anyOf, for: what, fix });
  };
  const managers = new Set(server.services.map((s) => s.manager));
  if (managers.has('systemd'))
    add(['systemctl'], 'systemd services', 'use the manager that runs them (manager: sysv, supervisor, …)');
  if (managers.has('supervisor')) add(['supervisorctl'], 'supervisor programs', install('supervisor'));
  if (managers.has('pm2')) add(['pm2'], 'pm2 apps', "put pm2 on the SSH user's PATH (npm install -g pm2)");
  if (managers.has('docker') || managers.has('compose'))
    add(['docker'], 'docker containers', install('docker.io'));
  for (const s of server.services) {
    if (s.manager === 'compose' && s.compose_command === 'docker-compose')
      add(
        ['docker-compose'],
        `Compose service ${s.name} (compose_command: docker-compose)`,
        install('docker-compose'),
      );
  }
  if (serverEndpoints(server).length > 0)
    add(
      ['curl'],
      'endpoints checked from the server',
      `${install('curl')}, or set from: runner on the endpoints`,
    );
  if (server.processes.length > 0) add(['pgrep', 'ps'], 'processes', install('procps'));
  const kinds = new Set(server.databases.map((d) => d.kind));
  if (kinds.has('postgres')) add(['psql'], 'the postgres check', install('postgresql-client'));
  if (kinds.has('mysql'))
    add(['mysql', 'mariadb', 'mysqladmin'], 'the mysql check', install('mariadb-client'));
  if (kinds.has('redis')) add(['redis-cli'], 'the redis check', install('redis-tools'));
  if (server.logs.some((l) => 'journal' in l))
    add(['journalctl'], 'journal logs', 'use path: logs on a server without systemd');
  if (server.security_updates)
    add(
      ['apt-get', 'dnf', 'yum'],
      'security_updates',
      'set security_updates: false (no apt-get, dnf or yum)',
    );
  for (const check of server.checks) {
    const program = programOf(check.command);
    if (program)
      add([program], `custom check ${check.name}`, `install ${program}, or fix the check's command`);
  }
  add(['df'], 'disk usage', install('coreutils'));
  if (server.sudo !== false) add(['sudo'], `sudo: ${server.sudo}`, install('sudo'));
  return needs;
}
