import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse-config.js';
import type { RunInputs } from '../../../src/config/run-inputs.js';
import { notifySecrets, secretsOf } from '../../../src/record/run-secrets.js';

const config = parseConfig(
  `version: 1
redact: { secrets: [tenant-token-1] }
notify:
  pagerduty: { routing_key: pd-routing-key-0123456789abcdef }
servers:
  - name: box
    transport: local
`,
  'test.yml',
);
const inputs: RunInputs = {
  configPath: 'test.yml',
  task: 'check',
  dryRun: false,
  model: 'm',
  stateBranch: 'claudeops-state',
  sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----',
  sshPassphrase: '',
  githubToken: 'ghs_token',
};

describe('the secrets of a run', () => {
  it('are every secret input, redact.secrets and the paging keys; empty and unset ones are left out', () => {
    expect(secretsOf({ inputs, config })).toEqual([
      inputs.sshPrivateKey,
      'ghs_token',
      'tenant-token-1',
      'pd-routing-key-0123456789abcdef',
    ]);
    expect(notifySecrets(config)).toEqual(['pd-routing-key-0123456789abcdef']);
    expect(
      notifySecrets(parseConfig('version: 1\nservers:\n  - name: box\n    transport: local\n', 'x.yml')),
    ).toEqual([]);
  });
});
