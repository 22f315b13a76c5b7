import { describe, expect, it } from 'vitest';
import { detect } from '../../../../src/core/redact/detect.js';
import { longTokens } from '../../../../src/core/redact/tokens.js';
import { redact } from '../../../../src/core/util/redact.js';

const PEM = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACD0R1Ue6aSNTCEXQ4wfmgqXyH3eu8trBVu0MI0m5d7wNwAAAJgAAAAAAAAA
-----END OPENSSH PRIVATE KEY-----`;

describe('redact', () => {
  it('removes private keys: PEM, PGP, JSON-escaped, and cut off before END', () => {
    expect(redact(`key:\n${PEM}\nafter`)).toBe('key:\n[REDACTED PRIVATE KEY]\nafter');
    expect(redact('-----BEGIN RSA PRIVATE KEY-----\nMIIEow...truncated')).toBe('[REDACTED PRIVATE KEY]');
    expect(redact('-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----')).toBe(
      '[REDACTED PRIVATE KEY]',
    );
    const json = JSON.stringify({
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n',
    });
    expect(redact(json)).not.toContain('MIIEvQIBADANBgkq');
    // a public key or certificate is not a secret
    expect(redact('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')).toContain('MIIB');
  });

  it('removes bearer and API tokens of known formats', () => {
    const cases = [
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'curl -H "authorization: Basic dXNlcjpwYXNzd29yZA=="',
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
      'key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789',
      'openai sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD',
      'stripe sk_live_abcdefghijklmnop1234',
      'slack xoxb-1234567890-abcdefghijkl',
      'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX',
      'glpat-abcdefghijklmnopqrstu',
      'npm_abcdefghijklmnopqrstuvwxyz0123456789',
      'bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1',
      'Cookie: session=abcdef123456; csrftoken=zzz',
    ];
    const secrets = [
      'dozjgNryP4J3jVmNHl0w5N',
      'dXNlcjpwYXNzd29yZA',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'github_pat_11ABCDEFG',
      'sk-ant-api03',
      'sk-proj-abc',
      'sk_live_abc',
      'xoxb-1234567890',
      'XXXXXXXXXXXXXXXX',
      'glpat-abc',
      'npm_abc',
      'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1',
      'abcdef123456',
    ];
    for (const [i, input] of cases.entries()) expect(redact(input), input).not.toContain(secrets[i]);
  });

  it('removes passwords in URLs and DSNs', () => {
    expect(redact('postgres://app:s3cr3t@db:5432/app')).toBe('postgres://app:[REDACTED]@db:5432/app');
    expect(redact('redis://:hunter2@cache:6379/0')).toBe('redis://:[REDACTED]@cache:6379/0');
    expect(redact('mongodb+srv://u:p%40ss@cluster0.example.net/db')).toBe(
      'mongodb+srv://u:[REDACTED]@cluster0.example.net/db',
    );
    expect(redact('amqp://guest:we@ird@rabbit/')).not.toContain('we@ird');
    expect(redact('host=db port=5432 user=app password=s3cr3t dbname=app')).toBe(
      'host=db port=5432 user=app password=[REDACTED] dbname=app',
    );
    expect(redact('ssh://git@github.com:22/x.git')).toBe('ssh://git@github.com:22/x.git');
    expect(redact('http://localhost:8080/health@x')).toBe('http://localhost:8080/health@x');
  });

  it('removes cloud keys and name=value secrets, quoted or not', () => {
    expect(redact('AKIAIOSFODNN7EXAMPLE')).toBe('[REDACTED AWS KEY]');
    expect(redact('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(
      'aws_secret_access_key = [REDACTED AWS SECRET]',
    );
    expect(redact('AIzaSyA-abcdefghijklmnopqrstuvwxyz01234')).toBe('[REDACTED GOOGLE KEY]');
    expect(
      redact('DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc+def/ghi==;EndpointSuffix=core'),
    ).not.toContain('abc+def');
    expect(redact('DB_PASSWORD=hunter2 next')).toBe('DB_PASSWORD=[REDACTED] next');
    expect(redact('{"password": "correct horse battery staple", "user": "x"}')).toBe(
      '{"password": "[REDACTED]", "user": "x"}',
    );
    expect(redact("client_secret: 'a b c'")).toBe("client_secret: '[REDACTED]'");
    expect(redact('MYSQL_PWD=abc123')).toBe('MYSQL_PWD=[REDACTED]');
    expect(redact('?api_key=abc123&x=1')).toBe('?api_key=[REDACTED]&x=1');
    expect(redact('mysql --password=hunter2 -u root')).toBe('mysql --password=[REDACTED] -u root');
  });

  it('leaves ordinary operational text alone', () => {
    const text = [
      'tokens: 1234',
      'max_tokens_per_run: 60000',
      'nginx.service: Main process exited, code=exited, status=1/FAILURE',
      '/dev/vda1 100G 93G 7G 93% /',
      'Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2',
      'PWD=/home/ops',
    ].join('\n');
    expect(redact(text)).toBe(text);
  });

  it('removes configured secret values in every form they travel in', () => {
    const secret = 'p@ss word/with"quotes';
    const out = redact(`a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify(secret)}`, [secret]);
    expect(out).not.toContain('p@ss');
    expect(out).not.toContain('p%40ss');
    expect(redact('abc', ['ab'])).toBe('abc');
    const key = `${PEM}\n`;
    const line = PEM.split('\n')[1] ?? '';
    expect(redact(`leaked half a key: ${line}`, [key])).toBe('leaked half a key: [REDACTED]');
  });

  it('redacts with the secrets a list holds now, when its caller adds one after a first use', () => {
    // the forms of a secret list are remembered by content: a grown list is a new list
    const secrets = ['first-secret-value'];
    expect(redact('first-secret-value second-secret-value', secrets)).toBe('[REDACTED] second-secret-value');
    secrets.push('second-secret-value');
    expect(redact('first-secret-value second-secret-value', secrets)).toBe('[REDACTED] [REDACTED]');
  });

  it('is idempotent and optionally hides hosts and IPs', () => {
    const once = redact('postgres://a:b@h/d password=x Bearer abcdefghijklmnopqrstuvwxyz');
    expect(redact(once)).toBe(once);
    expect(
      redact('web1.internal at 10.0.0.5 and 999.1.1.1', [], { hosts: ['web1.internal'], ips: true }),
    ).toBe('[HOST] at [IP] and 999.1.1.1');
  });
});

describe('longTokens: what the token detectors read', () => {
  it('leaves out identifiers made of hex digits: /proc/net rows, MAC and IPv6 addresses, UUIDs', () => {
    const rows = [
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 14976026 1 00000000b30cf040 100 0 0 10 0',
      '   1: 00000000000000000000000000000000:08AE 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 14972922 1 00000000238f022f 100 0 0 10 0',
      'link/ether DE:AD:BE:EF:00:11 brd FF:FF:FF:FF:FF:FF fingerprint 9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15',
      'boot 1fdbbafa-22cb-4a44-a2ad-5d173d7d873b machine 1FDBBAFA-22CB-4A44-A2AD-5D173D7D873B',
      '2026-12-07T12:11:42.450Z nginx[41]: started at 2026-12-07T12:11:42+01:00',
    ];
    for (const row of rows) expect(longTokens(row).text).toBe('');
    // a server state's samples: each time is a string of the record, and holds nothing to find
    expect(detect('2026-12-07T12:11:42.450Z')).toEqual([]);
    expect(redact('2026-12-07T12:11:42.450Z password=2026-12-07T12:11:42.450Z')).toBe(
      '2026-12-07T12:11:42.450Z password=[REDACTED]',
    );
  });

  it('keeps tokens a vendor format can match, so bare tokens are still found', () => {
    // a Telegram bot token whose tail happens to be uppercase hex: its second group is too long
    const telegram = '123456789:AA0325AE8B0838D8A85025D8550207A0F';
    // Mailgun's newer keys are lowercase hex joined by dashes, but not in a UUID's shape
    const mailgun = '0123456789abcdef0123456789abcdef-01234567-89abcdef';
    for (const token of [
      telegram,
      mailgun,
      'ABCDEF0123456789:ABCDEF0123456789AB',
      'a1b2c3d4-e5f6-a7b8-c9d0-E1F2A3B4C5D6',
    ])
      expect(longTokens(`x ${token} y`).text).toBe(token);
    expect(redact(`bot ${telegram}`)).not.toContain('0325AE8B');
    expect(redact(`mg ${mailgun}`)).not.toContain('0123456789abcdef-');
    // a hex secret is found by its context, which the whole-text detectors read
    expect(redact('token 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08')).toBe(
      'token [REDACTED]',
    );
  });
});
