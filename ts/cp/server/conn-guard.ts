// Connection and stream limits of the edge thread: how long a peer may take
// at each layer before it is cut off (TLS handshake, HTTP/2 preface, first
// request headers, idle connection), and how many connections and
// concurrent streams one identity may hold (the certificate CN; without a
// verified certificate, the remote address). Each cut is reported with its
// reason and the peer, so the main thread counts and logs it. A connection
// with an open stream is never idle: a dispatch long-poll keeps its hold.
// HTTP/1.1 connections (GET /metrics only, http1.ts) get the same deadlines
// and caps: TLS to the first complete request headers, idle between
// requests, connections and concurrent requests per identity.
import type { IncomingMessage, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { peerIdentity } from '../pki/identity.ts';
import { isReplicaPeer } from './forwarded.ts';
import type { EdgeLimits, LimitReport } from './edge-protocol.ts';

/** What the edge asks of the guard per stream. */
export interface ConnGuard {
  /** False when the stream was refused (per-identity stream cap); it is already reset. */
  admit(stream: http2.ServerHttp2Stream): boolean;
  /** The same for an HTTP/1.1 request; false when refused (the connection is already closed). */
  admitHttp1(req: IncomingMessage, res: ServerResponse): boolean;
}

interface Peer {
  readonly key: string;
  readonly address: string;
  /** A replica forwarding its clients' requests (forwarded.ts). */
  readonly replica?: boolean;
}

/**
 * Concurrent streams a replica's connection may carry: every agent parked
 * on a follower is one stream to the leader, and the follower already held
 * each of its clients to the per-identity caps.
 */
export const REPLICA_MAX_STREAMS = 16_384;

function peerOf(session: http2.ServerHttp2Session): Peer {
  const socket = session.socket as TLSSocket;
  const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const id = peerIdentity(socket, session);
  return {
    key: id !== null ? `cn:${id.cn}` : `addr:${socket.remoteAddress ?? '?'}`,
    address,
    ...(isReplicaPeer(id) ? { replica: true } : {}),
  };
}

/**
 * Installs the limits on `server` (created with `handshakeTimeout`);
 * `report` hears every cut.
 */
export function guardConnections(
  server: http2.Http2SecureServer,
  limits: EdgeLimits,
  report: (r: LimitReport) => void,
): ConnGuard {
  const sessionsBy = new Map<string, number>();
  const streamsBy = new Map<string, number>();
  const peers = new WeakMap<object, Peer>();
  const bump = (m: Map<string, number>, k: string, d: number): number => {
    const n = (m.get(k) ?? 0) + d;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
    return n;
  };

  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    if (err.code !== 'ERR_TLS_HANDSHAKE_TIMEOUT') return;
    report({
      scope: 'connection',
      reason: 'tls-handshake-timeout',
      peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      identity: null,
    });
  });

  /** HTTP/1.1 connections: their peer and the hook that starts a request. */
  const http1 = new WeakMap<TLSSocket, { readonly peer: Peer; start(res: ServerResponse): void }>();
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    const id = peerIdentity(socket);
    const peer: Peer = {
      key: id !== null ? `cn:${id.cn}` : `addr:${socket.remoteAddress ?? '?'}`,
      address: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
    };
    const cut = (reason: string): void => {
      report({ scope: 'connection', reason, peer: peer.address, identity: peer.key });
      socket.destroy();
    };
    const cap = peer.key.startsWith('cn:') ? limits.connsPerIdentity : limits.connsPerAddress;
    socket.once('close', () => bump(sessionsBy, peer.key, -1));
    if (bump(sessionsBy, peer.key, 1) > cap) {
      cut('connection-cap');
      return;
    }
    let open = 0;
    // Until the first complete request headers, and between requests: a
    // request trickling its headers in is still "not started".
    let timer: NodeJS.Timeout | null = setTimeout(
      () => cut('headers-timeout'),
      limits.prefaceTimeoutMs,
    );
    socket.once('close', () => {
      if (timer !== null) clearTimeout(timer);
    });
    http1.set(socket, {
      peer,
      start(res) {
        open += 1;
        if (timer !== null) clearTimeout(timer);
        timer = null;
        res.once('close', () => {
          open -= 1;
          if (open > 0 || socket.destroyed) return;
          timer = setTimeout(() => cut('idle'), limits.idleTimeoutMs);
        });
      },
    });
  });

  // TLS with an ALPN the server did not offer fails the handshake; this is
  // left for a protocol Node negotiates and the edge does not serve.
  server.on('unknownProtocol', (socket: TLSSocket) => {
    report({
      scope: 'connection',
      reason: 'no-h2',
      peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      identity: null,
    });
    socket.destroy();
  });

  server.on('session', (session: http2.ServerHttp2Session) => {
    const peer = peerOf(session);
    peers.set(session, peer);
    const cut = (reason: string): void => {
      report({ scope: 'connection', reason, peer: peer.address, identity: peer.key });
      session.destroy();
    };
    const cap = peer.key.startsWith('cn:') ? limits.connsPerIdentity : limits.connsPerAddress;
    if (bump(sessionsBy, peer.key, 1) > cap) {
      session.once('close', () => bump(sessionsBy, peer.key, -1));
      session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      cut('connection-cap');
      return;
    }
    if (peer.replica === true) session.settings({ maxConcurrentStreams: REPLICA_MAX_STREAMS });
    let open = 0;
    let served = false;
    let settings = false;
    session.once('remoteSettings', () => (settings = true));
    // Until the first request: the preface (client SETTINGS) and then one
    // complete header block; afterwards: a connection with nothing open.
    let timer: NodeJS.Timeout | null = setTimeout(
      () => cut(settings ? 'headers-timeout' : 'preface-timeout'),
      limits.prefaceTimeoutMs,
    );
    const idle = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        report({ scope: 'connection', reason: 'idle', peer: peer.address, identity: peer.key });
        session.close();
      }, limits.idleTimeoutMs);
    };
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      served = true;
      open += 1;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      stream.once('close', () => {
        open -= 1;
        if (open === 0 && served && !session.destroyed && !session.closed) idle();
      });
    });
    session.once('close', () => {
      if (timer !== null) clearTimeout(timer);
      bump(sessionsBy, peer.key, -1);
    });
  });

  return {
    admit(stream) {
      const session = stream.session;
      const peer = session === undefined ? undefined : peers.get(session);
      if (peer === undefined || peer.replica === true) return true;
      if (bump(streamsBy, peer.key, 1) > limits.streamsPerIdentity) {
        bump(streamsBy, peer.key, -1);
        report({ scope: 'stream', reason: 'stream-cap', peer: peer.address, identity: peer.key });
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return false;
      }
      stream.once('close', () => bump(streamsBy, peer.key, -1));
      return true;
    },
    admitHttp1(req, res) {
      const conn = http1.get(req.socket as TLSSocket);
      if (conn === undefined) {
        req.socket.destroy();
        return false;
      }
      conn.start(res);
      const { peer } = conn;
      if (bump(streamsBy, peer.key, 1) > limits.streamsPerIdentity) {
        bump(streamsBy, peer.key, -1);
        report({ scope: 'stream', reason: 'stream-cap', peer: peer.address, identity: peer.key });
        req.socket.destroy();
        return false;
      }
      res.once('close', () => bump(streamsBy, peer.key, -1));
      return true;
    },
  };
}
