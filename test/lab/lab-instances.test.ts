/**
 * Two labs run at once (`bash scripts/test.sh` as root: lab.sh's LAB_INSTANCE 1 and 2, each
 * with half the lab's files). They must share no name on the host: when both labs' systemd servers
 * started in one cgroup, `systemctl kill nginx` in one lab also killed the other's nginx, and half
 * of lab 2's files failed. Here: every name lab.sh gives to something the host holds once for
 * everyone (`lab.sh names`) differs between the labs, none starts with the other lab's (`down`
 * removes by prefix), lab.ts agrees with lab.sh, and no lab file spells one lab's names itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { LAB_SH, labNames } from './lab.js';

/** This process's environment for lab `instance`, without a LAB_RUN that would override its state dir. */
function labEnv(instance: '1' | '2'): NodeJS.ProcessEnv {
  const { LAB_RUN: _, ...env } = process.env;
  return { ...env, LAB_INSTANCE: instance };
}

/** `lab.sh names` of one lab: name kind → value (runs nothing, needs no root). */
async function names(instance: '1' | '2'): Promise<Map<string, string>> {
  const { stdout } = await execa('bash', [LAB_SH, 'names'], { env: labEnv(instance), extendEnv: false });
  return new Map(stdout.split('\n').map((line) => line.split(' ', 2) as [string, string]));
}

/** lab.sh's functions loaded, then a snippet (sourcing lab.sh runs nothing). */
async function labBash(instance: '1' | '2', script: string): Promise<string> {
  const { stdout } = await execa('bash', ['-c', `source "${LAB_SH}"; ${script}`], {
    env: labEnv(instance),
    extendEnv: false,
  });
  return stdout;
}

/** A directory's name ends with "/": lab 1's run/ is no prefix of lab 2's run2/. */
const asPrefix = (kind: string, value: string) => (kind === 'state-dir' ? `${value}/` : value);

describe('two labs side by side share no name on the host', () => {
  it('gives every name of lab 2 a value of its own, none the start of one of lab 1 or the reverse', async () => {
    const one = await names('1');
    const two = await names('2');
    expect([...two.keys()]).toEqual([...one.keys()]);
    expect([...one.keys()]).toEqual(
      expect.arrayContaining(['state-dir', 'bridge', 'netns-prefix', 'veth-prefix', 'network', 'sys-cgroup']),
    );
    for (const [kindA, a] of one) {
      for (const [kindB, b] of two) {
        const [pa, pb] = [asPrefix(kindA, a), asPrefix(kindB, b)];
        expect(pb.startsWith(pa) || pa.startsWith(pb), `lab 1 ${kindA} ${a} / lab 2 ${kindB} ${b}`).toBe(
          false,
        );
      }
    }
    // the /16 networks do not overlap
    const net = (m: Map<string, string>) => m.get('network')?.split('.').slice(0, 2).join('.');
    expect(net(two)).not.toBe(net(one));
  });

  it('starts each lab’s systemd server in a cgroup of its own, named after the lab', async () => {
    const dirs = async (n: '1' | '2') => (await labBash(n, 'sys_cgroup_dirs')).split('\n').filter(Boolean);
    const [one, two] = [await dirs('1'), await dirs('2')];
    const own = { one: (await names('1')).get('sys-cgroup'), two: (await names('2')).get('sys-cgroup') };
    for (const d of one) expect(d.endsWith(`/${own.one}`), d).toBe(true);
    for (const d of two) expect(d.endsWith(`/${own.two}`), d).toBe(true);
    expect(one.length).toBe(two.length);
    if (process.platform === 'linux') expect(one.length).toBeGreaterThan(0);
    // nspawn is exec'd by a shell that first moved itself into those cgroups
    const labSh = readFileSync(LAB_SH, 'utf8');
    const start = labSh.slice(labSh.indexOf('sys_start() {'), labSh.indexOf('sys_wait() {'));
    expect(start).toMatch(
      /for c in \$LAB_SYS_CGROUPS; do echo \$\$ > "\$c\/cgroup\.procs"[^']*exec "\$@"' lab-sys systemd-nspawn /,
    );
    expect(start).toContain('LAB_SYS_CGROUPS=$cgroups setsid');
  });

  it('lab.ts uses the state dir and unused address lab.sh gives each lab', async () => {
    for (const n of ['1', '2'] as const) {
      const sh = await names(n);
      expect(labNames(n)).toEqual({ stateDir: sh.get('state-dir'), unusedAddress: sh.get('unused-address') });
    }
  });

  it('no lab file spells a lab’s bridge, prefixes, addresses, cgroups or state dir: they come from LAB_INSTANCE', () => {
    // lab 1's and lab 2's names; one line each in lab.sh's table and lab.ts's labNames may spell them
    const spelt =
      /10\.7[78](?!\d)|\bclab[02]\b|\bclab-|\bclb2-|\bclv-|\bc2v-|claudeops-lab\/run2?\b|claudeops-lab2?-(?:sys|s\d)|claudeops-lab2-/;
    const allowed = [
      /^ {2}[12]\) BRIDGE=clab[02] PREFIX=/, // lab.sh: the table of the two labs
      /^ {2}const net = second \? '10\.78' : '10\.77';$/, // lab.ts labNames
      /^ {2}return \{ stateDir: `\/var\/lib\/claudeops-lab\/\$\{second \? 'run2' : 'run'\}`/, // lab.ts labNames
      /^LAB_RUN=\$\{LAB_RUN:-\/var\/lib\/claudeops-lab\/run\}$/, // scripts/test.sh: lane 1 is lab 1
    ];
    const files = [
      ...readdirSync('test/lab').map((f) => join('test/lab', f)),
      ...readdirSync('test/e2e/lab').map((f) => join('test/e2e/lab', f)),
      ...readdirSync('test/support')
        .filter((f) => f.startsWith('lab-'))
        .map((f) => join('test/support', f)),
      'scripts/test.sh',
    ].filter((f) => /\.(sh|ts|py|cjs|init|spec)$/.test(f) && !f.endsWith('lab-instances.test.ts'));
    const found: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trim();
          if (/^(#|\/\/|\*|\/\*)/.test(code)) return; // comments describe the layout, they name nothing
          if (spelt.test(line) && !allowed.some((a) => a.test(line))) found.push(`${file}:${i + 1}: ${code}`);
        });
    }
    expect(found).toEqual([]);
  });
});
