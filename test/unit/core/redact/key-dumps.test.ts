/**
 * Key dumps, credential flags and password hashes (src/core/redact/key-dumps.ts, hashes.ts,
 * command-lines.ts): the forms are in test/fixtures/secrets-corpus/key-dumps.json,
 * credential-flags.json and password-hashes.json (pushed through every output by
 * secrets-corpus.test.ts); here, what must stay readable beside them: addresses, ids, digests,
 * public keys, dumps of files that are not keys, and the rows that look like a secret's but are not.
 */
import { describe, expect, it } from 'vitest';
import { auditRecords } from '../../../../src/core/redact/audit-records.js';
import { passwordHashes } from '../../../../src/core/redact/hashes.js';
import { isDumpLine, valuesAfterWords } from '../../../../src/core/redact/key-dumps.js';
import { redact } from '../../../../src/core/util/redact.js';

const KEEP = [
  '    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n    inet6 2001:db8::5054:ff:fe12:3456/64 scope global',
  'tcp   LISTEN 0  511  0.0.0.0:443  0.0.0.0:*  users:(("nginx",pid=812,fd=6))',
  '/dev/vdb1: UUID="6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718" TYPE="crypto_LUKS" PARTUUID="0a1b2c3d-01"',
  'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nnginx        1.27      a1b2c3d4e5f6   2 weeks ago   192MB',
  'nginx@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  'ii  openssl  3.0.15-1~deb12u1  amd64  Secure Sockets Layer toolkit',
  'SHA256 checksum: 5f8d2f4fb9a1c0e2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716a5b4',
  '256 SHA256:uN5yB3kGfXm0P2t4w8Qe1Zr7sLcVdJhK9aPo6iYbTnE root@web1 (ED25519)',
  'Server host key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEiqhaTrLJfn',
  // wg show: public keys, and the private and preshared keys it hides itself
  'interface: wg0\n  public key: qIYt0rCav9Bl8G99SgMak8UsckP4/pXTUMKaQMwngOw=\n  private key: (hidden)\n  listening port: 51820\n\npeer: gGvgHFpyZ2rsicyWoZBl/zUZc1CqM/4RXrAdEb2S5Uw=\n  preshared key: (hidden)\n  endpoint: 198.51.100.4:51820',
  'PublicKey = qIYt0rCav9Bl8G99SgMak8UsckP4/pXTUMKaQMwngOw=',
  // wg show's one-key rows: public keys with an endpoint, allowed ips, a handshake time
  'wg0\tqIYt0rCav9Bl8G99SgMak8UsckP4/pXTUMKaQMwngOw=',
  'gGvgHFpyZ2rsicyWoZBl/zUZc1CqM/4RXrAdEb2S5Uw=\t198.51.100.4:51820\ngGvgHFpyZ2rsicyWoZBl/zUZc1CqM/4RXrAdEb2S5Uw=\t10.8.0.3/32',
  // a ConfigMap's data is not a Secret's
  'kind: ConfigMap\ndata:\n  nginx.conf: |\n    worker_processes auto;\n  LOG_LEVEL: info',
  // a dump of a file that is not a key
  '$ xxd /usr/bin/ls | head -2\n00000000: 7f45 4c46 0201 0100 0000 0000 0000 0000  .ELF............\n00000010: 0300 3e00 0100 0000 6061 0000 0000 0000  ..>.....`a......',
  'gpg: key 7EA0A9C3F273FCD8: public key "Docker Release (CE deb) <docker@docker.com>" imported',
  'apt-key adv --keyserver keyserver.ubuntu.com --recv-keys 7EA0A9C3F273FCD8',
  'Dec 07 sshd[812]: Accepted key ED25519 SHA256:uN5yB3kGfXm0P2t4w8Qe1Zr7sLcVdJhK9aPo6iYbTnE found at /root/.ssh/authorized_keys:1',
  'Dec 07 10:00:01 host kernel: random: crng init done; key_type encrypted registered',
  'systemd-cryptsetup[412]: Set cipher aes, mode xts-plain64, key size 512 bits for device /dev/vdb.',
  'Dec 07 app[1]: idempotency key 6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718 reused',
  'example.com. 3600 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==',
  // shadow rows without a password, a shell's positional parameters, prose about hashes
  'root:*:19700:0:99999:7:::\ndaemon:!:19700::::::',
  "echo $1$2$3 | awk '{print $1}'",
  'password_pbkdf2 is set in /etc/grub.d/40_custom',
  'Dec 07 sshd[812]: RSA key fingerprint is SHA256:uN5yB3kGfXm0P2t4w8Qe1Zr7sLcVdJhK9aPo6iYbTnE',
];

describe('key dumps, credential flags and password hashes', () => {
  it.each(KEEP.map((t, i) => [i, t] as const))('keeps what is not a secret (%i)', (_i, text) => {
    expect(redact(text)).toBe(text);
  });

  it('keeps the offset column of a dump and the scheme of a hash', () => {
    const dump = '$ xxd /etc/keys/a.key\n00000000: 3f2a 9c1b 77e0 4d5a 8812 ffab 0c3d 61e2  ?*..w.MZ.....=a.';
    expect(redact(dump)).toBe('$ xxd /etc/keys/a.key\n00000000: [REDACTED]');
    expect(redact('admin:{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=')).toBe('admin:{SSHA}[REDACTED PASSWORD HASH]');
  });

  it('redacts the private key of an interface row and the preshared key of a peer row, not the public keys', () => {
    const pub = 'qIYt0rCav9Bl8G99SgMak8UsckP4/pXTUMKaQMwngOw=';
    const priv = '//q5SOlvE6sZ1ZQY0A/RcXEJSJEluDra3GDzStCEILs=';
    const psk = 'SOlmlvEP/PD/6nvvUkPe4AleS1r6flf/j3EHsGIq+jo=';
    const out = redact(
      `${priv}\t${pub}\t51820\toff\n${pub}\t${psk}\t198.51.100.4:51820\t10.8.0.3/32\t0\t0\t0\toff`,
    );
    expect(out).not.toContain(priv);
    expect(out).not.toContain(psk);
    expect(out.split(pub).length).toBe(3);
  });

  it('knows a dump line in every word width, and not a line of prose or a long line', () => {
    for (const line of [
      '00000000: 3f2a 9c1b 77e0 4d5a 8812 ffab 0c3d 61e2  ?*..w.MZ.....=a.',
      '00000000: be3f6bea ff24ed7b 8798bd93 734bf8cb  .....',
      '0000000 403b 0828 3b68 ffb7 45ff 1bc8 b58e 096b',
      '000000 7e 69 a0 e7 e4 c3 e9 3b f5 d6 4f ad 7c 18 a8 84  >................<',
      '00000010  2e a5 99 ec 28 a4 47 87  c9 59 b5 6f c6 5e c7 98  |................|',
      '\t\t8d ba 4c 22 20 f7 78 bb 1f 0f 53 c6 94 cd b5 18',
      'be3f6beaff24ed7b8798bd93734bf8cba8966570e514a669e5a84059b79e',
    ])
      expect(isDumpLine(line), line).toBe(true);
    for (const line of ['Dec 07 10:00:01 web1 sshd[812]: Accepted key', 'ab '.repeat(200), 'deadbeef'])
      expect(isDumpLine(line), line).toBe(false);
  });

  it('finds a generated value right after a crypto word, not a name or a word', () => {
    const found = (t: string) => valuesAfterWords(t).map((s) => t.slice(s.start, s.end));
    expect(found('crypto isakmp key m3h2TYo7rxs2xmuC address 203.0.113.9')).toEqual(['m3h2TYo7rxs2xmuC']);
    expect(found('ntp authentication-key 7 md5 boID+bSSIt4fcIMdYfXMAw3ZIv+1VYV89yWqo8+mVVc=')).toEqual([
      'boID+bSSIt4fcIMdYfXMAw3ZIv+1VYV89yWqo8+mVVc=',
    ]);
    expect(found('Secret "db-creds-8f7d6c9b5" is invalid; key_type encrypted; keys: id')).toEqual([]);
  });

  it('finds the hash of each scheme and leaves its name', () => {
    const found = (t: string) => passwordHashes(t).map((s) => t.slice(s.start, s.end));
    expect(found('bob:{MD5}/qXT+JnBmrVjZZMa51l73g==')).toEqual(['/qXT+JnBmrVjZZMa51l73g==']);
    expect(found("'pbkdf2_sha256$870000$NiqFWEtKkCamJXhB2x$4DbBWDZPeZK5GIRN='")).toEqual([
      '870000$NiqFWEtKkCamJXhB2x$4DbBWDZPeZK5GIRN=',
    ]);
    expect(found('| app | % | *C6E770FFA51351064675B8AA4D08AC4464492F74 |')).toEqual([
      'C6E770FFA51351064675B8AA4D08AC4464492F74',
    ]);
    expect(found('price {USD}10 and md5sum and a ${HOME} path')).toEqual([]);
  });

  it("reads an audit record's arguments as the command line that ran, and redacts only the secret's", () => {
    const record =
      'type=EXECVE msg=audit(1733570000.123:456): argc=4 a0="mysql" a1="-uroot" a2="-pS3cr3tPw9" a3="app"';
    const found = auditRecords(record).map((s) => record.slice(s.start, s.end));
    expect(found).toEqual(['-pS3cr3tPw9']);
    expect(
      auditRecords('type=EXECVE msg=audit(1.2:3): argc=3 a0="ls" a1="-la" a2="/etc/ssl/private"'),
    ).toEqual([]);
  });
});
