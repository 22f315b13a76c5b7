/**
 * Key material known by its context (src/core/redact/key-context.ts): the forms are in
 * test/fixtures/secrets-corpus/key-context.json (pushed through every output by secrets-corpus.test.ts);
 * here, what must stay: the identifiers that look the same and say they are public or structural.
 */
import { describe, expect, it } from 'vitest';
import { detect } from '../../../../src/core/redact/detect.js';
import { redact } from '../../../../src/core/util/redact.js';

const KEEP = [
  // /proc/net/tcp6 rows, MAC and IPv6 addresses
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21356 1 0000000000000000 100 0 0 10 0',
  '    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff',
  'bssid=3c:41:0e:aa:bb:cc\nkey_mgmt=WPA2-PSK\npairwise_cipher=CCMP',
  '    inet6 fe80::5054:ff:fe12:3456/64 scope link',
  '00:1a:2b:3c:4d:5e:6f:70:81:92',
  // key ids, fingerprints, public keys, digests
  'gpg: key 7EA0A9C3F273FCD8: public key "Docker Release (CE deb) <docker@docker.com>" imported',
  '      Key fingerprint = 9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88',
  'W: GPG error: http://repo stable InRelease: NO_PUBKEY 4AA5C1FBD6F9F2D1',
  'pub   rsa4096 2017-02-22 [SCEA]\n      9DC858229FC7DD38854AE2D88D81803C0EBFCD88',
  'Digest: sha256:5f8d2f4fb9a1c0e2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716a5b4',
  'registry.example.com/app@sha256:5f8d2f4fb9a1c0e2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716a5b4',
  '            X509v3 Subject Key Identifier: \n                3A:9B:7C:21:44:E0:5F:19:8A:2B:6C:0D:1E:4F:5A:6B:7C:8D:9E:0F',
  '            X509v3 Authority Key Identifier: \n                keyid:3A:9B:7C:21:44:E0:5F:19:8A:2B:6C:0D:1E:4F:5A:6B:7C:8D:9E:0F',
  'Public-Key: (256 bit)\npub:\n    04:8c:5e:7a:31:0f:22:9b:aa:14:6d:e3:07:c9:51:\n    2e:44',
  'Accepted publickey for deploy from 10.0.0.9 port 50122 ssh2: ED25519 SHA256:uN5yB3kGfXm0P2t4w8Qe1Zr7sLcVdJhK9aPo6iYbTnE',
  'ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEiqhaTrLJfn ops@example',
  'Key ID 0x4AA5C1FBD6F9F2D1 (RSA 4096)',
  // hashes that are checksums
  'c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2  keys.tar.gz',
  'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 rotate signing keys (#412)',
  'Dec 07 10:00:01 host kernel: random: crng init done; key_type encrypted registered',
];

describe('key material known by its context', () => {
  it.each(KEEP.map((t, i) => [i, t] as const))('keeps structural and public identifiers (%i)', (_i, text) => {
    expect(redact(text)).toBe(text);
  });

  it('finds nothing in a /proc/net/tcp6 table (no detector of the words runs on it)', () => {
    const row = (i: number) =>
      `  ${i}: 0000000000000000FFFF00000100007F:${(8000 + i).toString(16).toUpperCase()} 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${20000 + i} 1 0000000000000000 100 0 0 10 0`;
    const table = Array.from({ length: 200 }, (_, i) => row(i)).join('\n');
    expect(detect(table)).toEqual([]);
  });

  it('redacts an armour of any key label, whole, and a numbered or plural secret name', () => {
    const armour =
      '-----BEGIN ACME Static key V2-----\n0f1e2d3c4b5a69788796a5b4c3d2e1f0\n-----END ACME Static key V2-----';
    expect(redact(`x\n${armour}\ny`)).toBe('x\n[REDACTED PRIVATE KEY]\ny');
    expect(
      redact('-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----'),
    ).toContain('MFkw');
    expect(redact('wep_key2=0A1B2C3D4E5F60718293A4B5C6')).toBe('wep_key2=[REDACTED]');
    expect(redact('{"unseal_keys_hex": ["9f8e7d6c5b4a39281706f5e4d3c2b1a0ff"]}')).not.toContain(
      '9f8e7d6c5b4a',
    );
  });
});
