/**
 * The dependency direction of src/, checked by `npm run lint` (after eslint):
 *
 *   domain → config → gateway, store, redis, simulator → queues → producers → workers, batch
 *     → app, metrics, demo → api, cli → launch → entry points
 *
 * 1. A folder of src/ imports only folders of a lower rank ({@link LAYERS}); so no two folders ever
 *    import each other, directly or round a longer circle.
 * 2. No circle of files, inside a folder or across folders, counting `import type` too.
 * 3. Entry points ({@link isEntry}: src/main.ts, src/index.ts, src/<folder>/main.ts) may import any
 *    folder, and nothing imports them.
 * A new folder must be given a rank here. Every import is read with TypeScript's own pre-processor
 * (static imports, `export … from`, dynamic `import('…')`), relative specifiers only.
 *
 *   npx tsx scripts/check-layers.ts            # check src/, exit 1 with one line per violation
 *   npx tsx scripts/check-layers.ts --root dir # check another tree laid out the same way (tests)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Lowest first. A folder may import the folders of lower ranks only. */
export const LAYERS: readonly (readonly string[])[] = [
  ['domain'], // pure: types, schemas, codec, state machine, schedules, the error family
  ['config'], // the environment, parsed once; the logger
  ['gateway', 'store', 'redis', 'simulator'], // the MYPAY client; records and Lua scripts; a local redis-server; the simulated gateway
  ['queues'], // the core: one Redis connection, the store, the BullMQ queues, settings, the clock
  ['producers'], // enqueue and request follow-ups (the library store backends use)
  ['workers', 'batch'], // processors, sweeper, janitor, webhook delivery (workers/notify); batch refunds (built on producers)
  ['app', 'metrics', 'demo'], // wiring of one process; Prometheus metrics; the demo traffic generator
  ['api', 'cli'], // the HTTP API (refund batches included); the `mypay` command line
  ['launch'], // process roles: what `npm start`, `--role api` and `--role worker` run
];

export interface Violation {
  rule: 'layer' | 'cycle' | 'entry' | 'unranked';
  message: string;
}

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((f) => [f, rank] as const)));

/** src/main.ts, src/index.ts and src/<folder>/main.ts: processes and the package entry. */
export function isEntry(rel: string): boolean {
  const parts = rel.split('/');
  return (parts.length === 1 && (rel === 'main.ts' || rel === 'index.ts')) || (parts.length === 2 && parts[1] === 'main.ts');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports of one file, resolved to files of the tree (`./x.js` → `x.ts`, `./dir/index.js` as is). */
function importsOf(file: string, known: Set<string>): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
    for (const candidate of [target, `${target}.ts`, join(target, 'index.ts')]) {
      if (known.has(candidate)) {
        out.push(candidate);
        break;
      }
    }
  }
  return out;
}

/** Circles of files (Tarjan's strongly connected components of two or more files, or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
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
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.reverse());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

export function checkLayers(root: string): Violation[] {
  const files = tsFiles(root);
  const known = new Set(files);
  const rel = (f: string) => relative(root, f).split(sep).join('/');
  const folderOf = (f: string) => rel(f).split('/')[0]!;
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  const unranked = new Set<string>();
  for (const file of files) {
    const targets = importsOf(file, known);
    graph.set(file, targets);
    const from = rel(file);
    if (!isEntry(from) && from.includes('/') && !rankOf.has(folderOf(file))) unranked.add(folderOf(file));
    for (const target of targets) {
      const to = rel(target);
      if (isEntry(to)) {
        violations.push({ rule: 'entry', message: `src/${from} imports the entry point src/${to}: entry points are imported by nothing` });
        continue;
      }
      if (isEntry(from)) continue;
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a === b) continue;
      const [ra, rb] = [rankOf.get(a), rankOf.get(b)];
      if (ra === undefined || rb === undefined) continue;
      if (ra <= rb) {
        violations.push({
          rule: 'layer',
          message: `src/${from} imports src/${to}: ${a} (rank ${ra}) may import only folders below it, and ${b} is rank ${rb} (scripts/check-layers.ts LAYERS)`,
        });
      }
    }
  }
  for (const folder of [...unranked].sort()) violations.push({ rule: 'unranked', message: `src/${folder}/ has no rank: add it to LAYERS in scripts/check-layers.ts` });
  for (const circle of cycles(graph)) {
    violations.push({ rule: 'cycle', message: `import cycle: ${[...circle, circle[0]!].map((f) => `src/${rel(f)}`).join(' → ')}` });
  }
  return violations;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--root');
  const root = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : resolve(fileURLToPath(import.meta.url), '../../src');
  const violations = checkLayers(root);
  for (const v of violations) console.error(`layers: ${v.message}`);
  if (violations.length) {
    console.error(`layers: ${violations.length} violation(s) of the dependency direction (scripts/check-layers.ts)`);
    process.exit(1);
  }
  console.log(`layers: ${tsFiles(root).length} files, dependency direction respected, no import cycle`);
}
