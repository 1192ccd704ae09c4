// The SQLite commit thread of the control plane. Owns one better-sqlite3
// connection to the WAL database and runs each batch of prepared statements
// the main thread sends in one IMMEDIATE transaction (synchronous=FULL), so
// the fsync of a group commit blocks this thread, not the event loop that
// serves TLS and HTTP/2. Plain JavaScript on purpose: worker threads do not
// inherit the tsx loader the executable registers on the main thread.
//
// Protocol (structured clone): the main thread starts the worker with
// workerData = { path, sql: { name: sqlText } }; then posts
// { id, ops: [[name, params, localId]] } where a param that is an object
// { ref: n } names the event_log row appended by the op with localId n in the
// same batch. Replies { id, ok: true, seqs: [[localId, seq]] } or
// { id, ok: false, message }. Must never reorder or merge batches: the main
// thread sends the next batch only after this one answered.
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
    if (localId > 0 && info.changes === 0 && name === 'appendEvent') {
      // A second row of one agent event: the unique key kept the first, and
      // references resolve to it (sqlite-ops.ts duplicateOf, same parameters).
      const row = stmts.get('storedAgentEvent').get(bound[2], bound[3], bound[4]);
      if (row !== undefined) seqs.set(localId, row.seq);
    } else if (localId > 0) seqs.set(localId, Number(info.lastInsertRowid));
  }
  return seqs;
});

parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.postMessage({ id: msg.id, ok: true, seqs: [] });
    parentPort.close();
    return;
  }
  try {
    const seqs = run.immediate(msg.ops);
    parentPort.postMessage({ id: msg.id, ok: true, seqs: [...seqs] });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, message: String(e?.message ?? e) });
  }
});
