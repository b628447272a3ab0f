import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerAggregateCommands } from './commands/aggregateCommands';
import { makeAction } from './commands/action';
import { registerCopyCommands } from './commands/copyCommands';
import { registerProjectionCommands } from './commands/projectionCommands';
import { registerReadModelCommands } from './commands/readModelCommands';
import { registerRebuildCommands } from './commands/rebuildCommands';
import { registerStreamCommands } from './commands/streamCommands';
import { registerStudioCommand } from './studio/studioCommand';
import { palette, useColor } from './output/color';
import { CliError, EXIT } from './util/cliError';

const REWIND_EXIT: Record<string, [number, string]> = {
  AGGREGATE_NOT_FOUND: [
    EXIT.notFound,
    'List ids with: rewind streams list --prefix <aggregate>-; revisions and times with: rewind history <aggregate> <id>.',
  ],
  STREAM_NOT_FOUND: [EXIT.notFound, 'List streams with: rewind streams list.'],
  STREAM_DELETED: [EXIT.notFound, ''],
  APPEND_OUTCOME_UNKNOWN: [EXIT.unavailable, ''],
  STORE_UNAVAILABLE: [
    EXIT.unavailable,
    'Check that the store is running and the connection settings in your config.',
  ],
  VALIDATION: [EXIT.usage, 'Fix the value named above.'],
  CONFIGURATION: [EXIT.config, 'Fix rewind.config.ts (or the classes it registers).'],
  PROJECTION: [EXIT.failure, ''],
};

/** Maps any failure to a message (cause and fix) and an exit code. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  // Loaded only on this path: `--help` and `--version` never load @rewind/projections.
  const { DeadLetterNotFoundError, NamespaceNotFoundError } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@rewind/projections') as typeof import('@rewind/projections');
  if (error instanceof NamespaceNotFoundError || error instanceof DeadLetterNotFoundError)
    return { message: error.message, exitCode: EXIT.notFound };
  const code = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? String(error);
  if (typeof code === 'string' && code in REWIND_EXIT) {
    const [exitCode, fix] = REWIND_EXIT[code]!;
    return { message: fix && !message.includes(fix) ? `${message} ${fix}` : message, exitCode };
  }
  return { message, exitCode: EXIT.failure };
}

/** This package's version, from its own package.json (one level above dist/ and src/). */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}

/** Builds the `rewind` program; `setExit` receives each command's exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('rewind')
    .description('Rewind: rebuild read models, watch projections and travel in time from the terminal')
    .option(
      '-c, --config <path>',
      'config file (default: rewind.config.{ts,mts,cts,js,mjs,cjs}, searched upwards from here)',
    )
    .option('--json', 'print machine-readable JSON')
    .version(cliVersion(), '-V, --version', 'print the version of rewind')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  $ rewind history order 7f3c…\n  $ rewind rebuild --all --yes\n\nExit codes: 0 ok, 1 failure, 2 bad usage or input, 3 config problem, 4 not found, 5 store unreachable.',
    );
  program.configureHelp({ showGlobalOptions: true });
  const action = makeAction(program, setExit);
  registerAggregateCommands(program, action);
  registerStreamCommands(program, action);
  registerProjectionCommands(program, action);
  registerRebuildCommands(program, action);
  registerReadModelCommands(program, action);
  registerCopyCommands(program, action);
  registerStudioCommand(program, action);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Whether `--json` is among the options (before a `--` that ends them), whatever command follows. */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/**
 * Runs `rewind` with the given arguments (without `node` and the script) and returns the exit code.
 * Never throws: failures are printed to stderr (as `{ "error": { message, exitCode } }` under --json,
 * errors of the argument parser included).
 */
export async function run(args: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const json = wantsJson(args);
  const program = buildProgram((code) => (exitCode = code));
  for (const command of [program, ...program.commands.flatMap((c) => [c, ...c.commands])]) {
    command.exitOverride();
    // Under --json the parser's own text (its error and the usage after it) gives way to one JSON line.
    if (json) command.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      )
        return EXIT.ok;
      if (error.code === 'commander.help') return EXIT.ok;
      if (json) writeJsonError(error.message.replace(/^error: /, ''), EXIT.usage);
      return EXIT.usage;
    }
    const { message, exitCode: code } = describeFailure(error);
    if (json) {
      writeJsonError(message, code);
    } else {
      process.stderr.write(`${palette(useColor(process.stderr)).red('error:')} ${message}\n`);
    }
    return code;
  }
}

function writeJsonError(message: string, exitCode: number): void {
  process.stderr.write(`${JSON.stringify({ error: { message, exitCode } })}\n`);
}
