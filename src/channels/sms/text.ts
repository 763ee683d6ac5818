/** The unsubscribe text carriers and providers require at the end of every marketing SMS. */
export const SMS_UNSUBSCRIBE_TEXT = '拒收请回复R';

/** Replies that mean "stop sending me marketing SMS" (CHANNELS.md §4): R, T, TD, N, 退订, in any case, alone. */
export function isUnsubscribeReply(content: string): boolean {
  const text = content.trim().toUpperCase().replace(/[\s。.!！]+$/u, '');
  return ['R', 'T', 'TD', 'N', '退订', '回T退订', 'TD退订'].includes(text) || text === 'UNSUBSCRIBE';
}

/**
 * How many billed parts an SMS is, by the Chinese carriers' rule: up to 70 characters (the signature 【…】 included)
 * is one message; longer text is split into parts of 67, each billed as one. Characters are counted as code points,
 * Chinese and Latin alike.
 */
export function smsParts(text: string): number {
  const length = [...text].length;
  return length <= 70 ? 1 : Math.ceil(length / 67);
}

/** Fills a template's placeholders, `{name}` (Aliyun's `${name}` too) or `{1}` (Tencent), with the parameters. */
export function fillTemplate(body: string, params: Readonly<Record<string, string>>, order: readonly string[]): string {
  return body.replace(/\$?\{(\w+)\}/g, (whole, key: string) => {
    if (/^\d+$/.test(key)) return params[order[Number(key) - 1] ?? ''] ?? params[key] ?? whole;
    return params[key] ?? whole;
  });
}
