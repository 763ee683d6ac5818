import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, startServer, type CliResult } from '../helpers/processes.ts';

// The CLI through a running server (cli/remote.ts): only the embedded store locks its file, so this is DuckDB only.

const dir = mkdtempSync(join(tmpdir(), 'siyu-remote-'));
const db = join(dir, 'brand.duckdb');

/** Drops what differs between any two runs of a command: durations, run ids and times. */
function stable(text: string): unknown {
  return JSON.parse(text, (key, value) => (['seconds', 'runId', 'startedAt', 'finishedAt', 'owner', 'since'].includes(key) ? '…' : value));
}

const sameOutcome = (local: CliResult, remote: CliResult, what: string) => {
  assert.equal(remote.code, local.code, `${what}: exit code`);
  assert.deepEqual(stable(remote.stdout), stable(local.stdout), `${what}: output`);
};

describe('the CLI through a running server', () => {
  const commands: Record<string, string[]> = {
    stats: ['stats', '--json', '--db', db],
    layers: ['layers', 'compute', '--json', '--db', db],
    profile: ['profile', 'show', 'M0000001', '--db', db],
    nightly: ['jobs', 'run', 'nightly', '--json', '--db', db],
  };
  const local: Record<string, CliResult> = {};

  before(async () => {
    const demo = await runCli(['demo', 'run', '--customers', '300', '--no-serve', '--db', db, '--out', join(dir, 'demo-data')]);
    assert.equal(demo.code, 0, demo.stderr);
    // The layers as of today differ from the demo's as of its last order (stages change, Stage Changed events are
    // written): run the writing commands once first, so every run compared below starts from the same store.
    for (const name of ['layers', 'nightly']) assert.equal((await runCli(commands[name]!)).code, 0);
    for (const [name, args] of Object.entries(commands)) local[name] = await runCli(args);
  });
  after(async () => undefined);

  test('stats, layers compute, profile show and jobs run nightly print the same with the server holding the store, and a not-found exits the same way', async () => {
    for (const [name, result] of Object.entries(local)) assert.equal(result.code, 0, `${name} locally: ${result.stderr}`);
    // --no-jobs: scheduled jobs (segment refreshes, lifecycle) would change the store between the two runs; the ones
    // run on demand (`jobs run nightly`) still go through the server.
    const server = startServer(db, ['--no-jobs']);
    try {
      await server.address;
      const serveFile = `${db}.serve.json`;
      assert.ok(existsSync(serveFile));
      assert.equal(statSync(serveFile).mode & 0o777, 0o600, 'the token file is readable by its owner only');
      for (const [name, args] of Object.entries(commands)) sameOutcome(local[name]!, await runCli(args), name);
      const run = JSON.parse((await runCli(commands.nightly!)).stdout);
      assert.deepEqual([run.trigger, run.status], ['cli', 'succeeded']);

      const missing = await runCli(['profile', 'show', 'NOPE', '--db', db]);
      assert.deepEqual([missing.code, missing.stderr.trim()], [3, 'siyu: no customer "NOPE"']);

      const elsewhere = mkdtempSync(join(tmpdir(), 'siyu-cwd-'));
      const exported = await runCli(['segment', 'export', '沉睡高价值', '--out', 'audience.csv', '--db', db], { cwd: elsewhere });
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(readFileSync(join(elsewhere, 'audience.csv'), 'utf8'), /^customer_id,name,city\n/, 'a relative file is written in the caller\'s directory');

      const second = await runCli(['serve', '--db', db, '--port', '0']);
      assert.equal(second.code, 4);
      assert.match(second.stderr, /is already served by PID \d+ .* at http:\/\/127\.0\.0\.1:\d+; `siyu serve` needs the store to itself/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    assert.ok(!existsSync(`${db}.serve.json`), 'removed when the server stops');
    sameOutcome(local.stats!, await runCli(commands.stats!), 'stats after the server stopped');
  });

  test('a store held by a process that is not a Siyu server gets one line naming that process', async () => {
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(db)}); console.log('held'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const result = await runCli(['stats', '--db', db]);
      assert.equal(result.code, 6);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, new RegExp(`^siyu: .*brand\\.duckdb is in use by PID ${holder.pid} \\(.*\\), which is not a Siyu server taking commands; wait for it to finish or stop it, or use another --db$`));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a job interrupted by SIGKILL is marked failed after the restart, and the next run completes', async () => {
    const created = await runCli(['keys', 'create', 'ops', '--scope', 'jobs:run', '--scope', 'jobs:read', '--json', '--db', db]);
    const headers = { authorization: `Bearer ${JSON.parse(created.stdout).key}` };
    let server = startServer(db, ['--no-jobs']);
    const address = await server.address;
    const started = await fetch(`${address}/v1/jobs/nightly/run`, { method: 'POST', headers });
    if (started.status !== 202) server.child.kill('SIGKILL');
    assert.equal(started.status, 202);
    const { runId } = (await started.json()) as { runId: string };
    server.child.kill('SIGKILL');
    await server.exited;

    server = startServer(db, ['--no-jobs']);
    try {
      const again = await server.address;
      const run = (await (await fetch(`${again}/v1/jobs/runs/${runId}`, { headers })).json()) as { status: string; error: string };
      assert.equal(run.status, 'failed');
      assert.match(run.error, /^interrupted: the process running it \(.*\) stopped before it finished$/);
      const next = (await (await fetch(`${again}/v1/jobs/nightly/run?wait=true`, { method: 'POST', headers })).json()) as { status: string };
      assert.equal(next.status, 'succeeded');
      sameOutcome(local.layers!, await runCli(commands.layers!), 'the layers after recovery');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
