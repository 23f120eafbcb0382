import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/**
 * The layer rules and "no import circles", kept by CI rather than by review: every static import of
 * `app.ts` and `src/` is read (type-only imports too: a circle of types is still a design circle).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Graph = Map<string, string[]>;

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** Every specifier a file imports (relative ones resolved to repository paths, `.js` read as `.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec) continue;
    out.push(
      spec.startsWith('.')
        ? relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts')
        : spec,
    );
  }
  return out;
}

function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  return ['app.ts', ...walk('src')];
}

function buildGraph(): Graph {
  const files = new Set(sourceFiles());
  return new Map([...files].map((f) => [f, importsOf(f).filter((i) => files.has(i))]));
}

/** Every import circle (Tarjan's strongly connected components of more than one file, or a self-import). */
function circles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** `src/<layer>/…` -> layer; `src/x.ts` -> 'src'. */
const layerOf = (file: string): string =>
  file.startsWith('src/') ? (file.split('/')[1] ?? '').replace(/\.ts$/, '') : file;

/** What each inner layer may import from `src/` (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  domain: ['config'],
  config: ['domain'],
  ports: ['domain', 'config'],
};
/** Adapters and transports the use cases must never import (they get them through ports). */
const SERVICES_NEVER = [
  'aws',
  'local',
  'slack',
  'github',
  'http',
  'features',
  'app',
  'lambda',
  'cli',
  'page',
];
/** Packages domain/ may use: pure ones only (no I/O, no `node:` modules). */
const DOMAIN_PACKAGES = ['zod'];

/** The imports that break a layer rule, each with the rule it breaks. */
function layerViolations(imports: Array<[file: string, spec: string]>): string[] {
  const bad: string[] = [];
  for (const [file, spec] of imports) {
    const from = layerOf(file);
    {
      const inSrc = spec.startsWith('src/');
      const to = inSrc ? layerOf(spec) : null;
      if (from in MAY_IMPORT && to !== null && to !== from && !MAY_IMPORT[from]!.includes(to))
        bad.push(`${file} -> ${spec} (${from}/ may import only ${MAY_IMPORT[from]!.join(', ')})`);
      if (from === 'services' && to !== null && SERVICES_NEVER.includes(to))
        bad.push(`${file} -> ${spec} (services/ never import ${to}/: give it a port)`);
      if (from === 'domain' && !spec.startsWith('.') && !inSrc && !DOMAIN_PACKAGES.includes(spec))
        bad.push(`${file} -> ${spec} (domain/ is free of I/O: only ${DOMAIN_PACKAGES.join(', ')})`);
    }
  }
  return bad;
}

describe('imports', () => {
  const graph = buildGraph();

  it('reads the real tree (the graph is not empty and has edges)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect([...graph.values()].flat().length).toBeGreaterThan(300);
  });

  it('finds a circle when there is one (the checker itself)', () => {
    const g: Graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(circles(g)).toEqual([['a', 'b', 'c']]);
    expect(
      circles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('has no import circle in app.ts and src/', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('keeps the layer rules: domain/ pure, ports/ inward, services/ free of adapters and transports', () => {
    const all = [...graph.keys()].flatMap((f) => importsOf(f).map((spec): [string, string] => [f, spec]));
    expect(layerViolations(all)).toEqual([]);
  });

  it('reports each kind of layer breach (the checker itself, on synthetic imports)', () => {
    const found = layerViolations([
      ['src/domain/a.ts', 'src/aws/clients.ts'],
      ['src/domain/a.ts', 'node:fs'],
      ['src/ports/p.ts', 'src/services/x/y.ts'],
      ['src/services/failover/f.ts', 'src/slack/chat.ts'],
      ['src/services/failover/f.ts', 'src/ports/store.ts'],
      ['src/domain/a.ts', 'src/config/topology-schema.ts'],
    ]);
    expect(found.map((b) => b.split(' (')[0])).toEqual([
      'src/domain/a.ts -> src/aws/clients.ts',
      'src/domain/a.ts -> node:fs',
      'src/ports/p.ts -> src/services/x/y.ts',
      'src/services/failover/f.ts -> src/slack/chat.ts',
    ]);
  });
});
