import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Channel, OutgoingMessage, SendOutcome } from '../../src/channels/index.ts';

/**
 * A recording channel for tests: it keeps every message handed to it and answers what `answer` says (accepted by
 * default). The boundary fake STYLE.md allows for outgoing channels; the real adapters are tested against their
 * protocols separately.
 */
export function recordingChannel(name: string, address: Channel['address'] = 'phone', answer: (m: OutgoingMessage) => SendOutcome['outcome'] = () => 'accepted') {
  const sent: OutgoingMessage[] = [];
  const channel: Channel = {
    name,
    address,
    batchSize: 100,
    send: async (messages) =>
      messages.map((m): SendOutcome => {
        sent.push(m);
        const outcome = answer(m);
        if (outcome === 'accepted' || outcome === 'delivered') return { messageId: m.messageId, outcome, providerId: `p-${sent.length}` };
        if (outcome === 'retry') return { messageId: m.messageId, outcome, reason: 'busy', retryAfterMs: 60_000 };
        return { messageId: m.messageId, outcome, reason: `said ${outcome}` };
      }),
  };
  return { channel, sent };
}

/** A local HTTP endpoint that records each request (headers and body) and answers with `status(request number)`. */
export async function webhookReceiver(status: (n: number) => number = () => 200) {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(status(received.length), { 'retry-after': '30' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
