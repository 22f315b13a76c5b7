/**
 * Functions too long to read at once: every function, method, arrow function and accessor in src/
 * (generated modules aside) whose body, braces included, spans more than MAX_BODY_LINES lines,
 * from the TypeScript syntax tree.
 */
import ts from 'typescript';
import { readSource, sourceFiles } from './import-graph.js';

export const MAX_BODY_LINES = 50;

export interface LongFunction {
  file: string;
  line: number;
  name: string;
  /** lines the body spans, from its opening brace to its closing one */
  lines: number;
}

/** The name a function goes by: its own, or the variable, property or method it is assigned to. */
function nameOf(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText(source);
  return ts.isConstructorDeclaration(node) ? 'constructor' : '(anonymous)';
}

export function longFunctionsIn(file: string, text: string, max = MAX_BODY_LINES): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body && ts.isBlock(node.body)) {
      const first = source.getLineAndCharacterOfPosition(node.body.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.body.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max)
        out.push({ file, line: first + 1, name: nameOf(node as ts.FunctionLikeDeclaration, source), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

export function longFunctions(max = MAX_BODY_LINES): LongFunction[] {
  return sourceFiles()
    .filter((f) => !f.endsWith('.generated.ts'))
    .flatMap((f) => longFunctionsIn(f, readSource(f), max))
    .sort((a, b) => b.lines - a.lines);
}
