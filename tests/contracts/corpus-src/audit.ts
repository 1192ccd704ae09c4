// Corpus of the auditor's statement (`nixfleet audit --json`).
import { CLOSURE, KEY, TS, corpus, type Corpus } from './kit.ts';

const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const control = {
  controlId: 'ssh-root-login-disabled',
  status: 'Fail',
  frameworks: [{ framework: 'nis2-essential', article: 'art.21(2)(i)' }],
  observations: 2,
  lastObservedAt: TS,
  output: {
    schemaVersion: 1,
    command: ['sshd', '-T'],
    output: { permitrootlogin: 'yes', exitCode: 0 },
    failure: 'permitrootlogin is "yes", expected one of ["no"]',
  },
  failure: 'permitrootlogin is "yes", expected one of ["no"]',
  evidenceSha256: SHA,
};
const statement = {
  schemaVersion: 1,
  host: 'web-01',
  from: '2026-05-16',
  to: '2026-05-17',
  generatedAt: TS,
  trust: { sha256: SHA, ciReleaseKeys: [{ role: 'current', fingerprint: KEY }] },
  releases: [
    {
      source: 'git:5d41402abc4b:releases',
      sha256: SHA,
      signedAt: TS,
      ciCommit: '3f2a9c1d0e4b5a6c',
      signer: { role: 'current', fingerprint: KEY },
      artifacts: 4,
      closureHash: CLOSURE,
      hostKeyFingerprint: KEY,
    },
  ],
  days: [
    {
      date: '2026-05-16',
      verdict: 'failed',
      missingControls: [],
      closures: [
        {
          closureHash: CLOSURE,
          ciCommit: '3f2a9c1d0e4b5a6c',
          releaseSha256: SHA,
          releaseSignedAt: TS,
          firstSeen: TS,
          lastSeen: TS,
        },
      ],
      controls: [control],
      evidence: [
        {
          sha256: SHA,
          source: 'evidence.json',
          ts: TS,
          probe: 'nixfleet-compliance',
          status: 'Fail',
          signerFingerprint: KEY,
        },
      ],
    },
    {
      date: '2026-05-17',
      verdict: 'no-evidence',
      missingControls: [],
      closures: [],
      controls: [],
      evidence: [],
    },
  ],
  ignored: { outsideRange: 0, otherHosts: 1, beforeHistory: 0, unsigned: 0 },
};

export const audit: Corpus[] = [
  corpus(
    'audit-statement',
    [
      ['a failed day and a day without evidence', statement],
      [
        'a closure no verified release built, a status-only observation',
        {
          ...statement,
          days: [
            {
              ...statement.days[0]!,
              verdict: 'incomplete',
              missingControls: ['firewall-enabled'],
              closures: [
                {
                  ...statement.days[0]!.closures[0]!,
                  ciCommit: null,
                  releaseSha256: null,
                  releaseSignedAt: null,
                },
              ],
              controls: [{ ...control, status: 'Pass', output: null, failure: null }],
            },
          ],
        },
      ],
    ],
    [
      ['unknown verdict', ['days', 0, 'verdict'], 'probably-fine'],
      ['missingControls not a list', ['days', 0, 'missingControls'], 'firewall-enabled'],
      ['day is a timestamp', ['days', 1, 'date'], TS],
      ['from is not a date', ['from'], '16/05/2026'],
      ['release sha256 not hex', ['releases', 0, 'sha256'], 'not-a-hash'],
      ['signer role unknown', ['releases', 0, 'signer', 'role'], 'root'],
      ['zero observations', ['days', 0, 'controls', 0, 'observations'], 0],
      ['control status Unknown', ['days', 0, 'controls', 0, 'status'], 'Unknown'],
      ['missing required: ignored', ['ignored'], undefined],
      ['negative ignored count', ['ignored', 'otherHosts'], -1],
      ['schemaVersion 2', ['schemaVersion'], 2],
    ],
  ),
];
