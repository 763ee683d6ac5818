// Preloaded (`node --import`) into a child process under test: on exit it writes the process's peak resident set
// size in bytes (getrusage's ru_maxrss) to the file SIYU_MAX_RSS_FILE names.
import { writeFileSync } from 'node:fs';

const target = process.env.SIYU_MAX_RSS_FILE;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS * 1024)));
