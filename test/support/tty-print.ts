/**
 * Prints what the CLI prints — one progress line on stderr, then the report on stdout — through the
 * CLI's own adapters on the process's real streams, so a test can run it in a pseudo-terminal (and
 * piped) and see what a person at a terminal sees. Run with tsx.
 */
import { consoleLogger, consoleSink } from '../../src/adapters/console-io.js';
import { renderSummary } from '../../src/core/render/render-summary.js';
import { action, runRecord } from './github-records.js';

const record = runRecord({
  runId: '42',
  at: new Date('2026-11-21T08:00:00Z'),
  servers: ['web1'],
  raised: [{ server: 'web1', check: 'disk', target: '/var/lib/docker', severity: 'critical' }],
  diagnoses: [
    {
      fingerprint: 'web1/disk//var/lib/docker',
      rootCause:
        'images <pulled> at every deploy and never pruned, so the disk fills a little more each week',
      confidence: 'high',
      evidence: '',
      nextStep: 'prune images older than 7 days, then look at http://registry.local/_catalog',
    },
  ],
  actions: [action({ id: 'a1', server: 'web1', action: 'rotate-logs', outcome: 'fixed' })],
});
record.status = 'critical';

consoleLogger(process.stderr, process.env).info('✗ web1 critical: 1 critical 0.4s', 'critical');
await consoleSink(process.stdout, [], process.env).summary(renderSummary(record));
