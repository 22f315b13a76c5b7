/**
 * Security updates on an RPM-family server: the lab's light server s2 turned into one (`lab.rpm`,
 * see lab.sh rpm_up: apt-get hidden, rpm's database with two packages at 1.0, dnf with a local
 * repository built by rpmbuild + createrepo_c whose updateinfo.xml holds the security advisory
 * LAB-2026:0001 for one of them). The updates probe, over SSH as labops, picks dnf there and apt on
 * a server that has apt-get (s3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../src/config/schema.js';
import { type UpdatesData, updatesProbe } from '../../../src/probes/pending-updates.js';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { labFindings } from '../../support/lab-remediation.js';

const skip = labSkipReason();
if (skip) console.warn(`rpm lab tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('dnf security updates on an RPM-family lab server', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab();
    const started = Date.now();
    await lab.rpm('s2', 'up');
    console.log(`lab rpm up (rpmbuild + createrepo_c + dnf makecache): ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    if (lab) await lab.rpm('s2', 'down');
  });

  async function updates(server: ServerConfig) {
    const { findings, observation } = await labFindings(lab, server, [updatesProbe]);
    return { data: observation.probes.updates as UpdatesData, findings };
  }

  it("reports the repository's security advisory through dnf, as the deploy user", async () => {
    const { data, findings } = await updates(lab.serverConfig('s2', { security_updates: true }));
    expect(data).toMatchObject({
      manager: 'dnf',
      total: 2,
      security: 1,
      securityPackages: ['claudeops-lab-openssl-1.1-1.noarch'],
      advisories: ['LAB-2026:0001 Important'],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ fingerprint: 's2/updates/security', severity: 'warning', value: 1 });
    expect(findings[0]?.summary).toBe(
      '1 security update(s) pending of 2: claudeops-lab-openssl-1.1-1.noarch (advisory LAB-2026:0001 Important)',
    );
  });

  it('picks apt on a server that has apt-get', async () => {
    const { data } = await updates(lab.serverConfig('s3', { security_updates: true }));
    expect(data.manager).toBe('apt');
  });
});
