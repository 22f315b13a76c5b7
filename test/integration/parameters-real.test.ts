/**
 * Parameters that mean one thing (issue 10), run by the real programs on this machine: the
 * rendered clear-directory command against real directories and symlinks (in a temporary
 * directory only).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog, renderAction } from '../../src/remediate/catalog.js';
import { config, server } from '../support/agent-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'claudeops-params-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fill(dir: string): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.tmp'), 'a');
  writeFileSync(join(dir, 'sub', 'b.tmp'), 'b');
}

/** The clear-directory command the catalog renders for a clearable directory, run by sh. */
function clear(clearable: string): { code: number | null; out: string; offered: readonly string[] } {
  const cfg = config({ servers: [{ name: 'x', transport: 'local', clearable: [clearable] }] });
  const action = buildCatalog(server(cfg, 'x'), cfg).actions.get('clear-directory');
  const spec = action?.params.directory;
  const offered = spec?.kind === 'enum' ? spec.values : [];
  if (!action || !offered[0]) return { code: null, out: 'not offered', offered };
  const rendered = renderAction(action, { directory: offered[0] });
  if (!rendered.ok) throw new Error(rendered.error);
  const r = spawnSync('sh', ['-c', rendered.value.command], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, offered };
}

describe('clear-directory, run for real', () => {
  it('empties a real directory and keeps it', () => {
    const dir = join(root, 'cache');
    fill(dir);
    const r = clear(`${dir}/`);
    expect(r.offered).toEqual([dir]);
    expect(r.code, r.out).toBe(0);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a clearable that is a symlink, with or without a trailing slash; the target is untouched', () => {
    const target = join(root, 'precious');
    fill(target);
    const link = join(root, 'link-to-precious');
    symlinkSync(target, link);
    for (const spelling of [link, `${link}/`, `${link}//`, `${link}/.`]) {
      const r = clear(spelling);
      expect(r.offered).toEqual([link]);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toContain(`refusing: ${link} resolves to ${target} (a symlink)`);
      expect(readdirSync(target).sort()).toEqual(['a.tmp', 'sub']);
    }
  });

  it('refuses a directory under a symlinked parent', () => {
    const real = join(root, 'real-parent');
    fill(join(real, 'cache'));
    const parent = join(root, 'linked-parent');
    symlinkSync(real, parent);
    const r = clear(join(parent, 'cache'));
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/resolves to .*real-parent\/cache \(a symlink\)/);
    expect(readdirSync(join(real, 'cache')).sort()).toEqual(['a.tmp', 'sub']);
  });

  it('refuses a path that does not exist (nothing to clear, nothing guessed)', () => {
    const r = clear(join(root, 'missing'));
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/is not a directory/);
  });
});
