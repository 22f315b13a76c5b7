/**
 * `free-port` (risk medium): a configured service is down because another process holds its
 * configured port. The on-server helper (server-helper.ts, `claudeops-helper free-port`) finds
 * the holders through the kernel's socket table, judges each one at the moment it would signal it
 * — never PID 1, anything in a systemd service or a container, and nothing whose name or any
 * ancestor's is sshd (or an SSH session), systemd, init, a container runtime or shim, a supervisor,
 * or a configured service — names each holder it stops, sends SIGTERM, and sends SIGKILL a round
 * later only to the same (PID, start time) judged again; a process that appeared or took over a
 * PID meanwhile is judged anew and gets SIGTERM first. When the service itself holds the port by
 * then (restarted by its manager), that is success; otherwise it starts the service and waits up
 * to 20 s for the port.
 *
 * The helper's arguments come from the config alone (the validated `service` parameter picks the
 * service: its port, every configured name, its start command), so under `sudo: actions` sudoers
 * allows each service's exact call. Only services whose manager runs as root (systemd, sysv,
 * supervisor, docker, compose): pm2 keeps its processes per user.
 */
import type { ServerConfig, ServiceConfig } from '../config/schema.js';
import type { CatalogAction } from './catalog-action.js';
import type { Word } from './command-template.js';
import { helperTemplate, helperWords } from './server-helper.js';
import { serviceWords } from './service-words.js';

const MINUTE = 60_000;

function eligible(server: ServerConfig): ServiceConfig[] {
  return server.services.filter((s) => s.port !== undefined && s.manager !== 'pm2');
}

/**
 * The helper call for one service: `free-port PORT SERVICE NAMES START…`, NAMES being the names
 * every configured service's processes go by (the service name and its unit's stem).
 */
export function freePortWords(server: ServerConfig, service: ServiceConfig): Word[] {
  const names = [...new Set(server.services.map((s) => s.name.replace(/\.service$/, '')))];
  return helperWords('free-port', [
    [String(service.port)],
    [{ text: service.name }],
    [{ text: names.join(',') }],
    ...serviceWords(service, 'start'),
  ]);
}

export function freePortActions(server: ServerConfig): CatalogAction[] {
  const services = eligible(server);
  if (services.length === 0) return [];
  const words = (params: Readonly<Record<string, string>>): readonly Word[] => {
    const service = services.find((s) => s.name === params.service);
    if (!service) throw new Error(`free-port: no service ${params.service} with a port`);
    return freePortWords(server, service);
  };
  return [
    {
      id: 'free-port',
      description:
        "Stop the process squatting a down service's configured port (never PID 1, an SSH session, systemd, a container, a supervisor or a configured service's process), then start the service and wait for its port.",
      source: 'builtin',
      params: {
        service: {
          kind: 'enum',
          values: services.map((s) => s.name),
          description: 'a configured service with a port (not pm2)',
        },
      },
      targetParam: 'service',
      risk: 'medium',
      verify: ['service', 'port'],
      cooldownMs: 30 * MINUTE,
      maxPerDay: 3,
      timeoutMs: 90_000,
      rootCommand: words,
      template: (params) => helperTemplate(server, words(params)),
    },
  ];
}
