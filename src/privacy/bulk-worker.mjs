// The encryption helper threads' entry when Siyu runs from its TypeScript sources: workers do not inherit the tsx
// loader, so this plain module registers it before loading bulk.ts. The built package starts bulk.js directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
