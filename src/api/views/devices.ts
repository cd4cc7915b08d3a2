/** `GET /v1/devices`: per terminal, whether it is busy, with what, how many wait, and its last answer. */
import type { Core } from '../../queues/core.js';
import type { OperationRecord } from '../../store/record.js';

export interface DeviceView {
  store_uid: string;
  device_name: string;
  status: 'idle' | 'busy';
  /** The operation holding the terminal (kind/state absent only if its record has expired). */
  in_flight: ({ id: string } & Partial<Pick<OperationRecord, 'kind' | 'state' | 'order_id' | 'cost'>>) | null;
  lease_expires_at: string | null;
  waiting: number;
  /** Ids of the first waiting operations (live lane first), at most 20. */
  next_in_line: string[];
  last_answer_at: string | null;
  last_answer_code: string | null;
}

export async function devicesView(core: Core, opts: { storeUid?: string; offset: number; limit: number }): Promise<DeviceView[]> {
  const terminals = (await core.store.listTerminals(opts.offset, opts.limit)).filter((t) => !opts.storeUid || t.store_uid === opts.storeUid);
  const holders = await core.store.getMany(terminals.map((t) => t.in_flight).filter((id): id is string => Boolean(id)));
  const byId = new Map(holders.filter((o) => o !== null).map((o) => [o.id, o]));
  return terminals.map((t) => {
    const op = t.in_flight ? byId.get(t.in_flight) : undefined;
    return {
      store_uid: t.store_uid,
      device_name: t.device_name,
      status: t.in_flight ? 'busy' : 'idle',
      in_flight: t.in_flight
        ? { id: t.in_flight, kind: op?.kind, state: op?.state, order_id: op?.order_id, cost: op?.cost }
        : null,
      lease_expires_at: t.lease_expires_at,
      waiting: t.waiting,
      next_in_line: [...t.waiting_live, ...t.waiting_bulk].slice(0, 20),
      last_answer_at: t.last_answer_at,
      last_answer_code: t.last_answer_code,
    };
  });
}
