/**
 * The one assertion every path through the hostile HTTP corpus must pass (test/fixtures/http-hostile/):
 * a path is a function from a case's endpoint config to an EndpointResult, whatever carries the
 * request (curl on the server, fetch on the runner, a client over the SSH connection). Bounds hold
 * for every case and path; the verdict is the case's `expect`, or, where the corpus records that a
 * path is wrong today, exactly that recorded result (so a fix fails loudly and the entry goes).
 */
import { expect } from 'vitest';
import { endpointSchema, serverSchema } from '../../src/config/schema.js';
import { type EndpointResult, evaluateEndpointResults } from '../../src/probes/endpoints.js';
import { DEFAULT_THRESHOLDS } from '../../src/probes/thresholds.js';
import type { HostileCase, HostileObserved } from './hostile-http-server.js';

/** An excerpt is evidence, not the body: at most two lines (curl's `co_q 2`)... */
export const EXCERPT_MAX_LINES = 2;
/** ...and at most this many characters (two lines of 200 bytes, or fetch's 400, and a newline). */
export const EXCERPT_MAX_CHARS = 401;
/** Any run of this many characters of a secret in an excerpt counts as the secret leaking. */
const SECRET_WINDOW = 6;

/**
 * A path's result. `neighbour`: a path that asks several endpoints together (curl's one call per
 * server) says here what the hostile endpoint did to a healthy one asked after it; absent = nothing.
 */
export type PathResult = EndpointResult & { neighbour?: string };

/** What the corpus compares: the outcome and its words, without timings or the excerpt. */
export function observed(result: PathResult): HostileObserved {
  const neighbour = result.neighbour !== undefined ? { neighbour: result.neighbour } : {};
  if (result.error !== undefined || result.status === undefined)
    return {
      outcome: 'error',
      ...(result.error !== undefined ? { error: result.error } : {}),
      ...(result.timedOut ? { timedOut: true } : {}),
      ...(result.contains !== undefined ? { contains: result.contains } : {}),
      ...neighbour,
    };
  return {
    outcome: 'status',
    status: result.status,
    ...(result.contains !== undefined ? { contains: result.contains } : {}),
    ...neighbour,
  };
}

/** Asserts one path's result for one case; `path` names the key of `knownWrong`. */
export function checkHostileCase(c: HostileCase, path: string, result: PathResult, elapsedMs: number): void {
  const where = `${c.name} via ${path}`;
  checkFinding(c, where, result);
  const seen = summary(c, result);
  const wrong = c.knownWrong?.[path];
  if (wrong) {
    const { maxMs, note: _note, ...recorded } = wrong;
    expect(
      seen,
      `${where}: known wrong result changed to ${JSON.stringify(seen)} (fixed? then remove knownWrong.${path})`,
    ).toEqual(recorded);
    expect(elapsedMs, `${where}: took longer than the recorded wrong result`).toBeLessThan(
      maxMs ?? c.expect.maxMs,
    );
    return;
  }
  const want = c.expect;
  expect(seen.broken, `${where}: bounds`).toBeUndefined();
  expect(seen.neighbour, `${where}: harmed the endpoint asked after it`).toBeUndefined();
  expect(seen.outcome, `${where}: outcome (${JSON.stringify(seen)})`).toBe(want.outcome);
  if (want.status !== undefined) expect(seen.status, `${where}: status`).toBe(want.status);
  if (want.contains !== undefined) expect(result.contains, `${where}: contains`).toBe(want.contains);
  if (want.timedOut !== undefined) expect(result.timedOut ?? false, `${where}: timedOut`).toBe(want.timedOut);
  if (want.errorLike !== undefined)
    expect(result.error ?? '', `${where}: error words`).toMatch(new RegExp(want.errorLike, 'i'));
  expect(elapsedMs, `${where}: finished within maxMs`).toBeLessThan(want.maxMs);
}

/** The observed result plus every bound it breaks: what `knownWrong` records. */
export function summary(c: HostileCase, result: PathResult): HostileObserved {
  const broken = brokenBounds(c, result);
  return { ...observed(result), ...(broken.length > 0 ? { broken } : {}) };
}

/** Bounds every path keeps whatever the server does; each broken one in words. */
function brokenBounds(c: HostileCase, result: PathResult): string[] {
  const broken: string[] = [];
  const excerpt = result.excerpt ?? '';
  const lines = excerpt.split('\n').length;
  if (lines > EXCERPT_MAX_LINES) broken.push(`excerpt has ${lines} lines`);
  if (excerpt.length > EXCERPT_MAX_CHARS) broken.push(`excerpt has ${excerpt.length} characters`);
  for (const secret of c.expect.secrets ?? [])
    for (let i = 0; i + SECRET_WINDOW <= secret.length; i++) {
      const piece = secret.slice(i, i + SECRET_WINDOW);
      if (excerpt.includes(piece)) {
        broken.push(`secret piece ${JSON.stringify(piece)} in the excerpt`);
        break;
      }
    }
  // the error words are ours, one line, never the server's control bytes
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what it looks for
  if (/[\0\x1b\r\n]/.test(result.error ?? '')) broken.push('error words hold control characters');
  return broken;
}

/**
 * The finding the run makes of the result (the evaluation both paths share): one, critical for
 * no answer, a wrong status or a missing text, its summary one line of our words, its evidence the
 * bounded excerpt.
 */
function checkFinding(c: HostileCase, where: string, result: PathResult): void {
  const config = endpointSchema.parse({ url: result.url, ...c.endpoint, timeout: `${c.endpoint.timeout}ms` });
  const server = serverSchema.parse({ name: 'web1', transport: 'local', endpoints: [config] });
  const findings = evaluateEndpointResults([result], [config], server, {
    thresholds: DEFAULT_THRESHOLDS,
    now: new Date(),
  });
  expect(findings, `${where}: one finding`).toHaveLength(1);
  const [judged] = findings;
  const failed = result.status === undefined || result.status !== config.status || result.contains === false;
  if (failed || result.error !== undefined) expect(judged?.severity, `${where}: severity`).toBe('critical');
  expect(judged?.summary ?? '', `${where}: finding summary`).not.toMatch(/[\n\r]/);
  expect(judged?.evidence, `${where}: finding evidence`).toBe(result.excerpt || undefined);
}
