#!/usr/bin/env -S node --
// Kept tiny: `tug --version` must not load anything else.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write('tug version 0.1.0\n');
} else {
  import('../dist/src/cli/main.js').then((m) => m.main(argv));
}
