import type { TFunction } from 'i18next';
import type { Offer } from '../../api/loyalty.ts';
import type { Formatter } from '../../components/format.ts';

/** What an offer takes off, in words: 满¥99减¥20, 15% off, ¥10 off, a gift, free shipping; with its cap when it has one. */
export function describeRule(rule: Offer['rule'], t: TFunction, format: Formatter): string {
  const cap = 'maxOffFen' in rule && rule.maxOffFen ? t('loyalty.rule.cap', { cap: format.money(rule.maxOffFen) }) : '';
  switch (rule.kind) {
    case 'spend_save':
      return t(rule.isRepeating ? 'loyalty.rule.spendSaveRepeating' : 'loyalty.rule.spendSave', { threshold: format.money(rule.thresholdFen), off: format.money(rule.offFen) }) + cap;
    case 'percent':
      return t('loyalty.rule.percent', { percent: rule.percentOff }) + cap;
    case 'fixed':
      return t('loyalty.rule.fixed', { off: format.money(rule.offFen) });
    case 'gift':
      return t('loyalty.rule.gift', { sku: rule.giftSku, quantity: rule.giftQuantity });
    case 'free_shipping':
      return t('loyalty.rule.freeShipping') + cap;
  }
}
