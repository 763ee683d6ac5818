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
  const partial = `${path}.partial`;
  for (const suffix of ['', '.wal']) rmSync(`${partial}${suffix}`, { force: true });
  const store = await openStore(partial);
  await migrate(store);
  await importFile(store, 'orders', orders, { rejectsPath: `${path}.rejects.csv` });
  await store.close();
  renameSync(partial, path);
  return path;
}
