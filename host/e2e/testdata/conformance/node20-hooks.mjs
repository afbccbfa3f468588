// Module resolution hook of node20.mjs: the runner's packages get
// node20-fs.mjs in place of fs.
const runners = [
  '/node_modules/@modelcontextprotocol/conformance/',
  '/node_modules/conformance-alpha/',
];
const shim = new URL('./node20-fs.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if ((specifier === 'fs' || specifier === 'node:fs') && runners.some((r) => parent.includes(r))) {
    return { url: shim, shortCircuit: true };
  }
  return next(specifier, context);
}
