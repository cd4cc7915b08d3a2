/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by file (or
 * package under node_modules), so the profile's findings can be read without a flame-graph viewer.
 *
 *   npx tsx bench/tools/cpu-summary.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-summary <file.cpuprofile> [rows]');
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);

/** The package (node_modules/<pkg>) or the repository file a frame belongs to. */
function where(url: string): string {
  if (!url) return '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  const src = /\/((?:src|bench|test)\/.*)$/.exec(url);
  return src ? src[1]! : url;
}

const fn = new Map<string, number>();
const file_ = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const n = byId.get(id)!;
  const loc = where(n.callFrame.url);
  const name = `${n.callFrame.functionName || '(anonymous)'} ${loc}:${n.callFrame.lineNumber + 1}`;
  fn.set(name, (fn.get(name) ?? 0) + ms);
  file_.set(loc, (file_.get(loc) ?? 0) + ms);
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${v.toFixed(0).padStart(6)} ms  ${k}`);
};
console.log(`${file}: ${total.toFixed(0)} ms sampled`);
show('self time by package / file', file_);
show('self time by function', fn);
