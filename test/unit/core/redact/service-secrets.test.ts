import { describe, expect, it } from 'vitest';
import { serviceSecrets } from '../../../../src/core/redact/service-secrets.js';
import { redact } from '../../../../src/core/util/redact.js';

/** The texts serviceSecrets finds, in order. */
const found = (text: string) => serviceSecrets(text).map((s) => text.slice(s.start, s.end));

describe('service secrets: JSON Web Keys', () => {
  it('takes the private members of a private key and keeps the public ones', () => {
    const jwk =
      '{"kty":"RSA","kid":"k1","n":"0vx7agoebGcQSuuPiLJX","e":"AQAB","d":"X4cTteJYgn4FYPsXB8rd","qi":"GyM_p6JrXySiz1toFgKb"}';
    expect(found(jwk)).toEqual(['X4cTteJYgn4FYPsXB8rd', 'GyM_p6JrXySiz1toFgKb']);
  });
  it('takes a symmetric key in YAML', () => {
    expect(found('keys:\n  - kty: oct\n    kid: k1\n    k: GawgguFyGrWKav7AX4VKUg\n')).toEqual([
      'GawgguFyGrWKav7AX4VKUg',
    ]);
  });
  it('leaves a `d` member alone when no kty names a key', () => {
    expect(found('{"a":1,"d":"2026-12-07T10"}')).toEqual([]);
  });
});

describe('service secrets: gossip keys and Erlang cookies', () => {
  it('takes Consul/Nomad encrypt, keyring rows, a keyring file and a printed key', () => {
    const k = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
    expect(found(`encrypt = "${k}"`)).toEqual([k]);
    expect(found(`==> Gathering installed encryption keys...\ndc1 (LAN):\n  ${k} [3/3]`)).toEqual([k]);
    expect(found(`$ cat local.keyring\n["${k}"]`)).toEqual([k]);
    expect(found(`$ consul keygen\n${k}\n$ `)).toEqual([k]);
  });
  it('takes the cookie after a command reading it, -setcookie and RABBITMQ_ERLANG_COOKIE', () => {
    expect(found('# cat /var/lib/rabbitmq/.erlang.cookie\nQWERTYUIOPASDFGHJKLZ# ')).toEqual([
      'QWERTYUIOPASDFGHJKLZ',
    ]);
    expect(found('beam.smp -- -sname rabbit -setcookie s3cretC00kie -noinput')).toEqual(['s3cretC00kie']);
    expect(found('RABBITMQ_ERLANG_COOKIE=QWERTYUIOPASDFGHJKLZ')).toEqual(['QWERTYUIOPASDFGHJKLZ']);
  });
  it("leaves a failed read, curl's --cookie jar and encrypt: true alone", () => {
    expect(found('$ cat .erlang.cookie\ncat: .erlang.cookie: Permission denied\nroot@mq1:~# ')).toEqual([]);
    expect(found('curl --cookie jar.txt https://example.org')).toEqual([]);
    expect(found('"encrypt": true, "encrypt_verify_incoming": true')).toEqual([]);
  });
});

describe('service secrets: PHP arrays', () => {
  it('takes password, secret and salt members, any quote', () => {
    expect(found(`'passwordsalt' => 'nextcloud42',\n"dbpassword" => "hunter2",`)).toEqual([
      'nextcloud42',
      'hunter2',
    ]);
  });
  it('leaves members whose names are not secrets, and weak names with plain words', () => {
    expect(found(`'dbuser' => 'oc_admin', 'key' => 'primary', 'cache_key' => 'users_list'`)).toEqual([]);
  });
});

describe('service secrets: Redis ACL, snmpd, keepalived, cloud-init', () => {
  it('takes >password rules and keeps the #sha256 for the hash detector', () => {
    const h = 'a'.repeat(64);
    expect(found(`user app on >p4ss >Other1 ~app:* +@read\nuser ops on #${h} ~* +@all`)).toEqual([
      'p4ss',
      'Other1',
    ]);
  });
  it('leaves a > in prose about a user', () => {
    expect(found('Invalid user admin from 10.0.0.1 >/dev/null on')).toEqual([]);
  });
  it('takes createUser passphrases, authpass and privpass, and leaves prose under 8 characters', () => {
    expect(found('createUser mon SHA "authPhrase1" AES privPhrase2')).toEqual(['authPhrase1', 'privPhrase2']);
    expect(found('authpass Abcdefgh1\nprivpass Zyxwvuts2')).toEqual(['Abcdefgh1', 'Zyxwvuts2']);
    expect(found('createUser with SHA and AES passphrases')).toEqual([]);
  });
  it("takes chpasswd list passwords and keeps cloud-init's RANDOM", () => {
    const text = 'chpasswd:\n  list: |\n    root:Summer42!\n    backup:RANDOM\n  expire: true';
    expect(found(text)).toEqual(['Summer42!']);
    expect(found('chpasswd: { list: "root:hunter2", expire: False }')).toEqual(['hunter2']);
  });
});

describe('service secrets: one-time-password seeds', () => {
  it('takes the seed and scratch codes of ~/.google_authenticator and keeps its option lines', () => {
    const text =
      '$ cat ~/.google_authenticator\nJBSWY3DPEHPK3PXP\n" TOTP_AUTH\n" WINDOW_SIZE 17\n12345678\n87654321\n$ ';
    expect(found(text)).toEqual(['JBSWY3DPEHPK3PXP', '12345678', '87654321']);
    expect(redact(text)).toContain('" WINDOW_SIZE 17');
  });
  it('takes the setup output and a *_TOTP_SEED variable', () => {
    expect(
      found('Your new secret key is: JBSWY3DPEHPK3PXP\nYour emergency scratch codes are:\n  12345678'),
    ).toEqual(['JBSWY3DPEHPK3PXP', '12345678']);
    expect(found('MFA_TOTP_SEED=JOBSYXKZ5KV3ER35EFSOFTLS6Y')).toEqual(['JOBSYXKZ5KV3ER35EFSOFTLS6Y']);
  });
});
