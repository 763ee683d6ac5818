import { existsSync, renameSync, rmSync } from 'node:fs';
import { importFile } from '../src/import/index.ts';
import { migrate, openStore } from '../src/store/index.ts';

/**
 * An embedded store at `path` holding the orders of `orders` (a canonical orders CSV), imported once through the
 * normal import path and kept for later runs (under the gitignored bench/data). Written to `.partial` first, so an
 * interrupted import is never mistaken for a finished store.
 */
export async function storeWithOrders(path: string, orders: string): Promise<string> {
  if (existsSync(path)) return path;
  process.stderr.write(`importing ${orders} into ${path} (once)…\n`);
  const partial = startPartial(path);
  const store = await openStore(partial);
  await migrate(store);
  await importFile(store, 'orders', orders, { rejectsPath: `${path}.rejects.csv` });
  await store.close();
  finishPartial(path);
  return path;
}

/** Where a store is built before it is finished (`finishPartial`), with any earlier attempt's files removed. */
export function startPartial(path: string): string {
  const partial = `${path}.partial`;
  for (const suffix of ['', '.wal', '.key']) rmSync(`${partial}${suffix}`, { force: true });
  return partial;
}

/** Moves a finished store into place with the master key file made beside it (its personal data is sealed under it). */
export function finishPartial(path: string): void {
  const partial = `${path}.partial`;
  if (existsSync(`${partial}.key`)) renameSync(`${partial}.key`, `${path}.key`);
  renameSync(partial, path);
}
