import { describe, expect, it } from 'vitest';
import { isAgentError } from '../errors.ts';
import { parseAgentConfig } from './config.ts';

const base = { controlPlaneUrl: 'https://cp.example:8443', machineId: 'web-01' };

describe('agent config', () => {
  it('applies defaults and freezes', () => {
    const c = parseAgentConfig(base, {});
    expect(c.stateDir).toBe('/var/lib/nixfleet-agent');
    expect(c.activationBackend).toBe('nixos');
    expect(c.timings.pollBudgetMs).toBe(300_000);
    expect(c.storeUri).toBeNull();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.timings)).toBe(true);
  });

  it('reads NIXFLEET_AGENT_* and lets flags win', () => {
    const c = parseAgentConfig(
      { ...base, pollBudget: '5s' },
      {
        NIXFLEET_AGENT_POLL_BUDGET: '9s',
        NIXFLEET_AGENT_ACTIVATION_BACKEND: 'sandbox',
        NIXFLEET_AGENT_STATE_DIR: '/tmp/agent',
        NIXFLEET_AGENT_CACHE_URL: 'http://127.0.0.1:1/a, file:///b',
      },
    );
    expect(c.timings.pollBudgetMs).toBe(5_000);
    expect(c.activationBackend).toBe('sandbox');
    expect(c.sandboxRoot).toBe('/tmp/agent/sandbox');
    expect(c.storeUri).toBe('local?root=/tmp/agent/sandbox');
    expect(c.cacheUrls).toEqual(['http://127.0.0.1:1/a', 'file:///b']);
  });

  it('takes several control-plane URLs: repeated, comma separated or from the variable', () => {
    const repeated = parseAgentConfig(
      {
        ...base,
        controlPlaneUrl: ['https://cp-a:8443', 'https://cp-b:8443/', 'https://cp-a:8443'],
      },
      {},
    );
    expect(repeated.controlPlaneUrls).toEqual(['https://cp-a:8443', 'https://cp-b:8443']);
    expect(repeated.controlPlaneUrl).toBe('https://cp-a:8443');
    const env = parseAgentConfig(
      { machineId: 'web-01' },
      { NIXFLEET_AGENT_CONTROL_PLANE_URL: 'https://cp-a:8443, https://cp-b:8443' },
    );
    expect(env.controlPlaneUrls).toEqual(['https://cp-a:8443', 'https://cp-b:8443']);
    expect(parseAgentConfig(base, {}).controlPlaneUrls).toEqual(['https://cp.example:8443']);
    expect(parseAgentConfig(base, {}).timings.reconnectSpreadMs).toBe(10_000);
    expect(parseAgentConfig({ ...base, reconnectSpread: '0' }, {}).timings.reconnectSpreadMs).toBe(
      0,
    );
  });

  it.each([
    [{ ...base, controlPlaneUrl: ['https://cp-a:8443', 'http://cp-b'] }, /cp-b must be an https/],
    [{ machineId: 'web-01' }, /control-plane-url.*required/],
    [{ ...base, controlPlaneUrl: 'http://cp' }, /https/],
    [{ ...base, machineId: 'Web_01!' }, /host name/],
    [{ ...base, stateDir: 'relative' }, /relative path.*working directory/],
    [{ ...base, activationBackend: 'docker' }, /nixos or sandbox/],
    [{ ...base, pollBudget: 'soon' }, /duration/],
  ])('refuses %j', (opts, re) => {
    try {
      parseAgentConfig(opts, {});
      expect.unreachable();
    } catch (e) {
      expect(isAgentError(e, 'AGENT_ERR_CONFIG')).toBe(true);
      expect((e as Error).message).toMatch(re);
    }
  });

  it('resolves every relative path flag and variable against the working directory', () => {
    const rel = {
      trustFile: 'trust.json',
      caCert: './pki/fleet-ca.pem',
      clientCert: 'tls/client.crt',
      clientKey: 'tls/client.key',
      bootstrapTokenFile: 'token.json',
      sshHostKeyFile: 'ssh_host_ed25519_key',
      healthChecksConfig: '../checks.json',
      sandboxRoot: 'root',
    };
    const c = parseAgentConfig(
      { ...base, ...rel, activationBackend: 'sandbox' },
      { NIXFLEET_AGENT_STATE_DIR: 'hosts/web-01' },
      { cwd: '/srv/fleet' },
    );
    expect(c.stateDir).toBe('/srv/fleet/hosts/web-01');
    expect(c.trustFile).toBe('/srv/fleet/trust.json');
    expect(c.caCert).toBe('/srv/fleet/pki/fleet-ca.pem');
    expect(c.clientCert).toBe('/srv/fleet/tls/client.crt');
    expect(c.clientKey).toBe('/srv/fleet/tls/client.key');
    expect(c.bootstrapTokenFile).toBe('/srv/fleet/token.json');
    expect(c.sshHostKeyFile).toBe('/srv/fleet/ssh_host_ed25519_key');
    expect(c.healthChecksConfig).toBe('/srv/checks.json');
    expect(c.sandboxRoot).toBe('/srv/fleet/root');
    expect(c.storeUri).toBe('local?root=/srv/fleet/root');
    // Defaults derived from a relative state directory are absolute too.
    const d = parseAgentConfig({ ...base, stateDir: 'st' }, {}, { cwd: '/srv' });
    expect(d.clientCert).toBe('/srv/st/tls/client.crt');
    expect(d.sandboxRoot).toBe('/srv/st/sandbox');
  });

  it.each([
    ['250ms', 250],
    ['60', 60_000],
    ['1.5s', 1_500],
    ['1h30m', 5_400_000],
    ['1.5m', 90_000],
  ])('reads the shared duration grammar: %s', (text, ms) => {
    expect(parseAgentConfig({ ...base, pollBudget: text }, {}).timings.pollBudgetMs).toBe(ms);
  });

  it.each([
    ['pollBudget', '-1s', 'negative'],
    ['pollBudget', '', 'empty'],
    ['pollBudget', '0', 'below-minimum'],
    ['pollBudget', '30m1h', 'malformed'],
    ['pollBudget', '99999999999d', 'overflow'],
  ])('refuses --%s %j (%s) with AGENT_ERR_CONFIG', (name, text, reason) => {
    try {
      // An empty flag falls back to the variable, so the variable carries it.
      parseAgentConfig(text === '' ? base : { ...base, [name]: text }, {
        NIXFLEET_AGENT_POLL_BUDGET: text === '' ? ' ' : undefined,
      });
      expect.unreachable();
    } catch (e) {
      expect(isAgentError(e, 'AGENT_ERR_CONFIG')).toBe(true);
      expect((e as { context?: unknown }).context).toEqual({ option: name, reason });
    }
  });

  it('accepts a zero clock-skew slack only', () => {
    expect(parseAgentConfig({ ...base, clockSkewSlack: '0s' }, {}).timings.clockSkewSlackMs).toBe(
      0,
    );
  });
});
