import { hash, verify } from '@node-rs/argon2';

// OWASP's Password Storage Cheat Sheet minimum for Argon2id: 19 MiB of memory, 2 passes, 1 lane (about 10–12 ms here, bench/access.ts).
// (`algorithm: 2` is Argon2id in the binding's const enum, which verbatimModuleSyntax cannot import.)
const PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** An Argon2id PHC string (`$argon2id$v=19$m=…`) with a fresh random salt. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

let dummy: Promise<string> | undefined;

/**
 * Whether `password` matches the stored hash. With no hash (an unknown user) it checks against a throwaway hash
 * and says no, so an unknown name takes as long to refuse as a wrong password.
 */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummy ??= hashPassword('siyu-dummy-password');
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
