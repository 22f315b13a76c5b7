/**
 * The rules docs/architecture.md states about where things happen, each checked on the source
 * (the layer and cycle rules: layers.test.ts, import-cycles.test.ts). Each rule's matcher is also
 * run on a line that breaks it, so none can pass by matching nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { code, readSource, sourceFiles } from './import-graph.js';

/** `file:line: text` for every line of src/ (comments stripped) that matches. */
function linesMatching(pattern: RegExp, files = sourceFiles()): string[] {
  return files.flatMap((file) =>
    code(readSource(file))
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

const fileOf = (hit: string) => hit.slice(0, hit.indexOf(':'));

/** A state-branch path built by hand: a template that starts with a top-level directory and interpolates. */
const HAND_BUILT_PATH =
  /`(?:health|issues|actions|boot|approvals|state|history|digests)\/[^`\s]*\$\{|`\$\{kind\}\/[^`]*\$\{/;
/** A line that sets a record's status (not a comparison). */
const SETS_STATUS = /\brecord\.status\s*=(?!=)/;
const DECIDED_STATUS = /\brecord\.status\s*=\s*(?:overallStatus|statusBeforeCommit)\(/;

describe('docs/architecture.md rules', () => {
  it('every state-branch path is built by core/state-branch/paths.ts', () => {
    // a line that builds `state/<server>.json` by hand
    expect(HAND_BUILT_PATH.test(`const p = \`state/\${server}.json\`;`)).toBe(true);
    expect(HAND_BUILT_PATH.test("reader.list('state/')")).toBe(false);
    const hits = linesMatching(HAND_BUILT_PATH).filter(
      (h) => fileOf(h) !== 'src/core/state-branch/paths.ts' && !/startsWith\(/.test(h),
    );
    expect(hits).toEqual([]);
  });

  it('action inputs are read in one module: adapters/action-inputs.ts, the only getInput caller, reads every input', () => {
    const callers = [
      ...new Set(linesMatching(/\bgetInput\(|\bgetBooleanInput\(|\bgetMultilineInput\(/).map(fileOf)),
    ];
    expect(callers).toEqual(['src/adapters/action-inputs.ts']);
    const inputs = Object.keys(
      (parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> }).inputs,
    );
    expect(inputs.length).toBeGreaterThan(10);
    const reader = readSource('src/adapters/action-inputs.ts');
    expect(inputs.filter((name) => !reader.includes(`'${name}'`))).toEqual([]);
  });

  it('the run status is decided by core/status.ts alone; run.ts alone turns it into the exit code', () => {
    expect(SETS_STATUS.test("record.status = 'error';")).toBe(true);
    expect(DECIDED_STATUS.test("record.status = 'error';")).toBe(false);
    const decided = linesMatching(SETS_STATUS).filter((h) => !DECIDED_STATUS.test(h));
    expect(decided).toEqual([]);
    expect(linesMatching(SETS_STATUS).length).toBeGreaterThan(0);
    expect([...new Set(linesMatching(/\bexitCodeFor\(/).map(fileOf))]).toEqual(['src/run.ts']);
    // the process exit status: set once, in each entry module
    expect([...new Set(linesMatching(/process\.exitCode\s*=/).map(fileOf))].sort()).toEqual([
      'src/cli.ts',
      'src/main.ts',
      'src/post-main.ts',
    ]);
  });
});
