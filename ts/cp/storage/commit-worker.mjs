// The SQLite commit thread of the control plane. Owns one better-sqlite3
// connection to the WAL database and runs each batch of prepared statements
// the main thread sends in one IMMEDIATE transaction (synchronous=FULL), so
// the fsync of a group commit blocks this thread, not the event loop that
// serves TLS and HTTP/2. Plain JavaScript on purpose: worker threads do not
// inherit the tsx loader the executable registers on the main thread.
//
// Protocol (structured clone): the main thread starts the worker with
// workerData = { path, sql: { name: sqlText } }; then posts
// { id, ops: [[name, params, localId]], replies? } where a param that is an
// object { ref: n } names the event_log row appended by the op with localId n
// in the same batch. Replies { id, ok: true, seqs: [[localId, seq]] } or
// { id, ok: false, message }. `replies` (the edge's serialised answers to the
// batch's requests) are posted as one message on the reply port, which the
// main thread sends as { replyPort }, once the transaction is durable and
// before the main thread hears of it; never when it failed (the main thread
// then answers with the error). Must never reorder or merge batches: the
// main thread sends the next batch only after this one answered.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');

/** @type {Map<string, import('better-sqlite3').Statement>} */
const stmts = new Map();
for (const [name, sql] of Object.entries(workerData.sql)) stmts.set(name, db.prepare(sql));

const run = db.transaction((ops) => {
  const seqs = new Map();
  for (const [name, params, localId] of ops) {
    const st = stmts.get(name);
    if (st === undefined) throw new Error(`unknown statement ${name}`);
    const bound = params.map((p) =>
      p !== null && typeof p === 'object' && 'ref' in p ? (seqs.get(p.ref) ?? null) : p,
    );
    const info = st.run(...bound);
    if (localId > 0) seqs.set(localId, Number(info.lastInsertRowid));
  }
  return seqs;
});

/** @type {import('node:worker_threads').MessagePort | null} */
let replyPort = null;

parentPort.on('message', (msg) => {
  if (msg.replyPort) {
    replyPort?.close();
    replyPort = msg.replyPort;
    return;
  }
  if (msg.close) {
    replyPort?.close();
    db.close();
    parentPort.postMessage({ id: msg.id, ok: true, seqs: [] });
    parentPort.close();
    return;
  }
  try {
    // A batch of reads-only outcomes (duplicates) has nothing to make durable.
    const seqs = msg.ops.length > 0 ? run.immediate(msg.ops) : new Map();
    if (msg.replies !== undefined && replyPort !== null) replyPort.postMessage(msg.replies);
    parentPort.postMessage({ id: msg.id, ok: true, seqs: [...seqs] });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, message: String(e?.message ?? e) });
  }
});
