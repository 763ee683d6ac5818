// Normal forms of phone numbers and email addresses: identity resolution compares them, and privacy's blind
// indexes hash them, so both must agree byte for byte.

/**
 * Normalises a phone number to E.164. Numbers without a country code are taken as Chinese (+86):
 * an 11-digit mobile such as 13800138000 becomes +8613800138000. Returns undefined when it cannot be a phone.
 */
export function normalisePhone(raw: string, defaultCountryCode = '86'): string | undefined {
  const trimmed = raw.trim();
  if (!/^[+\d][\d\s\-().]*$/.test(trimmed)) return undefined;
  let digits = trimmed.replace(/[^\d]/g, '');
  let international = trimmed.startsWith('+');
  if (!international && digits.startsWith('00')) {
    digits = digits.slice(2);
    international = true;
  }
  if (!international) {
    if (defaultCountryCode === '86' && digits.length === 13 && digits.startsWith('861')) international = true;
    else digits = defaultCountryCode + digits.replace(/^0+/, '');
  }
  if (digits.length < 8 || digits.length > 15) return undefined;
  if (digits.startsWith('86') && digits[2] === '1' && digits.length !== 13) return undefined; // CN mobiles have 11 digits
  return `+${digits}`;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(raw: string): string | undefined {
  const value = raw.trim().toLowerCase();
  return EMAIL.test(value) ? value : undefined;
}
