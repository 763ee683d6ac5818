import { lstatSync } from 'node:fs';
import { SiyuError } from './errors.ts';

/**
 * Refuses an output path that exists and is not a regular file (a directory, a device such as /dev/null, a pipe),
 * because Siyu replaces its output files: removing or renaming over `/dev/null` as root would break the machine.
 */
export function assertReplaceableFile(path: string, option: string): void {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // absent: it will be created
  }
  if (!stats.isFile()) {
    throw new SiyuError('validation', 'output_path', `${path} is not a regular file; ${option} must name a file Siyu may create or replace`);
  }
}
