// node:fs with the globSync that Node.js 20 lacks, as a stub: see node20.mjs.
export * from 'node:fs';
export { default } from 'node:fs';

export function globSync() {
  throw new Error('fs.globSync needs Node.js 22 or later');
}
