#!/usr/bin/env node
// Launcher of the `mypay` CLI.
// - Installed package or Docker image (no src/, no tsx): runs the compiled CLI, dist/cli/main.js, in
//   this very process.
// - A clone (src/ and the tsx dev dependency present): runs the TypeScript sources in a child with
//   tsx registered as a loader (`node --import tsx`), so the CLI never runs a stale build; a signal
//   sent to this process reaches the CLI itself (no intermediate tsx process).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');

function tsxLoader() {
  if (!existsSync(source)) return undefined;
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

const loader = tsxLoader();
if (loader) {
  const child = spawn(process.execPath, ['--import', loader, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const compiled = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(compiled)) {
    process.stderr.write('mypay: no dist/cli/main.js and no tsx to run src/: run `npm run build` (or `npm install` for tsx)\n');
    process.exit(1);
  }
  await import(pathToFileURL(compiled).href);
}
