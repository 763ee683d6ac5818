import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random, sendJson, type Misbehaviour } from './common.ts';
import { startMailSimulator, type SimulatedMail } from './mail.ts';
import { SmsSimulator, type SimulatedTemplate } from './sms.ts';
import { WechatSimulator } from './wechat.ts';
import type { DirectorySeed } from './wecom-directory.ts';

export type { Misbehaviour, SimulatedSms } from './common.ts';
export type { SimulatedMail } from './mail.ts';
export type { SimulatedTemplate } from './sms.ts';
export type { DirectorySeed, SimulatedContact, SimulatedFollow, SimulatedGroup, SimulatedGroupMember, SimulatedTagGroup, WecomDirectory } from './wecom-directory.ts';
export type { SimulatedWelcomeTemplate, WecomWelcomeTemplates } from './wecom-welcome.ts';

/** The credentials the simulators accept (and the demo configures its channels with). */
export const SIMULATOR_CREDENTIALS = {
  aliyun: { access_key_id: 'LTAIsimulated', access_key_secret: 'simulated-aliyun-secret' },
  tencent: { secret_id: 'AKIDsimulated', secret_key: 'simulated-tencent-secret' },
  tencentAppId: '1400000000',
  wecom: { corp_id: 'wwsimulated', secret: 'simulated-wecom-secret' },
  miniprogram: { app_id: 'wxsimulated', app_secret: 'simulated-mp-secret' },
  signName: '思域演示',
} as const;

export interface SimulatorOptions extends Misbehaviour {
  seed?: number;
  /** The HTTP port (0: any free one). */
  port?: number;
  host?: string;
  /** Also start an SMTP server (default true). */
  withMail?: boolean;
  smtpPort?: number;
  /** The templates the SMS providers have approved, by code; empty: any code is taken. */
  templates?: Record<string, SimulatedTemplate>;
  /** Synthetic WeCom members, contacts and customer groups to serve (drawn from the seed). */
  wecomDirectory?: DirectorySeed;
}

export interface ProviderSimulators {
  /** The HTTP base: Aliyun at `${url}/aliyun`, Tencent at `${url}/tencent`. */
  url: string;
  smtpPort: number | undefined;
  sms: SmsSimulator;
  /** WeCom at `${url}/wecom`, mini-program APIs at `${url}/weixin`. */
  wechat: WechatSimulator;
  mails: SimulatedMail[];
  stop(): Promise<void>;
}

/**
 * Starts local servers that speak each provider's protocol (request shape, signature check, error codes, rate
 * limits, delays, random failures, receipts, replies), driven by one seed: Aliyun and Tencent Cloud SMS, WeCom
 * 客户联系 and mini-program subscription messages over HTTP, and an SMTP server. The adapters talk to them through their ordinary code paths; only the endpoint differs.
 */
export async function startProviderSimulators(options: SimulatorOptions = {}): Promise<ProviderSimulators> {
  const random = new Random(options.seed ?? 20);
  const sms = new SmsSimulator(
    random,
    options,
    { aliyun: { [SIMULATOR_CREDENTIALS.aliyun.access_key_id]: SIMULATOR_CREDENTIALS.aliyun.access_key_secret }, tencent: { [SIMULATOR_CREDENTIALS.tencent.secret_id]: SIMULATOR_CREDENTIALS.tencent.secret_key } },
    new Map(Object.entries(options.templates ?? {})),
    SIMULATOR_CREDENTIALS.signName,
  );
  const wechat = new WechatSimulator(random, options, { corpId: SIMULATOR_CREDENTIALS.wecom.corp_id, secret: SIMULATOR_CREDENTIALS.wecom.secret, appId: SIMULATOR_CREDENTIALS.miniprogram.app_id, appSecret: SIMULATOR_CREDENTIALS.miniprogram.app_secret });
  if (options.wecomDirectory) wechat.directory.seed(options.wecomDirectory);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const handle = path.startsWith('/aliyun') ? sms.aliyun(request, response) : path.startsWith('/tencent') ? sms.tencent(request, response) : path.startsWith('/wecom') || path.startsWith('/weixin') ? wechat.handle(request, response, path) : Promise.resolve(sendJson(response, 404, { error: `no simulated provider at ${path}` }));
    handle.catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
    });
  });
  server.keepAliveTimeout = 60_000;
  // A port in use rejects (EADDRINUSE) rather than crashing the process, and stops the SMS simulator's receipt timer,
  // which would otherwise keep the process alive.
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      sms.stop();
      reject(error);
    });
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const mail = options.withMail === false ? undefined : await startMailSimulator({ port: options.smtpPort, host: options.host });
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    smtpPort: mail?.port,
    sms,
    wechat,
    mails: mail?.mails ?? [],
    async stop() {
      sms.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mail?.close();
    },
  };
}
