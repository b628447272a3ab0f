#!/usr/bin/env node
// The `rewind` command. Committed (unlike dist/) so that npm links it at install time, even in a
// workspace where dist/ is built afterwards; it runs the built CLI.
require('../dist/bin.js');
