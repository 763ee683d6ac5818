import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One mail the simulated SMTP server took: envelope and the raw message. */
export interface SimulatedMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A local SMTP server (the `smtp-server` package) that accepts any login and every mail, keeping each; recipients at
 * `bounce.invalid` are refused with a permanent 550, as a mailbox that does not exist.
 */
export async function startMailSimulator(options: { port?: number; host?: string } = {}): Promise<{ port: number; mails: SimulatedMail[]; close: () => Promise<void> }> {
  const mails: SimulatedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onRcptTo: (address, _session, callback) => (address.address.endsWith('@bounce.invalid') ? callback(Object.assign(new Error('5.1.1 mailbox does not exist'), { responseCode: 550 })) : callback()),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
