/**
 * docs/architecture.md#layers: no import cycle anywhere in src/ (type-only imports count: a cycle
 * of types is still two modules that cannot be understood apart), and the ports own their data
 * types — a port module imports other ports and the shared data vocabulary, never a module that
 * does work, so nothing a port names can lead back to the ports.
 */
import { describe, expect, it } from 'vitest';
import { cycles, type Graph, graphOf, wholeGraph } from './import-graph.js';

/** What a port may import besides other ports: modules of data types that import no port. */
const PORT_VOCABULARY = new Set(['src/core/types.ts', 'src/core/memory/memory.ts', 'src/config/schema.ts']);

function portViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, { local }] of graph.edges) {
    if (!file.startsWith('src/core/ports/')) continue;
    for (const target of local)
      if (!target.startsWith('src/core/ports/') && !PORT_VOCABULARY.has(target))
        out.push(`${file} imports ${target}: a port owns its data types`);
  }
  return out.sort();
}

describe('import graph (docs/architecture.md#layers)', () => {
  const graph = wholeGraph();

  it('reads the whole of src/, not a handful of files', () => {
    expect(graph.edges.size).toBeGreaterThan(150);
    expect(graph.edges.has('src/core/ports/index.ts')).toBe(true);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('ports import only ports and the data vocabulary', () => {
    expect(portViolations(graph)).toEqual([]);
  });

  it('the checks are live: a type-only cycle, a self-import and a port importing a renderer are reported', () => {
    const bad = graphOf({
      'src/a.ts': "import type { B } from './b.js';\nexport type A = 1;\n",
      'src/b.ts': "export type { A } from './a.js';\nexport type B = 2;\n",
      'src/c.ts': "import { d } from './d.js';\n",
      'src/d.ts': "import { c } from './c.js';\nimport { e } from './e.js';\n",
      'src/e.ts': "import { e2 } from './e.js';\n",
      'src/core/ports/x.ts':
        "import type { M } from '../render/m.js';\nimport type { T } from '../types.js';\n",
    });
    expect(cycles(bad)).toEqual([['src/a.ts', 'src/b.ts'], ['src/c.ts', 'src/d.ts'], ['src/e.ts']]);
    expect(portViolations(bad)).toEqual([
      'src/core/ports/x.ts imports src/core/render/m.ts: a port owns its data types',
    ]);
  });
});
