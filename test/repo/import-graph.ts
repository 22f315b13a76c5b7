/**
 * The import graph of src/, read from the source text (type-only imports and re-exports included):
 * what the repository tests under test/repo check docs/architecture.md against.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

export const readSource = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Lower rank = lower layer; a module may import only its own rank or lower. */
export const LAYERS = ['core', 'probes', 'pipeline', 'adapters', 'roots'] as const;
export type Layer = (typeof LAYERS)[number];

const ROOTS = new Set(
  ['compose', 'main', 'post-main', 'cli-main', 'claudeops', 'index', 'post', 'cli'].map((n) => `src/${n}.ts`),
);

export function layerOf(file: string): Layer {
  if (file.startsWith('src/core/') || file === 'src/config/schema.ts' || file === 'src/config/schema-keys.ts')
    return 'core';
  if (file.startsWith('src/probes/')) return 'probes';
  if (file.startsWith('src/adapters/')) return 'adapters';
  if (ROOTS.has(file) || file.startsWith('src/cli/') || file.startsWith('src/shims/')) return 'roots';
  return 'pipeline';
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Source without comments: what the import and I/O checks read. */
export function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every module specifier a file names: `import`, `import type`, `export … from`, `import()`. */
export function importsOf(text: string): string[] {
  return [...code(text).matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter(Boolean);
}

export function resolveImport(from: string, spec: string): string | undefined {
  const base = normalize(join(dirname(from), spec));
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')])
    if (existsSync(join(ROOT, c))) return c;
  return undefined;
}

export interface Graph {
  edges: Map<string, { local: string[]; packages: string[] }>;
}

/** The graph reachable from these files, following each relative import. */
export function walk(entries: string[], read = readSource): Graph {
  const edges: Graph['edges'] = new Map();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop() as string;
    if (edges.has(file)) continue;
    const local: string[] = [];
    const packages: string[] = [];
    for (const spec of importsOf(read(file))) {
      if (!spec.startsWith('.')) {
        packages.push(spec);
        continue;
      }
      const target = resolveImport(file, spec);
      if (!target) throw new Error(`${file}: cannot resolve ${spec}`);
      local.push(target);
      todo.push(target);
    }
    edges.set(file, { local, packages });
  }
  return { edges };
}

/** Every TypeScript source file under src/ that git tracks or would (generated files included). */
export function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', 'src/*.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && existsSync(join(ROOT, f)));
}

/** The whole of src/: every source file, reachable from an entry or not. */
export function wholeGraph(): Graph {
  return walk(sourceFiles());
}

/**
 * Strongly connected components with more than one file, or a file importing itself: every
 * import cycle, each as its files sorted (Tarjan's algorithm).
 */
export function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.edges.get(v)?.local ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    const selfImport = graph.edges.get(v)?.local.includes(v) ?? false;
    if (component.length > 1 || selfImport) out.push(component.sort());
  };
  for (const v of graph.edges.keys()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** A graph from file texts (for tests that prove a check can fail). */
export function graphOf(files: Record<string, string>): Graph {
  const graph: Graph = { edges: new Map() };
  for (const [f, text] of Object.entries(files)) {
    const specs = importsOf(text);
    const local = specs
      .filter((s) => s.startsWith('.'))
      .map((s) => normalize(join(dirname(f), s)).replace(/\.js$/, '.ts'));
    graph.edges.set(f, { local, packages: specs.filter((s) => !s.startsWith('.')) });
  }
  return graph;
}
