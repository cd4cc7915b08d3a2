/**
 * HTML that escapes by default. Every value interpolated into an {@link html} template is escaped
 * (`& < > " ' \``), arrays are joined, `null`/`undefined`/`false` render nothing; only an
 * {@link Html} (the result of another `html` template, or {@link trusted} for our own constant
 * markup) goes in as it is. Store data (order ids, terminal names, gateway messages, audit data) is
 * attacker-controlled: it only ever reaches a page through this function. Attribute values must be
 * quoted in the templates (`href="${url}"`), which the escaping of both quote characters makes safe.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Part = Html | string | number | bigint | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup written in this code base (never data): a constant stylesheet, for instance. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A query string (`?a=1&b=2`) of the non-empty values, or '' when there are none. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
