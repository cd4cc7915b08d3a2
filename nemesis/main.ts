/**
 * `npm run nemesis -- [--seed N[,N…]] [--minutes M] [--profile ci|soak] [--strict-ttl] [--env K=V]… [--sim-env K=V]… [--skip-faults kind,…]`
 *
 * Starts the real system as separate processes, drives a mixed workload through the HTTP API while
 * a seeded nemesis injects faults, then checks the result against the simulator's ledger
 * (docs/NEMESIS.md). Exit 0: no violation; 1: violations (printed with the seed, the fault timeline
 * around each and the operations' audit trails); 2: bad usage or the system could not be run.
 */
import { killAll } from './proc.js';
import { PROFILES, type ProfileName } from './profiles.js';
import { runProfile, type RunOptions } from './run.js';

function usage(msg?: string): never {
  if (msg) console.error(`nemesis: ${msg}`);
  console.error('usage: npm run nemesis -- [--seed N[,N…]] [--minutes M] [--profile ci|soak] [--strict-ttl] [--env K=V]… [--sim-env K=V]… [--skip-faults kind,…] [--detail N]');
  process.exit(2);
}

function parse(argv: string[]): RunOptions {
  const o: RunOptions = { profile: 'ci', seeds: [], env: {}, simEnv: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const kv = (target: Record<string, string>) => {
      const v = val();
      const eq = v.indexOf('=');
      if (eq <= 0) usage(`${a} takes K=V, got ${v}`);
      target[v.slice(0, eq)] = v.slice(eq + 1);
    };
    switch (a) {
      case '--seed':
        for (const s of val().split(',')) {
          const n = Number(s);
          if (!Number.isInteger(n) || n < 0) usage(`--seed must be a non-negative integer, got ${s}`);
          o.seeds!.push(n);
        }
        break;
      case '--minutes': {
        const m = Number(val());
        if (!(m > 0 && m <= 240)) usage('--minutes must be in (0, 240]');
        o.minutes = m;
        break;
      }
      case '--profile': {
        const p = val();
        if (!(p in PROFILES)) usage(`--profile must be ${Object.keys(PROFILES).join(' or ')}`);
        o.profile = p as ProfileName;
        break;
      }
      case '--strict-ttl':
        o.strictTtl = true;
        break;
      case '--env':
        kv(o.env!);
        break;
      case '--sim-env':
        kv(o.simEnv!);
        break;
      case '--skip-faults':
        o.skipFaults = val().split(',').filter(Boolean);
        break;
      case '--detail':
        o.detail = Number(val());
        break;
      case '--help': case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  return o;
}

const options = parse(process.argv.slice(2));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`nemesis: ${sig}, killing the system under test`);
    killAll();
    process.exit(130);
  });
}
runProfile(options).then(
  ({ ok, results }) => process.exit(results.some((r) => r.error) ? 2 : ok ? 0 : 1),
  (err: unknown) => {
    console.error(err);
    killAll();
    process.exit(2);
  },
);
