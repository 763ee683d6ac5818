import { z } from 'zod';
import type { ErrorDetail } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';

// Segment ecommerce v2 (https://segment.com/docs/connections/spec/ecommerce/v2/): the order events
// change the orders table; every other ecommerce event (Product Viewed, Cart Viewed, …) is only stored.

export const ORDER_EVENTS = ['Order Completed', 'Order Updated', 'Order Refunded', 'Order Cancelled'] as const;
export type OrderEventName = (typeof ORDER_EVENTS)[number];

export const isOrderEvent = (name: string): name is OrderEventName => (ORDER_EVENTS as readonly string[]).includes(name);

/** Money arrives in yuan as a number (or a numeric string, as some SDKs send it); it is stored in integer fen. */
const Yuan = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'not a number').transform(Number)])
  .pipe(z.number().finite().nonnegative('must not be negative'))
  .transform((yuan) => Math.round(yuan * 100));

const Product = z.looseObject({
  product_id: z.union([z.string(), z.number()]).optional(),
  sku: z.union([z.string(), z.number()]).optional(),
  name: z.string().optional(),
  price: Yuan.optional(),
  quantity: z.number().int('must be a whole number').positive().optional(),
  category: z.string().optional(),
  brand: z.string().optional(),
});

const OrderProperties = z.looseObject({
  order_id: z.union([z.string().min(1), z.number().transform(String)]),
  total: Yuan.optional(),
  revenue: Yuan.optional(),
  discount: Yuan.optional(),
  coupon: z.string().optional(),
  currency: z.string().length(3, 'must be an ISO-4217 code such as CNY').optional(),
  channel: z.string().optional(),
  store_id: z.union([z.string(), z.number().transform(String)]).optional(),
  products: z.array(Product).optional(),
});

export interface OrderItem {
  sku: string;
  name: string | null;
  quantity: number;
  unitPriceFen: number;
  category: string | null;
  brand: string | null;
}

/** What an order event says about its order, in store units. */
export interface OrderChange {
  event: OrderEventName;
  orderId: string;
  /** Order Completed/Updated: what was paid; Order Refunded: the amount refunded, or undefined for a full refund. */
  totalFen: number | undefined;
  discountFen: number | undefined;
  currency: string | undefined;
  couponCode: string | undefined;
  channel: string | undefined;
  storeId: string | undefined;
  items: OrderItem[] | undefined;
}

/** Reads an order event's properties; issues carry paths under `properties`. */
export function parseOrderChange(event: OrderEventName, properties: unknown): { change?: OrderChange; issues: ErrorDetail[] } {
  const parsed = OrderProperties.safeParse(properties ?? {});
  if (!parsed.success) return { issues: zodDetails(parsed.error, 'properties') };
  const p = parsed.data;
  const issues: ErrorDetail[] = [];
  const items = p.products?.map((product, index): OrderItem | undefined => {
    const sku = product.sku ?? product.product_id;
    if (sku === undefined) {
      issues.push({ path: `properties.products[${index}].sku`, message: 'product_id or sku is required' });
      return undefined;
    }
    return {
      sku: String(sku),
      name: product.name ?? null,
      quantity: product.quantity ?? 1,
      unitPriceFen: product.price ?? 0,
      category: product.category ?? null,
      brand: product.brand ?? null,
    };
  });
  if (issues.length > 0) return { issues };
  const lines = items as OrderItem[] | undefined;
  const itemsFen = lines?.reduce((sum, item) => sum + item.quantity * item.unitPriceFen, 0);
  // Segment: total = revenue + shipping + tax − discount. Fall back to revenue, then to the line items.
  let totalFen = p.total ?? p.revenue ?? (itemsFen === undefined ? undefined : itemsFen - (p.discount ?? 0));
  if (event === 'Order Completed' && totalFen === undefined) {
    return { issues: [{ path: 'properties.total', message: 'Order Completed needs total, revenue or products' }] };
  }
  if (totalFen !== undefined) totalFen = Math.max(0, totalFen);
  return {
    issues: [],
    change: {
      event,
      orderId: p.order_id,
      totalFen,
      discountFen: p.discount,
      currency: p.currency?.toUpperCase(),
      couponCode: p.coupon,
      channel: p.channel,
      storeId: p.store_id,
      items: lines,
    },
  };
}
