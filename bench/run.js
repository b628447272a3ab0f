#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.js, prints one table and writes bench/results/latest.json.
//
// A bench module exports `async run({ quick })` returning rows:
//   { figure, unit, value, baseline?, baselineLabel?, ratio?, target?, pass? }
// where `baseline` is a ceiling or reference measured in the same run, and `ratio` compares the two
// in the direction stated by the figure. Each module takes the median of several runs itself.
// Pass names to run a subset: `npm run bench -- sqlite projections`. `--quick` shrinks the data sets.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.filter((a) => !a.startsWith('--'));
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  const rows = [];
  let failures = 0;
  for (const file of files) {
    const name = file.replace(/\.bench\.js$/, '');
    process.stderr.write(`running ${name}...\n`);
    const started = Date.now();
    try {
      const mod = require(path.join(__dirname, file));
      const produced = await mod.run({ quick });
      for (const row of produced) rows.push({ bench: name, ...row });
    } catch (error) {
      failures++;
      rows.push({
        bench: name,
        figure: 'ERROR',
        unit: '',
        value: NaN,
        note: String((error && error.stack) || error),
      });
      process.stderr.write(`${name} failed: ${(error && error.stack) || error}\n`);
    }
    process.stderr.write(`${name} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
  const out = { date: new Date().toISOString(), machine, quick, rows };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify(out, null, 2));
  printTable(rows);
  console.log(`\nmachine: ${machine.cpu} x${machine.cpus}, ${machine.memoryGiB} GiB, node ${machine.node}`);
  console.log(`written: bench/results/latest.json`);
  if (failures > 0 || rows.some((r) => r.pass === false)) process.exitCode = 1;
}

function fmt(n) {
  if (typeof n !== 'number' || Number.isNaN(n)) return n === undefined ? '' : String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

function printTable(rows) {
  const table = rows.map((r) => [
    r.bench,
    r.figure,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline === undefined
      ? ''
      : `${fmt(r.baseline)} ${r.baselineUnit || r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`,
    r.ratio === undefined ? '' : fmt(r.ratio),
    r.target === undefined ? '' : String(r.target),
    r.pass === undefined ? '' : r.pass ? 'ok' : 'MISSED',
  ]);
  const head = ['bench', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
