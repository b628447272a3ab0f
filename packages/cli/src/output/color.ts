/** The environment variables {@link colorWanted} reads. */
export interface ColorEnv {
  readonly FORCE_COLOR?: string | undefined;
  readonly NO_COLOR?: string | undefined;
}

/**
 * Whether to colour output written to a stream, from whether it is a terminal and the environment:
 * `FORCE_COLOR` set and non-empty forces colour on (`FORCE_COLOR=0` or `false` forces it off), even
 * when the stream is not a terminal; else a non-empty `NO_COLOR` turns it off (an empty `NO_COLOR` is
 * ignored, per no-color.org); else colour exactly when the stream is a terminal.
 *
 * @example
 * colorWanted(false, { FORCE_COLOR: '1' }); // true: piped, but forced
 * colorWanted(true, { NO_COLOR: '' });      // true: an empty NO_COLOR means nothing
 */
export function colorWanted(isTTY: boolean, env: ColorEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY;
}

/** Whether to colour what is written to `stream` (stdout by default); see {@link colorWanted}. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return colorWanted(Boolean(stream.isTTY), process.env);
}

/** ANSI styles that turn into plain text when `enabled` is false. */
export function palette(
  enabled: boolean,
): Record<'green' | 'red' | 'yellow' | 'bold' | 'dim', (s: string) => string> {
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}
