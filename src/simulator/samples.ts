/**
 * The spec's sample reprint and refund requests name uid/key pairs (70233 / 755f…, 88833 / 1c94…).
 * Seeding them as paid orders of the test merchant lets the samples, sent verbatim, succeed.
 */
import { TEST_MERCHANT } from '../config/config.js';
import type { Item } from './ledger.js';

export const SPEC_SAMPLE_ORDERS: readonly { store_uid: string; order_id: string; uid: string; key: string; cost: number; items: Item[]; device_name: string }[] = [
  {
    store_uid: TEST_MERCHANT.storeUid,
    order_id: 'SPEC-70233',
    uid: '70233',
    key: '755f6c2afda6c252d5ade6e50da32ab8',
    cost: 10,
    items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
    device_name: 'A01',
  },
  {
    store_uid: TEST_MERCHANT.storeUid,
    order_id: 'SPEC-88833',
    uid: '88833',
    key: '1c943777706d68f757afdb9034213001',
    cost: 100,
    items: [{ id: '1', name: '倚天劍模型', cost: '100', amount: '1', total: '100' }],
    device_name: 'A01',
  },
];
