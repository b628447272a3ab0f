#!/usr/bin/env node
import 'reflect-metadata';
import { run } from './program';

// Exits once the command is done, even if the config left something running (a timer, a socket of a
// factory that never settled): the output is flushed first.
void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
