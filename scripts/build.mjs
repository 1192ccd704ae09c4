// The production build: ts/ → dist/, plain JavaScript the three binaries
// (package.json "bin") and the Nix package run with no TypeScript loader.
// esbuild bundles each program with its pure-JavaScript dependencies and
// splits what a command imports with `import()` into chunks of its own, so
// `nixfleet --help` loads neither Ink nor the HTTP/2 client. Type checking
// stays with `tsc --noEmit` (npm test); this step only strips and bundles.
// Plain JavaScript, run by plain Node: the build runs where tsx is not
// installed (the Nix package fetches only runtime dependencies and esbuild).
//
//   npm run build             write dist/ (replaces it)
//   npm run build -- --check  fail (exit 1) when dist/ is missing or differs
//                             from what the sources build to now
//
// Every output file sits directly in dist/, one level under the package
// root, so `new URL('<relative>', import.meta.url)` in a source (package.json,
// lib/release/*.nix, a worker entry) is rewritten here to the same target as
// seen from dist/. A target under ts/ or missing from disk fails the build:
// the built programs must never reach back into the sources.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'dist');
const SHEBANG = '#!/usr/bin/env node\n';
/**
 * The agent's Node flags: an idle agent allocates little, and the young
 * generation Node sizes for a busy server (16 MB semi-spaces) and V8's
 * background GC and compiler threads were most of the difference to its
 * memory budget (bench/startup.bench.ts; docs/development.md, "Production
 * build"). `--no-opt` keeps V8's optimizing compiler out: the agent's work is
 * I/O and subprocesses, and the compiler's own code pages (resident once
 * used) and optimized code were ~4 MB of an agent that had converged.
 * `--optimize-for-size` makes V8 grow the old generation in smaller steps:
 * without it an idle agent's heap grew by ~1 MB a minute between full
 * collections, past the budget within 10 minutes.
 * `env -S` splits them (GNU coreutils ≥ 8.30, BSD, Nix's patchShebangs).
 */
const AGENT_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--single-threaded',
  '--no-opt',
  '--optimize-for-size',
];

/**
 * Output name (dist/<name>.js) → its entry source. The programs call their
 * `main` (the ts/ modules do not run themselves when bundled: a symlinked
 * binary's argv[1] is not the module's own URL). The worker entries mirror
 * the development shims next to their sources (edge-worker.mjs registers tsx;
 * the built one needs no loader).
 */
/** @type {Readonly<Record<string, string>>} */
const ENTRIES = {
  nixfleet: `${SHEBANG}import { main } from './ts/cli/main.ts';\nawait main();\n`,
  'nixfleet-control-plane': `${SHEBANG}import { main } from './ts/cp/main.ts';\nawait main();\n`,
  'nixfleet-agent': `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}\nimport './ts/agent/main.ts';\n`,
  'nixfleet-compliance-collect': `${SHEBANG}import './ts/compliance/main.ts';\n`,
  'edge-worker':
    "import { parentPort, workerData } from 'node:worker_threads';\n" +
    "import { runEdge } from './ts/cp/server/edge.ts';\n" +
    'runEdge(parentPort, workerData);\n',
  'commit-worker': "import './ts/cp/storage/commit-worker.mjs';\n",
  'verify-worker':
    "import { parentPort, workerData } from 'node:worker_threads';\n" +
    "import { runVerifyWorker } from './ts/cp/workers/verify-worker-main.ts';\n" +
    'runVerifyWorker(parentPort, workerData);\n',
};

/** Worker shims `new URL(…)` names in the sources → the built entry that replaces each. */
/** @type {Readonly<Record<string, string>>} */
const WORKERS = {
  'ts/cp/server/edge-worker.mjs': 'edge-worker',
  'ts/cp/storage/commit-worker.mjs': 'commit-worker',
  'ts/cp/workers/verify-worker.mjs': 'verify-worker',
};

/**
 * Generated directories under ts/ the programs load files from at run time
 * (not bundled: each file is loaded on first use) → where the build copies
 * each, under dist/. The contract validators: ts/contracts/validate.ts.
 */
/** @type {Readonly<Record<string, string>>} */
const COPIED = {
  'ts/contracts/generated/validators': 'validators',
};

/**
 * Packages left in node_modules instead of the bundle: better-sqlite3 loads
 * a native addon by path, pino starts transport threads by file name, and
 * Ink imports react-devtools-core (not installed) only when DEV=true.
 */
const EXTERNAL = ['better-sqlite3', 'pino', 'react-devtools-core'];

const URL_RE = /new URL\((['"])(\.{1,2}\/[^'"]*|\.{1,2})\1, import\.meta\.url\)/g;

/** Rewrites source-relative URLs to dist-relative ones (see the header). */
/** @returns {import('esbuild').Plugin} */
function relocateUrls() {
  return {
    name: 'relocate-urls',
    setup(b) {
      b.onLoad({ filter: /\.(ts|tsx|mjs)$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        /** @type {string[]} */
        const errors = [];
        const contents = text.replace(URL_RE, (whole, q, rel) => {
          const target = resolve(dirname(args.path), rel);
          const fromRoot = relative(root, target).split(sep).join('/');
          const worker = WORKERS[fromRoot];
          if (worker !== undefined) return `new URL(${q}./${worker}.js${q}, import.meta.url)`;
          const copied = COPIED[fromRoot];
          if (copied !== undefined) return `new URL(${q}./${copied}/${q}, import.meta.url)`;
          if (fromRoot === 'ts' || fromRoot.startsWith('ts/') || !existsSync(target))
            errors.push(`${relative(root, args.path)}: ${whole} names ${fromRoot}, not shipped`);
          const trail = rel.endsWith('/') || rel.endsWith('.') ? '/' : '';
          return `new URL(${q}${relative(OUT, target).split(sep).join('/')}${trail}${q}, import.meta.url)`;
        });
        if (errors.length > 0) return { errors: errors.map((text) => ({ text })) };
        return { contents, loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts' };
      });
    },
  };
}

/** Serves ENTRIES as modules resolved from the package root. */
/** @returns {import('esbuild').Plugin} */
function virtualEntries() {
  return {
    name: 'entries',
    setup(b) {
      b.onResolve({ filter: /^entry:/ }, (args) => ({
        path: args.path.slice('entry:'.length),
        namespace: 'entry',
      }));
      b.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => ({
        contents: ENTRIES[args.path],
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
}

/** Builds into `outdir` (emptied first). */
/** @param {string} outdir */
async function buildInto(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: Object.keys(ENTRIES).map((name) => ({ in: `entry:${name}`, out: name })),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    external: EXTERNAL,
    chunkNames: 'chunk-[hash]',
    // Bundled CommonJS dependencies still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __nixfleetRequire } from 'node:module'; const require = __nixfleetRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [virtualEntries(), relocateUrls()],
  });
  for (const [from, to] of Object.entries(COPIED))
    cpSync(join(root, from), join(outdir, to), { recursive: true });
}

/** Relative path → content of every file under `dir`. */
/**
 * @param {string} dir
 * @returns {Map<string, string>}
 */
function snapshot(dir) {
  const files = new Map();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!name.isFile()) continue;
    const path = join(name.parentPath, name.name);
    files.set(relative(dir, path), readFileSync(path, 'utf8'));
  }
  return files;
}

if (process.argv.includes('--check')) {
  const fresh = mkdtempSync(join(tmpdir(), 'nixfleet-build-'));
  try {
    await buildInto(fresh);
    const want = snapshot(fresh);
    const have = snapshot(OUT);
    const stale = [...new Set([...want.keys(), ...have.keys()])]
      .filter((f) => want.get(f) !== have.get(f))
      .sort();
    if (stale.length > 0) {
      console.error(
        `dist/ is not what the sources build to (${stale.map((f) => `dist/${f}`).join(', ')}); run \`npm run build\`.`,
      );
      process.exitCode = 1;
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
} else {
  await buildInto(OUT);
}
