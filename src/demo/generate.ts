import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildCatalogue, CATEGORIES, CHANNEL_WEIGHTS, CHANNELS, CITIES, CITY_WEIGHTS, GIVEN, SURNAMES, type Product } from './catalogue.ts';
import { Random } from '../core/random.ts';

/**
 * The demo brand's ground truth. Purchases follow BG/NBD (Fader, Hardie & Lee 2005): while alive, a customer buys
 * as a Poisson process with rate λ ~ Gamma(r, α) per week, and after each purchase drops out with p ~ Beta(a, b).
 * Spend per order follows Gamma-Gamma (Fader & Hardie 2013): z ~ Gamma(p, ν), ν ~ Gamma(q, γ), in yuan.
 * Monthly seasonality (618 in June, 双11 in November, the Spring Festival dip) thins the purchase process.
 *
 * Two ways of leaving that BG/NBD has no place for, because real customers have them (and a churn model should find
 * what the repeat-buying model cannot): deal seekers (羊毛党) take the new-member coupon on their first order and many
 * never come back, although BG/NBD lets nobody drop out before a repeat purchase; and an order that is refunded or
 * cancelled drives some customers away, whatever their purchase rate.
 */
export const DEMO_TRUTH = {
  bgnbd: { r: 0.75, alpha: 6, a: 0.6, b: 3 },
  gammaGamma: { p: 6, q: 4, gamma: 60 },
  prospectShare: 0.18,
  seasonality: [0.9, 0.7, 1, 1, 1.1, 1.6, 0.9, 0.9, 1, 1, 2, 1.3],
  refundRate: 0.03,
  cancelRate: 0.01,
  /** Share of customers who are deal seekers; their first order always carries the new-member coupon. */
  dealSeekerShare: 0.3,
  /** A deal seeker's chance to drop out right after the first order. */
  dealSeekerFirstDropout: 0.9,
  /** Share of other customers' first orders that carry the new-member coupon. */
  newCouponShare: 0.35,
  /** The chance to drop out after an order that was refunded or cancelled. */
  unhappyDropout: 0.7,
  trackedShare: 0.3,
  eventWindowDays: 90,
} as const;

export interface GenerateOptions {
  customers: number;
  seed: number;
  /** The last day of the data, UTC. */
  end: Date;
  /** Days of history before `end`. */
  days: number;
  outDir: string;
  onProgress?: (customersDone: number) => void;
}

export interface GeneratedFiles {
  dir: string;
  customers: string;
  products: string;
  orders: string;
  orderItems: string;
  events: string;
  truth: string;
  counts: { customers: number; products: number; orders: number; orderItems: number; events: number };
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** Buffers lines and writes them in large chunks. */
class LineWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  constructor(path: string, header?: string) {
    this.fd = openSync(path, 'w');
    if (header) this.buffer.push(header);
  }
  write(line: string): void {
    this.buffer.push(line);
    if (this.buffer.length >= 5000) this.flush();
  }
  flush(): void {
    if (this.buffer.length) writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

const csv = (values: readonly (string | number | null)[]): string =>
  values.map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',');
const yuan = (fen: number): string => (fen / 100).toFixed(2);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Writes a deterministic demo brand (same seed → same files) as canonical import files plus its ground truth. */
export function generateDemo(options: GenerateOptions): GeneratedFiles {
  const random = new Random(options.seed);
  mkdirSync(options.outDir, { recursive: true });
  const path = (name: string) => join(options.outDir, name);
  const files = { customers: path('customers.csv'), products: path('products.csv'), orders: path('orders.csv'), orderItems: path('order-items.csv'), events: path('events.jsonl'), truth: path('truth.csv') };
  const counts = { customers: options.customers, products: 0, orders: 0, orderItems: 0, events: 0 };

  const catalogue = buildCatalogue(random);
  counts.products = catalogue.length;
  const byCategory = CATEGORIES.map((_, i) => catalogue.filter((p) => p.categoryIndex === i));
  writeFileSync(files.products, `sku,name,category,brand,price,replenish_days\n${catalogue.map((p) => csv([p.sku, p.name, p.category, p.brand, yuan(p.priceFen), p.replenishDays])).join('\n')}\n`);

  const out = {
    customers: new LineWriter(files.customers, 'customer_id,phone,email,name,gender,birthday,city,registered_at,channel'),
    orders: new LineWriter(files.orders, 'order_id,customer_id,placed_at,total,discount,currency,channel,store_id,status,coupon_code'),
    items: new LineWriter(files.orderItems, 'order_id,sku,quantity,unit_price,category,brand'),
    events: new LineWriter(files.events),
    truth: new LineWriter(files.truth, 'customer_id,prospect,lambda_per_week,dropout_p,nu,deal_seeker,purchases,alive_at_end'),
  };
  const end = options.end.getTime();
  const start = end - options.days * DAY;
  const { bgnbd, gammaGamma, seasonality } = DEMO_TRUTH;
  const maxSeason = Math.max(...seasonality);
  const usedPhones = new Set<string>();
  let orderSeq = 0;
  let eventSeq = 0;

  for (let i = 0; i < options.customers; i++) {
    const id = `M${String(i + 1).padStart(7, '0')}`;
    const gender = random.next() < 0.68 ? 'f' : 'm';
    const city = CITIES[random.weighted(CITY_WEIGHTS)]!;
    const channel = CHANNELS[random.weighted(CHANNEL_WEIGHTS)]!;
    const registered = start + random.next() * (end - start - 7 * DAY);
    let phone: string;
    do phone = `1${random.pick(['3', '5', '7', '8', '9'])}${String(random.int(0, 999_999_999)).padStart(9, '0')}`;
    while (usedPhones.has(phone));
    usedPhones.add(phone);
    const birthYear = random.int(1970, 2004);
    const birthday = `${birthYear}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
    const email = random.next() < 0.35 ? `${id.toLowerCase()}@example.cn` : null;
    out.customers.write(csv([id, phone, email, random.pick(SURNAMES) + random.pick(GIVEN), gender, birthday, city, iso(registered), channel]));

    const prospect = random.next() < DEMO_TRUTH.prospectShare;
    const lambda = random.gamma(bgnbd.r, 1 / bgnbd.alpha);
    const dropout = random.beta(bgnbd.a, bgnbd.b);
    const nu = random.gamma(gammaGamma.q, 1 / gammaGamma.gamma);
    const affinity = CATEGORIES.map(() => random.gamma(0.6, 1));
    const tracked = random.next() < DEMO_TRUTH.trackedShare;
    const dealSeeker = random.next() < DEMO_TRUTH.dealSeekerShare;
    let purchases = 0;
    let alive = !prospect;
    let t = registered + random.next() * 3 * DAY;
    while (alive && t < end) {
      const month = new Date(t).getUTCMonth();
      if (purchases === 0 || random.next() < seasonality[month]! / maxSeason) {
        purchases++;
        const spendFen = Math.round(random.gamma(gammaGamma.p, 1 / nu) * 100);
        const newCoupon = purchases === 1 && (dealSeeker || random.next() < DEMO_TRUTH.newCouponShare);
        const order = writeOrder(random, out, { id: `SO${String(++orderSeq).padStart(9, '0')}`, customerId: id, at: t, spendFen, channel, city, affinity, byCategory, newCoupon });
        counts.orders++;
        counts.orderItems += order.lines.length;
        if (tracked && t > end - DEMO_TRUTH.eventWindowDays * DAY) eventSeq = writeSession(random, out.events, id, t, order.lines, false, eventSeq, (n) => (counts.events += n));
        if (purchases > 1 && random.next() < dropout) alive = false;
        if (purchases === 1 && dealSeeker && random.next() < DEMO_TRUTH.dealSeekerFirstDropout) alive = false;
        if (order.status !== 'completed' && random.next() < DEMO_TRUTH.unhappyDropout) alive = false;
      }
      t += random.exponential((lambda * maxSeason) / WEEK);
    }
    // Cart abandonments among tracked customers in the event window: viewed and added, never ordered.
    if (tracked && random.next() < 0.35) {
      const at = end - random.next() * DEMO_TRUTH.eventWindowDays * DAY;
      const pool = byCategory[random.weighted(affinity)]!;
      eventSeq = writeSession(random, out.events, id, at, [random.pick(pool)], true, eventSeq, (n) => (counts.events += n));
    }
    out.truth.write(csv([id, prospect ? 1 : 0, lambda.toFixed(6), dropout.toFixed(6), nu.toFixed(6), dealSeeker ? 1 : 0, purchases, alive && !prospect ? 1 : 0]));
    if ((i + 1) % 10_000 === 0) options.onProgress?.(i + 1);
  }
  for (const writer of Object.values(out)) writer.close();
  writeFileSync(join(options.outDir, 'truth.json'), `${JSON.stringify({ ...DEMO_TRUTH, seed: options.seed, customers: options.customers, end: options.end.toISOString(), days: options.days }, null, 2)}\n`);
  return { dir: options.outDir, ...files, counts };
}

interface OrderSpec {
  id: string;
  customerId: string;
  at: number;
  spendFen: number;
  channel: string;
  city: string;
  affinity: number[];
  byCategory: Product[][];
  /** The first order of a customer who takes the new-member coupon. */
  newCoupon: boolean;
}

/** One order: lines drawn by category affinity until the customer's target spend is reached, then any promotion. */
function writeOrder(random: Random, out: { orders: LineWriter; items: LineWriter }, o: OrderSpec): { lines: Product[]; status: string } {
  const channel = random.next() < 0.75 ? o.channel : CHANNELS[random.weighted(CHANNEL_WEIGHTS)]!;
  const lines: { product: Product; quantity: number }[] = [];
  let subtotal = 0;
  while (lines.length === 0 || (subtotal < o.spendFen && lines.length < 6)) {
    const product = random.pick(o.byCategory[random.weighted(o.affinity)]!);
    const existing = lines.find((l) => l.product.sku === product.sku);
    const quantity = random.int(1, 3);
    if (existing) existing.quantity += quantity;
    else lines.push({ product, quantity });
    subtotal += product.priceFen * quantity;
  }
  const date = new Date(o.at);
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  let coupon: string | null = null;
  let discount = 0;
  if ((month === 6 && day <= 18) || (month === 11 && day <= 11)) {
    coupon = month === 6 ? 'PROMO618' : 'DOUBLE11';
    discount = Math.round(subtotal * 0.15);
  } else if (o.newCoupon) {
    coupon = 'NEW10';
    discount = Math.min(1000, subtotal - 100);
  } else if (random.next() < 0.2 && subtotal >= 9900) {
    coupon = 'MEMBER20';
    discount = 2000;
  }
  const roll = random.next();
  const status = roll < DEMO_TRUTH.cancelRate ? 'cancelled' : roll < DEMO_TRUTH.cancelRate + DEMO_TRUTH.refundRate ? 'refunded' : 'completed';
  const store = channel === '线下门店' ? `${o.city}-${random.int(1, 3)}号店` : null;
  out.orders.write(csv([o.id, o.customerId, iso(o.at), yuan(subtotal - discount), yuan(discount), 'CNY', channel, store, status, coupon]));
  for (const line of lines) out.items.write(csv([o.id, line.product.sku, line.quantity, yuan(line.product.priceFen), line.product.category, line.product.brand]));
  return { lines: lines.map((l) => l.product), status };
}

/** A browsing session before an order (or abandoned): views, an add to cart, a checkout start, as Segment track calls. */
function writeSession(random: Random, out: LineWriter, userId: string, at: number, products: readonly Product[], abandoned: boolean, seq: number, count: (n: number) => void): number {
  let t = at - random.int(5, 60) * 60_000;
  const emit = (event: string, properties: Record<string, unknown>) => {
    out.write(JSON.stringify({ type: 'track', messageId: `demo-${++seq}`, userId, event, properties, timestamp: iso(t), context: { app: { name: 'mp-shop' } } }));
    t += random.int(10, 120) * 1000;
    count(1);
  };
  for (const product of products) {
    const views = random.int(1, 3);
    for (let v = 0; v < views; v++) emit('Product Viewed', { product_id: product.sku, category: product.category, price: product.priceFen / 100 });
    emit('Product Added', { product_id: product.sku, category: product.category, price: product.priceFen / 100, quantity: 1 });
  }
  if (!abandoned || random.next() < 0.5) emit('Checkout Started', { products: products.map((p) => ({ product_id: p.sku })) });
  return seq;
}
