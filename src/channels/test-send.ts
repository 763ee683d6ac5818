import { randomUUID } from 'node:crypto';
import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';
import type { Channel } from './channel.ts';
import { getChannelInfo } from './config.ts';
import { dispatchDue } from './dispatcher.ts';
import { listMessages, type LoggedMessage } from './log.ts';
import { queueMessages } from './outbox.ts';
import { listChannelTemplates } from './template-registry.ts';

export interface CustomerTestInput {
  customerId: string;
  /** A registered template (SMS and mini-program send only these); its kind sets the purpose. */
  template?: string;
  /** Parameter values, Liquid rendered with the customer's profile as a journey's are. */
  params?: Record<string, string>;
  subject?: string;
  body?: string;
}

/**
 * Sends one test message to a real customer the way a journey's message goes: written to the outbox first (id
 * `test:<uuid>`, no journey), then handed to the channel at once through the dispatcher, so the contact policy
 * applies (a marketing template needs the customer's consent; a notification or verification template is
 * transactional) and the message, its states and its cost are in the message log. Audited. Returns the message as
 * the log shows it after the hand-over.
 */
export async function sendTestToCustomer(store: Store, channels: readonly Channel[], name: string, input: CustomerTestInput, actor = localActor(), now = new Date()): Promise<LoggedMessage> {
  await getChannelInfo(store, name);
  const [customer] = await store.query('SELECT 1 AS found FROM customers WHERE customer_id = $1', [input.customerId]);
  if (!customer) throw new SiyuError('not_found', 'customer_not_found', `customer_id: no customer ${JSON.stringify(input.customerId)}`, { details: [{ path: 'customer_id', message: 'no such customer' }] });
  const template = input.template ? (await listChannelTemplates(store, name)).find((t) => t.name === input.template) : undefined;
  if (input.template && !template) throw new SiyuError('not_found', 'template_not_found', `template: no template ${JSON.stringify(input.template)} on channel ${name}`, { details: [{ path: 'template', message: 'not registered' }] });
  const purpose = template && template.kind !== 'marketing' ? 'transactional' : 'marketing';
  const messageId = `test:${randomUUID()}`;
  const content = { template: input.template, params: input.params, subject: input.subject, body: input.body ?? (template ? undefined : 'Siyu test message') };
  await store.transaction(async (tx) => {
    await queueMessages(
      tx,
      `SELECT CAST($1 AS TEXT) AS customer_id, CAST($2 AS TEXT) AS message_id, CAST($3 AS TEXT) AS channel, CAST($4 AS TEXT) AS purpose, CAST(NULL AS TEXT) AS journey_id,
              CAST(NULL AS TEXT) AS instance_id, CAST(NULL AS TEXT) AS node, 100 AS priority, CAST($5 AS JSON) AS content, CAST(NULL AS JSON) AS context,
              CAST($6 AS TIMESTAMPTZ) AS due_at, CAST($7 AS TIMESTAMPTZ) AS expires_at`,
      [input.customerId, messageId, name, purpose, JSON.stringify(content), now, new Date(now.getTime() + 3_600_000)],
      now,
    );
    await recordAudit(tx, { actor, action: 'channels.test', target: name, details: { customer_id: input.customerId, message_id: messageId, template: input.template ?? null } });
  });
  await dispatchDue(store, channels, { now, messageIds: [messageId] });
  const [message] = await listMessages(store, { messageId, withHistory: true });
  return message!;
}
