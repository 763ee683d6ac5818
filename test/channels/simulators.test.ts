import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startProviderSimulators } from '../../src/channels/index.ts';
import { demoSimulators } from '../../src/cli/demo-act.ts';

test('simulators on a port in use: the start is refused with EADDRINUSE, and the demo falls back to a free port', async () => {
  const first = await startProviderSimulators({ withMail: false, receiptDelayMs: 0 });
  try {
    const port = Number(new URL(first.url).port);
    await assert.rejects(startProviderSimulators({ port, withMail: false, receiptDelayMs: 0 }), (error: NodeJS.ErrnoException) => error.code === 'EADDRINUSE');
    // The demo's own port, taken here, makes it use another.
    const held = await startProviderSimulators({ port: 8790, withMail: false }).catch(() => undefined);
    const demo = await demoSimulators(1);
    try {
      assert.notEqual(new URL(demo.url).port, held ? '8790' : '', 'another port than the one taken');
    } finally {
      await demo.stop();
      await held?.stop();
    }
  } finally {
    await first.stop();
  }
});

test('a refused start leaves nothing running: the process exits by itself', () => {
  // The SMS simulator's receipt timer starts before the port is taken; a refused start must stop it.
  const index = fileURLToPath(new URL('../../src/channels/index.ts', import.meta.url));
  const script = `import { startProviderSimulators } from ${JSON.stringify(index)};
    const a = await startProviderSimulators({ withMail: false, receiptDelayMs: 0 });
    await startProviderSimulators({ port: Number(new URL(a.url).port), withMail: false, receiptDelayMs: 0 }).catch((e) => console.log(e.code));
    await a.stop();`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.error, undefined, 'exited within 30 s');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'EADDRINUSE');
});
