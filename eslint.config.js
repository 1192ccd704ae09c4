// Lint configuration. Besides style, it carries the purity boundary of
// ARCHITECTURE.md: ts/core and ts/trust (the pure brain and the verifiers)
// may not import I/O modules or read the clock — `now` is always a parameter.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that perform I/O; forbidden in the pure layers. */
export const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'http',
  'http2',
  'https',
  'dgram',
  'dns',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
];
const ioPaths = [
  ...IO_MODULES.flatMap((m) => [m, `node:${m}`]),
  'better-sqlite3',
  'undici',
  'pino',
  'ink',
];

export const PURITY_RULES = {
  'no-restricted-imports': [
    'error',
    {
      paths: ioPaths.map((name) => ({
        name,
        message: 'ts/core and ts/trust are pure: no I/O modules (ARCHITECTURE.md, purity rule).',
      })),
      patterns: [
        {
          group: ['**/cp/**', '**/agent/**', '**/cli/**', '**/nix/**'],
          message: 'Pure layers never import the shells.',
        },
      ],
    },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
      message: 'Pure code takes `now` as a parameter; do not read the clock.',
    },
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'Pure code takes `now` as a parameter; `new Date()` reads the clock.',
    },
    {
      selector: "MemberExpression[object.name='performance'][property.name='now']",
      message: 'Pure code does not read the clock.',
    },
    {
      selector: "MemberExpression[object.name='process']",
      message: 'Pure code does not touch the process (env, argv, exit, clock).',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'schemas/**',
      'ts/contracts/generated/**',
      '.state/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-process-exit': 'off',
    },
  },
  {
    files: ['ts/core/**/*.ts', 'ts/trust/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: PURITY_RULES,
  },
);
