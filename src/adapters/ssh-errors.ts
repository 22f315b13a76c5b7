/**
 * What the SSH transport says when a connection fails: ssh2/node-ssh errors classified into a
 * ConnectError (kind + a sentence a human can act on).
 */
import type { ServerConfig } from '../config/schema.js';
import type { HostKeyVerdict } from '../core/least-privilege/known-hosts.js';
import { ConnectError } from '../core/ports/index.js';

/** One leg of a connection: the server, where it is reached, and how messages name it. */
export interface Hop {
  server: ServerConfig;
  host: string;
  port: number;
  user: string;
  who: string;
}

/** ssh2 (through node-ssh) decorates errors with `level` and socket errors carry `code`. */
export interface Ssh2Error {
  message: string;
  level?: string;
  code?: string;
}

export function asSsh2Error(error: unknown): Ssh2Error {
  if (error instanceof Error) {
    const { level, code } = error as Error & { level?: unknown; code?: unknown };
    return {
      message: error.message,
      ...(typeof level === 'string' ? { level } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { message: String(error) };
}

export interface ConnectFailure {
  hop: Hop;
  error: unknown;
  /** the host key verdict, when the server got as far as presenting a key */
  verdict: HostKeyVerdict | undefined;
  /** the jump host the connection went through, if any */
  via: string | undefined;
  connectTimeoutMs: number;
}

/** Turns whatever ssh2/node-ssh threw into a ConnectError a human can act on. */
export function explainConnectFailure(failure: ConnectFailure): ConnectError {
  const { hop, error, verdict, via } = failure;
  if (error instanceof ConnectError) return error;
  // ssh2 reports a refused host key as a handshake error: the verdict says why
  if (verdict && !verdict.ok) return new ConnectError(verdict.message, 'host-key');
  const e = asSsh2Error(error);
  const at = `${hop.who}${via ? ` through jump host ${via}` : ''}`;
  if (e.message.startsWith('Cannot parse privateKey') || /passphrase/i.test(e.message)) {
    return unusableKey(at, e);
  }
  return byLevel(at, e, hop, failure.connectTimeoutMs);
}

function unusableKey(at: string, e: Ssh2Error): ConnectError {
  return new ConnectError(
    `${at}: the SSH private key cannot be used (${e.message}). Check the ssh-private-key input ` +
      '(the whole key text, BEGIN/END lines included) and ssh-passphrase if the key is encrypted.',
    'config',
  );
}

function byLevel(at: string, e: Ssh2Error, hop: Hop, connectTimeoutMs: number): ConnectError {
  switch (e.level) {
    case 'client-authentication':
      return authenticationFailed(at, hop);
    case 'client-timeout':
      return new ConnectError(
        `${at}: no SSH handshake within ${connectTimeoutMs} ms. Is the server up, and is port ${hop.port} ` +
          'reachable from the runner (firewall, security group, VPN)?',
        'timeout',
      );
    case 'client-dns':
      return new ConnectError(`${at}: host name ${hop.host} does not resolve (${e.message}).`, 'unreachable');
    case 'client-socket':
      return new ConnectError(`${at}: ${socketReason(e, hop)}`, 'unreachable');
    default:
      return otherFailure(at, e, hop);
  }
}

function authenticationFailed(at: string, hop: Hop): ConnectError {
  return new ConnectError(
    `${at}: authentication failed: the server accepted none of the offered credentials (publickey). ` +
      `Check that the public half of the ssh-private-key input is in ~${hop.user}/.ssh/authorized_keys ` +
      `on that server and that "${hop.user}" is the right user.`,
    'auth',
  );
}

function otherFailure(at: string, e: Ssh2Error, hop: Hop): ConnectError {
  if (e.code === 'ETIMEDOUT' && e.message === 'No response from server') {
    return new ConnectError(
      `${at}: the connection closed before the SSH handshake finished. Is ${hop.host}:${hop.port} an SSH ` +
        'server, and does it accept connections from the runner (MaxStartups, fail2ban, TCP wrappers)?',
      'unreachable',
    );
  }
  return new ConnectError(
    `${at}: SSH connection failed (${e.level ?? 'error'}): ${e.message}`,
    'unreachable',
  );
}

function socketReason(e: Ssh2Error, hop: Hop): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `connection refused: nothing listens on port ${hop.port} (is sshd running, is the port right?)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${hop.host} (${e.code}): the host is down or not reachable from the runner`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name ${hop.host} does not resolve (${e.code})`;
    case 'ECONNRESET':
      return 'the connection was reset during the handshake (sshd MaxStartups, fail2ban or a firewall?)';
    case 'ETIMEDOUT':
      return `TCP connect to port ${hop.port} timed out: is a firewall dropping it?`;
    default:
      return `network error: ${e.message}`;
  }
}
