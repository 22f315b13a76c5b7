/**
 * The "reinstall dependencies and restart" recipe (docs/recipes.md) as a config remediation, on the
 * lab's systemd server `sys`: a node app (test/lab/node-app, one dependency packed as a tarball
 * beside it, so `npm ci` needs no registry) run by a systemd unit; a broken deploy removes its
 * node_modules and the unit fails at start ("Cannot find module"); the recipe reinstalls with
 * `npm ci --omit=dev` and restarts, and the service and endpoint checks it names say fixed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, configSchema, type ServerConfig } from '../../../src/config/schema.js';
import { endpointsProbe } from '../../../src/probes/endpoints.js';
import { servicesProbe } from '../../../src/probes/services.js';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { labFindings, remediateOnLab } from '../../support/lab-remediation.js';
import { labRoot } from '../../support/lab-setup.js';

const skip = labSkipReason();
if (skip) console.warn(`reinstall-deps lab tests skipped: ${skip}`);

const APP = '/srv/lab-node-app';
const SOURCES = ['server.js', 'package.json', 'vendor/lab-dep/package.json', 'vendor/lab-dep/index.js'];
const source = (path: string) => readFileSync(new URL(`../../lab/node-app/${path}`, import.meta.url), 'utf8');
/** The recipe exactly as docs/recipes.md shows it, for this app. */
const RECIPE = `cd ${APP} && npm ci --omit=dev --no-audit --no-fund && systemctl restart lab-node-app`;

describe.skipIf(skip !== undefined)('recipe: reinstall dependencies and restart', () => {
  let lab: Lab;
  let cfg: Config;
  let sys: ServerConfig;

  const sh = async (command: string) => (await labRoot(lab, 'sys', command)).trim();
  const until = (what: string, test: string) =>
    sh(`for i in $(seq 100); do ${test} && exit 0; sleep 0.1; done; echo "timed out: ${what}" >&2; exit 1`);

  beforeAll(async () => {
    lab = await startLab();
    // the app as a deploy would leave it: sources, the packed dependency, a lockfile, node_modules
    const files = SOURCES.map(
      (path) =>
        `mkdir -p "$(dirname ${APP}/${path})"; cat > ${APP}/${path} <<'LAB_EOF'\n${source(path)}LAB_EOF`,
    ).join('\n');
    await sh(`set -e; rm -rf ${APP}; ${files}
      export HOME=/root
      cd ${APP}/vendor/lab-dep && npm pack --silent --pack-destination .. >/dev/null
      cd ${APP} && npm install --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
      printf '[Unit]\\nDescription=ClaudeOps lab node app\\n[Service]\\nExecStart=/usr/bin/node ${APP}/server.js\\n' \\
        > /etc/systemd/system/lab-node-app.service
      systemctl daemon-reload && systemctl start lab-node-app`);
    await until('the app answers', 'curl -sf http://127.0.0.1:8090/ >/dev/null');
    cfg = configSchema.parse({
      version: 1,
      servers: [
        lab.serverConfig('sys', {
          sudo: true,
          services: [{ name: 'lab-node-app', port: 8090 }],
          endpoints: [{ url: 'http://127.0.0.1:8090/', contains: 'ok', timeout: '3s' }],
        }),
      ],
      remediations: {
        'reinstall-deps': {
          description: "Reinstall lab-node-app's production dependencies (npm ci) and restart it",
          command: RECIPE,
          risk: 'medium',
          verify: ['service', 'endpoint'],
          timeout: '2m',
          settle: '2s',
          servers: ['sys'],
        },
      },
    });
    const found = cfg.servers[0];
    if (!found) throw new Error('no sys');
    sys = found;
  });

  afterAll(async () => {
    if (!lab) return;
    await lab.exec(
      'sys',
      `systemctl stop lab-node-app; systemctl reset-failed lab-node-app 2>/dev/null
       rm -f /etc/systemd/system/lab-node-app.service; systemctl daemon-reload; rm -rf ${APP}`,
    );
  });

  const findingsNow = async () => (await labFindings(lab, sys, [servicesProbe, endpointsProbe])).findings;

  it('a deploy that lost node_modules: npm ci --omit=dev and a restart fix it, verified by service and endpoint', async () => {
    await sh(`rm -rf ${APP}/node_modules && systemctl restart lab-node-app`);
    await until('the unit to fail', '[ "$(systemctl is-active lab-node-app)" = failed ]');
    const before = await findingsNow();
    const service = before.find((f) => f.fingerprint === 'sys/service/lab-node-app');
    expect(service?.severity).toBe('critical');
    expect(service?.summary).toMatch(/lab-node-app \(systemd\) is failed: failed\/failed, exit status 1/);
    expect(before.find((f) => f.check === 'endpoint')?.severity).toBe('critical');

    const action = await remediateOnLab(
      lab,
      { config: cfg, server: sys, findings: before, mode: 'full' },
      {
        action: 'reinstall-deps',
        params: {},
        fingerprint: 'sys/service/lab-node-app',
        reason: "Cannot find module 'lab-dep': node_modules is missing",
        requestedBy: 'claude',
      },
    );
    expect(action.decision, action.reason).toBe('execute');
    expect(action.command).toBe(RECIPE);
    expect(action.output).toMatch(/added 1 package/);
    expect(action, action.verification).toMatchObject({ exitCode: 0, outcome: 'fixed' });
    // both checks the recipe names were re-run; the endpoint answers again (below)
    expect(action.verification).toMatch(
      /^re-ran service, endpoint: sys\/service\/lab-node-app critical → ok/,
    );
    expect(await sh('curl -sf http://127.0.0.1:8090/')).toBe('ok');
  });
});
