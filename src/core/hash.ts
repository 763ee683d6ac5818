import { createHash } from 'node:crypto';

/**
 * A stable bucket in [0, buckets) for `key`: the first 32 bits of its MD5, modulo `buckets`. SQL computes the same
 * number with `dialect().hashBucket`, so a customer's experiment arm is the same wherever it is worked out.
 */
export function stableBucket(key: string, buckets: number): number {
  return Number.parseInt(createHash('md5').update(key).digest('hex').slice(0, 8), 16) % buckets;
}
