import { randomBytes } from 'node:crypto';

/**
 * A run id unique per run and attempt: GitHub's run id (plus the attempt when re-run), or for local
 * runs a time-free random id, so two runs in the same second never share a file name.
 */
export function runIdFrom(env: NodeJS.ProcessEnv): string {
  const id = env.GITHUB_RUN_ID;
  if (!id) return `local-${randomBytes(4).toString('hex')}`;
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
  return attempt > 1 ? `${id}-${attempt}` : id;
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}
