// What sealing personal data costs `siyu import customers` (issue #17, part 3: "importing 1M customers with
// encryption on takes ≤ 1.5× the time with it off"). The same 1M-row file (name, phone, email, birthday…) is imported
// into a fresh embedded store with sealing (blind indexes of phone and email computed in the engine; phone, email and
// name encrypted on helper threads) and without it (importFile's benchmark-only `seal: false`), alternating, medians.
// Usage: node --import tsx bench/pii-import.ts [--rows 1000000] [--runs 3]
import { rmSync } from 'node:fs';
import { importFile } from '../src/import/index.ts';
import { configureMasterKey, stopEncryptionThreads } from '../src/privacy/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { ensureCustomersFile } from './customers-file.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const rows = Number(arg('rows', '1000000'));
const runs = Number(arg('runs', '3'));
const file = new URL(`./data/customers-${rows}.csv`, import.meta.url).pathname;
const db = new URL('./data/bench-pii.duckdb', import.meta.url).pathname;

async function importOnce(seal: boolean): Promise<number> {
  for (const suffix of ['', '.wal', '.key']) rmSync(`${db}${suffix}`, { force: true });
  const store = await openStore(db);
  try {
    await migrate(store);
    configureMasterKey(store, { masterKey: Buffer.alloc(32, 7) });
    const started = performance.now();
    const report = await importFile(store, 'customers', file, { seal, rejectsPath: `${db}.rejects.csv` });
    const seconds = (performance.now() - started) / 1000;
    if (report.accepted !== rows) throw new Error(`expected ${rows} customers, got ${report.accepted} (${report.rejected} rejected)`);
    return seconds;
  } finally {
    await store.close();
  }
}

process.stderr.write(`preparing ${file} (${rows.toLocaleString('en-US')} customers; written once, then reused)…\n`);
await ensureCustomersFile(file, rows);
const off: number[] = [];
const on: number[] = [];
for (let run = 1; run <= runs; run++) {
  off.push(await importOnce(false));
  on.push(await importOnce(true));
  process.stderr.write(`  run ${run}/${runs}: unsealed ${off.at(-1)!.toFixed(2)} s, sealed ${on.at(-1)!.toFixed(2)} s\n`);
}
await stopEncryptionThreads();
const floor = median(off);
const sealed = median(on);
printTable(`sealing personal data in siyu import customers (${rows.toLocaleString('en-US')} rows, medians of ${runs})`, ['import', 'median', 'vs unsealed'], [
  ['personal data unsealed (the floor)', `${floor.toFixed(2)} s`, '1'],
  ['sealed: blind indexes + phone, email, name, birthday encrypted', `${sealed.toFixed(2)} s`, `${(sealed / floor).toFixed(2)}× (target ≤ 1.5×)`],
]);
writeResult('pii-import', { rows, runs, unsealedSeconds: off, sealedSeconds: on, medianUnsealed: floor, medianSealed: sealed, ratio: sealed / floor });
