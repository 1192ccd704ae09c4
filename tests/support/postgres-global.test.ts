// The global teardown's sweep: a cluster whose test process was killed
// before its afterAll keeps running until the sweep stops and removes it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { stopLeftoverClusters } from './postgres.ts';

const helper = join(import.meta.dirname, 'postgres.ts');

async function accepts(port: number): Promise<boolean> {
  const c = new pg.Client({ connectionString: `postgres://nixfleet@127.0.0.1:${port}/postgres` });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

describe('PostgreSQL test clusters', () => {
  it('a cluster left by a killed test process is stopped and removed by the sweep', async () => {
    // A child of this process plays the test file: it starts a cluster, says
    // where, and is killed before it can stop it.
    const code = `const { startPgCluster } = await import(${JSON.stringify(helper)});
const c = await startPgCluster();
console.log(JSON.stringify({ port: c.port }));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (c) => reject(new Error(`child exited ${String(c)} before starting`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await accepts(port)).toBe(true);

    expect(stopLeftoverClusters(process.pid)).toBe(1);
    expect(await accepts(port)).toBe(false);
    expect(stopLeftoverClusters(process.pid)).toBe(0);
  }, 60_000);
});
