#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../core/version.ts';
import { registerAttributes } from './attributes.ts';
import { registerChurn } from './churn.ts';
import { registerCluster } from './cluster.ts';
import { registerClv } from './clv.ts';
import { registerCustomer } from './customer.ts';
import { registerDb } from './db.ts';
import { registerDemo } from './demo.ts';
import { registerImport } from './import.ts';
import { registerKeys } from './keys.ts';
import { registerLayers } from './layers.ts';
import { registerLifecycle } from './lifecycle.ts';
import { registerRecommend } from './recommend.ts';
import { registerRfm } from './rfm.ts';
import { registerSegment } from './segment.ts';
import { registerServe } from './serve.ts';
import { registerTag } from './tag.ts';
import { registerTiers } from './tiers.ts';
import { registerStats } from './stats.ts';

const program = new Command('siyu')
  .description('Siyu (私域): your own customer base — profiles, layering, prediction and journeys for retail and FMCG brands')
  .version(VERSION)
  .showHelpAfterError('(add --help for usage)');

registerDemo(program);
registerImport(program);
registerServe(program);
registerDb(program);
registerKeys(program);
registerStats(program);
registerClv(program);
registerChurn(program);
registerRfm(program);
registerTiers(program);
registerLifecycle(program);
registerAttributes(program);
registerLayers(program);
registerSegment(program);
registerCluster(program);
registerCustomer(program);
registerTag(program);
registerRecommend(program);

await program.parseAsync(process.argv);
