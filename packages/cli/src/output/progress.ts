import { serializePosition } from '@rewind/core';
import type { RebuildProgress } from '@rewind/projections';
import { SingleBar } from 'cli-progress';

/** Reports rebuild progress: a live bar on a TTY, plain lines (at most one a second) otherwise. */
export interface ProgressReporter {
  update(progress: RebuildProgress): void;
  stop(): void;
}

/** Picks the reporter for the stream: nothing under --json, a bar on a TTY, lines otherwise. */
export function progressReporter(
  json: boolean,
  stream: NodeJS.WriteStream = process.stdout,
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

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new SingleBar({
    stream,
    format:
      '{projection} [{bar}] {percentage}% | {value}/{total} events | {eps} ev/s | position {position} | ETA {etaText} | {phase}',
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
  });
  let started = false;
  return {
    update(p) {
      const total = Math.max(
        p.processed,
        p.etaSeconds !== undefined ? Math.round(p.processed + p.etaSeconds * p.eventsPerSecond) : p.processed,
        1,
      );
      const payload = {
        projection: p.projection,
        eps: Math.round(p.eventsPerSecond),
        position: p.position ? serializePosition(p.position) : '-',
        phase: p.phase,
        etaText: p.phase === 'done' ? '0s' : formatEta(p.etaSeconds),
      };
      if (!started) {
        bar.start(total, p.processed, payload);
        started = true;
      } else {
        bar.setTotal(p.phase === 'done' ? p.processed || 1 : total);
        bar.update(p.phase === 'done' ? p.processed || 1 : p.processed, payload);
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
