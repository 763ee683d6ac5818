import type { IncomingMessage, ServerResponse } from 'node:http';
import { Random } from '../../core/random.ts';

/** How a simulated provider misbehaves, all drawn from one seed so a run can be repeated. */
export interface Misbehaviour {
  /** Share of requests answered with the provider's retryable "busy" error. */
  failureRate?: number;
  /** Share of requests answered with a 502 and a body that is not JSON. */
  garbageRate?: number;
  /** Milliseconds each answer is held back. */
  delayMs?: number;
  /** Requests a second above which the provider's rate-limit error comes back. */
  ratePerSecond?: number;
  /** Share of accepted messages whose receipt says delivered (the rest fail). Default 0.97. */
  deliveryRate?: number;
  /** Share of delivered recipients who reply with an unsubscribe keyword. Default 0. */
  replyRate?: number;
  /** Receipts are released this long after the send; unset: only when `releaseReceipts()` is called. */
  receiptDelayMs?: number;
}

/** Counts requests in the current second, for a provider's rate limit. */
export class SecondWindow {
  private second = 0;
  private count = 0;
  /** Whether one more request fits in this second (and counts it if so). */
  admit(limit: number | undefined): boolean {
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.second) [this.second, this.count] = [now, 0];
    if (limit !== undefined && this.count >= limit) return false;
    this.count++;
    return true;
  }
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** The misbehaviour a request meets, drawn from the seed: none, a busy error, or garbage. */
export function draw(random: Random, m: Misbehaviour): 'ok' | 'busy' | 'garbage' {
  const u = random.next();
  if (u < (m.garbageRate ?? 0)) return 'garbage';
  if (u < (m.garbageRate ?? 0) + (m.failureRate ?? 0)) return 'busy';
  return 'ok';
}

export const pause = (ms: number | undefined) => (ms ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/** One message a simulated provider accepted, as a test or the demo inspects it. */
export interface SimulatedSms {
  provider: 'aliyun' | 'tencent';
  id: string;
  phone: string;
  template: string;
  params: Record<string, string> | string[];
  at: Date;
}

export { Random };
