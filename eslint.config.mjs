import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering of docs (ARCHITECTURE): the pure knowledge runs anywhere (plain Node, a browser,
// tests without mocks); nothing below the extension knows VS Code; the views reach the machine
// only through the debug session. Folder-level cycles are checked by scripts/check-layers.mjs.
const PURE = ['src/paging/**', 'src/x86/**', 'src/xen/**', 'src/shared/**', 'src/textDecode/**', 'src/xenText/**', 'src/disasm/**'];
const noVscode = { group: ['vscode', '@vscode/*'], message: 'only src/extension and the adapter know VS Code' };
const restrict = (...patterns) => ['error', { patterns, paths: [] }];
const belowTheSeam = { group: ['**/gdbstub/*', '**/gdbstub'], message: 'the adapter and the CLI talk to a Target (src/target), never to a stub', allowTypeImports: false };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.vscode-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: PURE,
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        { ...noVscode, allowTypeImports: false },
        { group: ['node:*'], message: 'pure knowledge reads memory through an interface, never files or sockets: do the I/O in target/, memory/, xenTarget/ or the CLI', allowTypeImports: true },
      ),
    },
  },
  {
    files: ['src/**'],
    ignores: ['src/extension/**', 'src/debugAdapter/**', ...PURE],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(noVscode) },
  },
  {
    // The adapter and the CLI know a machine through the Target seam only: which stub, its
    // packets and errors stay below it (src/target).
    files: ['src/debugAdapter/**'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(belowTheSeam) },
  },
  {
    files: ['src/cli/**'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(noVscode, belowTheSeam) },
  },
  {
    files: ['src/extension/**', 'media/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        group: ['**/target/*', '**/gdbstub/*', '**/memory/*', '**/xenTarget/*', '**/debugAdapter/*'],
        message: 'the views reach the machine through the debug session (src/shared/dapRequests.ts), not the engine',
        allowTypeImports: false,
      }),
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
