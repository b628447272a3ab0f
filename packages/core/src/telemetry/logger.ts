/**
 * Where Rewind writes what it does. The shape of pino's (and bunyan's) methods — `(fields, message)`
 * or `(message)` — so a pino logger, a Fastify `request.log` or `app.log` can be passed as they are.
 * Libraries are silent by default ({@link silentLogger}); {@link consoleLogger} writes one line per
 * entry to stderr.
 *
 * @example
 * // a Fastify app's pino logger (or any pino instance)
 * const rewind = createRewind({ eventStore, aggregates: [Order], logger: app.log });
 */
export interface RewindLogger {
  error(fields: object, message?: string): void;
  error(message: string): void;
  warn(fields: object, message?: string): void;
  warn(message: string): void;
  info(fields: object, message?: string): void;
  info(message: string): void;
  debug(fields: object, message?: string): void;
  debug(message: string): void;
}

/** The levels of a {@link RewindLogger}, from the most to the least severe. */
export type RewindLogLevel = 'error' | 'warn' | 'info' | 'debug';

const LEVELS: readonly RewindLogLevel[] = ['error', 'warn', 'info', 'debug'];

const noop = (): void => undefined;

/** A logger that drops everything: the default of every library part. */
export const silentLogger: RewindLogger = { error: noop, warn: noop, info: noop, debug: noop };

/** Options for {@link consoleLogger}. */
export interface ConsoleLoggerOptions {
  /** The least severe level written (default `'info'`). */
  readonly level?: RewindLogLevel;
  /** Where lines go (default `process.stderr`). */
  readonly write?: (line: string) => void;
  /** `'json'` writes one JSON object per line, pino-style; `'text'` (default) a readable line. */
  readonly format?: 'text' | 'json';
}

/**
 * A logger without dependencies, for the CLI and scripts: one line per entry, to stderr by default.
 *
 * @example
 * const logger = consoleLogger({ level: 'debug' });
 * logger.warn({ projection: 'order-summary' }, 'lease lost');
 */
export function consoleLogger(options: ConsoleLoggerOptions = {}): RewindLogger {
  const threshold = LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const json = options.format === 'json';
  const at = (level: RewindLogLevel) =>
    LEVELS.indexOf(level) > threshold
      ? noop
      : (fieldsOrMessage: object | string, message?: string): void => {
          const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
          const msg = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? '');
          if (json) {
            write(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }, jsonSafe));
            return;
          }
          const rest = Object.entries(fields)
            .map(([key, value]) => `${key}=${formatValue(value)}`)
            .join(' ');
          write(`${level.toUpperCase().padEnd(5)} ${msg}${rest ? ` ${rest}` : ''}`);
        };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value, jsonSafe) ?? String(value);
}
