import { describe, expect, it } from 'vitest';
import { transportReason } from './transport-reason.ts';

function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

// Node's shape: the stream error wraps the session's socket error.
const canceled = (cause: Error): Error =>
  Object.assign(
    new Error(`The pending stream has been canceled (caused by: ${cause.message})`, { cause }),
    { code: 'ERR_HTTP2_STREAM_CANCEL' },
  );

describe('transportReason', () => {
  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1', 'connection refused'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND cp.invalid', 'host name not found'],
    ['EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.9:8443', 'no route to host'],
    ['ECONNRESET', 'read ECONNRESET', 'connection reset'],
  ])('%s under a canceled stream reads %j', (code, message, why) => {
    const r = transportReason(canceled(errno(code, message)));
    expect(r.why).toBe(why);
    expect(r.hint).toMatch(/is the control plane running/);
  });

  it('a certificate problem says TLS failed, with the fix', () => {
    const r = transportReason(
      canceled(errno('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')),
    );
    expect(r.why).toBe('TLS failed: self-signed certificate');
    expect(r.hint).toMatch(/ca_cert must be the fleet CA/);
  });

  it('anything else keeps the innermost message', () => {
    expect(transportReason(canceled(new Error('socket hang up'))).why).toBe('socket hang up');
    expect(transportReason('weird').why).toBe('weird');
  });
});
