/**
 * Docker containers for the services probe: one `docker ps -aq` (is the daemon there, may we ask
 * it) and one `docker inspect` of every container, printed by a Go template as one JSON object per
 * container (JSON strings hold no newline, so a line is a container). Health output and errors are
 * cut on the server (`truncate`). A `docker` name matches a container name, or a Compose service
 * label; a `compose` service matches the labels Compose puts on its containers
 * (`com.docker.compose.project` and `.service`): what `docker compose ps` itself reads.
 *
 * The image each container ran at the last run comes back through the probe's cursors: the
 * script echoes it as `prev` lines so the pure parser can compare (restart counters that rose
 * are lifecycle's, from every manager's `restarts`: core/memory/trends.ts).
 */
import type { ServiceConfig } from '../config/schema.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { int, keyValues, quotedLines, structuralLines } from './output-text.js';
import type { ServiceState, ServiceStatus } from './service-state.js';

const TEMPLATE = [
  '{"Name":{{json .Name}},"Image":{{json .Image}},"ConfigImage":{{json .Config.Image}}',
  ',"Status":{{json .State.Status}},"ExitCode":{{.State.ExitCode}},"OOMKilled":{{.State.OOMKilled}}',
  ',"Error":{{json (truncate .State.Error 300)}},"StartedAt":{{json .State.StartedAt}}',
  ',"FinishedAt":{{json .State.FinishedAt}},"RestartCount":{{.RestartCount}}',
  ',"Project":{{json (index .Config.Labels "com.docker.compose.project")}}',
  ',"Service":{{json (index .Config.Labels "com.docker.compose.service")}}',
  // the last health-check result only: Go templates cannot index from the end, a range can
  ',"Health":{{with .State.Health}}{{$l := 0}}{{range .Log}}{{$l = .}}{{end}}',
  '{"Status":{{json .Status}},"FailingStreak":{{.FailingStreak}},"Last":{{if $l}}',
  '{"ExitCode":{{$l.ExitCode}},"Output":{{json (truncate $l.Output 500)}}}{{else}}null{{end}}}',
  '{{else}}null{{end}}}',
].join('');

/** A cursor per configured container: the image id this run saw it run. */
export const dockerCursorKey = (service: Pick<ServiceConfig, 'name'>): string => `docker:${service.name}`;

export interface DockerUnit {
  service: ServiceConfig;
}

export function dockerScript(
  units: readonly DockerUnit[],
  cursors: Readonly<Record<string, string>>,
): string {
  if (units.length === 0) return '';
  const previous = units.flatMap(({ service }) => {
    const seen = cursors[dockerCursorKey(service)];
    return seen ? [`printf 'prev %s %s\\n' ${shellQuote(service.name)} ${shellQuote(seen)}`] : [];
  });
  return [
    "echo '@docker'",
    ...previous,
    "if ! co_have docker; then echo 'missing'",
    'else ids=$(docker ps -aq --no-trunc 2>&1); rc=$?; echo "rc=$rc"',
    '  if [ "$rc" -ne 0 ]; then co_q 3 "$ids" 300',
    // ids are hex from docker itself: word splitting them is safe
    `  elif [ -n "$ids" ]; then docker inspect --format ${shellQuote(TEMPLATE)} $ids 2>&1 | sed 's/^/| /'; fi`,
    'fi',
  ].join('\n');
}

/** One container as the template prints it. */
export interface Container {
  Name: string;
  Image: string;
  ConfigImage: string;
  Status: string;
  ExitCode: number;
  OOMKilled: boolean;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  RestartCount: number;
  Project: string;
  Service: string;
  Health: null | {
    Status: string;
    FailingStreak: number;
    Last: null | { ExitCode: number; Output: string };
  };
}

function containerOf(line: string): Container | undefined {
  try {
    const row: unknown = JSON.parse(line);
    if (row && typeof row === 'object' && typeof (row as Container).Name === 'string')
      return row as Container;
  } catch {
    // not a container: an error line of docker inspect, ignored
  }
  return undefined;
}

export function parseContainers(lines: readonly string[]): Container[] {
  return quotedLines(lines).flatMap((line) => containerOf(line) ?? []);
}

/** `prev NAME IMAGE` lines: the image each configured name ran at the last run. */
function previousOf(lines: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  for (const line of structuralLines(lines)) {
    const m = /^prev (\S+) (sha256:[0-9a-f]+)/.exec(line);
    if (m?.[1] && m[2]) seen.set(m[1], m[2]);
  }
  return seen;
}

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * Which container a configured service names: a Compose service by its project and service
 * labels (the worst of its replicas speaks for it), a docker one by container name, else by a
 * Compose service label.
 */
function findContainer(containers: readonly Container[], service: ServiceConfig): Container | undefined {
  if (service.manager === 'compose') {
    const replicas = containers.filter((c) => c.Project === service.project && c.Service === service.name);
    return replicas.find((c) => SEVERITY_RANK[statusOf(c)] > 0) ?? replicas[0];
  }
  return (
    containers.find((c) => c.Name.replace(/^\//, '') === service.name) ??
    containers.find((c) => c.Service === service.name)
  );
}

/** 0 for a container that is fine, more for one that is not (which replica to report). */
const SEVERITY_RANK: Record<ServiceStatus, number> = {
  running: 0,
  starting: 1,
  unknown: 1,
  stopped: 2,
  'not-found': 2,
  restarting: 3,
  unhealthy: 3,
  failed: 3,
};

function statusOf(c: Container): ServiceStatus {
  switch (c.Status) {
    case 'running':
      if (c.Health?.Status === 'unhealthy') return 'unhealthy';
      return c.Health?.Status === 'starting' ? 'starting' : 'running';
    case 'restarting':
      return 'restarting';
    case 'exited':
      return c.ExitCode === 0 && !c.OOMKilled ? 'stopped' : 'failed';
    case 'dead':
      return 'failed';
    default:
      // created, paused, removing
      return 'stopped';
  }
}

function detailOf(c: Container, status: ServiceStatus): string {
  const image = c.ConfigImage || shortId(c.Image);
  const last = c.Health?.Last;
  switch (status) {
    case 'unhealthy':
      return `running but unhealthy (${c.Health?.FailingStreak ?? 0} failed health checks in a row; last exit ${last?.ExitCode ?? '?'}: ${firstLine(last?.Output)})`;
    case 'restarting':
      return `restarting (restart loop), last exit code ${c.ExitCode}${c.OOMKilled ? ', OOM-killed' : ''}`;
    case 'failed':
    case 'stopped':
      if (c.Status !== 'exited' && c.Status !== 'dead') return `${c.Status} (image ${image})`;
      if (c.OOMKilled) return `killed by the OOM killer (exit code ${c.ExitCode}) at ${c.FinishedAt}`;
      return `exited with code ${c.ExitCode} at ${c.FinishedAt}${c.Error ? `: ${c.Error}` : ''}`;
    default:
      return `${c.Status}${c.Health ? ` (${c.Health.Status})` : ''} since ${c.StartedAt}, image ${image}`;
  }
}

const firstLine = (text: string | undefined): string =>
  (text ?? '')
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? 'no output';

/** Services under `docker`/`compose` from the `@docker` block. */
export function parseDocker(lines: readonly string[], units: readonly DockerUnit[]): ServiceState[] {
  const base = (service: ServiceConfig) => ({ name: service.name, manager: service.manager });
  if (lines.includes('missing'))
    return units.map(({ service }) => ({
      ...base(service),
      status: 'unknown',
      detail: 'docker not installed',
    }));
  if (int(keyValues(lines).rc) !== 0) {
    const why =
      quotedLines(lines)
        .find((l) => l.trim() !== '')
        ?.trim() ?? 'docker ps failed';
    // A daemon that does not answer runs no containers; a permission error only hides them.
    const down = /cannot connect to the docker daemon/i.test(why);
    return units.map(({ service }) => ({
      ...base(service),
      status: down ? 'failed' : 'unknown',
      detail: why,
    }));
  }
  const containers = parseContainers(lines);
  const previous = previousOf(lines);
  return units.map(({ service }) => containerState(service, containers, previous));
}

/** A service's container as it was seen: its status, restarts, image and health output. */
function containerState(
  service: ServiceConfig,
  containers: readonly Container[],
  previous: ReadonlyMap<string, string>,
): ServiceState {
  const base = { name: service.name, manager: service.manager };
  const c = findContainer(containers, service);
  if (!c) {
    const what =
      service.manager === 'compose'
        ? `no container of Compose service ${service.name} in project ${service.project}`
        : 'no such container';
    return { ...base, status: 'not-found', detail: what };
  }
  const status = statusOf(c);
  const seen = previous.get(service.name);
  const output = c.Health?.Last?.Output.trim();
  return {
    ...base,
    status,
    detail: detailOf(c, status),
    restarts: c.RestartCount,
    since: c.Status === 'running' ? c.StartedAt : c.FinishedAt,
    container: {
      image: c.Image,
      exitCode: c.ExitCode,
      oomKilled: c.OOMKilled,
      ...(status === 'unhealthy' && output ? { healthOutput: output } : {}),
      ...(seen ? { previousImage: seen } : {}),
    },
  };
}

export { shortId as shortImageId };
