/**
 * OS processes of the system under test, each the leader of its own process group (so a signal
 * reaches everything it started) with stdout and stderr appended to a log file. Every process is
 * registered: `killAll()` — also run on the nemesis' own exit — SIGKILLs the groups still alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The repository the nemesis lives in (its parent folder): the code under test. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** tsx as a loader of the node process itself, so a signal reaches the process that runs our code. */
export const TSX_LOADER = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;
/** The preload that shifts `Date.now` by `NEMESIS_CLOCK_OFFSET_MS`. */
export const CLOCK_OFFSET_MODULE = pathToFileURL(join(REPO_ROOT, 'nemesis', 'clock-offset.mjs')).href;

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Signal to the whole process group. */
  signal(sig: NodeJS.Signals): void;
  kill9(): Promise<void>;
  /** SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The log so far (the file may be large: read on demand). */
  output(): string;
}

const registry = new Set<Proc>();

export function killAll(): void {
  for (const p of registry) {
    if (p.alive()) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

let exitHook = false;
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', killAll);
}

export interface SpawnOptions {
  env: Record<string, string>;
  logFile: string;
  cwd?: string;
}

export function spawnProc(name: string, command: string, args: string[], o: SpawnOptions): Proc {
  installExitHook();
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: o.cwd ?? REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...o.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  const alive = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  const signal = (sig: NodeJS.Signals) => {
    if (!alive() || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group is gone
    }
  };
  const proc: Proc = {
    name,
    pid: child.pid ?? -1,
    logFile: o.logFile,
    child,
    exited,
    alive,
    signal,
    async kill9() {
      signal('SIGKILL');
      await exited;
    },
    async stop(graceMs = 5_000) {
      if (!alive()) return;
      signal('SIGCONT');
      signal('SIGTERM');
      const t = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
    output: () => {
      try {
        return readFileSync(o.logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
  registry.add(proc);
  void exited.then(() => registry.delete(proc));
  return proc;
}

/** `node --import tsx [--import clock-offset] <script> …args` in its own process group. */
export function spawnNode(name: string, script: string, args: string[], o: SpawnOptions & { clockOffsetMs?: number }): Proc {
  const imports = ['--import', TSX_LOADER];
  const env = { ...o.env };
  if (o.clockOffsetMs) {
    imports.push('--import', CLOCK_OFFSET_MODULE);
    env.NEMESIS_CLOCK_OFFSET_MS = String(o.clockOffsetMs);
  }
  return spawnProc(name, process.execPath, [...imports, script, ...args], { ...o, env });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `check` is true; throws with `what` (and the process log tail) on timeout or exit. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (proc && !proc.alive()) throw new Error(`${what}: ${proc.name} exited early\n${tail(proc.output())}`);
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs} ms${proc ? `\n${tail(proc.output())}` : ''}`);
    await sleep(100);
  }
}

export function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}
