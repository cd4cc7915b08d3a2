#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ (JavaScript, .d.ts and source maps, tsconfig.build.json),
// then copies the files the code reads at run time beside the compiled modules (the Lua scripts
// under src/store/lua, src/batch/lua and src/gateway/lua, read with `new URL('./lua/…', import.meta.url)`).
// dist/ is removed first, so a module deleted from src/ never lingers in a build or a package.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

/** Every file under src/ that tsc does not emit (anything but .ts): today the Lua scripts. */
function assets(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return assets(path);
    return name.endsWith('.ts') ? [] : [path];
  });
}
const copied = assets(src);
for (const file of copied) cpSync(file, join(dist, relative(src, file)));
console.log(`dist/: compiled src/ and copied ${copied.length} asset(s) (${copied.map((f) => relative(src, f)).join(', ')})`);
