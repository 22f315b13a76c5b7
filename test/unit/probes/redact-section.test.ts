/**
 * Server text is redacted where it enters the run (redact-section.ts, called by parse-sections.ts
 * for every collector section), while it still has the lines the server printed: a secret known by
 * its line (a userlist entry, a key's body, a value on the line after its name) is found there,
 * before a record puts other words in front of it.
 */
import { describe, expect, it } from 'vitest';
import { redact } from '../../../src/core/util/redact.js';
import type { Section } from '../../../src/probes/collector-script.js';
import { parseSections } from '../../../src/probes/parse-sections.js';
import type { Probe } from '../../../src/probes/probe.js';
import { redactSection } from '../../../src/probes/redact-section.js';
import { probeRecheck } from '../../../src/remediate/probe-recheck.js';
import { ScriptedShell } from '../../support/agent-fixtures.js';
import { server } from './helpers.js';

const quoted = (text: string) =>
  text
    .split('\n')
    .map((l) => `| ${l}`)
    .join('\n');

describe('redactSection: server text redacted as the server printed it', () => {
  it('finds a lone userlist entry on its own line, which behind other words no detector can tell from a log line', () => {
    const entry = '"pgbouncer" "u%_hf^nCixKP0_"';
    const out = redactSection(`status=failed\n${quoted(entry)}`);
    expect(out).toBe('status=failed\n| "pgbouncer" "[REDACTED]"');
    // once a record has put words in front of it, the same entry looks like nginx's `"-" "Mozilla/5.0"`:
    // that is why intake, not the output, is the first redaction
    expect(redact(`start failed: ${entry}`)).toContain('u%_hf^nCixKP0_');
  });

  it('keeps every line in its place: a key over several lines is replaced line by line', () => {
    const key = [
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
      'QyNTUxOQAAACBcnzJmEhdmK0PlqYfG2CWdG3h6sCmAAzGNJkmsGrq6uQAAAJgh9HvOIfR7',
      '-----END OPENSSH PRIVATE KEY-----',
    ].join('\n');
    const input = `count=4\n${quoted(key)}\nend=1`;
    const out = redactSection(input);
    expect(out.split('\n')).toHaveLength(input.split('\n').length);
    expect(out).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9u');
    expect(out).not.toContain('QyNTUxOQAAACBcnzJmEhdmK0PlqYfG2CWdG3h6');
    expect(out.split('\n')[0]).toBe('count=4');
    expect(out.split('\n').at(-1)).toBe('end=1');
    for (const line of out.split('\n').slice(1, -1)) expect(line.startsWith('| ')).toBe(true);
  });

  it('adds no line: a percent-encoded line break in a secret URL is not decoded into the section', () => {
    const input = quoted('GET /cb?u=https%3A%2F%2Fadmin%3Ahunter2hunter2%40db.internal%2Fx%0Ainjected=1 200');
    const out = redactSection(input);
    expect(out.split('\n')).toHaveLength(1);
    expect(out).not.toContain('hunter2hunter2');
  });

  it('keeps a JSON line JSON, its secrets replaced inside its strings and judged with their names', () => {
    const line = JSON.stringify({
      Name: 'web',
      Env: ['PATH=/usr/bin', 'DB_PASSWORD=Zx9!kQ2vLm7pR4tw'],
      Config: [{ name: 'API_SECRET', value: 'c2VjcmV0LXZhbHVlLTEyMzQ1Njc4' }],
      Note: 'line one\nmysql -pHunter2Hunter2 -u root',
    });
    const out = redactSection(quoted(line));
    const parsed = JSON.parse(out.slice(2)) as { Name: string; Env: string[]; Note: string };
    expect(parsed.Name).toBe('web');
    expect(parsed.Env[0]).toBe('PATH=/usr/bin');
    expect(out).not.toContain('Zx9!kQ2vLm7pR4tw');
    expect(out).not.toContain('c2VjcmV0LXZhbHVlLTEyMzQ1Njc4');
    expect(out).not.toContain('Hunter2Hunter2');
    expect(parsed.Note.startsWith('line one\n')).toBe(true);
  });

  it('redacts a structural line on its own and leaves counters, cursors and ids as they are', () => {
    const lines = [
      'cursor=s=6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e;i=1a2b;b=0f9e8d7c6b5a49382716059483726150;m=5d2e;t=5f3a;x=9c8d7e6f5a4b3c2d',
      'id=4f2a9c1b7d3e5f60718293a4b5c6d7e8f9012345',
      'offset=918273',
      'description=Backup password=Tr0ub4dor&3xyz',
    ];
    const out = redactSection(lines.join('\n')).split('\n');
    expect(out.slice(0, 3)).toEqual(lines.slice(0, 3));
    expect(out[3]).not.toContain('Tr0ub4dor&3xyz');
  });

  it('redacts the run’s own secrets too', () => {
    expect(redactSection(quoted('served by word-of-the-day-42'), ['word-of-the-day-42'])).not.toContain(
      'word-of-the-day-42',
    );
  });
});

describe('parseSections: every probe parses its section redacted', () => {
  it('hands each probe its section redacted, with the run’s secrets', () => {
    const seen: string[] = [];
    const probe = {
      id: 'echo',
      applies: () => true,
      script: () => '',
      parse: (output: string) => {
        seen.push(output);
        return { output };
      },
      evaluate: () => [],
    } as unknown as Probe;
    const sections = new Map<string, Section>([
      [
        'echo',
        {
          id: 'echo',
          complete: true,
          exitCode: 0,
          output: `lines=2\n${quoted('"pgbouncer" "u%_hf^nCixKP0_"\nserved by orchid-lantern')}`,
        },
      ],
    ]);
    const parsed = parseSections(server(), [probe], sections, { incomplete: 'x', unparsable: (m) => m }, [
      'orchid-lantern',
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('lines=2\n| "pgbouncer" "[REDACTED');
    expect(seen[0]).not.toContain('u%_hf^nCixKP0_');
    expect(seen[0]).not.toContain('orchid-lantern');
    expect(parsed.probes.echo).toEqual({ output: seen[0] });
  });
});

describe('probeRecheck: the re-check after an action takes server text in the same way', () => {
  it('redacts its sections with the run’s secrets before the probe parses them', async () => {
    const seen: string[] = [];
    const probe = {
      id: 'services',
      applies: () => true,
      script: () => 'true',
      parse: (output: string) => {
        seen.push(output);
        return {};
      },
      evaluate: () => [],
    } as unknown as Probe;
    const shell = new ScriptedShell('web1', (script) => {
      const nonce = /@@claudeops:([A-Za-z0-9_-]+):begin:services@@/.exec(script)?.[1] ?? '';
      const body = quoted('"pgbouncer" "u%_hf^nCixKP0_"\nserved by orchid-lantern');
      return {
        stdout: `@@claudeops:${nonce}:begin:services@@\n${body}\n@@claudeops:${nonce}:end:services:0@@\n`,
      };
    });
    const recheck = probeRecheck({
      thresholds: undefined,
      now: () => new Date('2026-11-21T08:00:00Z'),
      registry: [probe],
      secrets: ['orchid-lantern'],
    });
    await recheck(shell, server(), ['services']);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('| "pgbouncer" "[REDACTED');
    expect(seen[0]).not.toContain('u%_hf^nCixKP0_');
    expect(seen[0]).not.toContain('orchid-lantern');
  });
});
