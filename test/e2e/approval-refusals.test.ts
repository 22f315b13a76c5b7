/**
 * Approvals (issue 10): only a merged pull request by someone with write access runs anything.
 * Each refusal against the BUNDLED action, the fake GitHub and a bare git remote (see
 * test/support/bundle-scenario.ts), run twice: nothing executes, the reason is recorded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeLabs,
  type Lab,
  type LabOptions,
  mergeApproval,
  plantedPlan,
  proposeAndMerge,
  pushToState,
  requireBundle,
  startLab,
} from '../support/bundle-scenario.js';
import { frontMatter, stateFile } from '../support/runner.js';
import { PIPELINE_RUNS_TIMEOUT } from '../support/timeouts.js';

beforeAll(requireBundle);
afterEach(closeLabs);

interface RefusalCase {
  name: string;
  options?: LabOptions;
  /** prepares the state branch; returns the approval file that must not run */
  arrange(lab: Lab): Promise<string>;
  status: 'denied' | 'expired';
  reason: RegExp;
}

const REFUSALS: RefusalCase[] = [
  {
    name: 'a plan pushed to the state branch without a pull request (no status line)',
    async arrange(lab) {
      lab.setHealth(0);
      expect((await lab.run()).exitCode).toBe(0);
      await pushToState(lab, { 'approvals/planted-1.md': plantedPlan('planted-1') }, 'plant');
      return 'approvals/planted-1.md';
    },
    status: 'denied',
    reason: /no pull request added approvals\/planted-1\.md/,
  },
  {
    name: 'a pull request closed without merging, its file pushed anyway',
    async arrange(lab) {
      const { pr, approvalPath, proposed } = await proposeAndMerge(lab, { merge: false });
      lab.gh.closePull(pr.number);
      await pushToState(lab, { [approvalPath]: proposed }, 'push the declined plan');
      return approvalPath;
    },
    status: 'denied',
    reason: /closed without merging/,
  },
  {
    name: 'a merged approval edited on the branch afterwards',
    async arrange(lab) {
      const { approvalPath, proposed } = await proposeAndMerge(lab);
      await pushToState(lab, { [approvalPath]: `${proposed}\nalso: tweaked\n` }, 'edit after merge');
      return approvalPath;
    },
    status: 'denied',
    reason: /edited after the merge/,
  },
  {
    name: 'a copy whose front-matter id is not its file name',
    async arrange(lab) {
      const { proposed } = await proposeAndMerge(lab, { merge: false });
      await pushToState(lab, { 'approvals/copy.md': proposed }, 'copy a proposal');
      return 'approvals/copy.md';
    },
    status: 'denied',
    reason: /does not match its file name approvals\/copy\.md/,
  },
  {
    name: 'an approval merged after it expired',
    options: { expiry: '1s' },
    async arrange(lab) {
      // Merge only once the plan's own expiry has passed: merging within the 1 s would be a valid
      // approval, and the test would depend on how fast the runs happen to be.
      const { pr, approvalPath, proposed } = await proposeAndMerge(lab, { merge: false });
      const expires = Date.parse(String(frontMatter(proposed).expires));
      await new Promise((done) => setTimeout(done, Math.max(0, expires - Date.now()) + 50));
      expect(await mergeApproval(lab, pr.number)).toEqual([approvalPath]);
      return approvalPath;
    },
    status: 'expired',
    reason: /expired/,
  },
  {
    name: 'a pull request merged by an account with read permission only',
    async arrange(lab) {
      lab.gh.state.collaborators.set('reader', 'read');
      const { approvalPath } = await proposeAndMerge(lab, { by: 'reader' });
      return approvalPath;
    },
    status: 'denied',
    reason: /merged by reader, whose permission is read \(write needed\)/,
  },
];

describe('approvals: only a merged pull request by someone with write access runs anything', {
  timeout: PIPELINE_RUNS_TIMEOUT,
}, () => {
  for (const c of REFUSALS) {
    it(`refuses ${c.name}, with the reason recorded, twice over`, async () => {
      const lab = await startLab({ mode: 'safe', remediation: 'high', ...c.options });
      const path = await c.arrange(lab);
      for (const _ of [1, 2]) {
        const r = await lab.run({ task: 'execute-approved' });
        expect(r.exitCode, r.stdout).toBe(0);
        expect(r.outputs.actions).toBe('0');
      }
      expect(existsSync(join(lab.dir, 'executed'))).toBe(false);
      expect(frontMatter(await stateFile(lab.ws, path))).toMatchObject({
        status: c.status,
        outcome: expect.stringMatching(c.reason),
      });
      expect(lab.gh.violations).toEqual([]);
    });
  }
});
