import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../../src/adapters/notify.js';
import { renderNotification, shouldNotify } from '../../../src/core/render/render-notification.js';
import { sampleRecord } from '../../support/records.js';

interface Received {
  path: string;
  body: unknown;
}

describe('notifications', () => {
  const received: Received[] = [];
  let base = '';
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ path: req.url ?? '', body: JSON.parse(body) });
    res.statusCode = req.url?.includes('broken') ? 500 : 200;
    res.end(req.url?.startsWith('/bot') ? '{"ok":true,"result":{}}' : 'ok');
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

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

  it('posts Slack, Telegram and webhook payloads and reports a failing channel without throwing', async () => {
    const failures = await notify(
      {
        config: {
          on: 'changes',
          slack: { webhook: `${base}/slack/hook` },
          telegram: { token: '123:abc', chat: '-42' },
          webhook: { url: `${base}/broken` },
        },
        telegramApi: base,
      },
      'hello',
      { status: 'critical' },
    );
    expect(failures).toEqual(['notify webhook: HTTP 500']);
    expect(received).toContainEqual({ path: '/slack/hook', body: { text: 'hello' } });
    expect(received).toContainEqual({
      path: '/bot123:abc/sendMessage',
      body: { chat_id: '-42', text: 'hello', disable_web_page_preview: true },
    });
    expect(received).toContainEqual({ path: '/broken', body: { status: 'critical' } });
  });

  it('reports an unreachable channel as an error string', async () => {
    const failures = await notify(
      { config: { on: 'always', slack: { webhook: 'http://127.0.0.1:9/x' } }, timeoutMs: 2000 },
      't',
      {},
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^notify slack: /);
  });
});
