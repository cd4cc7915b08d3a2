/**
 * Batch keys, under the core's hash tag so batch scripts and pipelines stay in one Cluster slot.
 *
 * | key                                | type   | what                                                     |
 * |------------------------------------|--------|----------------------------------------------------------|
 * | {tag}:batch:<id>                   | hash   | batch meta: store, stores, file hash, counts, status, timestamps |
 * | {tag}:batch:<id>:rows              | hash   | row number → planned row (JSON: order, refund id, op id) |
 * | {tag}:batch:<id>:done              | set    | rows whose tracking child has completed                  |
 * | {tag}:batch-watch:<opId>           | set    | tracking child job ids waiting for this refund           |
 * | {tag}:batches                      | zset   | batch id → created (ms)                                  |
 * | {tag}:batches:active               | set    | batches whose Bull Board parent has not completed        |
 * | {tag}:batch-gate                   | string | next free bulk send slot (ms) of the gateway rate limit   |
 * | {tag}:batch-gate:<opId>            | string | the slot reserved for one bulk send (expires)            |
 */
export function batchKeys(tag: string) {
  const p = `{${tag}}`;
  return {
    meta: (id: string) => `${p}:batch:${id}`,
    rows: (id: string) => `${p}:batch:${id}:rows`,
    done: (id: string) => `${p}:batch:${id}:done`,
    watch: (opId: string) => `${p}:batch-watch:${opId}`,
    all: `${p}:batches`,
    active: `${p}:batches:active`,
    gate: `${p}:batch-gate`,
    gateSlot: (opId: string) => `${p}:batch-gate:${opId}`,
  };
}
export type BatchKeys = ReturnType<typeof batchKeys>;

/** Batch ids go into Redis keys and BullMQ job ids (no `:`). Refund ids of rows do not depend on them (refund-ids.ts). */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/;
