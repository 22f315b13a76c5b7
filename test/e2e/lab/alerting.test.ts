/**
 * Alerting against real servers (issue 21's done-when): the lab's systemd server runs a real
 * postgresql and, for this file, two small applications whose endpoints answer 200 only while
 * they can reach it. The whole pipeline (run.ts) runs over SSH, with the git state store on a
 * local repository, the Octokit adapter against the OpenAPI-validated fake GitHub, Slack and
 * webhook deliveries to a real local HTTP receiver, and PagerDuty/Opsgenie to their
 * schema-checking stand-ins. Only the clock is the test's, so repeats and escalation fall at
 * minutes known from the config (repeat 30m, escalate after 1h).
 *
 * Stopping postgresql makes one incident: one issue and one message naming postgresql and both
 * endpoints; it is repeated at 35 min, escalated at 65 min (later repeats go to the escalation
 * channels too); a read-only account's ack is ignored; a writer's label ack stops the repeats;
 * then, allowed to act, the run restarts postgresql (the root, not the apps), re-checks the
 * endpoints, and both pagers resolve the key they triggered. The file leaves the lab as it found it (postgresql running, apps gone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSink } from '../../../src/adapters/console-io.js';
import { createGitStateStore } from '../../../src/adapters/git-state-store.js';
import { createOctokitGitHub } from '../../../src/adapters/github-octokit.js';
import { buildContext } from '../../../src/compose.js';
import { type Config, configSchema, type Mode } from '../../../src/config/schema.js';
import { ACK_LABEL } from '../../../src/core/issues/acknowledge.js';
import type { RunRecord } from '../../../src/core/run-record.js';
import { run } from '../../../src/run.js';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';
import { type FakePaging, startFakePaging } from '../../support/fake-paging.js';
import { fastTuning } from '../../support/github-tuning.js';
import { HttpReceiver } from '../../support/http-receiver.js';
import { QUIET_HOST_THRESHOLDS } from '../../support/quiet-host.js';

const skip = labSkipReason();
if (skip) console.warn(`alerting lab tests skipped: ${skip}`);

const T0 = Date.parse('2026-11-21T02:00:00.000Z');
const ORDERS = 'http://127.0.0.1:8091/';
const BILLING = 'http://127.0.0.1:8092/';

/** An application that answers 200 only while postgres accepts connections on 5432. */
const APP = String.raw`
import http.server, socket, sys
PORT, NAME = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            socket.create_connection(('127.0.0.1', 5432), timeout=2).close()
            status, body = 200, NAME + ' ok\n'
        except OSError:
            status, body = 503, NAME + ': database unavailable\n'
        data = body.encode()
        self.send_response(status)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', PORT), H).serve_forever()
`;
const PIDS = '/run/lab/alerting-apps.pids';

describe.skipIf(skip !== undefined)('alerting against the lab: one incident for a stopped postgres', () => {
  let lab: Lab;
  let dir: string;
  let gh: FakeGitHub;
  let paging: FakePaging;
  let receiver: HttpReceiver;
  let config: Config;
  let runs = 0;

  const stopApps = () =>
    lab.exec(
      'sys',
      `[ -f ${PIDS} ] && kill $(cat ${PIDS}) 2>/dev/null; rm -f ${PIDS} /run/lab/alerting-app.py; true`,
    );

  beforeAll(async () => {
    lab = await startLab();
    await stopApps();
    const started = await lab.exec(
      'sys',
      [
        `cat > /run/lab/alerting-app.py <<'PY'${APP}PY`,
        'for a in "8091 orders" "8092 billing"; do',
        '  set -- $a; setsid python3 /run/lab/alerting-app.py "$1" "$2" </dev/null >/dev/null 2>&1 &',
        `  echo $! >> ${PIDS}`,
        'done',
        // both answer before the test starts
        'for i in $(seq 50); do curl -fs http://127.0.0.1:8091/ >/dev/null && curl -fs http://127.0.0.1:8092/ >/dev/null && exit 0; sleep 0.2; done; exit 1',
      ].join('\n'),
    );
    expect(started.code, started.stderr).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'claudeops-lab-alerting-'));
    gh = await startFakeGitHub({ owner: 'acme', repo: 'ops' });
    gh.state.collaborators.set('drive-by', 'read');
    paging = await startFakePaging();
    receiver = await new HttpReceiver().start();
    const endpoint = (url: string, name: string) => ({
      url,
      status: 200,
      contains: `${name} ok`,
      timeout: '3s',
      depends_on: ['postgresql'],
    });
    config = configSchema.parse({
      version: 1,
      mode: 'report',
      defaults: { thresholds: QUIET_HOST_THRESHOLDS },
      servers: [
        lab.serverConfig('sys', {
          sudo: true,
          services: [{ name: 'postgresql', manager: 'systemd', port: 5432 }],
          endpoints: [endpoint(ORDERS, 'orders'), endpoint(BILLING, 'billing')],
        }),
      ],
      github: { close_after_ok_runs: 1 },
      notify: {
        slack: { webhook: `${receiver.base}/slack` },
        webhook: { url: `${receiver.base}/hook` },
        pagerduty: { routing_key: paging.routingKey, url: paging.pagerdutyUrl },
        opsgenie: { api_key: paging.apiKey, url: paging.opsgenieUrl },
        repeat: '30m',
        escalate: { after: '1h', channels: ['webhook', 'pagerduty'] },
      },
    });
  }, 300_000);

  afterAll(async () => {
    await lab?.undo('sys', 'pg-stop').catch(() => {});
    if (lab) await stopApps();
    await receiver?.stop();
    await paging?.stop();
    await gh?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  async function runAt(minute: number, mode: Mode = 'report'): Promise<RunRecord> {
    runs += 1;
    const now = new Date(T0 + minute * 60_000);
    const warnings: string[] = [];
    const ctx = buildContext({
      config: { ...config, mode },
      inputs: {
        configPath: 'claudeops.yml',
        task: 'check',
        dryRun: false,
        model: 'm',
        stateBranch: 'claudeops-state',
        githubToken: 'test-token',
        sshPrivateKey: lab.clientKey,
        knownHosts: lab.knownHosts,
      },
      env: {},
      logger: {
        info: () => {},
        warning: (m) => warnings.push(m),
        error: (m) => warnings.push(m),
        group: (_n, fn) => fn(),
      },
      sink: consoleSink({ write: () => true } as unknown as NodeJS.WritableStream),
      state: createGitStateStore({ localDir: join(dir, 'state'), branch: 'claudeops-state' }),
      github: createOctokitGitHub({
        token: 'test-token',
        repository: 'acme/ops',
        baseUrl: gh.url,
        tuning: fastTuning(),
      }),
      links: { stateUrl: 'https://github.test/acme/ops/blob/claudeops-state/' },
      runId: `lab-r${runs}`,
    });
    // the run's clock is the test's; SSH, postgres and the apps run in real time
    ctx.adapters.clock = {
      now: () => now,
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 2_000))),
    };
    const { record } = await run(ctx);
    await ctx.adapters.state.dispose?.();
    expect(record.errors, warnings.join('\n')).toEqual([]);
    return record;
  }

  const slack = () =>
    receiver.received.filter((r) => r.path === '/slack').map((r) => JSON.parse(r.body).text as string);
  const hook = () => receiver.received.filter((r) => r.path === '/hook');
  const openIssues = () => gh.state.issues.filter((i) => i.state === 'open');
  const repeats = () => slack().filter((t) => t.includes('🔁')).length;

  it('one issue, one message naming postgresql and both endpoints; repeated, escalated, acked, fixed at the root', async () => {
    await lab.fault('sys', 'pg-stop');

    // 0: one incident, its root a postgresql finding, the two endpoints folded under it
    const r0 = await runAt(0);
    expect(r0.incidents).toHaveLength(1);
    const incident = r0.incidents?.[0];
    const key = incident?.key ?? '';
    // the root is the service; its port and the two endpoints that need it are its dependants
    expect(key).toBe('sys/service/postgresql');
    expect([...(incident?.dependants ?? [])].sort()).toEqual(
      ['sys/port/5432', `sys/endpoint/${BILLING}`, `sys/endpoint/${ORDERS}`].sort(),
    );
    expect(openIssues()).toHaveLength(1);
    const body = openIssues()[0]?.body ?? '';
    for (const name of ['postgresql', '8091', '8092']) expect(body).toContain(name);
    expect(slack()).toHaveLength(1);
    for (const name of ['postgresql', '8091', '8092']) expect(slack()[0]).toContain(name);
    // Opsgenie is a normal channel: one alert, keyed by the root; PagerDuty waits for escalation
    expect([...paging.opsgenie.keys()]).toEqual([key]);
    expect(paging.pagerduty.size).toBe(0);

    // 35: repeated once, with how long it has been open; still one issue
    await runAt(35);
    expect(repeats()).toBe(1);
    expect(slack().find((t) => t.includes('🔁'))).toMatch(/still critical, open 35m/);
    expect(openIssues()).toHaveLength(1);

    // 65: repeated again and, past 1 h, escalated: the webhook and PagerDuty, once, same key
    await runAt(65);
    expect(repeats()).toBe(2);
    expect(hook()).toHaveLength(1);
    expect([...paging.pagerduty.keys()]).toEqual([key]);

    // a read-only account's ack is ignored: the 95 repeat comes, to the escalation channels too
    const issueNumber = openIssues()[0]?.number ?? 0;
    gh.commentAs(issueNumber, 'drive-by', '/claudeops ack');
    const r95 = await runAt(95);
    expect(repeats()).toBe(3);
    expect(hook()).toHaveLength(2);
    expect(r95.warnings.join('\n')).toContain('ignored a /claudeops command from @drive-by');

    // a maintainer's label acknowledges: the 125 repeat does not come, anywhere; the pagers ack
    gh.labelAs(issueNumber, 'maintainer', ACK_LABEL);
    await runAt(125);
    expect(repeats()).toBe(3);
    expect(hook()).toHaveLength(2);
    expect(paging.pagerduty.get(key)?.status).toBe('acknowledged');
    expect(paging.opsgenie.get(key)?.status).toBe('acknowledged');

    // the label off, and the run may act: it restarts postgresql (the root), not the apps,
    // re-checks both endpoints, and the pagers resolve the key they triggered
    gh.labelAs(issueNumber, 'maintainer', ACK_LABEL, 'remove');
    const fixed = await runAt(140, 'safe');
    const ran = fixed.actions.filter((a) => a.decision === 'execute');
    expect(ran.map((a) => `${a.action} ${a.target} ${a.outcome}`)).toEqual([
      expect.stringMatching(/postgresql fixed$/),
    ]);
    expect((await lab.exec('sys', 'systemctl is-active postgresql')).stdout.trim()).toBe('active');
    // every dependant (the endpoints, and the port the service owns) re-checked after the fix
    expect(fixed.reevaluated?.map((r) => r.fingerprint).sort()).toEqual(
      [...(incident?.dependants ?? [])].sort(),
    );
    expect(fixed.reevaluated?.every((r) => r.severity === 'ok')).toBe(true);
    await runAt(150);
    expect(paging.pagerduty.get(key)?.events.at(-1)).toBe('resolve');
    expect(paging.opsgenie.get(key)?.events.at(-1)).toBe('close');
    expect(openIssues()).toHaveLength(0);
    expect(paging.violations).toEqual([]);
    expect(gh.violations).toEqual([]);
  }, 900_000);
});
