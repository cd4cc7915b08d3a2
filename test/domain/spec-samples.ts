/**
 * Payloads and answers copied from the spec (docs/spec/mypay-link-api.txt), one per sample
 * language where they differ. Kept verbatim, including the type each language sends.
 */
export const STORE_UID = '289151880002';

/** 交易請求 — PHP sample (`$rawData['cost'] = 10;`, items as strings). */
export const chargePhp = {
  store_uid: STORE_UID,
  items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
  cost: 10,
  user_id: 'phper',
  order_id: '1234567890',
  ip: '127.0.0.1',
  pfn: 'CREDITCARD',
  device_name: 'A01',
};
/** 交易請求 — C# sample (`rawData.cost = "10";`). */
export const chargeCsharp = { ...chargePhp, cost: '10' };
/** 交易請求 — Java sample (item id "0886449"). */
export const chargeJava = {
  ...chargePhp,
  cost: '10',
  items: [{ id: '0886449', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
};
/** 交易請求 — JavaScript sample. */
export const chargeJs = {
  store_uid: STORE_UID,
  user_id: 'userid',
  cost: '10',
  order_id: '2020020210003',
  ip: '127.0.0.1',
  items: [{ id: '0886449', name: '拿鐵', cost: '10', amount: '1', total: '10' }],
  pfn: 'CREDITCARD',
  device_name: 'A01',
};
/** 交易請求 — Python sample (`'cost': 10`). */
export const chargePython = { ...chargePhp };

/** 訂單查詢 — PHP sample. */
export const queryPhp = { store_uid: STORE_UID, order_id: '53654', user_id: 'phper', cost: '10' };
/** 訂單查詢 — C#, Java, JavaScript, Python samples. */
export const queryOthers = { store_uid: STORE_UID, order_id: '2020020210003', user_id: 'phper', cost: '10' };

/** 重印發票或補印發票 — every sample (`type` and `print_type` as integers). */
export const reprintInvoice = {
  store_uid: STORE_UID,
  device_name: 'A01',
  uid: '70233',
  key: '755f6c2afda6c252d5ade6e50da32ab8',
  type: 1,
  print_type: 2,
};

/** 補印簽單 — every sample. */
export const reprintSignature = { store_uid: STORE_UID, device_name: 'A01', uid: '70233', key: '755f6c2afda6c252d5ade6e50da32ab8' };

/** 交易退款 — every sample (numbers, `invoice_state` 6 as a number although typed string). */
export const refund = {
  store_uid: STORE_UID,
  device_name: 'A01',
  uid: '88833',
  key: '1c943777706d68f757afdb9034213001',
  cost: 100,
  invoice_state: 6,
  items: [{ id: '1', name: '倚天劍模型', cost: 100, amount: 1, total: 100 }],
};

/** 交易請求 answer: terminal offline. */
export const offlineAnswer = { code: 'B500', msg: '設備「A01」目前未連線,請確認' };
/** 重印發票 / 補印簽單 / 交易退款 answer. */
export const okAnswer = { code: 'B200', msg: '執行成功。' };

/** 訂單查詢 answer for an unknown order (查無資料). */
export const notFoundQueryAnswer = {
  code: 'B200',
  msg: '執行成功',
  rows: [
    {
      uid: '',
      key: '',
      prc: '',
      finishtime: '',
      cardno: '',
      acode: '',
      order_id: '53654',
      user_id: 'phper',
      cost: '10',
      currency: '',
      actual_cost: '',
      actual_currency: '',
      price: null,
      actual_price: null,
      recharge_code: null,
      love_cost: '0',
      retmsg: '查無資料',
      pfn: '',
      trans_type: '1',
      payment_name: '',
      nois: '',
      group_id: '',
      echo_0: '',
      echo_1: '',
      echo_2: '',
      echo_3: '',
      echo_4: '',
    },
  ],
};
