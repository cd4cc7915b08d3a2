/**
 * The console's shared HTML shell (navigation, stylesheet, flash message) and the small formatters
 * every page uses: times in Taipei time, amounts in NT$, state badges, links to operations and to
 * their Bull Board jobs. No script anywhere: plain links and forms.
 */
import type { Response } from 'express';
import type { OperationState } from '../../domain/operation/states.js';
import { BOARD_PATH } from '../board.js';
import { html, trusted, type Html, type Part } from './html.js';

export const CONSOLE_PATH = '/admin';

/** The zone the console shows times in and reads zone-less form times in (MYPAY LINK is a Taiwanese gateway). */
export const CONSOLE_ZONE = '+08:00';
const ZONE_MS = 8 * 3_600_000;

const STYLE = trusted(`
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6576; --line: #d9dee7; --bg: #f5f7fa; --card: #fff; --link: #0b57d0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans TC", "Noto Sans CJK TC", "PingFang TC", "Microsoft JhengHei", sans-serif; }
a { color: var(--link); text-decoration: none; } a:hover { text-decoration: underline; }
header { background: #17202e; color: #fff; padding: 0 20px; display: flex; align-items: center; gap: 24px; flex-wrap: wrap; }
header .brand { font-weight: 700; padding: 12px 0; }
header nav { display: flex; gap: 4px; flex-wrap: wrap; }
header nav a { color: #c9d3e3; padding: 12px 10px; display: inline-block; }
header nav a[aria-current="page"] { color: #fff; box-shadow: inset 0 -3px 0 #5b9cff; }
main { padding: 20px; max-width: 1400px; }
h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f6; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK TC", monospace; font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0 0; background: #f2f4f8; padding: 8px; border-radius: 4px; max-height: 360px; overflow: auto; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.badge.green { background: #e3f6e8; color: #146c2e; border-color: #9fd8ae; }
.badge.red { background: #fde7e7; color: #a0191d; border-color: #f2aaa9; }
.badge.amber { background: #fff3d6; color: #7a4d00; border-color: #f2cf7a; }
.badge.grey { background: #eceff3; color: #48515f; border-color: #cfd5de; }
.flash { border-left: 4px solid #2f7d32; background: #e8f5e9; padding: 8px 12px; margin: 0 0 12px; }
.flash.warn { border-color: #b26a00; background: #fff4e0; }
.errors { border-left: 4px solid #b3261e; background: #fdecea; padding: 8px 12px; margin: 0 0 12px; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 0 0 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; padding: 4px 6px; border: 1px solid #b8c0cc; border-radius: 4px; background: #fff; }
button { background: #0b57d0; color: #fff; border-color: #0b57d0; padding: 5px 14px; cursor: pointer; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
ol.timeline li { position: relative; margin: 0 0 12px; padding-left: 10px; }
ol.timeline li::before { content: ""; position: absolute; left: -21px; top: 6px; width: 10px; height: 10px; border-radius: 50%; background: #5b9cff; }
ol.timeline .when { color: var(--muted); font-size: 12px; } ol.timeline .event { font-weight: 600; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 12px; }
.counts a, .counts span { display: inline-block; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); }
.counts .hot { border-color: #f2cf7a; background: #fff8e6; font-weight: 600; }
.item h3 { font-size: 14px; margin: 0 0 4px; }
.bar { display: inline-block; width: 120px; height: 8px; background: #e4e8ee; border-radius: 4px; vertical-align: middle; overflow: hidden; }
.bar > span { display: block; height: 100%; background: #2f7d32; }
ul.links { margin: 0; padding-left: 18px; }
`);

const NAV: [string, string][] = [
  ['overview', 'Attention'],
  ['payments', 'Payments'],
  ['terminals', 'Terminals'],
  ['batches', 'Refund batches'],
];

export interface PageOptions {
  title: string;
  /** Which navigation entry is current. */
  nav?: 'overview' | 'payments' | 'terminals' | 'batches';
  /** Seconds between automatic reloads (a <meta refresh>, no script). */
  refresh?: number;
  flash?: { text: string; warn?: boolean };
  body: Part;
}

export function layout(o: PageOptions): Html {
  const href = (key: string) => (key === 'overview' ? CONSOLE_PATH : `${CONSOLE_PATH}/${key}`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${o.refresh ? html`<meta http-equiv="refresh" content="${o.refresh}">` : ''}
<title>${o.title} · MYPAY ops console</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<div class="brand">MYPAY ops console</div>
<nav>${NAV.map(([key, label]) => html`<a href="${href(key)}"${o.nav === key ? trusted(' aria-current="page"') : ''}>${label}</a>`)}<a href="${BOARD_PATH}">Bull Board</a></nav>
</header>
<main>
${o.flash ? html`<div class="flash${o.flash.warn ? ' warn' : ''}" role="status">${o.flash.text}</div>` : ''}
${o.body}
</main>
</body>
</html>
`;
}

/** Sends a page: HTML in UTF-8, never cached (payment data), Referer kept same-origin (the CSRF check reads it). */
export function send(res: Response, page: Html, status = 200): void {
  res.status(status).set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'same-origin' }).type('html').send(page.value);
}

export function errorPage(res: Response, status: number, title: string, detail: Part): void {
  send(res, layout({ title, body: html`<h1>${title}</h1><div class="errors">${detail}</div><p><a href="${CONSOLE_PATH}">Back to the console</a></p>` }), status);
}

// ── formatting ────────────────────────────────────────────────────────────────────────────────

const toMs = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));

/** `2026-11-28 15:04:43` in Taipei time; the exact UTC instant in the title. */
export function time(t: string | number | null | undefined): Html {
  if (t === null || t === undefined || Number.isNaN(toMs(t))) return html`<span class="muted">—</span>`;
  const ms = toMs(t);
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" title="${iso}">${localTime(ms).replace('T', ' ')}</time>`;
}

/** `YYYY-MM-DDTHH:mm:ss` in the console's zone (the value of a datetime-local input). */
export function localTime(ms: number): string {
  return new Date(ms + ZONE_MS).toISOString().slice(0, 19);
}

export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function money(n: number | undefined | null): Html {
  if (n === undefined || n === null) return html`<span class="muted">—</span>`;
  return html`NT$${n.toLocaleString('en-US')}`;
}

export type Tone = 'green' | 'red' | 'amber' | 'grey';

const TONES: Partial<Record<OperationState, Tone>> = {
  paid: 'green', partially_refunded: 'green', refunded: 'green', printed: 'green',
  declined: 'red', failed: 'red', rejected: 'red', data_error: 'red', abandoned: 'red',
  needs_review: 'amber', unresolved: 'amber', not_received: 'amber',
};

/** Green done, red did not happen, amber a person must look, grey still on its way (or nothing moved). */
export function stateTone(state: string, unknownPrc?: string): Tone {
  if (unknownPrc && state === 'pending') return 'amber';
  return TONES[state as OperationState] ?? 'grey';
}

const MARK: Record<Tone, string> = { green: '✓', red: '✗', amber: '!', grey: '…' };

/** A state as a coloured badge (a mark too, for who cannot tell the colours apart). */
export function stateBadge(state: string, unknownPrc?: string): Html {
  const tone = stateTone(state, unknownPrc);
  const label = unknownPrc && state === 'pending' ? `${state} · unknown prc ${unknownPrc}` : state;
  return badge(tone, label, `${MARK[tone]} `);
}

export function badge(tone: Tone, label: string, mark = ''): Html {
  return html`<span class="badge ${tone}" data-tone="${tone}">${mark}${label}</span>`;
}

// ── links ─────────────────────────────────────────────────────────────────────────────────────

export const opHref = (opId: string) => `${CONSOLE_PATH}/payments/${encodeURIComponent(opId)}`;

/** Bull Board's job page (@bull-board/ui 9: `/queue/:queueName/:jobId`). */
export const boardJobHref = (queue: string, jobId: string) => `${BOARD_PATH}/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;

export function opLink(opId: string, label?: Part): Html {
  return html`<a href="${opHref(opId)}">${label ?? opId}</a>`;
}
