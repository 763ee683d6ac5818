import { randomInt } from 'node:crypto';

/** 31 characters (a prime count) with none that reads as another: no 0/O, 1/I/L, upper case only. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const N = CODE_ALPHABET.length;

/**
 * The Luhn mod N check character of `body` over CODE_ALPHABET (the Luhn algorithm generalised to base N): it catches
 * every single mistyped character and every swap of two adjacent characters.
 */
export function checkCharacter(body: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    const value = CODE_ALPHABET.indexOf(body[i]!);
    if (value < 0) throw new RangeError(`${JSON.stringify(body[i])} is not in the code alphabet`);
    let addend = factor * value;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / N) + (addend % N);
    sum += addend;
  }
  return CODE_ALPHABET[(N - (sum % N)) % N]!;
}

/** Whether a generated code (prefix, a dash, body and check character) is well formed; codes of other shapes pass. */
export function isMistyped(code: string): boolean {
  const m = /^[A-Z0-9]+-([A-Z0-9]{5,})$/.exec(code);
  if (!m) return false;
  const tail = m[1]!;
  if ([...tail].some((ch) => !CODE_ALPHABET.includes(ch))) return true;
  return checkCharacter(tail.slice(0, -1)) !== tail.slice(-1);
}

/** Upper case, without spaces: how a typed code is compared. */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase().replace(/\s+/g, '');
}

/** `count` distinct random codes `PREFIX-XXXXXXXC` (length characters of body, then the check character). */
export function generateCodes(prefix: string, count: number, length = 8): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    let body = '';
    for (let i = 0; i < length; i++) body += CODE_ALPHABET[randomInt(N)];
    codes.add(`${prefix}-${body}${checkCharacter(body)}`);
  }
  return [...codes];
}
