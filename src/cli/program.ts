import { Command } from 'commander';
import { VERSION } from '../core/version.ts';
import { registerAttributes } from './attributes.ts';
import { registerAudit } from './audit.ts';
import { registerChannels } from './channels.ts';
import { registerChurn } from './churn.ts';
import { registerCluster } from './cluster.ts';
import { registerConsent } from './consent.ts';
import { registerClv } from './clv.ts';
import { registerCustomer } from './customer.ts';
import { registerDb } from './db.ts';
import { registerDemo } from './demo.ts';
import { registerImport } from './import.ts';
import { io } from './io.ts';
import { registerJobs } from './jobs.ts';
import { registerJourney } from './journey.ts';
import { registerLoyalty } from './loyalty.ts';
import { registerKeys } from './keys.ts';
import { registerLayers } from './layers.ts';
import { registerLifecycle } from './lifecycle.ts';
import { registerPrivacy } from './privacy.ts';
import { registerRecommend } from './recommend.ts';
import { registerReport } from './report.ts';
import { registerRfm } from './rfm.ts';
import { registerRoles } from './roles.ts';
import { registerSecrets } from './secrets.ts';
import { registerSegment } from './segment.ts';
import { registerServe } from './serve.ts';
import { registerTag } from './tag.ts';
import { registerTiers } from './tiers.ts';
import { registerUsers } from './users.ts';
import { registerStats } from './stats.ts';

/**
 * The whole `siyu` command tree. Help and usage errors go through `io()`, like every command's output. With
 * `inProcess` (a server running a command for a remote CLI) commander throws instead of exiting the process.
 */
export function buildProgram(options: { inProcess?: boolean } = {}): Command {
  const program = new Command('siyu')
    .description('Siyu (私域): your own customer base — profiles, layering, prediction and journeys for retail and FMCG brands')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => io().stdout.write(text), writeErr: (text) => io().stderr.write(text) });
  // Set before the commands are added, so every subcommand inherits it.
  if (options.inProcess) program.exitOverride();

  registerDemo(program);
  registerImport(program);
  registerServe(program);
  registerDb(program);
  registerJobs(program);
  registerKeys(program);
  registerSecrets(program);
  registerUsers(program);
  registerRoles(program);
  registerAudit(program);
  registerStats(program);
  registerReport(program);
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
  registerJourney(program);
  registerChannels(program);
  registerLoyalty(program);
  registerConsent(program);
  registerPrivacy(program);
  return program;
}
