// The channels domain's public API: the outbox and message log, templates, the contact policy, the dispatcher
// that hands messages to each channel, the configured provider adapters, receipts and inbound messages, WeCom's
// contact and group sync, and the provider simulators (docs/channels.md).
export type { AddressKind, Channel, ChannelFeedback, InboundMessage, OutgoingMessage, PollingChannel, Receipt, SendOutcome } from './channel.ts';
export { isPolling } from './channel.ts';
export { dispatchDue, recoverSending, type DispatchReport } from './dispatcher.ts';
export { queueMessages, QUEUED_COLUMNS, type MessageState } from './outbox.ts';
export { ContactPolicy, DEFAULT_CONTACT_POLICY, getContactPolicy, isQuiet, updateContactPolicy } from './policy.ts';
export { checkTemplate, CUSTOMER_FIELDS, readsRecommendations, renderTemplate } from './templates.ts';
export { isPrivateAddress, signWebhook, webhookChannel, webhookSecret, type WebhookOptions } from './webhook.ts';
export { AddChannelInput, ChannelSetup, deleteChannel, getChannelInfo, listChannels, readChannelSetups, upsertChannel, type ChannelInfo, type ChannelProvider } from './config.ts';
export { ChannelTemplateInput, listChannelTemplates, upsertChannelTemplate, type ChannelTemplate } from './template-registry.ts';
export { channelFromSetup, closeChannels, loadChannels, testChannel, type TestSendInput } from './configured.ts';
export { ChannelSet, pollChannels } from './registry.ts';
export { applyFeedback, applyInbound, applyReceipts, MARKETING_PURPOSE, type FeedbackReport } from './feedback.ts';
export { pushToken, pushUrls, receiveAliyunPush, receiveWecomCallback, unsubscribeByToken, type WecomCallbackQuery } from './callbacks.ts';
export { htmlToText, readUnsubscribeToken, smtpChannel, unsubscribeSecret, unsubscribeToken } from './email.ts';
export { aliyunSmsChannel, readAliyunPush } from './sms/aliyun.ts';
export { tencentSmsChannel } from './sms/tencent.ts';
export { aliyunPercent, signAliyunV1, signTc3, type Tc3Input } from './sms/signing.ts';
export { fillTemplate, isUnsubscribeReply, SMS_UNSUBSCRIBE_TEXT, smsParts } from './sms/text.ts';
export { e164 } from './sms/common.ts';
export { miniprogramChannel, recordSubscriptions, wecomChannel, type SubscriptionResult } from './wechat/channels.ts';
export { wecomDecrypt, wecomEncrypt, wecomSignature, xmlField } from './wechat/crypto.ts';
export { describeWecomSync, syncWecom, syncWecomChannels, wecomSyncChanges, type WecomSyncOptions } from './wechat/sync.ts';
export type { WecomSyncReport } from './wechat/sync-report.ts';
export { wecomTagName } from './wechat/sync-tags.ts';
export { deleteGroupWelcomeTemplate, GroupWelcomeInput, GroupWelcomeTemplate, listGroupWelcomeTemplates, upsertGroupWelcomeTemplate } from './wechat/group-welcome.ts';
export { TOKENS, TokenCache } from './wechat/token.ts';
export { countMessages, listMessages, messageRates, messageRatesByDay, type DailyMessageRates, type LoggedMessage, type MessageQuery, type MessageRates } from './log.ts';
export { previewTemplate, type TemplatePreview } from './preview.ts';
export { sendTestToCustomer, type CustomerTestInput } from './test-send.ts';
export { SIMULATOR_CREDENTIALS, startProviderSimulators, type DirectorySeed, type ProviderSimulators, type SimulatorOptions, type SimulatedContact, type SimulatedFollow, type SimulatedGroup, type SimulatedGroupMember, type SimulatedTagGroup, type SimulatedWelcomeTemplate, type SimulatedMail, type SimulatedSms, type SimulatedTemplate } from './simulators/index.ts';
export { configureSimulatedSms, type DemoSmsTemplate } from './simulators/demo.ts';
