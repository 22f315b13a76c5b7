import type { RunContext } from '../run-context.js';

/** The paging services' keys: masked in the log and redacted from everything the run writes. */
export function notifySecrets(config: RunContext['config']): string[] {
  return [config.notify?.pagerduty?.routing_key, config.notify?.opsgenie?.api_key].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
}

/** Every secret of a run (inputs, `redact.secrets`, paging keys): redacted wherever text leaves it. */
export function secretsOf(ctx: Pick<RunContext, 'inputs' | 'config'>): string[] {
  const { inputs, config } = ctx;
  return [
    inputs.sshPrivateKey,
    inputs.sshPassphrase,
    inputs.anthropicApiKey,
    inputs.githubToken,
    ...config.redact.secrets,
    ...notifySecrets(config),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}
