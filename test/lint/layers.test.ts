/**
 * The layer check of `npm run lint` (scripts/check-layers.ts): passes on src/, and fails on a tree
 * with a deliberately introduced circle, a lower layer importing a higher one, an import of an entry
 * point and a folder without a rank — also as the command `npm run lint` runs (exit code 1).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers } from '../../scripts/check-layers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mypay-layers-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('layer check', () => {
  it('passes on src/', () => {
    expect(checkLayers(join(import.meta.dirname, '../../src'))).toEqual([]);
  });

  it('finds a circle of files inside one folder, type-only imports included', () => {
    const root = tree({
      'producers/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'producers/b.ts': "import type { C } from './c.js';\nexport const b = 1 as unknown as C;\n",
      'producers/c.ts': "import { a } from './a.js';\nexport type C = typeof a;\n",
    });
    expect(checkLayers(root)).toEqual([
      { rule: 'cycle', message: 'import cycle: src/producers/a.ts → src/producers/b.ts → src/producers/c.ts → src/producers/a.ts' },
    ]);
  });

  it('finds a lower layer importing a higher one (the circle api ↔ batch as it was)', () => {
    const root = tree({
      'api/problem.ts': 'export class HttpProblem extends Error {}\n',
      'api/app.ts': "import { router } from '../batch/http.js';\nexport const app = router;\n",
      'batch/http.ts': "import { HttpProblem } from '../api/problem.js';\nexport const router = HttpProblem;\n",
    });
    const found = checkLayers(root);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ rule: 'layer' });
    expect(found[0]!.message).toMatch(/^src\/batch\/http\.ts imports src\/api\/problem\.ts: batch \(rank \d\) may import only folders below it, and api is rank \d/);
  });

  it('refuses imports of entry points and folders without a rank', () => {
    const root = tree({
      'main.ts': "import './launch/system.js';\n",
      'launch/system.ts': "import '../demo/main.js';\n",
      'demo/main.ts': "import '../launch/system.js';\n",
      'plugins/x.ts': 'export const x = 1;\n',
    });
    expect(checkLayers(root).map((v) => v.rule).sort()).toEqual(['cycle', 'entry', 'unranked']);
  });

  it('fails as a command with one line per violation, as `npm run lint` runs it', () => {
    const root = tree({
      'domain/a.ts': "import { q } from '../queues/q.js';\nexport const a = q;\n",
      'queues/q.ts': "import { a } from '../domain/a.js';\nexport const q = () => a;\n",
    });
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-layers.ts', '--root', root], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/layers: src\/domain\/a\.ts imports src\/queues\/q\.ts: domain \(rank 0\)/);
    expect(run.stderr).toMatch(/layers: import cycle: src\/domain\/a\.ts → src\/queues\/q\.ts → src\/domain\/a\.ts/);
  });
});
