// Why a message was not sent, or not yet, in the operator's language. The API gives the reason as an English sentence
// with a fixed opening per cause (the contact policy's verdicts in src/channels/verdicts.ts, the dispatcher's, and each
// adapter's refusals in src/channels/sms, wechat, email.ts and webhook.ts); each opening here names its cause and
// carries the sentence's variable parts. A sentence no pattern knows (a provider's own code and message) is shown as
// the API gave it.

export interface ReasonText {
  /** The i18n key under reach.reason, or undefined for a reason shown as it is. */
  key?: string;
  values: Record<string, string>;
}

const PATTERNS: [RegExp, string, string[]][] = [
  [/^expired: not sent within its time to live/, 'expired', []],
  [/^global control group: no marketing/, 'globalControl', []],
  [/^channel (\S+) is not set up/, 'notSetUp', ['channel']],
  [/^unreachable on ([^:]+): (.*)$/s, 'unreachable', ['channel', 'detail']],
  [/^no consent for (\S*)/, 'noConsent', ['purpose']],
  [/^no address for (\S+)/, 'noAddress', ['channel']],
  [/^quiet hours/, 'quietHours', []],
  [/^cap: at most (\d+) a (day|week|month) on (\S+)/, 'cap', ['limit', 'window', 'channel']],
  [/^template: (.*)$/s, 'template', ['detail']],
  [/^an SMS is sent by a registered template/, 'smsNeedsTemplate', []],
  [/^no template "?(.*?)"? is registered for this channel/, 'templateNotRegistered', ['template']],
  [/^not a phone number an SMS provider takes: (.*)$/s, 'badPhone', ['phone']],
  [/^template (\S+) needs the parameters (.*)$/s, 'missingParams', ['template', 'params']],
  [/^(?:provider )?not reachable: (.*)$/s, 'providerUnreachable', ['detail']],
  [/^no answer within the timeout/, 'timeout', []],
  [/^no usable answer: (.*)$/s, 'noUsableAnswer', ['detail']],
  [/^(?:the answer has no status for this number|an answer without a Code); waiting for a receipt/, 'awaitingReceipt', []],
  [/^the channel gave no answer/, 'noAnswer', []],
  [/^interrupted while handing over/, 'interrupted', []],
  [/^in fail_list/, 'wecomFailList', []],
  [/^no subscription credit for template (\S+?):/, 'noSubscription', ['template']],
  [/^43101: /, 'subscriptionRefused', []],
  [/^not a contact of the sender/, 'notContact', []],
  [/^already received another mass send/, 'alreadyMassSent', []],
  [/^bounced: (.*)$/s, 'bounced', ['detail']],
  [/^HTTP 410: /, 'endpointGone', []],
  [/^HTTP (\d{3})$/, 'http', ['status']],
];

/** The cause of a reason sentence and its variable parts; `until` when the sentence ends with the time a deferral lasts to. */
export function reasonText(reason: string): ReasonText & { until?: string } {
  const deferred = /^(.*) \(until (.+)\)$/s.exec(reason);
  const sentence = deferred ? deferred[1]! : reason;
  for (const [pattern, key, names] of PATTERNS) {
    const match = pattern.exec(sentence);
    if (match) return { key, values: Object.fromEntries(names.map((name, i) => [name, match[i + 1] ?? ''])), ...(deferred ? { until: deferred[2] } : {}) };
  }
  return { values: {} };
}

/** The time a deferral lasts to, as the database wrote it ('2026-06-01 12:00:00+00', '… 20:00:00.5+08'), or undefined. */
export function untilInstant(until: string): Date | undefined {
  const at = new Date(until.trim().replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
  return Number.isNaN(at.getTime()) ? undefined : at;
}
