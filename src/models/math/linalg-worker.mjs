// The helper thread's entry when Siyu runs from its TypeScript sources: workers do not inherit the tsx loader, so
// this plain module registers it before loading linalg-threads.ts. The built package starts linalg-threads.js directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
