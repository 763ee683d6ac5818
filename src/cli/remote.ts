import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SiyuError } from '../core/errors.ts';
import { VERSION } from '../core/version.ts';
import type { JobScheduler } from '../jobs/index.ts';
import type { Store } from '../store/index.ts';
import { io, runWithIo, type CliStream } from './io.ts';

/**
 * The CLI through a running server. While `siyu serve` holds an embedded store, no other process can open the file,
 * so the server writes `<store>.serve.json` beside it (readable by its owner only) with its address and a random
 * token, and a CLI that finds the file held sends its whole command line to the server's admin endpoint instead.
 * The server runs the same command against its open store and streams the output back; the CLI prints it and exits
 * with the command's exit code.
 */

/** What the server writes beside the store file. */
export interface ServeFile {
  pid: number;
  url: string;
  token: string;
  version: string;
  startedAt: string;
}

/** A command a CLI sends: its arguments, its directory (for relative file arguments) and its terminals. */
export interface RemoteCommand {
  argv: string[];
  cwd: string;
  stdout: { isTTY: boolean; columns?: number };
  stderr: { isTTY: boolean; columns?: number };
}

/** One line of the streamed answer: output on a stream, or the exit code (always last). */
export type RemoteFrame = { out: string } | { err: string } | { exit: number };

/** Commands that make no sense inside the server that holds the store. */
const LOCAL_ONLY = new Set(['serve', 'demo']);

export const serveFilePath = (location: string): string => `${resolve(location)}.serve.json`;

/** A fresh admin token for a server's serve file. */
export const newAdminToken = (): string => randomBytes(32).toString('base64url');

/** Writes the serve file for `location` (owner-only, replaced atomically) and returns a function that removes it. */
export function writeServeFile(location: string, url: string, token: string): () => void {
  const path = serveFilePath(location);
  const body: ServeFile = { pid: process.pid, url, token, version: VERSION, startedAt: new Date().toISOString() };
  writeFileSync(`${path}.tmp`, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return () => rmSync(path, { force: true });
}

/** The error a command gets when its embedded store is open in another process. */
export class StoreHeldError extends SiyuError {
  constructor(
    readonly location: string,
    readonly pid: number | undefined,
    cause: SiyuError,
  ) {
    super('unavailable', 'store_locked', cause.message, { cause, details: cause.details });
  }
}

/**
 * Sends this process's command to the server holding `held.location` and relays its output; returns the exit code.
 * When no Siyu server answers for the file, throws one clear error naming the process that holds it.
 */
export async function forwardToServer(held: StoreHeldError, argv: string[]): Promise<number> {
  const holder = describeProcess(held.pid);
  const command = argv[0] ?? '';
  let serve: ServeFile | undefined;
  try {
    serve = JSON.parse(readFileSync(serveFilePath(held.location), 'utf8')) as ServeFile;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new SiyuError('forbidden', 'store_held', `${held.location} is served by ${holder}, which belongs to another user; run this command as that user`);
    throw new SiyuError('unavailable', 'store_held', `${held.location} is in use by ${holder}, which is not a Siyu server taking commands; wait for it to finish or stop it, or use another --db`);
  }
  if (serve.pid !== held.pid && held.pid !== undefined) {
    throw new SiyuError('unavailable', 'store_held', `${held.location} is in use by ${holder}, not by the Siyu server that last served it (PID ${serve.pid}); wait for it to finish or stop it, or use another --db`);
  }
  if (LOCAL_ONLY.has(command)) {
    throw new SiyuError('conflict', 'store_served', `${held.location} is already served by ${holder} at ${serve.url}; \`siyu ${command}\` needs the store to itself: stop that server first (Ctrl-C in its terminal, or kill ${serve.pid})`);
  }
  const body: RemoteCommand = {
    argv,
    cwd: process.cwd(),
    stdout: { isTTY: Boolean(process.stdout.isTTY), columns: process.stdout.columns },
    stderr: { isTTY: Boolean(process.stderr.isTTY), columns: process.stderr.columns },
  };
  let response: Response;
  try {
    response = await fetch(`${serve.url}/v1/admin/cli`, { method: 'POST', headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (error) {
    throw new SiyuError('unavailable', 'server_unreachable', `${held.location} is held by the Siyu server ${holder}, but it does not answer at ${serve.url} (${(error as Error).message}); check that it is running`);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    throw new SiyuError('unavailable', 'server_refused', `the Siyu server ${holder} at ${serve.url} refused the command (HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''})`);
  }
  return relay(response.body, holder);
}

/** Prints the streamed frames as they come; the exit frame ends it. */
async function relay(body: ReadableStream<Uint8Array>, holder: string): Promise<number> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const frame = JSON.parse(buffered.slice(0, newline)) as RemoteFrame;
      buffered = buffered.slice(newline + 1);
      if ('out' in frame) process.stdout.write(frame.out);
      else if ('err' in frame) process.stderr.write(frame.err);
      else return frame.exit;
    }
  }
  throw new SiyuError('unavailable', 'server_disconnected', `the connection to the Siyu server ${holder} closed before the command finished; see the server's log`);
}

/** "PID 123 (siyu serve --port 3000)", from /proc where it can be read. */
function describeProcess(pid: number | undefined): string {
  if (pid === undefined) return 'another process';
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const at = args.findIndex((a) => /(^|\/)(siyu(\.mjs)?|main\.(ts|js))$/.test(a));
    const shown = at >= 0 ? ['siyu', ...args.slice(at + 1)] : args;
    return `PID ${pid} (${shown.join(' ').slice(0, 120)})`;
  } catch {
    return `PID ${pid}`;
  }
}

/** A stream that sends what is written to it as frames of one kind. */
function frameStream(kind: 'out' | 'err', tty: { isTTY: boolean; columns?: number }, send: (frame: RemoteFrame) => void): CliStream {
  return {
    isTTY: tty.isTTY,
    columns: tty.columns,
    write(chunk: string) {
      send(kind === 'out' ? { out: String(chunk) } : { err: String(chunk) });
      return true;
    },
  };
}

/**
 * Runs a command a CLI sent, inside the server, against its open store and scheduler; every frame goes to `send`,
 * the exit code last. Help, version and usage errors come back like any output, never ending the server.
 */
export async function runRemoteCommand(command: RemoteCommand, context: { store: Store; scheduler: JobScheduler }, send: (frame: RemoteFrame) => void): Promise<void> {
  const cliIo = {
    stdout: frameStream('out', command.stdout, send),
    stderr: frameStream('err', command.stderr, send),
    cwd: command.cwd,
    exitCode: 0,
    store: context.store,
    scheduler: context.scheduler,
  };
  await runWithIo(cliIo, async () => {
    const { buildProgram } = await import('./program.ts');
    try {
      if (LOCAL_ONLY.has(command.argv[0] ?? '')) {
        throw new SiyuError('conflict', 'store_served', `\`siyu ${command.argv[0]}\` needs the store to itself, and this server (PID ${process.pid}) holds it: stop the server first`);
      }
      await buildProgram({ inProcess: true }).parseAsync(command.argv, { from: 'user' });
    } catch (error) {
      // Commander's own exits (help, version, a usage error) carry their code; its message is already written.
      const exit = (error as { exitCode?: unknown }).exitCode;
      if (typeof exit === 'number') io().exitCode = exit;
      else if (error instanceof SiyuError) {
        io().stderr.write(`siyu: ${error.message}\n`);
        io().exitCode = 4;
      } else throw error;
    }
  });
  send({ exit: cliIo.exitCode });
}
