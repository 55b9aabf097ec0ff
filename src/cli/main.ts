#!/usr/bin/env node
// The `tracevisor` executable (package.json "bin").
import { main } from './program.js';

// `tracevisor query … | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
