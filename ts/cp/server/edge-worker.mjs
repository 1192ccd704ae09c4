// Entry of the control plane's edge thread (edge.ts). Plain JavaScript on
// purpose: worker threads do not inherit the tsx loader the executable
// registers on the main thread, so this registers it again before loading
// the TypeScript edge. workerData is an EdgeInit (edge-protocol.ts).
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { runEdge } = await import('./edge.ts');
runEdge(parentPort, workerData);
