import type { Store } from '../../store/index.ts';
import { pushUrls } from '../callbacks.ts';
import { upsertChannel } from '../config.ts';
import { upsertChannelTemplate } from '../template-registry.ts';
import { SIMULATOR_CREDENTIALS, type ProviderSimulators } from './index.ts';

/** A template to register on a simulated channel: its kind, text (`{param}` placeholders) and parameters. */
export interface DemoSmsTemplate {
  name: string;
  code: string;
  kind: 'marketing' | 'notification' | 'verification';
  body: string;
  params: string[];
}

/**
 * Sets up an SMS channel (default name `sms`) on a running simulator, Aliyun or Tencent Cloud, with the simulator's
 * credentials, and registers `templates` on both sides (Siyu's registry and the simulated provider's approved list).
 * Aliyun pushes receipts and replies: give `pushBase`, the Siyu server's address, to receive them; Tencent's are
 * pulled by `pollChannels`, so it needs no server.
 */
export async function configureSimulatedSms(store: Store, simulators: ProviderSimulators, options: { provider?: 'aliyun' | 'tencent'; name?: string; templates?: readonly DemoSmsTemplate[]; pushBase?: string; ratePerSecond?: number } = {}): Promise<void> {
  const name = options.name ?? 'sms';
  const provider = options.provider ?? 'tencent';
  const rate = options.ratePerSecond ?? 500;
  await upsertChannel(
    store,
    provider === 'aliyun'
      ? { name, provider: 'aliyun_sms', settings: { endpoint: `${simulators.url}/aliyun`, sign_name: SIMULATOR_CREDENTIALS.signName, rate_per_second: rate }, secrets: { ...SIMULATOR_CREDENTIALS.aliyun } }
      : { name, provider: 'tencent_sms', settings: { endpoint: `${simulators.url}/tencent`, sdk_app_id: SIMULATOR_CREDENTIALS.tencentAppId, sign_name: SIMULATOR_CREDENTIALS.signName, rate_per_second: rate }, secrets: { ...SIMULATOR_CREDENTIALS.tencent } },
    'system',
  );
  for (const t of options.templates ?? []) {
    await upsertChannelTemplate(store, { channel: name, name: t.name, provider_code: t.code, kind: t.kind, body: t.body, params: t.params }, 'system');
    simulators.sms.templates.set(t.code, { body: provider === 'tencent' ? t.params.reduce((text, p, i) => text.replaceAll(`{${p}}`, `{${i + 1}}`), t.body) : t.body, kind: t.kind, params: t.params });
  }
  if (provider === 'aliyun' && options.pushBase) {
    simulators.sms.pushTo(await pushUrls(store, name, options.pushBase));
  }
}
