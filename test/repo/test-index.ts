/**
 * test/INDEX.md: every source file under src/ and the test files that exercise it, read from the
 * tests' own imports, so a reader of a module finds its tests without a mirrored tree.
 * `npm run -s test-index` writes it; test/repo/test-index.test.ts fails when it is out of date
 * and when a source file with code in it has no test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { code, ROOT, readSource, resolveImport, sourceFiles, wholeGraph } from './import-graph.js';

export const INDEX_FILE = 'test/INDEX.md';

/** Files git tracks (or would) matching a pathspec, that exist in the working tree. */
function tracked(pathspec: string): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', pathspec], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && existsSync(join(ROOT, f)));
}

const parse = (text: string) => ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, false);

/** An `import … from` that brings in values, not only types (`import type`, `{ type A }`). */
function importsValues(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return true; // `import './x.js'` runs the module
  if (clause.isTypeOnly) return false;
  if (clause.name) return true;
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return true;
  return bindings.elements.length === 0 || bindings.elements.some((e) => !e.isTypeOnly);
}

/** The relative module specifiers through which a module reaches code: value imports, re-exports, `import()`. */
export function valueImports(text: string): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (importsValues(node)) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(parse(text));
  return out.filter((s) => s.startsWith('.'));
}

/** A module that declares only types: nothing of it runs, so nothing of it is tested. */
export function typesOnly(text: string): boolean {
  return parse(text).statements.every(
    (s) =>
      ts.isInterfaceDeclaration(s) ||
      ts.isTypeAliasDeclaration(s) ||
      (ts.isImportDeclaration(s) && !importsValues(s)) ||
      (ts.isExportDeclaration(s) && s.isTypeOnly),
  );
}

/** The bundles tests run, each named by the entry file it is built from. */
const BUNDLES: [RegExp, string][] = [
  [/runBundle\(\s*['"]index\.js['"]|dist\/index\.js/, 'src/index.ts'],
  [/runBundle\(\s*['"]post\.js['"]|dist\/post\.js/, 'src/post.ts'],
  [/['"]cli\.js['"]|dist\/cli\.js/, 'src/cli.ts'],
];

const BUNDLE_ENTRIES = new Set(BUNDLES.map(([, e]) => e));

/** The entry files whose bundles a piece of code runs. */
export const bundlesRun = (text: string) =>
  BUNDLES.filter(([pattern]) => pattern.test(code(text))).map(([, e]) => e);

/** A helper's top-level functions that run a bundle: name → the entry files. */
function bundleRunners(text: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const statement of parse(text).statements) {
    const named = ts.isFunctionDeclaration(statement)
      ? [statement]
      : ts.isVariableStatement(statement)
        ? statement.declarationList.declarations
        : [];
    for (const node of named) {
      const entries = bundlesRun(text.slice(node.pos, node.end));
      if (node.name && ts.isIdentifier(node.name) && entries.length > 0) out.push([node.name.text, entries]);
    }
  }
  return out;
}

/**
 * src files a file reaches: its value imports of src/, directly or through test helpers, and the
 * entry files of the bundles it runs (itself, or by calling a helper's function that does).
 */
function reachedSources(file: string, memo: Map<string, Set<string>>): Set<string> {
  const known = memo.get(file);
  if (known) return known;
  const out = new Set<string>();
  memo.set(file, out);
  const text = readSource(file);
  for (const entry of bundlesRun(text)) out.add(entry);
  for (const spec of valueImports(text)) {
    const target = resolveImport(file, spec);
    if (target?.startsWith('src/')) out.add(target);
    if (!target?.startsWith('test/')) continue;
    for (const s of reachedSources(target, memo)) if (!BUNDLE_ENTRIES.has(s)) out.add(s);
    for (const [name, entries] of bundleRunners(readSource(target)))
      if (new RegExp(`\\b${name}\\(`).test(code(text))) for (const e of entries) out.add(e);
  }
  return out;
}

export interface TestIndex {
  /** every src file with code → the test files reaching it (its mirror under test/unit first) */
  tests: Map<string, string[]>;
  /** src files that declare only types */
  typesOnly: string[];
  /** src files with code that no test reaches → the nearest modules importing them that have tests */
  untested: Map<string, string[]>;
}

export function buildTestIndex(): TestIndex {
  const memo = new Map<string, Set<string>>();
  const testsOf = new Map<string, string[]>();
  for (const t of tracked('test/*.test.ts').sort())
    for (const s of reachedSources(t, memo)) testsOf.set(s, [...(testsOf.get(s) ?? []), t]);
  const index: TestIndex = { tests: new Map(), typesOnly: [], untested: new Map() };
  const importers = importersOf();
  for (const src of sourceFiles().sort(byFolder)) {
    const mirror = `test/unit/${src.slice('src/'.length, -'.ts'.length)}.test.ts`;
    const own = (testsOf.get(src) ?? []).sort((a, b) => Number(b === mirror) - Number(a === mirror));
    if (own.length > 0) index.tests.set(src, own);
    else if (typesOnly(readSource(src))) index.typesOnly.push(src);
    else index.untested.set(src, nearestTested(src, importers, testsOf));
  }
  return index;
}

/** Folder by folder (a folder's own files before its subfolders), then by name. */
function byFolder(a: string, b: string): number {
  const folder = (f: string) => f.slice(0, f.lastIndexOf('/'));
  return folder(a).localeCompare(folder(b)) || a.localeCompare(b);
}

function importersOf(): Map<string, string[]> {
  const importers = new Map<string, string[]>();
  for (const [file, { local }] of wholeGraph().edges)
    for (const target of local) importers.set(target, [...(importers.get(target) ?? []), file]);
  return importers;
}

/** The closest modules importing `src` (fewest hops) that some test reaches. */
function nearestTested(
  src: string,
  importers: Map<string, string[]>,
  testsOf: Map<string, string[]>,
): string[] {
  const seen = new Set([src]);
  let frontier = [src];
  while (frontier.length > 0) {
    const next = [...new Set(frontier.flatMap((f) => importers.get(f) ?? []))].filter((f) => !seen.has(f));
    for (const f of next) seen.add(f);
    const tested = next.filter((f) => testsOf.has(f)).sort();
    if (tested.length > 0) return tested;
    frontier = next;
  }
  return [];
}

const short = (test: string) => `\`${test.replace(/^test\//, '').replace(/\.test\.ts$/, '')}\``;
const quoted = (f: string) => `\`${f}\``;

/** The index as markdown, one line per source file, grouped by folder. */
export function renderTestIndex(index: TestIndex): string {
  const lines = [
    '# Tests by source file',
    '',
    "<!-- generated by `npm run -s test-index` from the tests' imports: do not edit by hand -->",
    '',
    'Every file under `src/` and the test files that exercise it: those that import it (`import type`',
    'does not count), directly or through `test/support/` and `test/lab/` helpers; a test that runs a',
    'bundle counts for its entry file. A unit test at the mirrored path (`test/unit/<path>.test.ts`)',
    'comes first. Test paths are under `test/`, without `.test.ts`. `test/repo/test-index.test.ts`',
    'fails when this file is out of date and when a file with code has no test of its own.',
    '',
    `${index.tests.size} files with tests, ${index.untested.size} without, ${index.typesOnly.length} with types only.`,
  ];
  let folder = '';
  for (const [src, tests] of index.tests) {
    const dir = src.slice(0, src.lastIndexOf('/'));
    if (dir !== folder) lines.push('', `## ${dir}/`, '');
    folder = dir;
    lines.push(`- ${quoted(src.slice(dir.length + 1))}: ${tests.map(short).join(', ')}`);
  }
  lines.push('', '## Without a test of their own', '');
  lines.push('Reached only through the modules that import them; the nearest ones with tests are named.', '');
  for (const [src, through] of index.untested)
    lines.push(
      `- ${quoted(src)}: through ${through.map(quoted).join(', ') || 'nothing: no test reaches it'}`,
    );
  lines.push('', '## Types only', '', 'Nothing in them runs: the compiler checks them.', '');
  for (const src of index.typesOnly) lines.push(`- ${quoted(src)}`);
  return `${lines.join('\n')}\n`;
}
