/**
 * OpenSSH known_hosts parsing and host key matching. Pure: no I/O; node:crypto only for the
 * SHA-256 fingerprints and the HMAC-SHA1 of hashed host names.
 *
 * Supported, as `ssh` reads the file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * - comments (`#`) and blank lines;
 * - host patterns separated by commas, with `*` / `?` wildcards and `!` negation, compared
 *   case-insensitively to `host` (port 22) or `[host]:port` (any other port);
 * - hashed names `|1|base64(salt)|base64(hmac-sha1(salt, name))` (`ssh-keygen -H`);
 * - the `@revoked` marker: a key listed as revoked is refused for every host;
 * - the `@cert-authority` marker is recognised and ignored (we do not accept host certificates,
 *   so such a line can never vouch for a plain key).
 *
 * The decision (`verifyHostKey`) combines the known_hosts entries with the optional per-server
 * `host_key: SHA256:...` pin from the config and explains a refusal in words a human can act on.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HostMatcher =
  | { kind: 'patterns'; patterns: string[] }
  | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostEntry {
  /** 1-based line number in the text, for messages */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  hosts: HostMatcher;
  keyType: string;
  /** the public key blob (SSH wire format), as the server sends it during key exchange */
  key: Buffer;
  fingerprint: string;
}

export interface KnownHostsParseError {
  line: number;
  message: string;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  errors: KnownHostsParseError[];
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob: what `ssh-keygen -lf` prints. */
export function fingerprintOf(key: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a key blob (its first SSH string), or undefined if malformed. */
export function keyTypeOf(key: Uint8Array): string | undefined {
  if (key.length < 4) return undefined;
  const length = Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > key.length) return undefined;
  const name = Buffer.from(key.subarray(4, 4 + length)).toString('latin1');
  return /^[a-z0-9@.-]+$/.test(name) ? name : undefined;
}

/** The name known_hosts entries are compared with: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const errors: KnownHostsParseError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const parsed = parseLine(raw.trim(), index + 1);
    if (parsed === undefined) return;
    if ('message' in parsed) errors.push(parsed);
    else entries.push(parsed);
  });
  return { entries, errors };
}

const MARKERS: Readonly<Record<string, KnownHostEntry['marker']>> = {
  '@revoked': 'revoked',
  '@cert-authority': 'cert-authority',
};

/** One trimmed line: an entry, why it cannot be read, or undefined for a blank line or comment. */
function parseLine(text: string, line: number): KnownHostEntry | KnownHostsParseError | undefined {
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/\s+/);
  let marker: KnownHostEntry['marker'];
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift() ?? '';
    marker = Object.hasOwn(MARKERS, name) ? MARKERS[name] : undefined;
    if (!marker) return { line, message: `unknown marker ${name}` };
  }
  const [hostField, keyType, keyText] = fields;
  if (hostField === undefined || keyType === undefined || keyText === undefined) {
    return { line, message: 'expected "hosts keytype base64-key [comment]"' };
  }
  const key = parseKey(keyType, keyText);
  if (!key.ok) return { line, message: key.message };
  const hosts = parseHostField(hostField);
  if (!hosts) return { line, message: 'malformed hashed host name (expected |1|salt|hash)' };
  return {
    line,
    ...(marker ? { marker } : {}),
    hosts,
    keyType,
    key: key.value,
    fingerprint: fingerprintOf(key.value),
  };
}

/** The key blob of a line, which must name the same type as the line's keytype field. */
function parseKey(
  keyType: string,
  keyText: string,
): { ok: true; value: Buffer } | { ok: false; message: string } {
  if (!BASE64.test(keyText)) return { ok: false, message: 'the key is not base64' };
  const key = Buffer.from(keyText, 'base64');
  const embedded = keyTypeOf(key);
  if (embedded !== keyType) {
    return {
      ok: false,
      message: `the key blob says ${embedded ?? 'nothing readable'}, the line says ${keyType}`,
    };
  }
  return { ok: true, value: key };
}

/** Comma-separated patterns, or a hashed name; undefined when a hashed name is malformed. */
function parseHostField(field: string): HostMatcher | undefined {
  if (!field.startsWith('|')) {
    return { kind: 'patterns', patterns: field.split(',').filter((p) => p !== '') };
  }
  // ['', '1', salt, hash]
  const [, version, salt = '', hash = '', ...rest] = field.split('|');
  if (version !== '1' || rest.length > 0 || !BASE64.test(salt) || !BASE64.test(hash)) return undefined;
  return { kind: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** Compiled host patterns: a run checks every server against every known_hosts line. */
const PATTERNS = new Map<string, (name: string) => boolean>();
/** Past this many distinct patterns the cache is dropped (a huge known_hosts costs only speed). */
const PATTERNS_MAX = 4096;

/**
 * OpenSSH-style glob: `*` any run, `?` one character; whole-string, case-insensitive. `name` is
 * already lower-case. A plain pattern (most lines name one host or `[host]:port`) is a string
 * comparison; a wildcard one compiles to a RegExp once. Without this, 50 servers against a
 * known_hosts of 200 lines compiled 20 000 RegExps per run on the runner's one JavaScript thread.
 */
function globMatch(pattern: string, name: string): boolean {
  let matcher = PATTERNS.get(pattern);
  if (!matcher) {
    matcher = compilePattern(pattern.toLowerCase());
    if (PATTERNS.size >= PATTERNS_MAX) PATTERNS.clear();
    PATTERNS.set(pattern, matcher);
  }
  return matcher(name);
}

function compilePattern(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, 's');
  return (name) => re.test(name);
}

/** Does this entry's host field name `host` on `port`? */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = hostKeyName(host, port);
  if (entry.hosts.kind === 'hashed') {
    const digest = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return digest.length === entry.hosts.hash.length && timingSafeEqual(digest, entry.hosts.hash);
  }
  const lower = name.toLowerCase();
  let matched = false;
  for (const pattern of entry.hosts.patterns) {
    if (pattern.startsWith('!')) {
      // a matching negation vetoes the whole line, whatever else matched (as in OpenSSH)
      if (globMatch(pattern.slice(1), lower)) return false;
    } else if (globMatch(pattern, lower)) {
      matched = true;
    }
  }
  return matched;
}

/** Host key types recorded for this host (non-revoked): lets the client ask for those first. */
export function knownKeyTypes(knownHosts: KnownHosts, host: string, port: number): string[] {
  const types: string[] = [];
  for (const entry of knownHosts.entries) {
    if (entry.marker) continue;
    if (entryMatchesHost(entry, host, port) && !types.includes(entry.keyType)) types.push(entry.keyType);
  }
  return types;
}

export type HostKeyVerdict =
  | { ok: true; fingerprint: string; by: 'pin' | 'known_hosts' }
  | {
      ok: false;
      fingerprint: string;
      reason: 'revoked' | 'pin-mismatch' | 'changed' | 'unknown' | 'malformed';
      /** one paragraph, for the ConnectError and the run report */
      message: string;
    };

export interface VerifyInput {
  knownHosts: KnownHosts;
  host: string;
  port: number;
  /** the key blob the server presented */
  key: Uint8Array;
  /** `host_key: SHA256:...` from the server's config */
  pin?: string | undefined;
  /** the config name of the server, for messages */
  server?: string;
}

function sameFingerprint(a: string, b: string): boolean {
  // OpenSSH prints fingerprints without padding; tolerate a pasted trailing '='
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}

/** How to pin this key: the lines to add, and how to double-check them out of band. */
export function pinAdvice(host: string, port: number, key: Uint8Array): string {
  const type = keyTypeOf(key) ?? 'UNKNOWN-TYPE';
  const line = `${hostKeyName(host, port)} ${type} ${Buffer.from(key).toString('base64')}`;
  const keyscan = port === 22 ? `ssh-keyscan ${host}` : `ssh-keyscan -p ${port} ${host}`;
  const file = `/etc/ssh/ssh_host_${type.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub`;
  return (
    `If this key is the right one, pin it: add this line to the known-hosts input\n  ${line}\n` +
    `or put \`host_key: "${fingerprintOf(key)}"\` on the server in the config. Check it first from a ` +
    `trusted network (\`${keyscan} | ssh-keygen -lf -\`) or on the server itself (\`ssh-keygen -lf ${file}\`).`
  );
}

/** The key a server presented, with the words every verdict about it uses. */
interface Presented {
  knownHosts: KnownHosts;
  host: string;
  port: number;
  key: Uint8Array;
  keyBuffer: Buffer;
  fingerprint: string;
  /** the server, for messages: `web (10.0.0.5:22)` */
  who: string;
  /** the key, for messages: `ssh-ed25519 key SHA256:…` */
  seen: string;
}

/**
 * Decides whether the key the server presented may be trusted.
 *
 * Order: a revoked key is refused whatever else says yes. A config pin, when present, is the
 * authority for that server (a mismatch is refused even if known_hosts lists the key: the pin is
 * the more specific statement). Without a pin, some non-revoked known_hosts entry for this
 * host must carry exactly this key; entries for the host with other keys mean the key changed.
 */
export function verifyHostKey(input: VerifyInput): HostKeyVerdict {
  const { host, port, key } = input;
  const fingerprint = fingerprintOf(key);
  const who = input.server ? `${input.server} (${host}:${port})` : `${host}:${port}`;
  const type = keyTypeOf(key);
  if (type === undefined) {
    return { ok: false, fingerprint, reason: 'malformed', message: `${who} presented a malformed host key.` };
  }
  const presented: Presented = {
    ...input,
    keyBuffer: Buffer.from(key),
    fingerprint,
    who,
    seen: `${type} key ${fingerprint}`,
  };
  return (
    refuseRevoked(presented) ??
    (input.pin !== undefined ? checkPin(presented, input.pin) : checkKnownHosts(presented))
  );
}

function refuse(
  p: Presented,
  reason: Exclude<HostKeyVerdict, { ok: true }>['reason'],
  message: string,
): HostKeyVerdict {
  return { ok: false, fingerprint: p.fingerprint, reason, message };
}

function refuseRevoked(p: Presented): HostKeyVerdict | undefined {
  const revoked = p.knownHosts.entries.find((e) => e.marker === 'revoked' && e.key.equals(p.keyBuffer));
  if (!revoked) return undefined;
  return refuse(
    p,
    'revoked',
    `Refusing ${p.who}: its host key ${p.fingerprint} is marked @revoked in known-hosts (line ${revoked.line}). ` +
      'The server must get a new host key; then pin the new one.',
  );
}

function checkPin(p: Presented, pin: string): HostKeyVerdict {
  if (sameFingerprint(pin, p.fingerprint)) return { ok: true, fingerprint: p.fingerprint, by: 'pin' };
  return refuse(
    p,
    'pin-mismatch',
    `Refusing ${p.who}: HOST KEY DOES NOT MATCH THE PIN. The config pins host_key ${pin}, the server ` +
      `presented ${p.seen}. Someone may be intercepting the connection, or the server was rebuilt. ` +
      pinAdvice(p.host, p.port, p.key),
  );
}

function checkKnownHosts(p: Presented): HostKeyVerdict {
  const forHost = p.knownHosts.entries.filter((e) => !e.marker && entryMatchesHost(e, p.host, p.port));
  if (forHost.some((e) => e.key.equals(p.keyBuffer))) {
    return { ok: true, fingerprint: p.fingerprint, by: 'known_hosts' };
  }
  if (forHost.length > 0) {
    const known = forHost.map((e) => `${e.keyType} ${e.fingerprint} (line ${e.line})`).join(', ');
    return refuse(
      p,
      'changed',
      `Refusing ${p.who}: HOST KEY CHANGED. known-hosts has ${known}; the server presented ${p.seen}. ` +
        'Someone may be intercepting the connection, or the server was rebuilt. ' +
        `If the change is expected, replace the old line(s). ${pinAdvice(p.host, p.port, p.key)}`,
    );
  }
  return refuse(
    p,
    'unknown',
    `Refusing ${p.who}: its host key is unknown (no known-hosts entry for ${hostKeyName(p.host, p.port)} and no ` +
      `host_key pin). The server presented ${p.seen}. ${pinAdvice(p.host, p.port, p.key)}`,
  );
}
