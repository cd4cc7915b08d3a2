/**
 * `npm run bench:profile`: scenario 1's charge lifecycle alone, for profiling — Redis commands per
 * payment by command (server side, INFO commandstats, incl. inside Lua) and round trips by command
 * (client side); `npm run bench:profile` runs it under `node --cpu-prof`, a flame graph of the process
 * that runs the producer and the workers (open the largest `.cpuprofile` in Chrome DevTools or
 * speedscope, or summarise it):
 *
 *   npm run bench:profile -- [payments]
 *   npx tsx bench/tools/cpu-summary.ts bench/results/profile/<largest>.cpuprofile
 */
import { ourLifecycle, THROUGHPUT_DEFAULTS } from './scenarios/throughput.js';
import { perUnit } from './scenarios/support/redis.js';

const payments = Number(process.argv[2] ?? 2_000);
const run = await ourLifecycle({ ...THROUGHPUT_DEFAULTS, payments }, Date.now() + 120_000);
const top = (m: Record<string, number>) => Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
console.log(`${run.done} payments in ${Math.round(run.elapsedMs)} ms: ${Math.round(run.perSecond)} payments/s; states ${JSON.stringify(run.states)}`);
const server = perUnit(run.serverCommands, run.done);
console.log(`server commands per payment: ${Object.values(server).reduce((a, b) => a + b, 0).toFixed(1)} — ${top(server)}`);
const client = perUnit(run.client.byName, run.done);
console.log(`client commands per payment: ${(run.client.total / run.done).toFixed(1)} (${(run.client.pipelined / run.done).toFixed(1)} pipelined) — ${top(client)}`);
process.exit(0);
