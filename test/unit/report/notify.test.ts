import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../../src/adapters/notify.js';
import type { ServerState } from '../../../src/core/memory/memory.js';
import {
  breakerChanges,
  notificationMessage,
  renderNotification,
  shouldNotify,
} from '../../../src/core/render/render-notification.js';
import { HttpReceiver } from '../../support/http-receiver.js';
import { sampleRecord } from '../../support/records.js';

const fast = { sleep: async () => {}, baseDelayMs: 1 };
const message = (text = 'hello') => ({ title: text, status: 'critical' as const, items: [] });

describe('notifications', () => {
  const receiver = new HttpReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  const bodyAt = (path: string) => JSON.parse(receiver.received.find((r) => r.path === path)?.body ?? 'null');

  it('notifies on changes only under the default policy', () => {
    const record = sampleRecord();
    expect(shouldNotify(record, 'changes')).toBe(true);
    record.findings = record.findings.map((f) => ({ ...f, lifecycle: 'ongoing' }));
    record.resolved = [];
    record.actions = [];
    expect(shouldNotify(record, 'changes')).toBe(false);
    expect(shouldNotify(record, 'always')).toBe(true);
    record.status = 'warning';
    expect(shouldNotify(record, 'critical')).toBe(false);
    // a breaker that opened since the last run is a change worth a message
    expect(
      shouldNotify(record, 'changes', [{ server: 'web1', key: 'restart-service:nginx', open: true }]),
    ).toBe(true);
  });

  it('renders new findings, actions and a link', () => {
    const text = renderNotification(
      sampleRecord(),
      'https://github.example/acme/fleet/blob/claudeops-state/health/x.md',
    );
    expect(text.split('\n')[0]).toBe('ClaudeOps check: CRITICAL — 2 finding(s) on 2 server(s)');
    expect(text).toContain('• 🔴 web1: /var is 93% full (crit 90%) (new)');
    expect(text).toContain('• 🔧 restart-service on web1: fixed');
    expect(text.endsWith('/health/x.md')).toBe(true);
  });

  it('announces a breaker change once: in the run that changed it, not in the next', () => {
    const state = (open: boolean): Record<string, ServerState> => ({
      web1: {
        server: 'web1',
        runs: 1,
        recentRuns: [],
        reboots: [],
        cursors: {},
        findings: {},
        samples: {},
        counters: {},
        remediation: { 'restart-service:nginx': { attempts: [], failures: 3, breakerOpen: open } },
      },
    });
    const opened = breakerChanges(state(false), state(true));
    expect(opened).toEqual([{ server: 'web1', key: 'restart-service:nginx', open: true }]);
    expect(breakerChanges(state(true), state(true))).toEqual([]);
    expect(breakerChanges(state(true), state(false))).toEqual([
      { server: 'web1', key: 'restart-service:nginx', open: false },
    ]);
    const text = renderNotification({ ...sampleRecord() }, undefined);
    expect(text).not.toContain('breaker');
    const withBreaker = notificationMessage(sampleRecord(), undefined, opened);
    expect(withBreaker.items).toContainEqual({
      kind: 'breaker',
      text: 'circuit breaker opened: restart-service:nginx on web1 (no more automatic tries)',
    });
  });

  it('posts Slack, Telegram, webhook, Discord and Teams payloads and reports a failing channel without throwing', async () => {
    receiver.answer('/broken', { status: 500 }, { status: 500 }, { status: 500 });
    const msg = notificationMessage(sampleRecord(), 'https://github.test/acme/ops/blob/s/health/x.md');
    const failures = await notify(
      {
        config: {
          on: 'changes',
          slack: { webhook: `${receiver.base}/slack/hook` },
          telegram: { token: '123:abc', chat: '-42' },
          webhook: { url: `${receiver.base}/broken` },
          discord: { webhook: `${receiver.base}/api/webhooks/1/tok` },
          teams: { webhook: `${receiver.base}/workflows/teams` },
        },
        telegramApi: receiver.base,
        retry: fast,
      },
      msg,
      { status: 'critical' },
    );
    expect(failures).toEqual(['notify webhook: HTTP 500 after 3 attempts']);
    expect(bodyAt('/slack/hook').text).toContain('ClaudeOps check: CRITICAL');
    expect(bodyAt('/bot123:abc/sendMessage')).toMatchObject({
      chat_id: '-42',
      disable_web_page_preview: true,
    });
    expect(bodyAt('/broken')).toEqual({ status: 'critical' });

    const discord = bodyAt('/api/webhooks/1/tok');
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.content).toContain('ClaudeOps check');
    expect(discord.embeds[0]).toMatchObject({
      color: 0xc62828,
      url: 'https://github.test/acme/ops/blob/s/health/x.md',
    });
    expect(discord.embeds[0].description).toContain('/var is 93% full');

    const teams = bodyAt('/workflows/teams');
    expect(teams.type).toBe('message');
    const card = teams.attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.content.body[0]).toMatchObject({ type: 'TextBlock', weight: 'Bolder', color: 'Attention' });
    expect(card.content.actions[0]).toEqual({
      type: 'Action.OpenUrl',
      title: 'Open the health report',
      url: 'https://github.test/acme/ops/blob/s/health/x.md',
    });
  });

  it('retries 429 after Retry-After and 5xx, bounded; a 4xx is final', async () => {
    receiver.answer(
      '/api/webhooks/2/limited',
      { status: 429, headers: { 'retry-after': '0.05' } },
      { status: 502 },
    );
    receiver.answer('/workflows/gone', { status: 404 });
    const before = receiver.received.length;
    const failures = await notify(
      {
        config: {
          on: 'always',
          discord: { webhook: `${receiver.base}/api/webhooks/2/limited` },
          teams: { webhook: `${receiver.base}/workflows/gone` },
        },
        retry: { baseDelayMs: 1 },
      },
      message(),
      {},
    );
    const paths = receiver.received.slice(before).map((r) => r.path);
    expect(paths.filter((p) => p.includes('limited'))).toHaveLength(3);
    expect(paths.filter((p) => p.includes('gone'))).toHaveLength(1);
    expect(failures).toEqual(['notify teams: HTTP 404']);
    // the Retry-After wait was honoured between the first and second Discord attempt
    const times = receiver.received
      .slice(before)
      .filter((r) => r.path.includes('limited'))
      .map((r) => r.at);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(45);
  });

  it('reports an unreachable channel as one error string without its (secret) URL', async () => {
    const failures = await notify(
      {
        config: { on: 'always', slack: { webhook: 'http://127.0.0.1:9/T000/B000/secret' } },
        timeoutMs: 2000,
        retry: fast,
      },
      message('t'),
      {},
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^notify slack: network error/);
    expect(failures[0]).not.toContain('secret');
  });
});

describe('e-mail over SMTP with STARTTLS, against a real SMTP server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-smtp-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const mails: { from: string; to: string[]; data: string; secure: boolean; user?: string }[] = [];
  let refuseNext = 0;
  const server = new SMTPServer({
    key: readFileSync(join(dir, 'key.pem')),
    cert,
    authOptional: true,
    onAuth(auth, _session, cb) {
      if (auth.username === 'ops' && auth.password === 'p@ss') cb(null, { user: 'ops' });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        if (refuseNext > 0) {
          refuseNext -= 1;
          const err = Object.assign(new Error('try again later'), { responseCode: 451 });
          cb(err);
          return;
        }
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const email = (smtp: string) => ({
    on: 'always' as const,
    email: { smtp, from: 'claudeops@example.test', to: ['ops@example.test', 'oncall@example.test'] },
  });

  it('sends over STARTTLS with authentication: subject, plain text and escaped HTML', async () => {
    const record = sampleRecord();
    const first = record.findings[0];
    if (first) first.summary = '<script>alert(1)</script> @everyone';
    const failures = await notify(
      { config: email(`smtp://ops:p%40ss@127.0.0.1:${port}`), smtpCa: cert, retry: fast },
      notificationMessage(record, 'https://github.test/acme/ops/blob/s/health/x.md'),
      {},
    );
    expect(failures).toEqual([]);
    const mail = mails.at(-1);
    expect(mail?.secure).toBe(true); // upgraded with STARTTLS before anything was sent
    expect(mail?.user).toBe('ops');
    expect(mail?.to).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(mail?.data).toMatch(/^Subject: (=\?UTF-8\?Q\?)?ClaudeOps(_| )check/m);
    const data = mail?.data ?? '';
    const html = data.slice(data.indexOf('Content-Type: text/html')).replace(/=\r\n/g, '');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    // plain text stays text, the mention broken by a zero-width space (quoted-printable here)
    const plain = data.slice(0, data.indexOf('Content-Type: text/html')).replace(/=\r\n/g, '');
    expect(plain).toMatch(/@(?:=E2=80=8B|\u200b)everyone/);
  });

  it('retries a temporary refusal (451) and then delivers', async () => {
    refuseNext = 1;
    const before = mails.length;
    const failures = await notify(
      { config: email(`smtp://127.0.0.1:${port}`), smtpCa: cert, retry: fast },
      message('retried'),
      {},
    );
    expect(failures).toEqual([]);
    expect(mails.length).toBe(before + 1);
  });

  it('refuses to send in clear text when the server cannot STARTTLS, and says so in one warning', async () => {
    const plain = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      onData: (s, _x, cb) => {
        s.resume();
        s.on('end', () => cb());
      },
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainPort = (plain.server.address() as AddressInfo).port;
    const failures = await notify(
      { config: email(`smtp://127.0.0.1:${plainPort}`), retry: { ...fast, attempts: 1 } },
      message(),
      {},
    );
    await new Promise<void>((resolve) => plain.close(resolve));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^notify email: SMTP/);
  });

  it('a wrong password is final (no retries) and one warning', async () => {
    const failures = await notify(
      { config: email(`smtp://ops:wrong@127.0.0.1:${port}`), smtpCa: cert, retry: fast },
      message(),
      {},
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^notify email: SMTP (535|error EAUTH)/);
    expect(failures[0]).not.toContain('wrong');
  });
});
