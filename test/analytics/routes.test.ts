import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { definitionsMarkdown, listDefinitions } from '../../src/analytics/index.ts';
import { runWithIo } from '../../src/cli/io.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { buildServerAs } from '../helpers/auth.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadFunnelFixture, loadKpiFixture } from './fixture.ts';

/** Runs `siyu …` in this process against `store`, returning what it printed and its exit code. */
async function siyu(store: Store, argv: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const cliIo = {
    stdout: { write: (chunk: string) => ((out += chunk), true) },
    stderr: { write: (chunk: string) => ((err += chunk), true) },
    cwd: process.cwd(),
    exitCode: 0,
    store,
  };
  await runWithIo(cliIo, () => buildProgram({ inProcess: true }).parseAsync(argv, { from: 'user' }));
  return { out, err, code: cliIo.exitCode };
}

const WEEK = ['--from', '2026-06-01', '--to', '2026-06-08'];

for (const backend of BACKENDS) {
  describe(`analytics over HTTP and the CLI (${backend})`, () => {
    it('answers every report over HTTP with the body `siyu report … --json` prints', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        await loadFunnelFixture(store);
        const app = await buildServerAs(store);
        try {
          const pairs: [string, { method: 'GET' | 'POST'; url: string; payload?: object }, string[]][] = [
            ['kpis', { method: 'GET', url: '/v1/analytics/kpis?from=2026-06-01&to=2026-06-08&compare=year' }, ['report', 'kpis', ...WEEK, '--compare', 'year', '--json']],
            ['breakdown', { method: 'GET', url: '/v1/analytics/breakdown?by=city&from=2026-06-01&to=2026-06-08' }, ['report', 'kpis', ...WEEK, '--by', 'city', '--json']],
            ['retention', { method: 'GET', url: '/v1/analytics/retention?grain=week&basis=events' }, ['report', 'retention', '--by', 'week', '--events', '--json']],
            ['cohorts', { method: 'GET', url: '/v1/analytics/cohorts?months=3' }, ['report', 'cohorts', '--months', '3', '--json']],
            [
              'funnel',
              { method: 'POST', url: '/v1/analytics/funnel', payload: { steps: [{ event: 'Product Viewed' }, { event: 'Product Added' }, { event: 'Order Completed' }], from: '2026-06-01', to: '2026-06-08', window_days: 14, by: 'channel' } },
              ['report', 'funnel', '--steps', 'Product Viewed,Product Added,Order Completed', ...WEEK, '--by', 'channel', '--json'],
            ],
            ['definitions', { method: 'GET', url: '/v1/analytics/definitions' }, ['report', 'definitions', '--json']],
          ];
          for (const [name, request, argv] of pairs) {
            const response = await app.inject(request);
            assert.equal(response.statusCode, 200, `${name}: ${response.body}`);
            const cli = await siyu(store, argv);
            assert.equal(cli.code, 0, `${name}: ${cli.err}`);
            assert.deepEqual(JSON.parse(cli.out), response.json(), name);
          }
          const kpis = (await app.inject({ method: 'GET', url: '/v1/analytics/kpis?from=2026-06-01&to=2026-06-08' })).json();
          assert.equal(kpis.metrics.find((m: { key: string }) => m.key === 'gmvFen').value, 83000 + 9900, 'the KPI fixture and R\'s order of the funnel fixture');
          assert.ok((await app.inject({ method: 'GET', url: '/docs' })).json().paths['/v1/analytics/kpis'], 'the routes are in the OpenAPI document');
        } finally {
          await app.close();
        }
      }));

    it('refuses bad parameters with 400 naming the field, over HTTP and as flags', () =>
      withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        try {
          const cases: [string, { method: 'GET' | 'POST'; url: string; payload?: object }, string[]][] = [
            ['a day that is not one', { method: 'GET', url: '/v1/analytics/kpis?from=2026-02-30' }, ['from']],
            ['an unknown comparison', { method: 'GET', url: '/v1/analytics/kpis?compare=lastweek' }, ['compare']],
            ['an unknown dimension', { method: 'GET', url: '/v1/analytics/breakdown?by=weather' }, ['by']],
            ['an unknown query key', { method: 'GET', url: '/v1/analytics/retention?grain=week&colour=red' }, ['(root)']],
            ['too many cohorts', { method: 'GET', url: '/v1/analytics/cohorts?cohorts=999' }, ['cohorts']],
            ['to before from', { method: 'GET', url: '/v1/analytics/kpis?from=2026-06-08&to=2026-06-01' }, ['to']],
            ['one funnel step and a bad window', { method: 'POST', url: '/v1/analytics/funnel', payload: { steps: [{ event: 'Product Viewed' }], window_days: 0 } }, ['steps', 'window_days']],
            ['a bad property filter', { method: 'POST', url: '/v1/analytics/funnel', payload: { steps: [{ event: 'A', where: [{ property: "x'; DROP", op: '=', value: 1 }] }, { event: 'B' }] } }, ['steps.0.where.0.property']],
          ];
          for (const [title, request, paths] of cases) {
            const response = await app.inject(request);
            assert.equal(response.statusCode, 400, `${title}: ${response.body}`);
            assert.deepEqual(response.json().errors.map((e: { path: string }) => e.path).sort(), paths, title);
          }
        } finally {
          await app.close();
        }
        const bad = await siyu(store, ['report', 'funnel', '--steps', 'Product Viewed', '--window-days', '0']);
        assert.equal(bad.code, 2);
        assert.match(bad.err, /--steps: .*\n.*--window-days: /);
      }));
  });
}

describe('the metric catalogue', () => {
  it('is the table docs/analytics.md holds between its definitions markers', () => {
    const doc = readFileSync(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
    const between = doc.slice(doc.indexOf('<!-- definitions:begin -->') + '<!-- definitions:begin -->'.length, doc.indexOf('<!-- definitions:end -->')).trim();
    assert.equal(between, definitionsMarkdown(), 'regenerate it with `siyu report definitions --markdown`');
  });

  it('defines every metric in Chinese and English', () => {
    for (const d of listDefinitions()) {
      for (const text of [d.zh.name, d.zh.definition, d.en.name, d.en.definition]) assert.ok(text.length > 1, d.key);
      assert.match(d.zh.definition, /[\u4e00-\u9fff]/, `${d.key} has Chinese`);
    }
  });
});
