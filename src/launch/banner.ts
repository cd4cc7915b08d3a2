/** The lines `npm start` prints for a person: where everything is, and the demo credentials. */
import { isAbsolute, relative } from 'node:path';
import type { System } from './system.js';

/** A path as a person in this directory would type it: relative when inside it. */
const shown = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
};

export function banner(sys: System): string {
  const lines = [''];
  const title = sys.role === 'all' ? 'MYPAY orchestrator: API + dashboard + workers' : sys.role === 'api' ? 'MYPAY orchestrator: API + dashboard' : 'MYPAY orchestrator: workers';
  lines.push(`  ${title}${sys.demo ? ' (demo: bundled simulator)' : ''}`);
  const row = (label: string, value: string | undefined) => value && lines.push(`  ${label.padEnd(11)} ${value}`);
  row('API', sys.urls.api);
  row('Dashboard', sys.urls.dashboard);
  row('OpenAPI', sys.urls.openapi);
  row('Metrics', sys.urls.metrics);
  row('Simulator', sys.urls.simulator);
  if (sys.sim?.state) row('Sim orders', `kept in ${shown(sys.sim.state.file)} (charges in flight go on after a restart; delete it to start empty)`);
  if (sys.urls.webhooks) row('Webhooks', `${sys.urls.webhooks}   (demo receiver: verifies each signed event and logs "webhook received"; set WEBHOOK_URL and WEBHOOK_SECRET for your own)`);
  row('Redis', `${sys.redis.url} (${sys.redis.source}${sys.redis.dir ? `, AOF in ${sys.redis.dir}` : ''})`);
  const c = sys.credentials;
  const kept = c?.kept ? `generated; kept in ${shown(c.kept.file)} — delete it for new ones` : undefined;
  if (c?.generated.admin) row('Login', `${c.admin.user} / ${c.admin.password}   (${kept ?? 'generated for this run'}; set ADMIN_USER / ADMIN_PASSWORD to choose)`);
  if (c?.generated.apiKey) row('API key', `${c.generated.apiKey}   (${kept ?? 'generated for this run'}; set API_KEYS to choose)`);
  if (sys.traffic) row('Demo', 'traffic generator on (DEMO=1): charges, refunds, reprints and failures');
  if (c && sys.urls.api) {
    lines.push('', '  Try:');
    lines.push(`    curl -s -X POST ${sys.urls.api}/charges -H 'Authorization: Bearer ${c.generated.apiKey ?? '<API key>'}' \\`);
    lines.push(`      -H 'Content-Type: application/json' -d '{"device_name":"A01","order_id":"hello-1","cost":100,"pfn":"CREDITCARD"}'`);
    lines.push(`    curl -s ${sys.urls.api}/payments/${sys.runtime.stores[0]?.store_uid ?? '<store_uid>'}/hello-1 -H 'Authorization: Bearer ${c.generated.apiKey ?? '<API key>'}'`);
  }
  lines.push('');
  return lines.join('\n');
}
