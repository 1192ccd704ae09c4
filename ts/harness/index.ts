// Entry point of ts/harness: the local runner of harness scenarios (real CP
// and agent processes, real closures, a real signed cache, network
// namespaces where available), used by `npm run harness`, the test suite and
// `nixfleet demo`.
export {
  SCENARIO_DIR,
  loadScenario,
  runScenario,
  type ReleaseEvent,
  type RunOptions,
  type ScenarioResult,
} from './run.ts';
export { NetworkLab, namespacesAvailable } from './netns.ts';
export { makeCacheKey, pushToCache, serveCache, type CacheKey, type ServedCache } from './cache.ts';
export { makeFleetPki, type FleetPki } from './pki.ts';
export type { Published } from './publish.ts';
