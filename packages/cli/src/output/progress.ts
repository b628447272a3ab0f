import { serializePosition } from '@rewind/core';
import type { RebuildProgress } from '@rewind/projections';
import { SingleBar } from 'cli-progress';

/** Reports rebuild progress: a live bar on a TTY, plain lines (at most one a second) otherwise. */
export interface ProgressReporter {
  update(progress: RebuildProgress): void;
  stop(): void;
}

/**
 * Picks the reporter: nothing under --json, a bar when `stream` is a TTY, lines otherwise. Progress
 * goes to stderr by default, so stdout carries only the result (`rewind rebuild ... > out.txt`).
 */
export function progressReporter(
  json: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  if (json) return { update: () => undefined, stop: () => undefined };
  if (stream.isTTY) return barReporter(stream);
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (p.phase !== 'done' && now - last < 1000) return;
      last = now;
      stream.write(
        `${p.projection}: ${p.phase} ${p.processed} events, position ${p.position ? serializePosition(p.position) : '-'}` +
          `, ${Math.round(p.eventsPerSecond)} events/s${p.etaSeconds !== undefined ? `, ETA ${formatEta(p.etaSeconds)}` : ''}\n`,
      );
    },
    stop: () => undefined,
  };
}

/**
 * The total a bar can honestly show: the events processed plus those the store counted as remaining,
 * or the events processed once done; undefined while the store has not counted what remains (or
 * cannot), when a percentage would be a guess.
 */
export function knownTotal(p: RebuildProgress): number | undefined {
  if (p.phase === 'done') return Math.max(p.processed, 1);
  if (p.etaSeconds === undefined) return undefined;
  return Math.max(p.processed, Math.round(p.processed + p.etaSeconds * p.eventsPerSecond), 1);
}

/**
 * One frame of the bar: `name [███░░] 40% | 400/1000 events | ...` once the total is known, and
 * `name [counting…] 400 events | ...` (no percentage, no total, no ETA) before.
 */
export function barFrame(p: RebuildProgress, barSize = 30): string {
  const total = knownTotal(p);
  const position = p.position ? serializePosition(p.position) : '-';
  const rate = `${Math.round(p.eventsPerSecond)} ev/s`;
  if (total === undefined)
    return `${p.projection} [counting…] ${p.processed} events | ${rate} | position ${position} | ${p.phase}`;
  const value = p.phase === 'done' ? total : Math.min(p.processed, total);
  const filled = Math.round((value / total) * barSize);
  const bar = '\u2588'.repeat(filled) + '\u2591'.repeat(barSize - filled);
  const eta = p.phase === 'done' ? '0s' : formatEta(p.etaSeconds);
  return `${p.projection} [${bar}] ${Math.floor((value / total) * 100)}% | ${value}/${total} events | ${rate} | position ${position} | ETA ${eta} | ${p.phase}`;
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  // cli-progress draws (cursor hidden, the line redrawn in place); barFrame decides what a frame says.
  const bar = new SingleBar({
    stream,
    format: (_options, _params, payload: { frame?: string }) => payload.frame ?? '',
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return {
    update(p) {
      const payload = { frame: barFrame(p) };
      const total = knownTotal(p) ?? Math.max(p.processed, 1);
      if (!started) {
        bar.start(total, p.processed, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(Math.min(p.processed, total), payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Seconds as `42s`, `3m05s`, `1h02m`; `-` when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
