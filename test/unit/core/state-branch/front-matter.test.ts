/**
 * One front-matter reader for every state-branch document. The documents come from the real
 * renderers (action log, issue file), and hand-edited or hostile variants must read as "no fields",
 * never crash, never mangle a quoted value.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderActionLog } from '../../../../src/core/render/render-action-log.js';
import {
  frontMatter,
  metaOf,
  metaText,
  parseDocument,
} from '../../../../src/core/state-branch/front-matter.js';
import { sampleRecord } from '../../../support/records.js';

describe('front matter', () => {
  it('reads JSON-quoted values exactly (the old line regex stripped quotes and kept escapes)', () => {
    const text =
      '---\nserver: "web1"\ntarget: "/var/log/a \\"quoted\\" dir"\nruns: 3\nok: true\n---\n# body\n';
    const doc = parseDocument(text);
    expect(doc.valid).toBe(true);
    expect(doc.meta).toEqual({ server: 'web1', target: '/var/log/a "quoted" dir', runs: 3, ok: true });
    expect(doc.body).toBe('# body\n');
    expect(metaText(doc.meta, 'target')).toBe('/var/log/a "quoted" dir');
    expect(metaText(doc.meta, 'runs')).toBe('3');
    expect(metaText(doc.meta, 'missing')).toBe('');
  });

  it('reads what the real renderers write', () => {
    const record = sampleRecord();
    const action = record.actions[0];
    if (!action) throw new Error('sample record has no action');
    const meta = frontMatter(renderActionLog({ ...action, target: 'a "quoted": target' }, record));
    expect(meta.server).toBe(action.server);
    expect(meta.action).toBe(action.action);
    expect(meta.target).toBe('a "quoted": target');
    expect(meta.params).toBe(JSON.stringify(action.params));
    expect(meta.outcome).toBe('fixed');
  });

  it('a file without front matter, with broken YAML, or a list reads as no fields', () => {
    for (const text of [
      '# just markdown\n',
      '---\nkey: [unclosed\n---\n',
      '---\n- a\n- b\n---\n',
      '---\nno end\n',
      '',
    ])
      expect(parseDocument(text)).toMatchObject({ meta: {}, valid: false });
    expect(parseDocument('---\r\nstatus: open\r\n---\r\nx').meta).toEqual({ status: 'open' });
  });

  it('metaOf uses the fields parsed when memory was loaded', () => {
    expect(metaOf({ content: '---\nserver: a\n---\n', meta: { server: 'b' } }).server).toBe('b');
    expect(metaOf({ content: '---\nserver: a\n---\n' }).server).toBe('a');
  });

  it('is the only front-matter reader in src/ (runbooks, config files and not state-branch documents, aside)', () => {
    const hits = spawnSync('git', ['grep', '-l', '-E', '\\^---', '--', 'src'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .sort();
    expect(hits).toEqual(['src/agent/runbooks.ts', 'src/core/state-branch/front-matter.ts']);
  });
});
