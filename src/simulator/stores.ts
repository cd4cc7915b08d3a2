/** Merchants the simulator knows: store_uid → 32-byte key. */
import { TEST_MERCHANT } from '../config/config.js';

export interface SimStore {
  store_uid: string;
  key: string;
}

export const DEFAULT_STORES: readonly SimStore[] = [{ store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key }];
