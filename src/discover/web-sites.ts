/**
 * The HTTP sites an nginx or Apache configuration serves, read from its files (not from
 * `nginx -T`, which opens log files and may create them): per site its names and listeners, and
 * the URLs a check could ask. Pure; the configuration is server text and only ever parsed.
 */
import type { WebFile } from './parse-discovery.js';

export interface Listen {
  /** as configured: `*`, `0.0.0.0`, `[::]`, `127.0.0.1`, … or '' when only a port was given */
  address: string;
  port: number;
  tls: boolean;
}

export interface Site {
  kind: 'nginx' | 'apache';
  file: string;
  names: string[];
  listens: Listen[];
}

/** Every site of every file, in file order. */
export function webSites(files: readonly WebFile[]): Site[] {
  return files.flatMap((f) => (f.kind === 'nginx' ? nginxSites(f) : apacheSites(f)));
}

/** Text without `#` comments (a `#` inside quotes stays). */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let quote = '';
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '#') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

/** nginx tokens: words (quotes removed), `{`, `}` and `;`. */
function nginxTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const m of withoutComments(text).matchAll(
    /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"']+)/g,
  )) {
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  }
  return tokens;
}

/**
 * `server { … }` blocks of the http context (a file of sites-enabled/ or conf.d/ is included
 * there), not those of `stream` or `mail` (TCP proxies), nor `server` lines of an `upstream`.
 */
function nginxSites(file: WebFile): Site[] {
  const sites: Site[] = [];
  const stack: { name: string; site?: Site }[] = [];
  let words: string[] = [];
  for (const token of nginxTokens(file.text)) {
    if (token === '{') {
      const name = words[0] ?? '';
      const insideProxy = stack.some((b) => b.name === 'stream' || b.name === 'mail');
      const site =
        name === 'server' && !insideProxy && !stack.some((b) => b.site)
          ? { kind: 'nginx' as const, file: file.path, names: [], listens: [] }
          : undefined;
      if (site) sites.push(site);
      stack.push({ name, ...(site ? { site } : {}) });
      words = [];
    } else if (token === '}') {
      const closed = stack.pop();
      if (closed?.site && closed.site.listens.length === 0)
        closed.site.listens.push({ address: '', port: 80, tls: false });
      words = [];
    } else if (token === ';') {
      const top = stack.at(-1);
      if (top?.site) nginxDirective(top.site, words);
      words = [];
    } else words.push(token);
  }
  return sites;
}

function nginxDirective(site: Site, [directive, ...args]: string[]): void {
  if (directive === 'server_name') site.names.push(...args);
  if (directive !== 'listen' || !args[0] || args.includes('quic')) return;
  const listen = parseListen(args[0], args.includes('ssl'));
  if (listen) site.listens.push(listen);
}

/** `80`, `[::]:443`, `127.0.0.1:8080`, `*:80`, `localhost:8080`; unix sockets give nothing. */
function parseListen(spec: string, tls: boolean): Listen | undefined {
  if (spec.startsWith('unix:')) return undefined;
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(spec);
  const port = Number(m?.[2]);
  if (m && port >= 1 && port <= 65535) return { address: m[1] ?? '', port, tls };
  // an address alone listens on port 80
  return /^[\w.\-[\]:*]+$/.test(spec) ? { address: spec, port: 80, tls } : undefined;
}

/** `<VirtualHost *:80 [::]:80>` … `</VirtualHost>` with ServerName, ServerAlias and SSLEngine. */
function apacheSites(file: WebFile): Site[] {
  const sites: Site[] = [];
  let site: Site | undefined;
  for (const raw of withoutComments(file.text).split('\n')) {
    const line = raw.trim();
    const open = /^<VirtualHost\s+([^>]+)>/i.exec(line);
    if (open?.[1]) {
      site = { kind: 'apache', file: file.path, names: [], listens: [] };
      for (const spec of open[1].trim().split(/\s+/)) {
        const listen = parseListen(spec, false);
        if (listen) site.listens.push(listen);
      }
      sites.push(site);
      continue;
    }
    if (!site) continue;
    if (/^<\/VirtualHost>/i.test(line)) {
      site = undefined;
      continue;
    }
    const [directive = '', ...args] = line.split(/\s+/);
    const name = directive.toLowerCase();
    if (name === 'servername' && args[0]) site.names.push(args[0].replace(/:\d+$/, ''));
    if (name === 'serveralias') site.names.push(...args);
    if (name === 'sslengine' && args[0]?.toLowerCase() === 'on') for (const l of site.listens) l.tls = true;
  }
  return sites;
}

/** A host name a client can ask for: not `_`, a wildcard, a regex or a bare IP-less label. */
const REAL_NAME =
  /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const WILDCARD_ADDRESSES = new Set(['', '*', '0.0.0.0', '[::]', '::']);

export interface EndpointCandidate {
  url: string;
  /** where it comes from, for the config's comment: `nginx /etc/nginx/sites-enabled/default` */
  source: string;
  /** a TLS listener: also a certificate to watch once it answers */
  tls: boolean;
  host: string;
  port: number;
}

/**
 * The URLs a check on the server could ask, one per site and listener: the site's first real
 * name, else the address it listens on (127.0.0.1 for any address). At most `max`.
 */
export function endpointCandidates(sites: readonly Site[], max = 20): EndpointCandidate[] {
  const out = new Map<string, EndpointCandidate>();
  for (const site of sites) {
    const name = site.names.find((n) => REAL_NAME.test(n) && !/^localhost$/i.test(n));
    for (const listen of site.listens) {
      const host = name ?? (WILDCARD_ADDRESSES.has(listen.address) ? '127.0.0.1' : listen.address);
      if (!/^(\[[0-9a-f:.]+\]|[\w.-]+)$/i.test(host)) continue;
      const scheme = listen.tls ? 'https' : 'http';
      const standard = listen.port === (listen.tls ? 443 : 80);
      const url = `${scheme}://${host.toLowerCase()}${standard ? '' : `:${listen.port}`}/`;
      if (!out.has(url))
        out.set(url, { url, source: `${site.kind} ${site.file}`, tls: listen.tls, host, port: listen.port });
    }
  }
  return [...out.values()].slice(0, max);
}
