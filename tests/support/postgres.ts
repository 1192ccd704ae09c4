// The throwaway PostgreSQL cluster tests start: one implementation, shared
// with the harness's replica scenarios (ts/harness/postgres.ts).
export {
  leftoverRunners,
  postgresBinDir,
  startPgCluster,
  stopLeftoverClusters,
  type PgCluster,
} from '../../ts/harness/postgres.ts';
