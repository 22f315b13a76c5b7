/**
 * Per-server evaluation (pure): observation + server config + fleet default thresholds → findings.
 * Every checked target yields a finding, `ok` included, so lifecycle can see a problem resolve;
 * count the non-ok ones for "findings".
 */
import type { ServerConfig, Thresholds } from '../config/schema.js';
import type { ServerObservation } from '../core/types.js';
import { type Finding, finding } from '../core/types.js';
import { errorMessage } from '../core/util/error-message.js';
import type { EndpointsData } from './endpoints.js';
import { evaluateEndpointResults } from './endpoints.js';
import { ALL_PROBES } from './index.js';
import type { EvalContext, Probe } from './probe.js';
import { resolveThresholds } from './thresholds.js';
import {
  type CertificatesData,
  certificatesProbe,
  evaluateCertificateResults,
  mergeCertificateResults,
} from './tls-certificates.js';

/** Probe ids under which the runner's own checks are stored (see adapters/runner-checks). */
const RUNNER_ENDPOINTS = 'runner-endpoints';
const RUNNER_CERTIFICATES = 'runner-certificates';

export function evaluateServer(
  server: ServerConfig,
  observation: ServerObservation,
  defaults: Thresholds | undefined,
  now: Date,
  probes: readonly Probe[] = ALL_PROBES,
): Finding[] {
  if (!observation.reachable) {
    const why = observation.error ?? 'no answer';
    return [
      finding(server.name, 'unreachable', '-', 'critical', `${server.name} could not be checked: ${why}`),
    ];
  }
  const context: EvalContext = { thresholds: resolveThresholds(defaults, server.thresholds), now };
  const findings: Finding[] = [];
  for (const probe of probes) {
    if (probe.id === certificatesProbe.id || !probe.applies(server)) continue;
    findings.push(...evaluateProbe(probe, server, observation, context));
  }
  findings.push(...runnerFindings(server, observation, context));
  return findings;
}

function evaluateProbe(
  probe: Probe,
  server: ServerConfig,
  observation: ServerObservation,
  context: EvalContext,
): Finding[] {
  const error = observation.probeErrors[probe.id];
  if (error !== undefined || !(probe.id in observation.probes)) {
    const why = error ?? 'no data';
    return [finding(server.name, 'probe-error', probe.id, 'warning', `${probe.id} probe failed: ${why}`)];
  }
  try {
    return probe.evaluate(observation.probes[probe.id], server, context);
  } catch (e) {
    // Data of an unexpected shape is a bug to see, not a reason to lose the other findings.
    const why = errorMessage(e);
    return [
      finding(server.name, 'probe-error', probe.id, 'warning', `${probe.id} evaluation failed: ${why}`),
    ];
  }
}

/** Endpoints checked from the runner, and certificates seen from the server and/or the runner. */
function runnerFindings(
  server: ServerConfig,
  observation: ServerObservation,
  context: EvalContext,
): Finding[] {
  const out: Finding[] = [];
  const endpoints = observation.probes[RUNNER_ENDPOINTS] as EndpointsData | undefined;
  const runnerEndpoints = server.endpoints.filter((e) => e.from === 'runner');
  if (endpoints) out.push(...evaluateEndpointResults(endpoints.endpoints, runnerEndpoints, server, context));
  if (server.certificates.length > 0) {
    const fromServer = observation.probes[certificatesProbe.id] as CertificatesData | undefined;
    const fromRunner = observation.probes[RUNNER_CERTIFICATES] as CertificatesData | undefined;
    const merged = mergeCertificateResults(fromServer?.certificates, fromRunner?.certificates);
    if (merged.length > 0) out.push(...evaluateCertificateResults(merged, server, context));
    else {
      const why = observation.probeErrors[certificatesProbe.id] ?? 'no data';
      out.push(
        finding(
          server.name,
          'probe-error',
          certificatesProbe.id,
          'warning',
          `certificates probe failed: ${why}`,
        ),
      );
    }
  }
  return out;
}
