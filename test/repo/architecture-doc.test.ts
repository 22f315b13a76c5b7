/**
 * docs/architecture.md is the project's design document: code comments point at its sections, so
 * every pointer must land on a heading, and no comment may cite the old external "DESIGN §N".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const doc = readFileSync('docs/architecture.md', 'utf8');
/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
  [...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
    (m[1] ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replace(/ /g, '-'),
  ),
);
const grep = (pattern: string) =>
  execFileSync(
    'git',
    ['grep', '-h', '-o', '-E', pattern, '--', 'src', 'test', 'docs', 'README.md', 'CONTRIBUTING.md'],
    {
      encoding: 'utf8',
    },
  ).split('\n');

describe('docs/architecture.md', () => {
  it('has the sections the code points to: pipeline, layers, ports, state branch, safety model', () => {
    for (const a of [
      'pipeline',
      'layers',
      'ports',
      'state-branch',
      'safety-model',
      'interfaces',
      'remediation',
    ])
      expect(anchors).toContain(a);
    expect(doc).toContain('```mermaid');
  });

  it('every pointer to a section of docs/architecture.md in code and docs lands on a heading', () => {
    const pointers = grep('architecture\\.md#[a-z-]+((, | `[a-z-]+`, )#[a-z-]+)*')
      .filter(Boolean)
      .flatMap((p) => [...p.matchAll(/#([a-z-]+)/g)].map((m) => m[1] ?? ''));
    expect(pointers.length).toBeGreaterThan(30);
    expect(pointers.filter((p) => !anchors.has(p))).toEqual([]);
  });

  it('no comment cites the external design document any more', () => {
    const cites = spawnSync(
      'git',
      [
        'grep',
        '-n',
        '-E',
        'DESIGN §',
        '--',
        'src',
        'test/unit',
        'test/integration',
        'test/e2e',
        'docs',
        'README.md',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(cites.stdout).toBe('');
    expect(cites.status).toBe(1);
  });
});
