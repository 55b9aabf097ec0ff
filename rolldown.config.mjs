// The `tracevisor` executable as a few files instead of ~60 modules (npm run build:bundle, after
// tsc): loading ES modules one by one costs ~20 ms of a short command's start-up, which is most
// of the difference against dlt-convert on a small import. It links the compiled JavaScript in
// dist/src (tsc stays the compiler); each command stays its own chunk, loaded on demand. The
// packages that are heavy or native stay outside and load from node_modules as before.
// cleanDir: chunk names carry a content hash, so a rebuild would leave the old chunks beside
// the new ones, and `npm pack` would ship them.
export default {
  input: 'dist/src/cli/main.js',
  platform: 'node',
  external: [/^@duckdb\//, /^apache-arrow(\/|$)/, /^zod(\/|$)/],
  output: { dir: 'dist/cli', format: 'esm', chunkFileNames: '[name]-[hash].js', cleanDir: true },
};
