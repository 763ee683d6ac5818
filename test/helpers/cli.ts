import { runWithIo } from '../../src/cli/io.ts';
import { buildProgram } from '../../src/cli/program.ts';
import type { Store } from '../../src/store/index.ts';

/** Runs `siyu ARGS…` in this process against an open store, as a running server does for a remote CLI. */
export async function siyuInProcess(store: Store, ...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  let stdout = '';
  let stderr = '';
  const cliIo = { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, cwd: process.cwd(), exitCode: 0, store };
  await runWithIo(cliIo, () => buildProgram({ inProcess: true }).parseAsync(args, { from: 'user' }));
  return { stdout, stderr, exitCode: cliIo.exitCode };
}
