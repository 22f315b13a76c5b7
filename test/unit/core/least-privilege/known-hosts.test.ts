import { describe, expect, it } from 'vitest';
import {
  entryMatchesHost,
  fingerprintOf,
  hostKeyName,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
  pinAdvice,
  verifyHostKey,
} from '../../../../src/core/least-privilege/known-hosts.js';

// Fixtures produced by OpenSSH 9.2 (ssh-keygen -t ed25519 / -t ecdsa, -lf for the fingerprints,
// -H for the hashed lines), so the parser is checked against the real tool, not against itself.
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIJRwxebBw4TE6hFoJQaQSDlbYpFsbB2914U7AmK3Xa5C';
const ED25519_FP = 'SHA256:FTWVUgukwh02pBGvZkEmwINozyorsWm+3cr+IvCE/XE';
const ECDSA =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGoQZt9jgT6oQDh131uIRmuszuwV1ya1aHKhclZaFkrdT8oSIGvfuuESjZeqZJa51735WW9lQtnSQ4SYYVT+KcQ=';
const ECDSA_FP = 'SHA256:L+4A84crGSiJa6aN/HQQ3FEzkXmoU6s1WZBTGGbYHn0';
// `[10.77.1.5]:2222 ssh-ed25519 …` and `web1.example.com ecdsa-sha2-nistp256 …`, hashed by ssh-keygen -H
const HASHED = [
  `|1|5ja8sOg2fzt5f3VMj1xvdMfe08s=|9WIgsqbnIDYyZp5kLA1p8azcey0= ssh-ed25519 ${ED25519}`,
  `|1|wtnC2IxteqC3xCdnYouSf2etbs0=|FSkXpxVUlE+Rx9ysbsHluyHOpvY= ecdsa-sha2-nistp256 ${ECDSA}`,
].join('\n');

const ed = Buffer.from(ED25519, 'base64');
const ec = Buffer.from(ECDSA, 'base64');

describe('fingerprints and key blobs', () => {
  it('computes the OpenSSH SHA256 fingerprint', () => {
    expect(fingerprintOf(ed)).toBe(ED25519_FP);
    expect(fingerprintOf(ec)).toBe(ECDSA_FP);
  });
  it('reads the key type out of the blob', () => {
    expect(keyTypeOf(ed)).toBe('ssh-ed25519');
    expect(keyTypeOf(ec)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(Buffer.from([0, 0, 0]))).toBeUndefined();
    expect(keyTypeOf(Buffer.from([0, 0, 1, 0, 65]))).toBeUndefined();
  });
  it('names non-standard ports the OpenSSH way', () => {
    expect(hostKeyName('a.example', 22)).toBe('a.example');
    expect(hostKeyName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });
});

describe('parseKnownHosts', () => {
  it('skips comments and blank lines, reports bad lines with their number', () => {
    const { entries, errors } = parseKnownHosts(
      [
        '# a comment',
        '',
        `host1,host2 ssh-ed25519 ${ED25519} a comment here`,
        'host3 ssh-ed25519',
        `host4 ssh-rsa ${ED25519}`,
        '@bogus host5 ssh-ed25519 AAAA',
        `host6 ssh-ed25519 not*base64`,
        `|1|abc ssh-ed25519 ${ED25519}`,
      ].join('\r\n'),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]?.line).toBe(3);
    expect(entries[0]?.fingerprint).toBe(ED25519_FP);
    expect(errors.map((e) => e.line)).toEqual([4, 5, 6, 7, 8]);
    expect(errors[1]?.message).toContain('ssh-ed25519');
  });
  it('reads markers', () => {
    const { entries } = parseKnownHosts(
      `@revoked * ssh-ed25519 ${ED25519}\n@cert-authority *.example ecdsa-sha2-nistp256 ${ECDSA}`,
    );
    expect(entries.map((e) => e.marker)).toEqual(['revoked', 'cert-authority']);
  });
});

describe('host matching', () => {
  const one = (hosts: string) => {
    const entry = parseKnownHosts(`${hosts} ssh-ed25519 ${ED25519}`).entries[0];
    if (!entry) throw new Error('fixture did not parse');
    return entry;
  };
  it('matches plain names case-insensitively, port 22 only', () => {
    expect(entryMatchesHost(one('Web1.Example.com'), 'web1.example.com', 22)).toBe(true);
    expect(entryMatchesHost(one('web1.example.com'), 'web1.example.com', 2222)).toBe(false);
  });
  it('matches [host]:port entries on that port only', () => {
    expect(entryMatchesHost(one('[10.77.1.5]:2222'), '10.77.1.5', 2222)).toBe(true);
    expect(entryMatchesHost(one('[10.77.1.5]:2222'), '10.77.1.5', 22)).toBe(false);
    expect(entryMatchesHost(one('[10.77.1.5]:2222'), '10.77.1.5', 22222)).toBe(false);
  });
  it('supports wildcards and negation', () => {
    expect(entryMatchesHost(one('*.example.com'), 'db.example.com', 22)).toBe(true);
    expect(entryMatchesHost(one('10.77.1.?'), '10.77.1.7', 22)).toBe(true);
    expect(entryMatchesHost(one('10.77.1.?'), '10.77.1.17', 22)).toBe(false);
    expect(entryMatchesHost(one('*.example.com,!bad.example.com'), 'bad.example.com', 22)).toBe(false);
    // regex metacharacters in names are literal
    expect(entryMatchesHost(one('a.b'), 'axb', 22)).toBe(false);
  });
  it('gives the same answers when a pattern is met again for other hosts (compiled once)', () => {
    const entry = one('*.Example.com,!bad.example.com,Web1.Other.org');
    for (let round = 0; round < 2; round++) {
      expect(entryMatchesHost(entry, 'db.EXAMPLE.com', 22)).toBe(true);
      expect(entryMatchesHost(entry, 'bad.example.com', 22)).toBe(false);
      expect(entryMatchesHost(entry, 'WEB1.other.org', 22)).toBe(true);
      expect(entryMatchesHost(entry, 'web2.other.org', 22)).toBe(false);
      expect(entryMatchesHost(entry, 'db.example.com', 2222)).toBe(false);
    }
  });
  it('matches hashed entries produced by ssh-keygen -H', () => {
    const { entries } = parseKnownHosts(HASHED);
    expect(entries).toHaveLength(2);
    const [first, second] = entries;
    if (!first || !second) throw new Error('fixture did not parse');
    expect(entryMatchesHost(first, '10.77.1.5', 2222)).toBe(true);
    expect(entryMatchesHost(first, '10.77.1.5', 22)).toBe(false);
    expect(entryMatchesHost(second, 'web1.example.com', 22)).toBe(true);
    expect(entryMatchesHost(second, 'web2.example.com', 22)).toBe(false);
  });
  it('lists the key types known for a host (to ask the server for those first)', () => {
    const kh = parseKnownHosts(`${HASHED}\nweb1.example.com ssh-ed25519 ${ED25519}`);
    expect(knownKeyTypes(kh, 'web1.example.com', 22)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(knownKeyTypes(kh, 'nope', 22)).toEqual([]);
  });
});

describe('verifyHostKey', () => {
  const kh = parseKnownHosts(`# fleet\n[10.77.1.5]:2222 ssh-ed25519 ${ED25519}\n${HASHED}`);

  it('accepts the recorded key', () => {
    expect(verifyHostKey({ knownHosts: kh, host: '10.77.1.5', port: 2222, key: ed })).toEqual({
      ok: true,
      fingerprint: ED25519_FP,
      by: 'known_hosts',
    });
  });
  it('refuses an unknown host, showing the fingerprint and how to pin it', () => {
    const verdict = verifyHostKey({ knownHosts: kh, host: '10.77.1.9', port: 2222, key: ed, server: 'web9' });
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe('unknown');
    expect(verdict.message).toContain('web9 (10.77.1.9:2222)');
    expect(verdict.message).toContain(ED25519_FP);
    expect(verdict.message).toContain(`[10.77.1.9]:2222 ssh-ed25519 ${ED25519}`);
    expect(verdict.message).toContain(`host_key: "${ED25519_FP}"`);
    expect(verdict.message).toContain('ssh-keyscan -p 2222 10.77.1.9');
  });
  it('refuses a changed key, naming the recorded one', () => {
    const verdict = verifyHostKey({ knownHosts: kh, host: '10.77.1.5', port: 2222, key: ec });
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe('changed');
    expect(verdict.message).toContain('HOST KEY CHANGED');
    expect(verdict.message).toContain(ED25519_FP);
    expect(verdict.message).toContain(ECDSA_FP);
  });
  it('accepts a matching pin, with or without base64 padding, and refuses a different one', () => {
    const empty = parseKnownHosts('');
    expect(verifyHostKey({ knownHosts: empty, host: 'h', port: 22, key: ed, pin: ED25519_FP }).ok).toBe(true);
    expect(verifyHostKey({ knownHosts: empty, host: 'h', port: 22, key: ed, pin: `${ED25519_FP}=` }).ok).toBe(
      true,
    );
    const verdict = verifyHostKey({ knownHosts: kh, host: '10.77.1.5', port: 2222, key: ed, pin: ECDSA_FP });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.reason).toBe('pin-mismatch');
      expect(verdict.message).toContain(ECDSA_FP);
      expect(verdict.message).toContain(ED25519_FP);
    }
  });
  it('refuses a revoked key even when pinned or listed', () => {
    const revoked = parseKnownHosts(`${HASHED}\n@revoked * ssh-ed25519 ${ED25519}`);
    for (const pin of [undefined, ED25519_FP]) {
      const verdict = verifyHostKey({ knownHosts: revoked, host: '10.77.1.5', port: 2222, key: ed, pin });
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.reason).toBe('revoked');
    }
  });
  it('does not let a @cert-authority line vouch for a plain key', () => {
    const ca = parseKnownHosts(`@cert-authority * ssh-ed25519 ${ED25519}`);
    const verdict = verifyHostKey({ knownHosts: ca, host: 'x', port: 22, key: ed });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toBe('unknown');
  });
  it('advises ssh-keyscan without -p on port 22', () => {
    expect(pinAdvice('web1', 22, ed)).toContain('`ssh-keyscan web1 | ssh-keygen -lf -`');
    expect(pinAdvice('web1', 22, ed)).toContain('/etc/ssh/ssh_host_ed25519_key.pub');
    expect(pinAdvice('web1', 22, ec)).toContain('/etc/ssh/ssh_host_ecdsa_key.pub');
  });
});
