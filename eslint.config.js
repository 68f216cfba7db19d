// Lint rules that catch the bugs that matter here: floating promises, non-exhaustive switches; for the
// dashboard's browser JavaScript, undefined names and unused code.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.tmp/**', '**/node_modules/**', '**/dist/**', 'data/**', 'cloud/web/vendor/**', 'test-results/**', '**/*.js', '**/*.mjs', '**/*.cjs', '!cloud/web/**/*.js', 'cloud/web/vendor/**', 'cloud/web/web-globals.d.ts'] },
  {
    // The dashboard's browser JavaScript (issue 17): undefined names, unused code and the usual slips.
    files: ['cloud/web/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
