// @ts-check
// Lint for the whole workspace: TypeScript and Angular rules for sources and specs, template rules
// (with accessibility) for inline templates, plain JavaScript rules for the Node scripts.
import eslint from '@eslint/js';
import angular from 'angular-eslint';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'out-tsc/',
      'tmp/',
      'test-results/',
      'artifacts/',
      '.angular/',
      'node_modules/',
      // Written by the ServiceNow SDK's build (and checked by its --frozenKeys).
      'projects/instance-app/src/fluent/generated/',
      'projects/instance-app/dist/',
      'projects/instance-app/target/',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [
      eslint.configs.recommended,
      ...tseslint.configs.recommended,
      ...angular.configs.tsRecommended,
    ],
    processor: angular.processInlineTemplates,
    rules: {
      '@angular-eslint/component-selector': [
        'error',
        { type: 'element', prefix: 'app', style: 'kebab-case' },
      ],
      '@angular-eslint/directive-selector': [
        'error',
        { type: 'attribute', prefix: 'app', style: 'camelCase' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Specs read JSON bodies of many shapes; typing each one would say nothing the assertions don't.
    files: ['**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.html'],
    extends: [...angular.configs.templateRecommended, ...angular.configs.templateAccessibility],
  },
  {
    files: ['**/*.mjs', '**/*.cjs'],
    extends: [eslint.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
);
