// Entry of the control plane's verify thread (verify-worker-main.ts). Plain
// JavaScript on purpose: worker threads do not inherit the tsx loader the
// executable registers on the main thread, so this registers it again
// before loading the TypeScript. workerData is { trust } (a trust.json).
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { runVerifyWorker } = await import('./verify-worker-main.ts');
runVerifyWorker(parentPort, workerData);
