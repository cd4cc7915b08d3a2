/** 『資料內容所屬支付名稱』 (answer field `result_content_type`, string). */
import { strCodeSchema } from './code-table.js';

export const RESULT_CONTENT_TYPE_LABELS = {
  E_COLLECTION: '虛擬帳號',
  IBON: 'iBON',
  FAMIPORT: 'FamiPort',
  LIFEET: 'LIFE-ET',
  WEBATM: 'WEBATM',
  CREDITCARD: '信用卡',
  UNIONPAY: '銀聯卡',
  SVC: '點數卡(GASH ,Imoney)',
  ABROAD: '海外信用卡',
  ALIPAY: '支付寶',
  WECHAT: '微信支付',
  LINEPAYON: 'LINE Pay線上付款',
  LINEPAYOFF: 'LINE Pay線下付款',
  WECHATOFF: '微信支付線下',
  APPLEPAY: 'APPLE PAY',
  GOOGLEPAY: 'Google Pay',
  EACH: 'eACH交易',
  CARDLESS: '無卡分期',
  PION: 'Pi 拍錢包線上',
  PIOFF: 'Pi 拍錢包線下',
  AMEX: '美國運通',
  JKOON: '街口支付線上',
  JKOOFF: '街口支付線下',
  ALIPAYOFF: '支付寶線下',
  M_RECHARGE: '儲值交易',
  EASYWALLETON: '悠遊付線上',
  EASYWALLETOFF: '悠遊付線下',
  AFP: '後付款',
  CASH: '自行收款',
  BARCODE: '超商條碼繳費',
} as const;
export type ResultContentType = keyof typeof RESULT_CONTENT_TYPE_LABELS;
export const RESULT_CONTENT_TYPES = Object.keys(RESULT_CONTENT_TYPE_LABELS) as [ResultContentType, ...ResultContentType[]];
export const resultContentTypeSchema = strCodeSchema(RESULT_CONTENT_TYPES, '資料內容所屬支付名稱');
