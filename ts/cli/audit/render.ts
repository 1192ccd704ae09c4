// How `nixfleet audit` shows a verified statement: plain text for the
// terminal, and one self-contained HTML file (inline style, no script, no
// external asset) an auditor can open and archive. Only presentation: every
// fact comes from the statement the core verified.
import type { AuditStatement } from '../../contracts/index.ts';

type Day = AuditStatement['days'][number];

const short = (s: string | null, n = 12): string => (s === null ? '-' : s.slice(0, n));
const time = (ts: string): string => ts.slice(11);

function closureLine(c: Day['closures'][number]): string {
  const seen = `seen ${time(c.firstSeen)}–${time(c.lastSeen)}`;
  if (c.closureHash === null) return `closure not named by the host's payloads (${seen})`;
  return c.ciCommit === null && c.releaseSha256 === null
    ? `closure ${c.closureHash}: built by NO verified release (${seen})`
    : `closure ${c.closureHash} built from commit ${c.ciCommit ?? '(none signed)'} (release ${c.releaseSignedAt}, fleet.resolved sha256 ${short(c.releaseSha256, 16)}) ${seen}`;
}

const frameworks = (c: Day['controls'][number]): string =>
  c.frameworks.map((f) => (f.article ? `${f.framework} ${f.article}` : f.framework)).join(', ');

/** The statement as text: header, releases, then one block per day. */
export function renderText(s: AuditStatement): string {
  const out: string[] = [];
  out.push(
    `audit statement: host ${s.host}, ${s.from} .. ${s.to} (UTC days), verified at ${s.generatedAt}`,
  );
  out.push(
    `trust.json sha256 ${s.trust.sha256}; ciReleaseKey ${s.trust.ciReleaseKeys.map((k) => `${k.role} ${k.fingerprint}`).join(', ')}`,
  );
  out.push(`releases verified: ${s.releases.length}`);
  for (const r of s.releases) {
    out.push(
      `  ${r.signedAt} commit ${r.ciCommit ?? '-'} signed by ciReleaseKey.${r.signer.role} (${r.artifacts} signed file(s), ${r.source}); ${s.host}: ${r.closureHash ?? 'not declared'}`,
    );
  }
  const n = s.days.reduce((a, d) => a + d.evidence.length, 0);
  const ig = s.ignored;
  out.push(
    `evidence verified: ${n} host-signed payload(s) in range (ignored: ${ig.outsideRange} outside the range, ${ig.otherHosts} of other hosts, ${ig.beforeHistory} before the host key was declared, ${ig.unsigned} unsigned)`,
  );
  for (const d of s.days) {
    out.push('');
    out.push(`${d.date}  ${d.verdict.toUpperCase()}`);
    if (d.verdict === 'no-evidence') {
      out.push('  no host-signed evidence for this day: nothing is stated');
      continue;
    }
    for (const c of d.closures) out.push(`  ${closureLine(c)}`);
    if (d.missingControls.length > 0)
      out.push(
        `  NO SIGNED OBSERVATION of controls the release checked: ${d.missingControls.join(', ')}`,
      );
    for (const c of d.controls) {
      out.push(
        `  ${c.status === 'Pass' ? 'PASS' : 'FAIL'} ${c.controlId} [${frameworks(c)}] ${c.observations} signed observation(s), decisive at ${time(c.lastObservedAt)}, payload sha256 ${short(c.evidenceSha256, 16)}`,
      );
      if (c.failure !== null) out.push(`       failure: ${c.failure}`);
      if (c.output !== null) out.push(`       output: ${JSON.stringify(c.output)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

const esc = (v: unknown): string =>
  String(v).replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#111}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;margin:0}
.passed,.Pass{background:#e6f4ea}.failed,.Fail{background:#fce8e6}.incomplete,.no-evidence,.no-control-evidence{background:#fef7e0}
h2{margin-top:1.5em;border-bottom:1px solid #999}`;

/** The statement as one HTML document with nothing external (style inline, no script). */
export function renderHtml(s: AuditStatement): string {
  const rows = (cells: unknown[][]): string =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  const h: string[] = [];
  h.push(`<!doctype html><html lang="en"><head><meta charset="utf-8">`);
  h.push(`<title>Audit statement: ${esc(s.host)} ${esc(s.from)} to ${esc(s.to)}</title>`);
  h.push(`<style>${STYLE}</style></head><body>`);
  h.push(`<h1>Audit statement: ${esc(s.host)}, ${esc(s.from)} to ${esc(s.to)} (UTC)</h1>`);
  h.push(
    `<p>Verified at ${esc(s.generatedAt)} without the control plane. Every line below rests on a signature checked against <code>trust.json</code> (SHA-256 <code>${esc(s.trust.sha256)}</code>) or against the host key the signed fleet declared. A day without host-signed evidence states nothing.</p>`,
  );
  h.push(`<h2>Root of trust</h2><table><tr><th>ciReleaseKey</th><th>fingerprint</th></tr>`);
  h.push(
    rows(s.trust.ciReleaseKeys.map((k) => [esc(k.role), `<code>${esc(k.fingerprint)}</code>`])),
  );
  h.push(
    `</table><h2>Releases verified</h2><table><tr><th>signed at</th><th>commit</th><th>signer</th><th>${esc(s.host)} closure</th><th>fleet.resolved SHA-256</th><th>source</th></tr>`,
  );
  h.push(
    rows(
      s.releases.map((r) => [
        esc(r.signedAt),
        `<code>${esc(r.ciCommit ?? '-')}</code>`,
        esc(`ciReleaseKey.${r.signer.role}`),
        `<code>${esc(r.closureHash ?? 'not declared')}</code>`,
        `<code>${esc(r.sha256)}</code>`,
        esc(r.source),
      ]),
    ),
  );
  h.push(
    `</table><h2>Days</h2><table><tr><th>day</th><th>verdict</th><th>closures (commit)</th><th>controls</th></tr>`,
  );
  h.push(
    rows(
      s.days.map((d) => [
        esc(d.date),
        `<span class="${esc(d.verdict)}">${esc(d.verdict)}</span>`,
        d.closures
          .map(
            (c) =>
              `<code>${esc(c.closureHash ?? '?')}</code> (${esc(c.ciCommit ?? 'no verified release')})`,
          )
          .join('<br>'),
        d.controls
          .map((c) => `<span class="${esc(c.status)}">${esc(c.status)}</span> ${esc(c.controlId)}`)
          .join('<br>'),
      ]),
    ).replace(/<tr><td>(\d{4}-\d\d-\d\d)<\/td>/g, '<tr><td><a href="#d$1">$1</a></td>'),
  );
  h.push(`</table>`);
  for (const d of s.days) {
    h.push(
      `<h2 id="d${esc(d.date)}">${esc(d.date)}: <span class="${esc(d.verdict)}">${esc(d.verdict)}</span></h2>`,
    );
    if (d.verdict === 'no-evidence') {
      h.push(`<p>No host-signed evidence for this day: nothing is stated.</p>`);
      continue;
    }
    h.push(`<ul>${d.closures.map((c) => `<li>${esc(closureLine(c))}</li>`).join('')}</ul>`);
    if (d.missingControls.length > 0)
      h.push(
        `<p class="incomplete">No signed observation of controls the release checked: ${esc(d.missingControls.join(', '))}</p>`,
      );
    if (d.controls.length > 0) {
      h.push(
        `<table><tr><th>control</th><th>status</th><th>frameworks</th><th>observations</th><th>signed output</th><th>payload SHA-256</th></tr>`,
      );
      h.push(
        rows(
          d.controls.map((c) => [
            esc(c.controlId),
            `<span class="${esc(c.status)}">${esc(c.status)}</span>`,
            esc(frameworks(c)),
            esc(`${c.observations}, decisive ${c.lastObservedAt}`),
            `<pre>${esc(c.failure ? `failure: ${c.failure}\n` : '')}${esc(JSON.stringify(c.output, null, 1))}</pre>`,
            `<code>${esc(c.evidenceSha256)}</code>`,
          ]),
        ),
      );
      h.push(`</table>`);
    }
    h.push(
      `<table><tr><th>payload ts</th><th>probe</th><th>status</th><th>host key</th><th>SHA-256</th><th>source</th></tr>`,
    );
    h.push(
      rows(
        d.evidence.map((e) => [
          esc(e.ts),
          esc(e.probe),
          esc(e.status),
          `<code>${esc(e.signerFingerprint)}</code>`,
          `<code>${esc(e.sha256)}</code>`,
          esc(e.source),
        ]),
      ),
    );
    h.push(`</table>`);
  }
  h.push(`</body></html>\n`);
  return h.join('\n');
}
