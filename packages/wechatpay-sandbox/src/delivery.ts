/**
 * The express companies WeChat's 获取运力 id 列表 (get_delivery_list) answers, a realistic subset
 * with WeChat's own delivery_id codes. `express_company` in upload_shipping_info must be one of them.
 */
export interface DeliveryCompany {
  delivery_id: string;
  delivery_name: string;
}

export const DELIVERY_COMPANIES: readonly DeliveryCompany[] = [
  { delivery_id: 'SF', delivery_name: '顺丰速运' },
  { delivery_id: 'YTO', delivery_name: '圆通速递' },
  { delivery_id: 'ZTO', delivery_name: '中通快递' },
  { delivery_id: 'YD', delivery_name: '韵达速递' },
  { delivery_id: 'STO', delivery_name: '申通快递' },
  { delivery_id: 'JTSD', delivery_name: '极兔速递' },
  { delivery_id: 'EMS', delivery_name: '中国邮政速递物流' },
  { delivery_id: 'YZPY', delivery_name: '邮政快递包裹' },
  { delivery_id: 'JD', delivery_name: '京东物流' },
  { delivery_id: 'DB', delivery_name: '德邦快递' },
  { delivery_id: 'ZJS', delivery_name: '宅急送' },
  { delivery_id: 'HTKY', delivery_name: '百世快递' },
  { delivery_id: 'ANE', delivery_name: '安能物流' },
  { delivery_id: 'FWX', delivery_name: '丰网速运' },
];

/**
 * 发货信息录入: "当发货的物流公司为顺丰时，联系方式为必填，收件人或寄件人联系方式二选一".
 * 丰网速运 is SF's network and asks the same.
 */
export const CONTACT_REQUIRED_COMPANIES: ReadonlySet<string> = new Set(['SF', 'FWX']);
