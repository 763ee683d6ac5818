import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n } from '../core/text.ts';
import {
  awardPoints, checkPoints, couponCost, createCodeBatch, customerTier, evaluateTiers, expireCoupons, expirePoints, getOffer, importCodes, issueCoupons, listCoupons, listOffers,
  pointsBalance, pointsLedger, pointsLiability, pointsRollForward, readLoyaltySettings, redeemCoupon, refundStoredValue, releaseRedemption, setOfferStatus, setTier,
  spendPoints, spendStoredValue, storedValueAgeing, storedValueBalance, tierReport, topUp, upsertOffer, validateCart, voidCoupon, writeLoyaltySettings, type Offer, type Pricing,
} from '../loyalty/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';
import { io, resolvePath } from './io.ts';

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolvePath(file), 'utf8');
  } catch (error) {
    throw new SiyuError('not_found', 'file_not_found', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SiyuError('validation', 'invalid_json', `${file}: not JSON: ${(error as Error).message}`, { details: [{ file, message: (error as Error).message }] });
  }
}

function readLines(file: string): string[] {
  return readFileSync(resolvePath(file), 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

const when = (value: string | undefined, flag: string): Date => {
  const d = value ? new Date(value) : new Date();
  if (Number.isNaN(d.getTime())) throw new SiyuError('validation', 'invalid_date', `${flag} must be a date or ISO time, not ${JSON.stringify(value)}`);
  return d;
};

function formatOffer(o: Offer): string {
  const budget = [o.budgetCount !== null ? `${n(o.usedCount)}/${n(o.budgetCount)} uses` : `${n(o.usedCount)} uses`, o.budgetDiscountFen !== null ? `${yuan(o.usedDiscountFen)}/${yuan(o.budgetDiscountFen)}` : yuan(o.usedDiscountFen)].join(', ');
  return `${o.id.padEnd(16)} ${o.status.padEnd(7)} ${o.rule.kind.padEnd(13)} ${o.name}  [${budget}]${o.sharedCode ? `  code ${o.sharedCode}` : ''}${o.campaign ? `  campaign ${o.campaign}` : ''}`;
}

export function formatPricing(p: Pricing): string {
  const lines = [`discount ${yuan(p.totalDiscountFen)}${p.shippingDiscountFen ? ` + shipping ${yuan(p.shippingDiscountFen)}` : ''}`];
  for (const a of p.applied) lines.push(`  applies  ${a.code} (${a.offerId}, ${a.kind}) ${yuan(a.discountFen + a.shippingDiscountFen)}${a.gift ? ` + gift ${a.gift.quantity}× ${a.gift.sku}` : ''}`);
  for (const r of p.rejected) lines.push(`  no       ${r.code}${r.offerId ? ` (${r.offerId})` : ''}: ${r.reason}`);
  for (const l of p.lines) lines.push(`  line ${l.line} ${l.sku}: ${yuan(l.amountFen)} − ${yuan(l.discountFen)} = ${yuan(l.payFen)}`);
  return lines.join('\n');
}

/** siyu offers, siyu coupons, siyu points and siyu loyalty (docs/loyalty.md). */
export function registerLoyalty(program: Command): void {
  const offers = program.command('offers').description('coupon offers: 满减, 折扣, 无门槛, 赠品, free shipping; budgets, limits, stacking, code batches (docs/loyalty.md)');
  withDb(offers.command('list').description('every offer with its budgets and what is used of them').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const list = await listOffers(store);
      emit(o.json, { offers: list }, () => list.map(formatOffer).join('\n') || 'no offers yet: siyu offers create --file offer.json');
    })),
  );
  withDb(offers.command('show').argument('<id>').description('one offer').option('--json', 'machine-readable output')).action(
    action(async (id: string, o: { db?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const offer = await getOffer(store, id);
      emit(o.json, offer, () => `${formatOffer(offer)}\n${JSON.stringify({ rule: offer.rule, applies: offer.applies }, null, 2)}`);
    })),
  );
  withDb(offers.command('create').description('create an offer or change one, from a JSON file (see docs/loyalty.md for the fields)').requiredOption('--file <path>', 'the offer as JSON').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; file: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const offer = await upsertOffer(store, readJson(o.file));
      emit(o.json, offer, () => formatOffer(offer));
    })),
  );
  for (const [verb, status] of [['pause', 'paused'], ['resume', 'active'], ['end', 'ended']] as const) {
    withDb(offers.command(verb).argument('<id>').description(`${verb} an offer${verb === 'end' ? ' (voids its open coupons)' : ''}`)).action(
      action(async (id: string, o: { db?: string }) => withOpenStore(o.db, async (store) => void io().stdout.write(`${formatOffer(await setOfferStatus(store, id, status))}\n`))),
    );
  }
  withDb(offers.command('batch').argument('<id>').description('generate unique single-use codes, one per line on stdout').requiredOption('--count <n>', 'how many').option('--prefix <text>', 'letters or digits before the dash')).action(
    action(async (id: string, o: { db?: string; count: string; prefix?: string }) => withOpenStore(o.db, async (store) => {
      const { batchId, codes } = await createCodeBatch(store, id, { count: parseCount(o.count, '--count'), prefix: o.prefix });
      io().stderr.write(`batch ${batchId}: ${n(codes.length)} codes\n`);
      io().stdout.write(`${codes.join('\n')}\n`);
    })),
  );
  withDb(offers.command('import').argument('<id>').description('import codes made elsewhere, one per line').requiredOption('--file <path>', 'codes, one per line')).action(
    action(async (id: string, o: { db?: string; file: string }) => withOpenStore(o.db, async (store) => {
      const r = await importCodes(store, id, readLines(o.file));
      io().stdout.write(`batch ${r.batchId}: ${n(r.accepted)} imported, ${n(r.rejected.length)} rejected\n`);
      for (const x of r.rejected.slice(0, 20)) io().stdout.write(`  ${o.file}:${x.line}: ${x.code}: ${x.reason}\n`);
    })),
  );
  withDb(offers.command('issue').argument('<id>').description("put a coupon in each listed customer's wallet, once per source and customer").requiredOption('--customers <file>', 'customer ids, one per line').option('--source <name>', 'the issuing source (idempotency scope)', 'cli')).action(
    action(async (id: string, o: { db?: string; customers: string; source: string }) => withOpenStore(o.db, async (store) => {
      const outcomes = await store.transaction((tx) => issueCoupons(tx, id, readLines(o.customers), { source: o.source }));
      const by = (k: string) => outcomes.filter((x) => x.outcome === k).length;
      io().stdout.write(`${n(by('issued'))} issued, ${n(by('already_issued'))} already issued, ${n(by('rejected'))} rejected\n`);
    })),
  );

  const coupons = program.command('coupons').description('validate a cart, redeem and release coupons, wallets (docs/loyalty.md)');
  withDb(coupons.command('validate').description('which coupons a cart may use, the discount per line, and why the others do not apply').requiredOption('--cart <file>', 'the cart as JSON').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; cart: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const p = await validateCart(store, readJson(o.cart));
      emit(o.json, p, () => formatPricing(p));
    })),
  );
  withDb(coupons.command('redeem').description('redeem a code for a cart, once per key').requiredOption('--key <key>', 'idempotency key').requiredOption('--code <code>', 'the code').requiredOption('--cart <file>', 'the cart as JSON').option('--order <id>', 'the order').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; key: string; code: string; cart: string; order?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const r = await redeemCoupon(store, { key: o.key, code: o.code, cart: readJson(o.cart), orderId: o.order });
      emit(o.json, r, () => `${r.status}${r.isReplay ? ' (replay)' : ''}: ${r.code} ${yuan(r.discountFen)}${r.reason ? ` — ${r.reason}` : ''}`);
      if (r.status === 'rejected') io().exitCode = 4;
    })),
  );
  withDb(coupons.command('release').description('release a redemption, once per key').requiredOption('--key <key>', 'the redemption key').option('--reason <text>', 'why')).action(
    action(async (o: { db?: string; key: string; reason?: string }) => withOpenStore(o.db, async (store) => {
      const r = await releaseRedemption(store, o.key, { reason: o.reason });
      io().stdout.write(`${r.status}${r.isReplay ? ' (already)' : ''}: ${r.key}\n`);
    })),
  );
  withDb(coupons.command('wallet').description("a customer's coupons").requiredOption('--customer <id>', 'customer id').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; customer: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const list = await listCoupons(store, { customerId: o.customer });
      emit(o.json, { coupons: list }, () => list.map((c) => `${c.code.padEnd(18)} ${c.state.padEnd(9)} ${c.offerName}${c.expiresAt ? `  until ${c.expiresAt.toISOString().slice(0, 10)}` : ''}`).join('\n') || 'no coupons');
    })),
  );
  withDb(coupons.command('void').argument('<code>').description('void a coupon not yet redeemed (audited)').requiredOption('--reason <text>', 'why')).action(
    action(async (code: string, o: { db?: string; reason: string }) => withOpenStore(o.db, async (store) => void io().stdout.write(`${(await voidCoupon(store, code, { reason: o.reason })).state}: ${code}\n`))),
  );

  const points = program.command('points').description('the points ledger: balances, awards, spending, expiry and the balance check (docs/loyalty.md)');
  withDb(points.command('balance').description("a customer's points, pending and active, with the ledger").requiredOption('--customer <id>', 'customer id').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; customer: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const b = await pointsBalance(store, o.customer);
      const ledger = await pointsLedger(store, o.customer, 20);
      emit(o.json, { ...b, ledger }, () => [`${o.customer}: ${n(b.balance)} points (${n(b.active)} usable, ${n(b.pending)} pending)`, ...b.expiring.map((e) => `  ${n(e.points)} expire ${e.expiresAt.toISOString().slice(0, 10)}`), ...ledger.map((e) => `  ${e.at.toISOString().slice(0, 10)} ${e.kind.padEnd(7)} ${String(e.points).padStart(7)}  ${e.key}${e.reason ? ` (${e.reason})` : ''}`)].join('\n'));
    })),
  );
  withDb(points.command('award').description('award points by staff, with a reason (negative takes them back)').requiredOption('--customer <id>', 'customer id').requiredOption('--points <n>', 'points').requiredOption('--key <key>', 'idempotency key').requiredOption('--reason <text>', 'why')).action(
    action(async (o: { db?: string; customer: string; points: string; key: string; reason: string }) => withOpenStore(o.db, async (store) => {
      const p = Number(o.points);
      if (!Number.isInteger(p) || p === 0) throw new SiyuError('validation', 'invalid_flag', '--points must be a non-zero whole number');
      const [r] = await store.transaction((tx) => awardPoints(tx, [{ customerId: o.customer, key: o.key, points: p, source: 'staff', reason: o.reason, isImmediate: true, kind: p < 0 ? 'adjust' : 'earn' }]));
      io().stdout.write(`${r!.outcome}: ${o.customer} ${p > 0 ? '+' : ''}${p}\n`);
    })),
  );
  withDb(points.command('spend').description('spend points as payment, once per key').requiredOption('--customer <id>', 'customer id').requiredOption('--points <n>', 'points').requiredOption('--key <key>', 'idempotency key').option('--order <id>', 'order id').option('--order-total <fen>', 'the order total in fen, for the per-order cap')).action(
    action(async (o: { db?: string; customer: string; points: string; key: string; order?: string; orderTotal?: string }) => withOpenStore(o.db, async (store) => {
      const r = await spendPoints(store, { customerId: o.customer, key: o.key, points: parseCount(o.points, '--points'), orderId: o.order, orderTotalFen: o.orderTotal === undefined ? undefined : parseCount(o.orderTotal, '--order-total', 0) });
      io().stdout.write(`${r.isReplay ? 'already spent' : 'spent'}: ${n(r.points)} points = ${yuan(r.valueFen)}\n`);
    })),
  );
  withDb(points.command('check').description('prove every cached balance equals its ledger and its buckets; exit 1 on any difference').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const c = await checkPoints(store);
      emit(o.json, c, () => [`${n(c.customers)} accounts checked: ${c.mismatches.length === 0 ? 'every balance equals its ledger and buckets' : `${n(c.mismatches.length)} differ`}`, ...c.mismatches.slice(0, 20).map((m) => `  ${m.customerId}: cached ${m.cached}, ledger ${m.ledger}, buckets ${m.buckets}, earned − allocated ${m.allocations}`)].join('\n'));
      if (c.mismatches.length > 0) io().exitCode = 1;
    })),
  );
  withDb(points.command('expire').description('run the expiry now (as the loyalty-expiry job does): points and coupons, with reminders').option('--now <time>', 'the clock (default now)')).action(
    action(async (o: { db?: string; now?: string }) => withOpenStore(o.db, async (store) => {
      const at = when(o.now, '--now');
      const r = await expirePoints(store, at);
      const c = await expireCoupons(store, at);
      io().stdout.write(`${n(r.points)} points expired from ${n(r.buckets)} buckets of ${n(r.customers)} customers; ${n(c)} coupons expired; ${n(r.reminders)} reminders\n`);
    })),
  );

  const loyalty = program.command('loyalty').description('the loyalty programme: settings, member tiers, stored value (docs/loyalty.md)');
  withDb(loyalty.command('settings').argument('<kind>', 'points | tiers | stored_value').option('--file <path>', 'replace them with this JSON')).action(
    action(async (kind: string, o: { db?: string; file?: string }) => withOpenStore(o.db, async (store) => {
      if (kind !== 'points' && kind !== 'tiers' && kind !== 'stored_value') throw new SiyuError('validation', 'invalid_argument', 'kind must be points, tiers or stored_value');
      const value = o.file ? await writeLoyaltySettings(store, kind, readJson(o.file)) : await readLoyaltySettings(store, kind);
      io().stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    })),
  );
  withDb(loyalty.command('tier').description("a customer's member tier, growth and tier history").requiredOption('--customer <id>', 'customer id').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; customer: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const t = await customerTier(store, o.customer);
      emit(o.json, t, () => [`${o.customer}: ${t.tier ?? 'not a member'}, growth ${n(t.growth)}${t.graceUntil ? `, in grace until ${t.graceUntil.toISOString().slice(0, 10)}` : ''}`, ...t.history.map((h) => `  ${h.at.toISOString().slice(0, 10)} ${h.from ?? '—'} → ${h.to} (${h.reason})`)].join('\n'));
    })),
  );
  withDb(loyalty.command('evaluate-tiers').description('the tier evaluation (as the tier-evaluation job does)').option('--now <time>', 'the clock')).action(
    action(async (o: { db?: string; now?: string }) => withOpenStore(o.db, async (store) => void io().stdout.write(`${n((await evaluateTiers(store, when(o.now, '--now'))).changed)} tier changes\n`))),
  );
  withDb(loyalty.command('set-tier').description("set customers' tier").requiredOption('--customers <file>', 'customer ids, one per line').requiredOption('--tier <name>', 'tier')).action(
    action(async (o: { db?: string; customers: string; tier: string }) => withOpenStore(o.db, async (store) => void io().stdout.write(`${n(await store.transaction((tx) => setTier(tx, readLines(o.customers), o.tier)))} changed\n`))),
  );
  const sv = loyalty.command('stored-value').description('stored value (储值): top-ups with bonus, payments, refunds, balances');
  withDb(sv.command('top-up').requiredOption('--customer <id>', 'customer id').requiredOption('--fen <amount>', 'amount in fen').requiredOption('--key <key>', 'idempotency key').description('top up a card within the prepaid cap')).action(
    action(async (o: { db?: string; customer: string; fen: string; key: string }) => withOpenStore(o.db, async (store) => {
      const e = await topUp(store, { customerId: o.customer, key: o.key, amountFen: parseCount(o.fen, '--fen') });
      io().stdout.write(`${e.isReplay ? 'already topped up' : 'topped up'}: ${yuan(e.principalFen)} + bonus ${yuan(e.bonusFen)}\n`);
    })),
  );
  withDb(sv.command('spend').requiredOption('--customer <id>', 'customer id').requiredOption('--fen <amount>', 'amount in fen').requiredOption('--key <key>', 'idempotency key').option('--order <id>', 'order').description('pay from a card')).action(
    action(async (o: { db?: string; customer: string; fen: string; key: string; order?: string }) => withOpenStore(o.db, async (store) => {
      const e = await spendStoredValue(store, { customerId: o.customer, key: o.key, amountFen: parseCount(o.fen, '--fen'), orderId: o.order });
      io().stdout.write(`paid ${yuan(-e.principalFen - e.bonusFen)} (${yuan(-e.principalFen)} principal, ${yuan(-e.bonusFen)} bonus)\n`);
    })),
  );
  withDb(sv.command('refund').requiredOption('--customer <id>', 'customer id').requiredOption('--spend-key <key>', 'the payment').requiredOption('--key <key>', 'idempotency key').description('refund a payment to the card')).action(
    action(async (o: { db?: string; customer: string; spendKey: string; key: string }) => withOpenStore(o.db, async (store) => {
      const e = await refundStoredValue(store, { customerId: o.customer, key: o.key, spendKey: o.spendKey });
      io().stdout.write(`refunded ${yuan(e.principalFen + e.bonusFen)}\n`);
    })),
  );
  withDb(sv.command('show').requiredOption('--customer <id>', 'customer id').option('--json', 'machine-readable output').description("a card's balance and entries")).action(
    action(async (o: { db?: string; customer: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const b = await storedValueBalance(store, o.customer);
      emit(o.json, b, () => [`${o.customer}: ${yuan(b.principalFen + b.bonusFen)} (${yuan(b.principalFen)} principal, ${yuan(b.bonusFen)} bonus)`, ...b.entries.map((e) => `  ${e.at.toISOString().slice(0, 10)} ${e.kind.padEnd(7)} ${yuan(e.principalFen)} + ${yuan(e.bonusFen)}  ${e.key}`)].join('\n'));
    })),
  );
}

/** `siyu report loyalty …`: the finance and operations reports. */
export function registerLoyaltyReport(report: Command): void {
  const loyalty = report.command('loyalty').description('loyalty reports: points roll-forward and liability, coupon cost, stored-value ageing, tiers (docs/loyalty.md)');
  const period = (c: Command) => c.requiredOption('--from <date>', 'period start').requiredOption('--to <date>', 'period end (exclusive)').option('--json', 'machine-readable output');
  withDb(period(loyalty.command('points').description('opening + earned − redeemed − expired ± reversals and adjustments = closing, split pending and active'))).action(
    action(async (o: { db?: string; from: string; to: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const r = await pointsRollForward(store, when(o.from, '--from'), when(o.to, '--to'));
      emit(o.json, r, () => [`points ${o.from} → ${o.to}`, `  opening     ${n(r.opening)}`, `  earned     +${n(r.earned)}`, `  redeemed   −${n(r.redeemed)}`, `  expired    −${n(r.expired)}`, `  reversed    ${n(r.reversed)}`, `  adjusted    ${n(r.adjusted)}`, `  closing     ${n(r.closing)} (${n(r.closingActive)} active, ${n(r.closingPending)} pending)`].join('\n'));
    })),
  );
  withDb(loyalty.command('liability').description('the points liability at the expected redemption rate, breakage from closed cohorts, and the expiry schedule').option('--as-of <date>', 'the date (default now)').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; asOf?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const r = await pointsLiability(store, when(o.asOf, '--as-of'));
      emit(o.json, r, () => [`${n(r.outstandingPoints)} points outstanding × ${yuan(r.valuePerPointFen)} = ${yuan(r.grossFen)}; breakage ${(r.breakageRate * 100).toFixed(1)}% (${n(r.cohortsUsed)} closed cohorts) → liability ${yuan(r.liabilityFen)}`, ...r.schedule.map((s) => `  expire ${s.month}: ${n(s.points)}`)].join('\n'));
    })),
  );
  withDb(loyalty.command('coupons').description('coupon cost per offer and campaign').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const r = await couponCost(store);
      emit(o.json, r, () => [...r.offers.map((x) => `${x.offerId.padEnd(16)} issued ${n(x.issued)} claimed ${n(x.claimed)} redeemed ${n(x.redeemed)} released ${n(x.released)}  discount ${yuan(x.discountFen)} reversed ${yuan(x.reversedDiscountFen)}  orders ${n(x.orders)} GMV ${yuan(x.gmvFen)}`), ...r.campaigns.map((c) => `campaign ${c.campaign}: ${n(c.offers)} offers, ${n(c.redeemed)} redeemed, net cost ${yuan(c.discountFen - c.reversedDiscountFen)}, GMV ${yuan(c.gmvFen)}`)].join('\n') || 'no offers');
    })),
  );
  withDb(loyalty.command('stored-value').description('stored-value balances by age of the last top-up').option('--json', 'machine-readable output')).action(
    action(async (o: { db?: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const r = await storedValueAgeing(store, new Date());
      emit(o.json, { ageing: r }, () => r.map((a) => `${a.age.padEnd(14)} ${n(a.cards)} cards  ${yuan(a.principalFen)} principal  ${yuan(a.bonusFen)} bonus`).join('\n') || 'no balances');
    })),
  );
  withDb(period(loyalty.command('tiers').description('members per tier, and the moves between tiers in the period'))).action(
    action(async (o: { db?: string; from: string; to: string; json?: boolean }) => withOpenStore(o.db, async (store) => {
      const r = await tierReport(store, when(o.from, '--from'), when(o.to, '--to'));
      emit(o.json, r, () => [...r.distribution.map((d) => `${d.tier}: ${n(d.members)}`), ...r.migration.map((m) => `  ${m.from} → ${m.to} (${m.reason}): ${n(m.customers)}`)].join('\n') || 'no members');
    })),
  );
}
