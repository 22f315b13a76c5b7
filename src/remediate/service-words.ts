/**
 * How each service manager restarts or starts a service, as argv words: the catalog's
 * restart-service/start-service, free-port, and the sudoers file all take them from here.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { Word } from './command-template.js';

const SERVICE: Word = [{ param: 'service' }];

/**
 * The argv of `verb` for a service under its manager. The name goes after `--` where the program
 * reads `--` as the end of its options (systemctl, docker): a name is then always a name. `service`,
 * supervisorctl, pm2 and Compose (docker-compose 1.x `start` takes `--` as a service) would take `--`
 * as a name or script argument, so there the config schema's rule (names start with a letter or
 * digit) is what keeps a name from being read as an option.
 */
export function serviceWords(service: ServiceConfig, verb: 'restart' | 'start'): Word[] {
  switch (service.manager) {
    case 'systemd':
      return [['systemctl'], [verb], ['--'], SERVICE];
    case 'sysv':
      // sysv puts the verb after the name: `service NAME restart`
      return [['service'], SERVICE, [verb]];
    case 'supervisor':
      return [['supervisorctl'], [verb], SERVICE];
    case 'pm2':
      return [['pm2'], [verb], SERVICE];
    case 'docker':
      return [['docker'], [verb], ['--'], SERVICE];
    case 'compose':
      return composeWords(service, verb);
  }
}

/** `docker compose --project-name P --file F restart S` (or `docker-compose …`): project and file from the config. */
function composeWords(service: ServiceConfig, verb: 'restart' | 'start'): Word[] {
  const cli: Word[] =
    service.compose_command === 'docker-compose' ? [['docker-compose']] : [['docker'], ['compose']];
  return [
    ...cli,
    ['--project-name'],
    [{ text: service.project ?? '' }],
    ['--file'],
    [{ text: service.file ?? '' }],
    [verb],
    SERVICE,
  ];
}

/** pm2 keeps its processes per user: its commands run as the SSH user, never through sudo. */
export const ROOT_MANAGERS: ReadonlySet<ServiceConfig['manager']> = new Set([
  'systemd',
  'sysv',
  'supervisor',
  'docker',
  'compose',
]);
