/**
 * A real HTTP server on loopback that records every request and answers from a script: per path,
 * a queue of answers (status, headers), then 200. Stands in for webhooks and ping services.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export class HttpReceiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private server?: Server;
  base = '';

  /** The next answers for a path (matched without its query string). */
  answer(path: string, ...answers: Answer[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...answers]);
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const path = req.url ?? '';
      this.received.push({ method: req.method ?? '', path, headers: req.headers, body, at: Date.now() });
      const answer = this.scripts.get(path.split('?')[0] ?? '')?.shift() ?? { status: 200 };
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? 'OK');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  paths(): string[] {
    return this.received.map((r) => r.path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
