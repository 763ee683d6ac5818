// The one catalogue of what each analytics number means, in Chinese and English. The KPI response carries these
// texts (the console shows them on hover), `siyu report definitions` prints them, and docs/analytics.md holds the
// same table between markers (a test keeps the two equal).

/** How a metric's value reads: money in fen of the reporting currency, a count of customers or orders, or a share 0–1. */
export type MetricUnit = 'fen' | 'count' | 'ratio';

export interface MetricText {
  name: string;
  definition: string;
}

export interface MetricDefinition {
  key: string;
  unit: MetricUnit;
  zh: MetricText;
  en: MetricText;
}

/** The KPIs of `computeKpis`, in the order the console shows them. */
export const KPI_KEYS = [
  'gmvFen',
  'orders',
  'buyers',
  'aovFen',
  'spendPerBuyerFen',
  'repeatRate',
  'newBuyers',
  'newBuyerShare',
  'newBuyerRepurchaseRate',
  'activeCustomers',
  'activeRatio',
] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

const kpi = (key: KpiKey, unit: MetricUnit, zh: MetricText, en: MetricText): MetricDefinition => ({ key, unit, zh, en });

/** Every KPI's definition. `N` in newBuyerRepurchaseRate is the request's repurchase days (30 unless given). */
export const KPI_DEFINITIONS: Record<KpiKey, MetricDefinition> = {
  gmvFen: kpi(
    'gmvFen',
    'fen',
    { name: 'GMV 成交额', definition: '统计期内下单的有效订单（未取消、未全额退款，报告币种）的实付金额减已退款金额之和。' },
    { name: 'GMV', definition: 'Sum of paid minus refunded amounts of the purchase orders (not cancelled, not refunded in full, in the reporting currency) placed in the period.' },
  ),
  orders: kpi('orders', 'count', { name: '订单数', definition: '统计期内下单的有效订单数。' }, { name: 'Orders', definition: 'Number of purchase orders placed in the period.' }),
  buyers: kpi(
    'buyers',
    'count',
    { name: '购买人数', definition: '统计期内至少有一笔有效订单的客户数（按合并后的客户去重）。' },
    { name: 'Buyers', definition: 'Customers (merged profiles counted once) with at least one purchase order in the period.' },
  ),
  aovFen: kpi(
    'aovFen',
    'fen',
    { name: '笔单价 AOV', definition: '每笔订单的平均金额：GMV ÷ 订单数。' },
    { name: 'AOV (per order)', definition: 'Average order value: GMV ÷ orders.' },
  ),
  spendPerBuyerFen: kpi(
    'spendPerBuyerFen',
    'fen',
    { name: '客单价（每位买家）', definition: '每位买家在统计期内的平均消费：GMV ÷ 购买人数。买家下单多于一次时高于笔单价。' },
    { name: 'Spend per buyer (客单价)', definition: 'Average spend of a buyer in the period: GMV ÷ buyers. Above AOV whenever buyers order more than once.' },
  ),
  repeatRate: kpi(
    'repeatRate',
    'ratio',
    { name: '复购率', definition: '统计期内有效订单 ≥ 2 笔的买家占购买人数的比例。' },
    { name: 'Repeat rate (复购率)', definition: 'Share of the period’s buyers with two or more purchase orders in the period.' },
  ),
  newBuyers: kpi(
    'newBuyers',
    'count',
    { name: '新客数', definition: '首笔有效订单（有史以来）落在统计期内的买家数。' },
    { name: 'New buyers', definition: 'Buyers whose first purchase order ever was placed in the period.' },
  ),
  newBuyerShare: kpi('newBuyerShare', 'ratio', { name: '新客占比', definition: '新客数 ÷ 购买人数。' }, { name: 'New-buyer share', definition: 'New buyers ÷ buyers.' }),
  newBuyerRepurchaseRate: kpi(
    'newBuyerRepurchaseRate',
    'ratio',
    { name: '新客 N 日复购率', definition: '统计期内的新客中，首单当天起 N 天内（按品牌时区的自然日，含首单当天）再下一笔有效订单的比例；统计期后的订单也计入，最近的新客可能还未满 N 天。' },
    {
      name: 'New-buyer N-day repurchase',
      definition:
        'Share of the period’s new buyers who placed another purchase order within N days of their first (its local day at most N days after the first order’s, the same day included); orders after the period count, so the latest new buyers may not have had N days yet.',
    },
  ),
  activeCustomers: kpi(
    'activeCustomers',
    'count',
    { name: '活跃客户数', definition: '统计期内有有效订单，或有自己产生的行为事件（track、page、screen，不含思域自己写入的事件）的客户数。' },
    { name: 'Active customers', definition: 'Customers with a purchase order or an event of their own (track, page or screen; not one Siyu wrote) in the period.' },
  ),
  activeRatio: kpi(
    'activeRatio',
    'ratio',
    { name: '活跃率', definition: '活跃客户数 ÷ 客户总数；客户总数为统计期结束前注册（无注册时间则按首次出现时间）的未合并客户，加上统计期内活跃的客户。' },
    {
      name: 'Active ratio',
      definition: 'Active customers ÷ customer base: the unmerged profiles registered (else first seen) before the period’s end, plus any customer active in the period.',
    },
  ),
};

/** Definitions of the other analytics numbers: retention, LTV cohorts, funnels. */
export const OTHER_DEFINITIONS: MetricDefinition[] = [
  {
    key: 'retention',
    unit: 'ratio',
    zh: { name: '留存（按首购群组）', definition: '按首笔有效订单所在周（周一开始）或月分组；第 k 列为首购后第 k 个周或月内再有有效订单（--events 时：有效订单或任一自己的行为事件）的客户数及其占群组人数的比例；第 0 列为首购当期。' },
    en: {
      name: 'Retention (first-purchase cohorts)',
      definition:
        'Customers grouped by the week (from Monday) or month of their first purchase order; column k counts those with a purchase order (with --events: a purchase order or any event of their own) in the k-th week or month after it, and its share of the cohort; column 0 is the first purchase’s own period.',
    },
  },
  {
    key: 'dayNRetention',
    unit: 'ratio',
    zh: { name: 'D1/D7/D30 留存', definition: '首购后 N 天内回来：首购日之后第 1 至第 N 天（品牌时区自然日）内再有有效订单（--events 时：或事件）的首购客户占比；只统计首购日 + N 天已在数据截止日之前的客户。' },
    en: {
      name: 'D1/D7/D30 retention',
      definition:
        'Returned within N days: share of first-time buyers with another purchase order (with --events: or an event of their own) on local days 1 to N after their first-purchase day; only buyers whose first day plus N falls on or before the data’s last day are counted.',
    },
  },
  {
    key: 'ltvObserved',
    unit: 'fen',
    zh: { name: 'LTV 群组（实际）', definition: '按首购月分组，第 m 列为首购月起至第 m 个月末该群组所有有效订单的累计净额 ÷ 群组人数。' },
    en: { name: 'LTV cohort (observed)', definition: 'Customers grouped by first-purchase month; column m is the cohort’s cumulative net paid on purchase orders up to the end of its m-th month, ÷ cohort size.' },
  },
  {
    key: 'ltvForecast',
    unit: 'fen',
    zh: { name: 'LTV 群组（预测）', definition: '尚未观察到的单元格：截至数据截止日的累计净额，加上最新 CLV 模型对每位客户到该月末的预期购买次数增量 × Gamma-Gamma 预期客单价，按群组求和后 ÷ 群组人数。' },
    en: {
      name: 'LTV cohort (forecast)',
      definition:
        'Cells not yet observed: cumulative net paid to the data’s last day, plus each customer’s expected purchases from then to the cell’s month end under the latest CLV fit × her Gamma-Gamma expected spend, summed over the cohort, ÷ cohort size.',
    },
  },
  {
    key: 'funnel',
    unit: 'ratio',
    zh: { name: '漏斗转化率', definition: '每位客户取统计期内第一次进入第 1 步的时间；之后每一步取上一步之后、且在第 1 步起转化窗口（默认 14 天）内最早的匹配事件。各步转化率 = 到达该步人数 ÷ 到达上一步人数；整体转化率 = 到达最后一步人数 ÷ 进入人数。' },
    en: {
      name: 'Funnel conversion',
      definition:
        'Each customer enters at her first step-1 event in the period; each later step is her earliest matching event after the previous step and within the conversion window (14 days unless given) from step 1. Step conversion = customers reaching the step ÷ customers reaching the previous one; overall = customers reaching the last step ÷ customers entering.',
    },
  },
  {
    key: 'cartAbandonmentRate',
    unit: 'ratio',
    zh: { name: '购物车放弃率', definition: '统计期内有加购（Product Added 或 Checkout Started）的客户中，自其第一次加购起转化窗口内没有完成订单（Order Completed 事件或有效订单）的比例。' },
    en: {
      name: 'Cart abandonment rate',
      definition:
        'Share of the customers with a cart (Product Added or Checkout Started) in the period who completed no order (an Order Completed event or a purchase order) within the conversion window from their first cart event.',
    },
  },
];

/** Every definition, KPIs first: the table of `siyu report definitions` and docs/analytics.md. */
export function listDefinitions(): MetricDefinition[] {
  return [...KPI_KEYS.map((key) => KPI_DEFINITIONS[key]), ...OTHER_DEFINITIONS];
}

/** The definitions as the Markdown table docs/analytics.md holds between its `definitions` markers. */
export function definitionsMarkdown(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = listDefinitions().map((d) => `| \`${d.key}\` | ${d.unit} | ${cell(d.en.name)} — ${cell(d.en.definition)} | ${cell(d.zh.name)}：${cell(d.zh.definition)} |`);
  return ['| key | unit | definition | 定义 |', '|---|---|---|---|', ...rows].join('\n');
}
