/** The markdown table `npm run bench` prints and the README's Performance section shows. */
import type { BenchRow, ScenarioResult, Target } from './types.js';

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

const value = (v: number | null | undefined, atLeast?: boolean) => (v === null || v === undefined ? '—' : `${atLeast ? '≥ ' : ''}${fmt(v)}`);

export function targetText(t: Target | undefined, unit: string): string {
  if (!t) return '';
  return `${t.op === '>=' ? '≥' : '≤'} ${fmt(t.value)} ${unit}`.trim();
}

export function meets(t: Target, v: number): boolean {
  return t.op === '>=' ? v >= t.value : v <= t.value;
}

/** "met", or by how much the target (and, where asked, the peer) is missed. */
export function missText(row: BenchRow): string {
  const parts: string[] = [];
  if (row.target) {
    if (row.measured === null) parts.push('not measured');
    else if (!meets(row.target, row.measured)) {
      const { op, value: t } = row.target;
      if (op === '>=') parts.push(`${fmt(((t - row.measured) / t) * 100)}% short`);
      else if (t === 0) parts.push(`${fmt(row.measured)} over`);
      else parts.push(`${fmt(row.measured / t)}× the limit`);
    }
  }
  if (row.mustBeatPeer && row.peer && row.measured !== null && row.peer.value !== null) {
    const beat = row.better === 'higher' ? row.measured > row.peer.value : row.measured < row.peer.value;
    if (!beat) parts.push(`not better than ${row.peer.name}`);
  }
  if (parts.length === 0) return row.target || row.mustBeatPeer ? (row.measured === null ? 'not measured' : 'met') : '';
  return parts.join('; ');
}

export function ratioText(row: BenchRow): string {
  if (!row.peer || row.measured === null || row.peer.value === null || row.peer.value === 0) return '';
  if (row.atLeast || row.peer.atLeast) return row.atLeast && !row.peer.atLeast ? `≥ ${fmt(row.measured / row.peer.value)}×` : '—';
  return `${fmt(row.measured / row.peer.value)}×`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function markdownTable(results: readonly ScenarioResult[]): string {
  const lines = [
    '| Scenario | Metric | Target | Measured | Peer (same run) | Ours ÷ peer | Target missed by |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const row of r.rows) {
      const measured = row.measured === null ? (row.note ?? '—') : `${value(row.measured, row.atLeast)} ${row.unit}`.trim();
      const peer = row.peer ? `${row.peer.name}: ${value(row.peer.value, row.peer.atLeast)}` : '';
      lines.push(`| ${[row.scenario, row.metric, targetText(row.target, row.unit), measured, peer, ratioText(row), missText(row)].map(cell).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** Notes under the table (budget stops, partial runs). */
export function tableNotes(results: readonly ScenarioResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    if (r.reason) notes.push(`${r.id} ${r.title}: ${r.status} — ${r.reason}`);
    for (const row of r.rows) if (row.note && row.measured !== null) notes.push(`${row.scenario} · ${row.metric}: ${row.note}`);
  }
  return [...new Set(notes)];
}
