// Loaded with `node --import=./node20.mjs` (the e2e test sets NODE_OPTIONS).
//
// The conformance runner imports fs.globSync, which Node.js 22 added, at
// start-up, and so cannot even start on Node.js 20; it uses it only in its
// tier-check command, which the tests do not run. On a Node.js without
// fs.globSync this gives the runner (both installed lines) an fs module with
// a globSync that throws. On Node.js 22 and later it does nothing.
import fs from 'node:fs';
import { register } from 'node:module';

if (typeof fs.globSync !== 'function') {
  register(new URL('./node20-hooks.mjs', import.meta.url));
}
