import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import type { JobScheduler } from '../jobs/index.ts';
import type { Store } from '../store/index.ts';

/** Where a command writes: the process's own streams, or a stream a running server sends back to a CLI. */
export interface CliStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * What a command runs against. Locally: this process's streams, working directory and exit code, and a store the
 * command opens itself. Inside `siyu serve`, for a CLI that found the store held (cli/remote.ts): the caller's
 * streams, working directory and exit code, and the server's own open store.
 */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** The caller's working directory: relative file arguments are resolved against it. */
  cwd: string;
  /** The exit code the command ends with (0 unless set). */
  exitCode: number;
  /** The open store to use instead of opening `--db`: set when the command runs inside the server that holds it. */
  store?: Store;
  /** The server's job scheduler, when the command runs inside the server: `siyu jobs run` goes through it. */
  scheduler?: JobScheduler;
}

const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  get cwd() {
    return process.cwd();
  },
  get exitCode() {
    return Number(process.exitCode ?? 0);
  },
  set exitCode(code: number) {
    process.exitCode = code;
  },
};

const current = new AsyncLocalStorage<CliIo>();

/** The streams, directory and exit code of the command running now. */
export function io(): CliIo {
  return current.getStore() ?? processIo;
}

/** Runs `fn` with `cliIo` as what `io()` returns inside it (and in everything it awaits). */
export function runWithIo<T>(cliIo: CliIo, fn: () => Promise<T>): Promise<T> {
  return current.run(cliIo, fn);
}

/** A file argument as an absolute path, resolved against the caller's working directory. */
export function resolvePath(path: string): string {
  return resolve(io().cwd, path);
}
