import type { ServerConfig } from '../config/schema.js';
import { type Finding, finding } from '../core/types.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues, quotedLines } from './output-text.js';
import type { EvalContext, Probe } from './probe.js';
import { DEFAULT_THRESHOLDS, severityBelow } from './thresholds.js';

/** One certificate's answer, from openssl on the server or node:tls on the runner. */
export interface CertificateResult {
  /** host:port as configured, port defaulted to 443 */
  target: string;
  /** ISO time the certificate expires */
  notAfter?: string;
  /** openssl's / node's verification verdict, e.g. `0 (ok)` */
  verify?: string;
  subject?: string;
  /** why no certificate came back */
  error?: string;
  /** openssl is not installed on the server */
  missing?: boolean;
}

export interface CertificatesData {
  certificates: CertificateResult[];
}

export function certificateTarget(spec: string): { host: string; port: number; target: string } {
  const [host = spec, port = '443'] = spec.split(':');
  return { host, port: Number(port), target: `${host}:${port}` };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** openssl's `notAfter=Mar  1 12:00:00 2027 GMT` (also node's valid_to) → ISO, or undefined. */
export function parseOpensslDate(text: string): string | undefined {
  const m = /^(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4}) GMT$/.exec(text.trim());
  const month = MONTHS.indexOf(m?.[1] ?? '');
  if (!m || month < 0) return undefined;
  const [, , day, hh, mm, ss, year] = m.map(Number);
  return new Date(Date.UTC(year ?? 0, month, day, hh, mm, ss)).toISOString();
}

function certScript(spec: string, index: number): string {
  const { host, target } = certificateTarget(spec);
  return [
    `echo '@cert ${index}'`,
    'if co_have openssl; then',
    `  o=$(co_t 15 openssl s_client -connect ${shellQuote(target)} -servername ${shellQuote(host)} 2>&1); echo "rc=$?"`,
    "  printf '%s\\n' \"$o\" | sed -n 's/^ *Verify return code: /verify=/p' | tail -n 1",
    '  printf \'%s\\n\' "$o" | openssl x509 -noout -enddate 2>/dev/null',
    "  printf '%s\\n' \"$o\" | openssl x509 -noout -subject 2>/dev/null | cut -c1-200 | sed 's/^/| /'",
    "  printf '%s\\n' \"$o\" | grep -i -m 1 -E 'errno|error|refused|unknown|timed out' | cut -c1-200 | sed 's/^/| error: /'",
    "else echo 'missing'; fi",
  ].join('\n');
}

function parseCert(spec: string, lines: string[]): CertificateResult {
  const { target } = certificateTarget(spec);
  if (lines.includes('missing')) return { target, missing: true };
  const kv = keyValues(lines);
  const quoted = quotedLines(lines);
  const notAfter = kv.notAfter ? parseOpensslDate(kv.notAfter) : undefined;
  const subject = quoted.find((l) => l.startsWith('subject='))?.slice('subject='.length);
  if (!notAfter) {
    const why = quoted.find((l) => l.startsWith('error: '))?.slice(7) ?? `openssl exit ${int(kv.rc) ?? '?'}`;
    return { target, error: `no certificate: ${why}` };
  }
  return { target, notAfter, ...(kv.verify ? { verify: kv.verify } : {}), ...(subject ? { subject } : {}) };
}

/**
 * One result per target from the server's and the runner's views: the server's when it got a
 * certificate (it sees what the server serves), else the runner's, else whichever error.
 */
export function mergeCertificateResults(
  fromServer: readonly CertificateResult[] = [],
  fromRunner: readonly CertificateResult[] = [],
): CertificateResult[] {
  const targets = [...new Set([...fromServer, ...fromRunner].map((r) => r.target))];
  return targets.flatMap((t) => {
    const s = fromServer.find((r) => r.target === t);
    const r = fromRunner.find((x) => x.target === t);
    const pick = s?.notAfter ? s : r?.notAfter ? r : (s ?? r);
    return pick ? [pick] : [];
  });
}

export function evaluateCertificateResults(
  results: readonly CertificateResult[],
  server: ServerConfig,
  context: EvalContext,
): Finding[] {
  const level = context.thresholds.certificate_days ?? DEFAULT_THRESHOLDS.certificate_days;
  return results.map((r) => {
    if (r.missing)
      return finding(
        server.name,
        'certificate',
        r.target,
        'warning',
        `cannot check ${r.target}: openssl not installed`,
      );
    if (!r.notAfter)
      return finding(server.name, 'certificate', r.target, 'critical', `${r.target}: ${r.error}`);
    const days = Math.floor((Date.parse(r.notAfter) - context.now.getTime()) / 86_400_000);
    const verify = r.verify && !/^0 \(ok\)/.test(r.verify) ? ` (verify: ${r.verify})` : '';
    const summary =
      days < 0
        ? `${r.target}: certificate expired ${-days} day(s) ago (${r.notAfter.slice(0, 10)})${verify}`
        : `${r.target}: certificate expires in ${days} day(s) (${r.notAfter.slice(0, 10)})${verify}`;
    return finding(server.name, 'certificate', r.target, severityBelow(days, level), summary, {
      value: days,
      ...(r.subject ? { evidence: r.subject } : {}),
    });
  });
}

export const certificatesProbe: Probe<CertificatesData> = {
  id: 'certificates',
  applies: (server) => server.certificates.length > 0,
  script: (server) => server.certificates.map(certScript).join('\n'),
  parse(output, server) {
    const blocks = blocksOf(output, 'cert');
    return {
      certificates: server.certificates.map((spec, i) => {
        const block = blocks.find((b) => b.head === String(i));
        return block
          ? parseCert(spec, block.lines)
          : { target: certificateTarget(spec).target, error: 'no output for this certificate' };
      }),
    };
  },
  evaluate: (data, server, context) => evaluateCertificateResults(data.certificates, server, context),
};
