/**
 * Runs the package scripts (`npm start`, `npm run api`, `npm run worker`) as real processes, in their
 * own process group, with a clean environment (only what the test gives, plus PATH/HOME).
 *
 * Stopping: npm exits at once on SIGTERM without waiting for its script, so the whole group gets the
 * signal and "stopped" means every process holding the output pipes has exited (node, tsx, npm).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Script {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output so far or to come. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** npm's exit code (when it exits by itself). */
  exited: Promise<number | null>;
  /** SIGTERM to the group; true if every process had exited within 20 s (else SIGKILL, false). */
  stop(): Promise<boolean>;
}

export function runScript(script: string, env: Record<string, string>): Script {
  const args = script === 'start' ? ['start'] : ['run', script];
  const child = spawn('npm', ['--silent', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pipesClosed = Promise.all([once(child.stdout!, 'close'), once(child.stderr!, 'close')]).then(() => true);
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // the group is gone
    }
  };
  return {
    child,
    exited,
    output: () => out,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const m = re.exec(out);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re} in:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        void pipesClosed.then(() => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`process exited before ${re}:\n${out}`));
        });
        check();
      });
    },
    async stop() {
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([pipesClosed, new Promise<false>((r) => (timer = setTimeout(() => r(false), 20_000)))]);
      clearTimeout(timer);
      if (!graceful) {
        signal('SIGKILL');
        await pipesClosed;
      }
      return graceful;
    },
  };
}
