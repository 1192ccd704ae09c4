// The lab must isolate for real: a host reaches the CP address through its
// veth, and a cut host gets ENETUNREACH. Runs where namespaces are available
// (root with iproute2, as in this project's CI); elsewhere the loopback lab is
// tested and the namespace test reports why it cannot run.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { NetworkLab, namespacesAvailable } from './netns.ts';

const canNetns = namespacesAvailable();
const labs: NetworkLab[] = [];
afterAll(() => labs.forEach((l) => l.destroy()));

const run = promisify(execFile);

// Async: the server answering lives in this process's event loop.
async function connectFrom(
  lab: NetworkLab,
  host: string,
  address: string,
  port: number,
): Promise<string> {
  const script = `const s=require('net').connect(${port},'${address}');s.on('data',d=>{process.stdout.write(String(d));process.exit(0)});s.on('error',e=>{process.stdout.write(e.code||e.message);process.exit(0)});setTimeout(()=>{process.stdout.write('TIMEOUT');process.exit(0)},3000)`;
  const [cmd, ...args] = lab.wrap(host, ['node', '-e', script]);
  return (await run(cmd!, args, { encoding: 'utf8' })).stdout;
}

describe('harness network lab', () => {
  it('loopback mode places every host on 127.0.0.1 and refuses network faults', () => {
    const lab = new NetworkLab({ useNamespaces: false, subnet: 200 });
    labs.push(lab);
    expect(lab.addHost('a')).toEqual({ name: 'a', netns: null, address: '127.0.0.1' });
    expect(lab.wrap('a', ['true'])).toEqual(['true']);
    expect(() => lab.cut('a')).toThrow(/network namespaces/);
  });

  it('namespaces: hosts reach the CP address, and a cut host is unreachable', async () => {
    expect(
      canNetns,
      'this machine cannot create network namespaces (needs root and iproute2)',
    ).toBe(true);
    const lab = new NetworkLab({ useNamespaces: true, subnet: 201 });
    labs.push(lab);
    lab.addHost('web-01');
    const server: Server = createServer((s) => s.end('hello'));
    await new Promise<void>((ok) => server.listen(0, lab.cpAddress, ok));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await connectFrom(lab, 'web-01', lab.cpAddress, port)).toBe('hello');
      lab.cut('web-01');
      // The bridge side goes down: packets are dropped, as behind a pulled cable.
      expect(await connectFrom(lab, 'web-01', lab.cpAddress, port)).toMatch(
        /^(TIMEOUT|ENETUNREACH|EHOSTUNREACH)$/,
      );
      lab.restore('web-01');
      // The veth comes up asynchronously: reachable again within a few tries.
      let back = '';
      for (let i = 0; i < 5 && back !== 'hello'; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 500));
        back = await connectFrom(lab, 'web-01', lab.cpAddress, port);
      }
      expect(back).toBe('hello');
    } finally {
      server.close();
      lab.destroy();
    }
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/^nf\d+201h/m);
  }, 30_000);
});
