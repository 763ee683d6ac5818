import { createWriteKey } from '../../src/ingest/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { Store } from '../../src/store/index.ts';

export type App = Awaited<ReturnType<typeof buildServer>>;

/** The Authorization header Segment's SDKs send: the write key as Basic user name, empty password. */
export const basic = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** Builds a server over `store` with a fresh write key (allowing `allowedOrigins`), runs `fn`, and closes it. */
export async function withServer(store: Store, fn: (app: App, key: string) => Promise<void>, allowedOrigins: string[] = []): Promise<void> {
  const { key } = await createWriteKey(store, 'web', { allowedOrigins });
  const app = await buildServer({ store });
  try {
    await fn(app, key);
  } finally {
    await app.close();
  }
}

export async function countEvents(store: Store): Promise<number> {
  const [row] = await store.query<{ n: number }>('SELECT count(*)::INTEGER AS n FROM events');
  return row!.n;
}
