import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';

/**
 * Small functions and files, kept by CI rather than by review: no function over 60 lines and no file over 300
 * lines in src/, unless a one-line `// length: <reason>` comment sits beside it (in the comments just above a
 * function, or in a file's first lines).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_FUNCTION_LINES = 60;
const MAX_FILE_LINES = 300;
const REASON = /\/\/ length: \S/;
/** How far into a file its `// length:` reason may sit. */
const FILE_REASON_LINES = 10;

/** The statement, member or property a function is the value of: where its leading comments are. */
function owner(node: ts.Node): ts.Node {
  let n = node;
  while (
    n.parent &&
    !ts.isSourceFile(n.parent) &&
    !ts.isBlock(n.parent) &&
    !ts.isClassLike(n.parent) &&
    !ts.isModuleBlock(n.parent) &&
    !ts.isObjectLiteralExpression(n.parent) &&
    !(ts.isCallExpression(n.parent) && n !== n.parent.expression)
  )
    n = n.parent;
  return n;
}

/** Every function and file of `text` over its limit with no `// length:` reason beside it. */
function overLimits(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const head = text.split('\n').slice(0, FILE_REASON_LINES).join('\n');
  if (lines > MAX_FILE_LINES && !REASON.test(head))
    found.push(`${file}: ${lines} lines (over ${MAX_FILE_LINES})`);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = lineOf(node.getStart(sf));
      const length = lineOf(node.getEnd()) - start + 1;
      const o = owner(node);
      const beside = text.slice(o.getFullStart(), o.getStart(sf)) + (text.split('\n')[start - 1] ?? '');
      if (length > MAX_FUNCTION_LINES && !REASON.test(beside)) {
        const name = node.name?.getText(sf) ?? '(anonymous)';
        found.push(`${file}:${start} ${name}: ${length} lines (over ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const fn = (name: string, bodyLines: number): string =>
  `export function ${name}(): number {\n${'  let x = 1;\n'.repeat(bodyLines)}  return 1;\n}\n`;

describe('length limits', () => {
  it('catches a function over 60 lines and a file over 300, and accepts a written reason (the checker itself)', () => {
    expect(overLimits('a.ts', fn('short', 57))).toEqual([]);
    expect(overLimits('a.ts', fn('long', 58))).toEqual(['a.ts:1 long: 61 lines (over 60)']);
    expect(overLimits('a.ts', `// length: one table of every case\n${fn('long', 58)}`)).toEqual([]);
    const arrow = `export const run = async (): Promise<void> => {\n${'  await 1;\n'.repeat(60)}};\n`;
    expect(overLimits('b.ts', arrow)).toEqual(['b.ts:1 (anonymous): 62 lines (over 60)']);
    expect(overLimits('b.ts', `/** Doc. */\n// length: why\n${arrow}`)).toEqual([]);
    const method = `class C {\n  m(): void {\n${'    void 0;\n'.repeat(60)}  }\n}\n`;
    expect(overLimits('c.ts', method)).toEqual(['c.ts:2 m: 62 lines (over 60)']);
    const big = `${'export const a = 1;\n'.repeat(301)}`;
    expect(overLimits('d.ts', big)).toEqual(['d.ts: 301 lines (over 300)']);
    expect(overLimits('d.ts', big.slice('export const a = 1;\n'.length))).toEqual([]);
    expect(overLimits('d.ts', `// length: generated table\n${big}`)).toEqual([]);
  });

  it('holds in src/', () => {
    const files = sourceFiles('src');
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => overLimits(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(found).toEqual([]);
  });
});
