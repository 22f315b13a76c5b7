/**
 * Discovery of one server over an open session (the RemoteShell port): the read-only discovery
 * script, then the web sites it found asked once, by the endpoints probe's own script (the same
 * curl a check will run), so the config keeps only the endpoints that answer as they should.
 * Two round trips; nothing on the server is changed.
 */
import { randomBytes } from 'node:crypto';
import { serverSchema } from '../config/schema.js';
import type { RemoteShell } from '../core/ports/index.js';
import { buildCollectorScript, splitSections } from '../probes/collector-script.js';
import { endpointsProbe } from '../probes/endpoints.js';
import { discoveryScript } from './discovery-script.js';
import { type Discovery, parseDiscovery } from './parse-discovery.js';
import type { EndpointTrial } from './plan-server.js';
import { endpointCandidates, webSites } from './web-sites.js';

export interface Discovered {
  discovery: Discovery;
  trials: EndpointTrial[];
}

const nonce = () => randomBytes(12).toString('hex');

export async function discoverServer(shell: RemoteShell, timeoutMs = 120_000): Promise<Discovered> {
  const scriptNonce = nonce();
  const result = await shell.run(discoveryScript(scriptNonce), { timeoutMs });
  const sections = splitSections(result.stdout, scriptNonce);
  if (!sections.has('host')) {
    const why = result.timedOut ? `timed out after ${timeoutMs / 1000}s` : `exit ${result.code}`;
    throw new Error(`discovery printed nothing (${why}): ${result.stderr.trim().slice(0, 300)}`);
  }
  const discovery = parseDiscovery(sections);
  const candidates = endpointCandidates(webSites(discovery.web));
  if (candidates.length === 0 || !discovery.tools.has('curl')) {
    return { discovery, trials: candidates.map((candidate) => ({ candidate, error: 'curl not installed' })) };
  }
  const server = serverSchema.parse({
    name: 'discovery',
    endpoints: candidates.map((c) => ({ url: c.url, timeout: '5s' })),
  });
  const trialNonce = nonce();
  const asked = await shell.run(buildCollectorScript(server, [endpointsProbe], { nonce: trialNonce }), {
    timeoutMs: 10_000 + candidates.length * 6_000,
  });
  const output = splitSections(asked.stdout, trialNonce).get('endpoints')?.output ?? '';
  const { endpoints } = endpointsProbe.parse(output, server);
  return {
    discovery,
    trials: candidates.map((candidate, i) => {
      const r = endpoints[i];
      return r?.status !== undefined
        ? { candidate, status: r.status }
        : { candidate, error: r?.error ?? 'no answer' };
    }),
  };
}
