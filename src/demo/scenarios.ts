/**
 * What the demo does next, as pure functions of a random source: realistic charges (most paid, some
 * declined, abandoned, pending, mismatched, unknown codes — the simulator picks the outcome from the
 * amount's last two digits, docs/SIMULATOR.md), refunds and reprints of paid charges, idempotent
 * replays, bad requests and injected terminal/gateway failures.
 */
export type Action = 'charge' | 'refund' | 'reprint' | 'replay' | 'bad_request' | 'terminal_offline' | 'gateway_fault';

const ACTIONS: [Action, number][] = [
  ['charge', 60],
  ['refund', 14],
  ['reprint', 8],
  ['replay', 6],
  ['bad_request', 6],
  ['terminal_offline', 3],
  ['gateway_fault', 3],
];

/** Amount suffixes and how often: `00` is paid; the rest are the simulator's scripted outcomes. */
const SUFFIXES: [number, number][] = [
  [0, 62], [51, 6], [52, 4], [53, 6], [54, 2], [55, 3], [56, 1], [57, 2], [58, 4], [59, 6], [61, 2], [62, 2],
];

function weighted<T>(table: [T, number][], random: () => number): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = random() * total;
  for (const [v, w] of table) {
    x -= w;
    if (x < 0) return v;
  }
  return table[table.length - 1]![0];
}

export const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

export const nextAction = (random: () => number): Action => weighted(ACTIONS, random);

const PRODUCTS = [
  ['LATTE', '拿鐵咖啡', 120], ['BAGEL', '貝果', 65], ['SALAD', '凱薩沙拉', 180], ['TEA', '烏龍茶', 55],
  ['CAKE', '起司蛋糕', 150], ['SANDW', '總匯三明治', 95], ['JUICE', '柳橙汁', 70],
] as const;

export interface DemoCharge {
  order_id: string;
  device_name: string;
  cost: number;
  pfn: string;
  items?: { id: string; name: string; cost: number; amount: number; total: number }[];
  echo_0?: string;
}

/** A charge whose amount ends in the chosen outcome suffix; half come with line items adding up to it. */
export function makeCharge(orderId: string, devices: readonly string[], random: () => number): DemoCharge {
  const suffix = weighted(SUFFIXES, random);
  const device = pick(devices, random);
  const pfn = random() < 0.85 ? 'CREDITCARD' : pick(['LINEPAYON', 'JKOON', 'PXPAYON'], random);
  if (random() < 0.5) {
    const [id, name, price] = pick(PRODUCTS, random);
    const amount = 1 + Math.floor(random() * 4);
    const base = price * amount;
    // Rounded up to the hundred, then the outcome suffix: never below the items, so the service
    // charge line that makes them add up to cost is never negative.
    const cost = Math.ceil(base / 100) * 100 + suffix;
    const items: NonNullable<DemoCharge['items']> = [{ id, name, cost: price, amount, total: base }];
    if (cost > base) items.push({ id: 'SVC', name: '服務費', cost: cost - base, amount: 1, total: cost - base });
    return { order_id: orderId, device_name: device, cost, pfn, items, echo_0: 'demo' };
  }
  const cost = (1 + Math.floor(random() * 40)) * 100 + suffix;
  return { order_id: orderId, device_name: device, cost, pfn, echo_0: 'demo' };
}

/** Bad requests a careless POS might send: each must get a 4xx and change nothing. */
export function makeBadCharge(orderId: string, devices: readonly string[], random: () => number): Record<string, unknown> {
  const good = makeCharge(orderId, devices, random);
  const variants: Record<string, unknown>[] = [
    { ...good, cost: -10 },
    { ...good, pfn: 'BITCOIN' },
    { ...good, device_name: '' },
    { ...good, items: [{ id: 'X', name: 'x', cost: 1, amount: 1, total: 1 }], cost: 999 },
    { ...good, colour: 'blue' },
  ];
  return pick(variants, random);
}
