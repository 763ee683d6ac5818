import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertCustomerVisible, principalActor } from '../../access/index.ts';
import type {
  ChannelSet} from '../../channels/index.ts';
import {
  ChannelTemplateInput,
  countMessages,
  deleteChannel,
  deleteGroupWelcomeTemplate,
  GroupWelcomeInput,
  GroupWelcomeTemplate,
  listGroupWelcomeTemplates,
  listChannels,
  listChannelTemplates,
  listMessages,
  messageRates,
  messageRatesByDay,
  previewTemplate,
  receiveAliyunPush,
  receiveWecomCallback,
  recordSubscriptions,
  sendTestToCustomer,
  testChannel,
  unsubscribeByToken,
  upsertChannel,
  upsertChannelTemplate,
  upsertGroupWelcomeTemplate,
} from '../../channels/index.ts';
import { readBrandSettings, type Store } from '../../store/index.ts';
import { principalOf } from '../plugins/auth.ts';
import { ChannelInfo, ChannelTemplate, DailyMessageRates, LoggedMessage, MessageRates, PlainText, SendOutcome, SubscriptionReport, TemplatePreview, Unsubscribed } from './channel-schemas.ts';

const Name = z.object({ name: z.string().min(1) });
const tags = ['reach'];
const read = { permission: 'channels:read' } as const;
const write = { permission: 'channels:write' } as const;
const open = { permission: 'public' } as const;
const Since = z.iso.datetime({ offset: true });
const TestParams = z.record(z.string(), z.string());
const WecomQuery = z.object({ msg_signature: z.string(), timestamp: z.string(), nonce: z.string(), echostr: z.string().optional() });

/**
 * Channels over HTTP (the same operations as `siyu channels` and `siyu messages`), and the public endpoints providers
 * and recipients call: Aliyun's receipt and reply pushes (a secret path), WeCom's signed callbacks, and the one-click
 * unsubscribe link of every email (RFC 8058). A change to channels or templates reloads the dispatcher's adapters.
 */
export function registerChannelRoutes(app: FastifyInstance, store: Store, channels: ChannelSet): void {
  void app.register(async (scope) => {
    // Providers post XML (WeCom) and recipients' mail clients post forms (RFC 8058); both are read as text.
    scope.addContentTypeParser(['text/xml', 'application/xml', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    const api = scope.withTypeProvider<ZodTypeProvider>();
    const actor = (request: Parameters<typeof principalOf>[0]) => principalActor(principalOf(request));

    api.get('/v1/channels', { config: read, schema: { tags, summary: 'The configured channels (never their credentials, only which are set) and their templates', response: { 200: z.object({ channels: z.array(ChannelInfo), templates: z.array(ChannelTemplate) }) } } }, async () => ({ channels: await listChannels(store), templates: await listChannelTemplates(store) }));
    api.put(
      '/v1/channels/:name',
      { config: write, schema: { tags, summary: 'Add or replace a channel: its provider, settings and credentials (stored encrypted); audited', params: Name, body: z.object({ provider: z.string(), settings: z.record(z.string(), z.unknown()), secrets: z.record(z.string(), z.unknown()) }).strict(), response: { 200: ChannelInfo } } },
      async (request) => {
        const saved = await upsertChannel(store, { name: request.params.name, ...request.body }, actor(request));
        await channels.reload();
        return saved;
      },
    );
    api.delete('/v1/channels/:name', { config: write, schema: { tags, summary: 'Remove a channel and its templates (the message log stays); audited', params: Name, response: { 200: z.object({ removed: z.string() }) } } }, async (request) => {
      await deleteChannel(store, request.params.name, actor(request));
      await channels.reload();
      return { removed: request.params.name };
    });
    api.put(
      '/v1/channels/:name/templates/:template',
      { config: write, schema: { tags, summary: 'Register a provider template (a marketing SMS template must end with 拒收请回复R)', params: z.object({ name: z.string(), template: z.string() }), body: ChannelTemplateInput.omit({ channel: true, name: true }), response: { 200: ChannelTemplate } } },
      async (request) => {
        const saved = await upsertChannelTemplate(store, { ...request.body, channel: request.params.name, name: request.params.template }, actor(request));
        await channels.reload();
        return saved;
      },
    );
    const Welcome = z.object({ name: z.string().min(1), template: z.string().min(1) });
    api.get('/v1/channels/:name/group-welcome-templates', { config: read, schema: { tags, summary: "A WeCom channel's group welcome templates (入群欢迎语素材) with the template_id WeCom gave each", params: Name, response: { 200: z.object({ templates: z.array(GroupWelcomeTemplate) }) } } }, async (request) => ({
      templates: await listGroupWelcomeTemplates(store, request.params.name),
    }));
    api.put(
      '/v1/channels/:name/group-welcome-templates/:template',
      { config: write, schema: { tags, summary: 'Register a group welcome template at WeCom (group_welcome_template/add), or edit the one of that name in place; audited', params: Welcome, body: GroupWelcomeInput, response: { 200: GroupWelcomeTemplate } } },
      async (request) => upsertGroupWelcomeTemplate(store, request.params.name, request.params.template, request.body, actor(request)),
    );
    api.delete(
      '/v1/channels/:name/group-welcome-templates/:template',
      { config: write, schema: { tags, summary: 'Remove a group welcome template at WeCom (group_welcome_template/del) and here; audited', params: Welcome, response: { 200: z.object({ removed: z.string(), templateId: z.string() }) } } },
      async (request) => {
        const removed = await deleteGroupWelcomeTemplate(store, request.params.name, request.params.template, actor(request));
        return { removed: removed.name, templateId: removed.templateId };
      },
    );
    api.post(
      '/v1/channels/:name/test',
      { config: write, schema: { tags, summary: "Send one test message now, outside the outbox (audited), and return the provider's answer", params: Name, body: z.object({ to: z.string().min(1), template: z.string().optional(), params: TestParams.optional(), subject: z.string().optional(), body: z.string().optional() }).strict(), response: { 200: SendOutcome } } },
      async (request) => testChannel(store, request.params.name, request.body, actor(request)),
    );
    api.post(
      '/v1/channels/:name/test-customer',
      {
        config: write,
        schema: {
          tags,
          summary: 'Send one test message to a customer as a journey would: through the outbox and the contact policy, at once; it shows in the message log (audited)',
          params: Name,
          body: z.object({ customer_id: z.string().min(1), template: z.string().optional(), params: TestParams.optional().describe('Liquid, rendered with the customer\'s profile'), subject: z.string().optional(), body: z.string().optional() }).strict(),
          response: { 200: LoggedMessage },
        },
      },
      async (request) => {
        await assertCustomerVisible(store, principalOf(request), request.body.customer_id);
        const { customer_id: customerId, ...rest } = request.body;
        return sendTestToCustomer(store, channels.list, request.params.name, { customerId, ...rest }, actor(request));
      },
    );
    api.post(
      '/v1/channels/:name/templates/:template/preview',
      {
        config: read,
        schema: {
          tags,
          summary: 'A registered template as one customer would read it: its parameters (Liquid) rendered with the profile; nothing is sent',
          params: z.object({ name: z.string(), template: z.string() }),
          body: z.object({ customer_id: z.string().min(1), params: TestParams.default({}) }).strict(),
          response: { 200: TemplatePreview },
        },
      },
      async (request) => {
        await assertCustomerVisible(store, principalOf(request), request.body.customer_id);
        return previewTemplate(store, request.params.name, request.params.template, request.body.customer_id, request.body.params);
      },
    );
    api.post(
      '/v1/channels/:name/subscriptions',
      { config: write, schema: { tags, summary: 'Mini-program subscription results (wx.requestSubscribeMessage or the popup event): each accept is one send credit', params: Name, body: z.object({ results: z.array(z.object({ openid: z.string().min(1), template_id: z.string().min(1), result: z.enum(['accept', 'reject', 'ban']) }).strict()).min(1).max(10_000) }).strict(), response: { 200: SubscriptionReport } } },
      async (request) => recordSubscriptions(store, request.body.results.map((r) => ({ openid: r.openid, templateId: r.template_id, result: r.result }))),
    );

    api.get(
      '/v1/customers/:id/messages',
      { config: { permission: 'messages:read' }, schema: { tags, summary: "A customer's messages, newest first, each with its state history, provider id and cost", params: z.object({ id: z.string().min(1) }), querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }), response: { 200: z.object({ messages: z.array(LoggedMessage) }) } } },
      async (request) => {
        await assertCustomerVisible(store, principalOf(request), request.params.id);
        return { messages: await listMessages(store, { customerId: request.params.id, limit: request.query.limit, withHistory: true }) };
      },
    );
    api.get(
      '/v1/messages',
      {
        config: { permission: 'messages:read', allCustomersOnly: true },
        schema: {
          tags,
          summary: 'The message log, newest first, filtered and paged (with_total adds how many match)',
          querystring: z.object({
            channel: z.string().optional(),
            customer_id: z.string().optional(),
            journey_id: z.string().optional(),
            state: z.string().optional(),
            since: Since.optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
            with_total: z.enum(['true', 'false']).default('false'),
          }),
          response: { 200: z.object({ messages: z.array(LoggedMessage), total: z.number().int().nullable() }) },
        },
      },
      async (request) => {
        const q = request.query;
        const filter = { channel: q.channel, customerId: q.customer_id, journeyId: q.journey_id, state: q.state, since: q.since ? new Date(q.since) : undefined };
        return { messages: await listMessages(store, { ...filter, limit: q.limit, offset: q.offset }), total: q.with_total === 'true' ? await countMessages(store, filter) : null };
      },
    );
    api.get(
      '/v1/messages/rates',
      { config: { permission: 'messages:read', allCustomersOnly: true }, schema: { tags, summary: 'Delivery, read and click rates (over messages handed to a provider) and cost, per channel, template or journey', querystring: z.object({ by: z.enum(['channel', 'template', 'journey']).default('channel'), since: Since.optional(), journey_id: z.string().optional() }), response: { 200: z.object({ by: z.enum(['channel', 'template', 'journey']), rates: z.array(MessageRates) }) } } },
      async (request) => ({ by: request.query.by, rates: await messageRates(store, request.query.by, { since: request.query.since ? new Date(request.query.since) : undefined, journeyId: request.query.journey_id }) }),
    );
    api.get(
      '/v1/messages/daily',
      {
        config: { permission: 'messages:read', allCustomersOnly: true },
        schema: {
          tags,
          summary: 'Delivery figures per channel and day (the brand timezone), oldest first: the series of the delivery chart',
          querystring: z.object({ since: Since, until: Since.optional(), channel: z.string().optional() }),
          response: { 200: z.object({ timezone: z.string(), days: z.array(DailyMessageRates) }) },
        },
      },
      async (request) => {
        const { timezone } = await readBrandSettings(store);
        const q = request.query;
        return { timezone, days: await messageRatesByDay(store, timezone, { since: new Date(q.since), until: q.until ? new Date(q.until) : undefined, channel: q.channel }) };
      },
    );

    api.post(
      '/v1/channels/:name/push/:token/:kind',
      { config: open, schema: { tags, summary: "Aliyun SMS HTTP batch push (SmsReport receipts, SmsUp replies); the path's token is the channel's secret", params: z.object({ name: z.string(), token: z.string(), kind: z.enum(['report', 'up']) }), body: z.unknown(), response: { 200: z.object({ code: z.literal(0), msg: z.string() }).describe('the acknowledgement Aliyun expects') } } },
      async (request) => {
        await receiveAliyunPush(store, request.params.name, request.params.token, request.params.kind, request.body);
        return { code: 0 as const, msg: '成功' };
      },
    );
    api.get('/v1/channels/:name/wecom', { config: open, schema: { tags, summary: "WeCom callback URL check: the decrypted echostr, if the signature holds", params: Name, querystring: WecomQuery, response: { 200: PlainText } } }, async (request, reply) =>
      reply.type('text/plain').send(await receiveWecomCallback(store, request.params.name, request.query, undefined)),
    );
    api.post('/v1/channels/:name/wecom', { config: open, schema: { tags, summary: 'WeCom callback events (encrypted XML): contact, customer group and corp tag changes, each applied once by fetching just what it names', params: Name, querystring: WecomQuery, response: { 200: PlainText } } }, async (request, reply) =>
      reply.type('text/plain').send(await receiveWecomCallback(store, request.params.name, request.query, typeof request.body === 'string' ? request.body : '')),
    );
    api.get('/v1/unsubscribe', { config: open, schema: { tags, summary: 'The page an unsubscribe link opens: a button that confirms (a GET changes nothing: mail scanners follow links)', querystring: z.object({ token: z.string() }), response: { 200: { content: { 'text/html': { schema: z.string() } } } } } }, async (request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><title>退订</title><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><p>不再接收营销邮件？ Stop marketing email?</p><button>退订 Unsubscribe</button></form>`),
    );
    api.post('/v1/unsubscribe', { config: open, schema: { tags, summary: 'One-click unsubscribe (RFC 8058): withdraws the email marketing consent of the link\'s customer', querystring: z.object({ token: z.string() }), response: { 200: Unsubscribed } } }, async (request) => {
      const done = await unsubscribeByToken(store, request.query.token);
      return { unsubscribed: true as const, purpose: 'email_marketing' as const, changed: done.withdrawn };
    });
  });
}
