import { serializePosition } from '@rewind/core';
import type { RebuildProgress } from '@rewind/projections';
import { SingleBar } from 'cli-progress';

/** Reports rebuild progress: a live bar on a TTY, plain lines (at most one a second) otherwise. */
export interface ProgressReporter {
  update(progress: RebuildProgress): void;
  stop(): void;
}

/** Picks the reporter for the stream: nothing under --json, a bar on a TTY, lines otherwise. */
export function progressReporter(json: boolean, stream: NodeJS.WriteStream = process.stdout): ProgressReporter {
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
          `, ${Math.round(p.eventsPerSecond)} events/s${p.etaSeconds !== undefined ? `, ETA ${Math.ceil(p.etaSeconds)}s` : ''}\n`,
      );
    },
    stop: () => undefined,
  };
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new SingleBar({
    stream,
    format: '{projection} [{bar}] {percentage}% | {value}/{total} events | {eps} ev/s | position {position} | ETA {eta_formatted} | {phase}',
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
