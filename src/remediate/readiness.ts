/**
 * Read-only "is this service up?" scripts, one per manager, used by boot recovery to skip running
 * services and to wait for started ones. Exit status 0 means running (and listening, when the
 * service has a port). Built with the catalog's quoting, so names only enter shell-quoted.
 */
import type { ServiceConfig } from '../config/schema.js';
import { type Fragment, renderFragments } from './catalog.js';

const RUNNING: Record<ServiceConfig['manager'], Fragment[]> = {
  systemd: ['systemctl is-active --quiet ', { param: 'service' }],
  sysv: ['service ', { param: 'service' }, ' status >/dev/null 2>&1'],
  supervisor: ['supervisorctl status ', { param: 'service' }, ' 2>/dev/null | grep -q RUNNING'],
  pm2: [
    'pm2 jlist 2>/dev/null | tr -d " " | grep -q "\\"name\\":\\"$(printf %s ',
    { param: 'service' },
    ')\\",.*\\"status\\":\\"online\\""',
  ],
  docker: ['[ "$(docker inspect -f "{{.State.Running}}" ', { param: 'service' }, ' 2>/dev/null)" = true ]'],
};

export function readinessScript(service: ServiceConfig): string {
  const fragments: Fragment[] = [...RUNNING[service.manager]];
  if (service.port !== undefined) {
    // the port is a validated integer; quoting it too keeps one rule for every value
    fragments.push(
      ' && (ss -ltn 2>/dev/null || netstat -ltn 2>/dev/null) | grep -Eq ":"',
      { param: 'port' },
      '"[[:space:]]"',
    );
  }
  return renderFragments(fragments, { service: service.name, port: String(service.port ?? '') });
}
