import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Action } from '../commands/action';
import type { CliContext } from '../context';

/** The options of `rewind studio`, as commander parses them. */
export interface StudioCommandOptions {
  readonly port: string;
  readonly host: string;
  readonly allowWrites?: boolean;
  readonly open: boolean;
}

/** Registers `rewind studio`. */
export function registerStudioCommand(program: Command, action: Action): void {
  program
    .command('studio')
    .description('open Rewind Studio: a time-travel debugger for your event log, in the browser')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '4321')
    .option('--host <address>', 'interface to bind to (only this machine by default)', '127.0.0.1')
    .option(
      '--allow-writes',
      'allow pause, resume, retry, skip and rebuild from the page (read-only otherwise)',
    )
    .option('--no-open', 'do not open a browser, only print the URL')
    .addHelpText(
      'after',
      '\nThe URL printed carries a token: only a browser given it can use the Studio.\n' +
        '\nExamples:\n  $ rewind studio\n  $ rewind studio --port 0 --no-open\n  $ rewind studio --allow-writes',
    )
    .action(action((ctx, opts: StudioCommandOptions) => studio(ctx, opts)));
}

/** `rewind studio`: serves until SIGINT or SIGTERM, then closes the server (the action closes the stores). */
export async function studio(ctx: CliContext, opts: StudioCommandOptions): Promise<number | void> {
  // Loaded when the command runs: `--help` loads none of @rewind/core, Fastify or the server.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parseNonNegative } = require('../util/parseInput') as typeof import('../util/parseInput');
  const { startStudio } = require('./studioServer') as typeof import('./studioServer');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const port = Number(parseNonNegative(opts.port, '--port'));
  const running = await startStudio({ ctx, port, host: opts.host, allowWrites: Boolean(opts.allowWrites) });
  ctx.out.data({ url: running.url, allowWrites: Boolean(opts.allowWrites) });
  ctx.out.line(`Rewind Studio: ${running.url}`);
  ctx.out.line(
    opts.allowWrites
      ? 'Writes are allowed (pause, resume, retry, skip, rebuild; each asks for confirmation in the page).'
      : 'Read-only: start with --allow-writes to pause, resume, retry or rebuild from the page.',
  );
  ctx.out.line('Press Ctrl+C to stop.');
  if (opts.open) openBrowser(running.url);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
}

/** Opens `url` in the desktop's browser, if there is one; silently does nothing otherwise. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser to open: the URL is printed
  }
}
