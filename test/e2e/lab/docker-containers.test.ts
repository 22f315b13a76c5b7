/**
 * Docker for real: a dockerd on the lab's light server s3 (`lab.docker('s3', 'up')`, see lab.sh
 * docker_up) with containers built from a busybox root filesystem and no registry, checked over
 * SSH as the deploy user labops (in the docker group) through the product's own path
 * (createSshTransport → collectFleet → evaluateServer), and a killed container restarted by the
 * catalog's restart-service and verified by the services probe re-run (the Remediator).
 *
 *   co-web        healthy web (busybox httpd, HEALTHCHECK wget /health)
 *   co-unhealthy  the same image with a health check that gets HTTP 404
 *   co-exit       exits 3 at start
 *   co-oom        killed by the OOM killer (16 MB memory limit)
 *   co-loop       --restart always, exits 1 at once (a restart loop)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type ServerConfig } from '../../../src/config/schema.js';
import { restartCountersOf, restartFindings } from '../../../src/core/memory/trends.js';
import type { Finding } from '../../../src/core/types.js';
import { servicesProbe } from '../../../src/probes/services.js';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { labFindings, remediateOnLab } from '../../support/lab-remediation.js';
import { waitUntil } from '../../support/lab-setup.js';

const skip = labSkipReason();
if (skip) console.warn(`docker lab tests skipped: ${skip}`);

const DOCKER = '/usr/bin/docker';
const CONTAINERS = ['co-web', 'co-unhealthy', 'co-exit', 'co-oom', 'co-loop'];

describe.skipIf(skip !== undefined)('docker containers on a real dockerd in the lab', () => {
  let lab: Lab;
  let s3: ServerConfig;

  beforeAll(async () => {
    lab = await startLab();
    const started = Date.now();
    await lab.docker('s3', 'up');
    console.log(`lab docker up (dockerd, images, 5 containers in their states): ${Date.now() - started} ms`);
    s3 = lab.serverConfig('s3', {
      services: CONTAINERS.map((name) => ({ name, manager: 'docker' })),
    });
  });

  afterAll(async () => {
    if (lab) await lab.docker('s3', 'down');
  });

  const collect = (cursors: Record<string, string> = {}) => labFindings(lab, s3, [servicesProbe], cursors);

  /** restart-service through the Remediator (gate, executor, re-run probe), as the rules plan it. */
  const restartService = (service: string, findings: Finding[]) =>
    remediateOnLab(
      lab,
      // the health check runs every second: healthy within ~2 s of the restart
      {
        config: configSchema.parse({ version: 1, servers: [{ ...s3 }] }),
        server: s3,
        findings,
        mode: 'safe',
        settleMs: 3_000,
      },
      {
        action: 'restart-service',
        params: { service },
        fingerprint: `s3/service/${service}`,
        reason: `${service} is down`,
        requestedBy: 'rules',
      },
    );

  const one = (findings: Finding[], check: string, target: string): Finding => {
    const found = findings.find((f) => f.check === check && f.target === target);
    if (!found) throw new Error(`no ${check}/${target}:\n${findings.map((f) => f.summary).join('\n')}`);
    return found;
  };

  async function inspect(name: string, format: string): Promise<string> {
    return (await lab.exec('s3', `${DOCKER} inspect --format '${format}' ${name}`)).stdout.trim();
  }

  /** dockerd's record of co-oom: was it the OOM killer (State.OOMKilled)? */
  async function oomKilled(): Promise<boolean> {
    return (await inspect('co-oom', '{{.State.OOMKilled}}')) === 'true';
  }

  it('reports each container as it is: healthy, unhealthy with its check output, exit code, OOM kill, restart loop', async () => {
    const oomBefore = await oomKilled();
    const { findings } = await collect();
    const oomAfter = await oomKilled();
    const bySeverity = Object.fromEntries(findings.map((f) => [f.target, f.severity]));
    expect(bySeverity, findings.map((f) => f.summary).join('\n')).toEqual({
      'co-web': 'ok',
      'co-unhealthy': 'critical',
      'co-exit': 'critical',
      'co-oom': 'critical',
      'co-loop': 'critical',
    });
    expect(one(findings, 'service', 'co-web').summary).toMatch(
      /co-web \(docker\) is running: running \(healthy\)/,
    );
    const unhealthy = one(findings, 'service', 'co-unhealthy');
    expect(unhealthy.summary).toMatch(
      /is unhealthy: running but unhealthy \(\d+ failed health checks in a row; last exit 1: wget: server returned error: HTTP\/1.1 404 Not Found\)/,
    );
    expect(unhealthy.evidence).toBe('wget: server returned error: HTTP/1.1 404 Not Found');
    expect(one(findings, 'service', 'co-exit').summary).toMatch(/is failed: exited with code 3 at /);
    // dockerd sets OOMKilled from the cgroup's OOM event, which can reach it after the exit event:
    // on a busy machine it records a plain exit 137 (for a while, or for good). The product must say
    // what dockerd recorded when it looked: the flag read before and after the collection brackets it.
    const killed = /is failed: killed by the OOM killer \(exit code 137\) at /;
    const exited = /is failed: exited with code 137 at /;
    const oom = one(findings, 'service', 'co-oom').summary;
    if (oomBefore) expect(oom).toMatch(killed);
    else if (!oomAfter) expect(oom).toMatch(exited);
    else expect(oom).toMatch(new RegExp(`${killed.source}|${exited.source}`));
    // a loop under a restart policy is seen either waiting for its next try or just restarted
    expect(one(findings, 'service', 'co-loop').summary).toMatch(
      /co-loop \(docker\) is (restarting: restarting \(restart loop\), last exit code 1, \d+ restart\(s\)|running: .*, \d+ restart\(s\); up only \d+ s after the last restart \(a restart loop\))$/,
    );
  });

  it("sees restarts rising and a new image against the last run's cursors", async () => {
    const first = await collect();
    const cursors = first.observation.cursors ?? {};
    expect(cursors['docker:co-web']).toMatch(/^sha256:[0-9a-f]{64}$/);
    const loopBefore = Number(await inspect('co-loop', '{{.RestartCount}}'));
    // a deploy: co-web recreated from the rebuilt image
    await lab.exec(
      's3',
      `${DOCKER} rm -f co-web >/dev/null && ${DOCKER} run -d --network none --name co-web claudeops-lab/web:2`,
    );
    await waitUntil(
      'co-loop to restart again',
      async () => Number(await inspect('co-loop', '{{.RestartCount}}')) > loopBefore,
    );
    await waitUntil(
      'co-web healthy',
      async () => (await inspect('co-web', '{{.State.Health.Status}}')) === 'healthy',
    );

    const second = await collect(cursors);
    const findings = second.findings;
    const image = one(findings, 'image', 'co-web');
    expect(image).toMatchObject({ severity: 'warning', event: true });
    expect(image.summary).toMatch(
      /^co-web \(docker\) runs a new image since the last run: [0-9a-f]{12} → [0-9a-f]{12}$/,
    );
    expect(one(findings, 'service', 'co-web').severity).toBe('ok');
    // docker's RestartCount feeds lifecycle's restart event like every manager's counter
    const rose = restartFindings(
      's3',
      restartCountersOf(first.observation),
      restartCountersOf(second.observation),
    );
    expect(rose.find((f) => f.target === 'co-loop')).toMatchObject({ severity: 'warning' });
    expect(rose.find((f) => f.target === 'co-loop')?.summary).toMatch(
      /^co-loop restarted \d+ times? since the last run \(restart counter \d+\)$/,
    );
    expect(rose.find((f) => f.target === 'co-exit')?.severity).toBe('ok');
    // unchanged containers say nothing about images
    expect(findings.filter((f) => f.check === 'image').map((f) => f.target)).toEqual(['co-web']);
  });

  it('a killed container is restarted by restart-service and verified by the re-run probe', async () => {
    await lab.exec('s3', `${DOCKER} kill co-web >/dev/null`);
    await waitUntil('co-web exited', async () => (await inspect('co-web', '{{.State.Status}}')) === 'exited');
    const { findings } = await collect();
    const down = one(findings, 'service', 'co-web');
    expect(down.severity).toBe('critical');
    expect(down.summary).toMatch(/co-web \(docker\) is failed: exited with code 137 at /);

    const action = await restartService('co-web', findings);
    expect(action, action.verification).toMatchObject({
      decision: 'execute',
      command: "docker restart -- 'co-web'",
      exitCode: 0,
      outcome: 'fixed',
    });
    expect(action.verification).toMatch(/s3\/service\/co-web critical → ok/);
    expect(await inspect('co-web', '{{.State.Status}} {{.State.Health.Status}}')).toBe('running healthy');
  });
  it('a Compose service: found by its project and service labels, killed, restarted with docker-compose, verified', async () => {
    const file = '/srv/labstack/compose.yml';
    const compose = `docker-compose --project-name labstack --file ${file}`;
    await lab.exec(
      's3',
      `mkdir -p /srv/labstack && cat > ${file} <<'EOF'
version: "2.4"
services:
  web:
    image: claudeops-lab/web:1
    network_mode: none
  worker:
    image: claudeops-lab/busybox:1
    command: ["sleep", "3600"]
    network_mode: none
EOF`,
    );
    const up = await lab.exec('s3', `runuser -u labops -- ${compose} up -d 2>&1`);
    expect(up.code, up.stdout).toBe(0);
    try {
      s3 = lab.serverConfig('s3', {
        services: ['web', 'worker'].map((name) => ({
          name,
          manager: 'compose',
          project: 'labstack',
          file,
          compose_command: 'docker-compose',
        })),
      });
      const webId = async () =>
        (
          await lab.exec('s3', `${DOCKER} ps -aq --filter label=com.docker.compose.service=web`)
        ).stdout.trim();
      await waitUntil(
        'labstack web healthy',
        async () => (await inspect(await webId(), '{{.State.Health.Status}}')) === 'healthy',
      );
      const healthy = await collect();
      expect(healthy.findings.map((f) => [f.target, f.severity])).toEqual([
        ['web', 'ok'],
        ['worker', 'ok'],
      ]);
      expect(one(healthy.findings, 'service', 'web').summary).toMatch(
        /^web \(compose\) is running: running \(healthy\) since /,
      );

      await lab.exec('s3', `${DOCKER} kill ${await webId()} >/dev/null`);
      await waitUntil(
        'labstack web exited',
        async () => (await inspect(await webId(), '{{.State.Status}}')) === 'exited',
      );
      const { findings } = await collect();
      expect(one(findings, 'service', 'web').summary).toMatch(
        /^web \(compose\) is failed: exited with code 137 at /,
      );
      const action = await restartService('web', findings);
      expect(action, action.verification).toMatchObject({
        decision: 'execute',
        command: `docker-compose --project-name 'labstack' --file '${file}' restart 'web'`,
        exitCode: 0,
        outcome: 'fixed',
      });
      expect(action.verification).toMatch(/s3\/service\/web critical → ok/);
    } finally {
      await lab.exec('s3', `runuser -u labops -- ${compose} down >/dev/null 2>&1`);
    }
  });
});
