import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createWriteKey } from '../../src/ingest/index.ts';
import { migrate, openStore } from '../../src/store/index.ts';
import { BACKENDS, freshLocation } from '../helpers/backends.ts';
import { startServer } from '../helpers/processes.ts';

for (const backend of BACKENDS) {
  describe(`durability on ${backend}`, () => {
    test('every message acknowledged with 200 is stored exactly once after the server is killed with SIGKILL and restarted', async () => {
      const { location: pgLocation, cleanup } = freshLocation(backend);
      const location = backend === 'duckdb' ? join(mkdtempSync(join(tmpdir(), 'siyu-kill-')), 'kill.duckdb') : pgLocation;
      const setup = await openStore(location);
      await migrate(setup);
      const { key } = await createWriteKey(setup, 'kill-test');
      await setup.close();

      const { child, address, exited } = startServer(location);
      const host = await address;
      const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
      const acknowledged: string[] = [];
      let stop = false;
      const senders = Array.from({ length: 4 }, async (_, sender) => {
        for (let n = 0; !stop; n++) {
          const batch = Array.from({ length: 50 }, (_, i) => ({ type: 'track', userId: `u${(n * 50 + i) % 97}`, event: 'Product Viewed', messageId: `k-${sender}-${n}-${i}` }));
          try {
            const res = await fetch(`${host}/v1/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
            if (res.status === 200) acknowledged.push(...batch.map((m) => m.messageId));
          } catch {
            return; // the server is gone
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      child.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      await exited;

      // Restart: the new server processes whatever was acknowledged but not yet written, then stops cleanly.
      const again = startServer(location);
      const restarted = await again.address;
      for (let tries = 0; ; tries++) {
        const health = (await (await fetch(`${restarted}/health`)).json()) as { inbox: { pending: number } };
        if (health.inbox.pending === 0) break;
        assert.ok(tries < 200, `the inbox still holds ${health.inbox.pending} messages after 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      again.child.kill('SIGTERM');
      await again.exited;

      const store = await openStore(location);
      try {
        const rows = await store.query<{ message_id: string }>('SELECT message_id FROM events');
        const stored = new Set(rows.map((r) => r.message_id));
        assert.ok(acknowledged.length > 0, 'no batch was acknowledged before the kill');
        const lost = acknowledged.filter((id) => !stored.has(id));
        assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged messages were lost`);
        assert.equal(rows.length, stored.size, 'no message is stored twice');
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
