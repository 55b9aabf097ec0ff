// The `tracevisor` executable as a few files instead of ~60 modules (npm run build:bundle, after
// tsc): loading ES modules one by one costs ~20 ms of a short command's start-up, which is most
// of the difference against dlt-convert on a small import. It links the compiled JavaScript in
// dist/src (tsc stays the compiler); each command stays its own chunk, loaded on demand.
// @duckdb/node-api, apache-arrow and zod are linked in too (query-store part, issue 7): as
// packages they are ~430 files (183 CommonJS files of node-api, each parsed by Node's CJS
// export lexer, 147 of apache-arrow, 99 of zod), which cost a `tracevisor query` on a stored
// trace 0.84-1.28 s of CPU against 0.48-0.68 s bundled (5 alternating runs, 600 s trace). Only
// the native binding stays outside (its .node file is loaded from node_modules).
// cleanDir: chunk names carry a content hash, so a rebuild would leave the old chunks beside
// the new ones, and `npm pack` would ship them.
export default {
  input: 'dist/src/cli/main.js',
  platform: 'node',
  external: [/^@duckdb\/node-bindings/],
  output: { dir: 'dist/cli', format: 'esm', chunkFileNames: '[name]-[hash].js', cleanDir: true },
};
