/**
 * The layers of docs/architecture.md, checked on the real import graph: walked from src/run.ts (the
 * pipeline) and from every entry file, following each relative import. Biome's
 * noRestrictedImports (biome.json overrides) stops the same mistakes in the editor; this test also
 * sees what a lint rule on one file cannot: the layer order across the whole graph.
 */
import { describe, expect, it } from 'vitest';
import { code, type Graph, graphOf, LAYERS, layerOf, readSource, walk } from './import-graph.js';

/** Packages and node modules that do I/O: never in core/ or probes/. */
const IO =
  /^(node:)?(fs|fs\/promises|child_process|net|http|https|http2|tls|dgram|dns|os|readline|worker_threads|cluster)$|^(@actions\/|@octokit\/|@anthropic-ai\/sdk$|execa$|node-ssh$|ssh2$|nodemailer$)/;

/**
 * The remediation policy (docs/architecture.md#remediation): decided by data and code alone. Biome's
 * override for these files says the same in the editor.
 */
const REMEDIATION_POLICY = new Set(
  [
    'catalog',
    'catalog-action',
    'clearable',
    'command-template',
    'service-words',
    'free-port',
    'policy-gate',
    'scope',
    'readiness',
    'sudoers',
    'server-helper',
    'claudeops-helper.generated',
  ].map((n) => `src/remediate/${n}.ts`),
);

/** Every import that breaks the layer order, I/O outside adapters and roots, or a port imported past its module. */
function violations(graph: Graph, read = readSource): string[] {
  const out: string[] = [];
  for (const [file, { local, packages }] of graph.edges) {
    const layer = layerOf(file);
    for (const target of local) {
      const to = layerOf(target);
      if (LAYERS.indexOf(to) > LAYERS.indexOf(layer))
        out.push(`${file} (${layer}) imports ${target} (${to})`);
      if (
        target.startsWith('src/core/ports/') &&
        target !== 'src/core/ports/index.ts' &&
        !file.startsWith('src/core/ports/')
      )
        out.push(`${file} imports ${target}: ports are imported through src/core/ports/index.ts`);
    }
    // I/O (config reading included) lives in adapters and the composition roots only
    if (layer !== 'adapters' && layer !== 'roots') {
      for (const p of packages) if (IO.test(p)) out.push(`${file} (${layer}) imports ${p} (I/O)`);
      if (/\bprocess\.env\b/.test(code(read(file)).replace(/\/\/.*$/gm, '')))
        out.push(`${file} (${layer}) reads process.env`);
    }
  }
  return out.sort();
}

describe('layers (docs/architecture.md)', () => {
  const pipeline = walk(['src/run.ts']);
  const all = walk(['src/index.ts', 'src/post.ts', 'src/cli.ts', 'src/run.ts']);

  it('the walk from src/run.ts sees the pipeline, not a handful of files', () => {
    expect(pipeline.edges.size).toBeGreaterThan(50);
    const layers = new Set([...pipeline.edges.keys()].map(layerOf));
    expect([...layers].sort()).toEqual(['core', 'pipeline', 'probes']);
  });

  it('the pipeline reaches no adapter and no composition root: it talks through the ports', () => {
    const reached = [...pipeline.edges.keys()].filter((f) => ['adapters', 'roots'].includes(layerOf(f)));
    expect(reached).toEqual([]);
  });

  it('no module imports a higher layer, does I/O outside adapters/ and the roots, or imports a port past the ports module', () => {
    expect(all.edges.size).toBeGreaterThan(pipeline.edges.size);
    expect(violations(all)).toEqual([]);
  });

  it('the check is live: it reports an upward import, I/O in core and a port imported directly', () => {
    const files: Record<string, string> = {
      'src/run.ts': "import { a } from './core/x.js';\nimport { b } from './adapters/y.js';\n",
      'src/config/load.ts': "import { readFile } from 'node:fs/promises';\nexport const env = process.env;\n",
      'src/core/x.ts':
        "import { readFileSync } from 'node:fs';\nimport { c } from '../probes/z.js';\nexport const e = process.env.X;\n",
      'src/adapters/y.ts': "import type { M } from '../core/ports/model.js';\n",
      'src/probes/z.ts': 'export const c = 1;\n',
      'src/core/ports/model.ts': 'export type M = 1;\n',
    };
    const read = (f: string) => files[f] ?? '';
    expect(violations(graphOf(files), read)).toEqual([
      'src/adapters/y.ts imports src/core/ports/model.ts: ports are imported through src/core/ports/index.ts',
      'src/config/load.ts (pipeline) imports node:fs/promises (I/O)',
      'src/config/load.ts (pipeline) reads process.env',
      'src/core/x.ts (core) imports node:fs (I/O)',
      'src/core/x.ts (core) imports src/probes/z.ts (probes)',
      'src/core/x.ts (core) reads process.env',
      'src/run.ts (pipeline) imports src/adapters/y.ts (adapters)',
    ]);
  });

  it('the remediation policy modules reach only core/, config/schema and each other: no port, no I/O', () => {
    const reached = walk([...REMEDIATION_POLICY]);
    const outside = [...reached.edges.keys()].filter(
      (f) => !REMEDIATION_POLICY.has(f) && layerOf(f) !== 'core',
    );
    expect(outside).toEqual([]);
    // they take nothing through a port: what they decide comes in as data
    const ports = [...REMEDIATION_POLICY].flatMap((f) =>
      (reached.edges.get(f)?.local ?? [])
        .filter((t) => t.startsWith('src/core/ports/'))
        .map((t) => `${f} -> ${t}`),
    );
    expect(ports).toEqual([]);
    const io = [...reached.edges].flatMap(([f, { packages }]) =>
      packages.filter((p) => IO.test(p)).map((p) => `${f}: ${p}`),
    );
    expect(io).toEqual([]);
    expect(reached.edges.size).toBeGreaterThan(REMEDIATION_POLICY.size);
  });
});
