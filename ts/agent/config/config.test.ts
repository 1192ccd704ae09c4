import { describe, expect, it } from 'vitest';
import { isAgentError } from '../errors.ts';
import { parseAgentConfig } from './config.ts';
import { parseDuration } from './duration.ts';

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

  it.each([
    [{ machineId: 'web-01' }, /control-plane-url.*required/],
    [{ ...base, controlPlaneUrl: 'http://cp' }, /https/],
    [{ ...base, machineId: 'Web_01!' }, /host name/],
    [{ ...base, stateDir: 'relative' }, /absolute/],
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

  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('60')).toBe(60_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('-1s')).toBeNull();
  });
});
