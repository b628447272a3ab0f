import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PostgresEventStore } from '@rewind/postgres';
import { collect } from '@rewind/testing';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';
import { applied, readModel as readModelIn, runProjector as run } from './fixtures/projectorProcess';

// The PostgreSQL event store with real processes and a real server: SIGKILLed appenders, a server
// restart under appenders and a projector, and two projector processes (two machines' worth: separate
// processes, separate pools) on one projection. The child processes run the BUILT packages (`npm test`
// builds first; by hand: `npx tsc -b packages/postgres`).

const appenderScript = join(__dirname, 'fixtures', 'appender.js');

let pg: ThrowawayPostgres;
let bouncer: ThrowawayPgBouncer;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 6 });
}, 60_000);
afterAll(async () => {
  await bouncer?.stop();
  await pg?.stop();
});

/** How the processes reach PostgreSQL: directly, or through PgBouncer in transaction mode. */
interface Route {
  readonly url: () => string;
  /** Environment of the child processes (REWIND_PG_POOLED=1: no named statements, no LISTEN). */
  readonly env: Record<string, string>;
}
const direct: Route = { url: () => pg.url, env: {} };
let route: Route = direct;

/** Starts `node appender.js`, collecting the events it acknowledged (complete lines only). */
function appender(schema: string, streams: number, prefix: string, ...flags: string[]) {
  const child = spawn(
    process.execPath,
    [appenderScript, route.url(), schema, String(streams), prefix, ...flags],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...route.env } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = () => out.split('\n').slice(0, -1); // the last one may be cut by a kill
  return {
    child,
    exited,
    errors: () => err,
    acks: () =>
      lines()
        .filter((line) => line.startsWith('ack '))
        .map((line) => {
          const [, stream, revision, id] = line.split(' ');
          return { stream: stream!, revision: BigInt(revision!), id: id! };
        }),
    failures: () => lines().filter((line) => line.startsWith('error ')),
  };
}

/** Waits for a condition on a child's output (generously: a busy machine can take seconds to start node). */
async function until(condition: () => boolean, what: string, errors: () => string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (condition()) return;
    if (errors()) throw new Error(`${what}: the process failed: ${errors()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what}: not within 60 s`);
}

describe.each([
  ['directly', direct, 20, 'killed', 'failover'],
  [
    'behind PgBouncer in transaction mode',
    { url: () => bouncer.url, env: { REWIND_PG_POOLED: '1' } },
    10,
    'killed_pooled',
    'failover_pooled',
  ],
] as const)(
  'the PostgreSQL event store, with real processes, %s',
  (_, via, rounds, killedSchema, failoverSchema) => {
    beforeAll(() => {
      route = via;
    });
    afterAll(() => {
      route = direct;
    });

    it(`keeps every acknowledged event, with dense revisions and nothing twice, across ${rounds} SIGKILLs of an appending process`, async () => {
      const schema = killedSchema;
      const acked = new Map<string, { stream: string; revision: bigint }>();
      for (let round = 0; round < rounds; round++) {
        const p = appender(schema, 4, 'rel');
        const before = acked.size;
        await until(() => p.acks().length > 0, `round ${round}`, p.errors);
        // Kill it at a random moment of its appends (some in flight, some acknowledged).
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 60));
        p.child.kill('SIGKILL');
        expect(await p.exited).toBeNull(); // killed, not exited
        expect(p.errors()).toBe('');
        for (const ack of p.acks()) {
          expect(acked.has(ack.id)).toBe(false);
          acked.set(ack.id, ack);
        }
        expect(acked.size).toBeGreaterThan(before);
      }
      const store = await PostgresEventStore.connect({ connectionString: pg.url, schema });
      try {
        const all = await collect(store.readAll());
        // Nothing twice: every id once in the log.
        expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
        for (let s = 0; s < 4; s++) {
          const events = await collect(store.readStream(`rel-${s}`));
          // Dense revisions 0..n-1 in every stream.
          expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
        }
        // Every acknowledged event is there, at the revision it was acknowledged at.
        const byId = new Map(all.map((e) => [e.id, e]));
        const missing = [...acked]
          .filter(([id, ack]) => {
            const stored = byId.get(id);
            return !stored || stored.streamId !== ack.stream || stored.revision !== ack.revision;
          })
          .map(([id]) => id);
        expect(missing).toEqual([]);
      } finally {
        await store.close();
      }
    }, 300_000);

    it('runs one projector of two processes, and the standby takes over when the active one is SIGKILLed, exactly once', async () => {
      const schema = failoverSchema;
      const events = `${route.url()}#schema=${schema}`;
      const writer = appender(schema, 3, 'rel');
      await until(() => writer.acks().length >= 2000, 'appends', writer.errors);
      writer.child.kill('SIGKILL');
      await writer.exited;
      // 3 ms per event: A needs 6 s or more for the backlog, time enough for B to start and stand by.
      const a = run([events, route.url(), `${schema}_rm`, 'machine-a', '--delay=3'], route.env);
      await until(() => /state (catching-up|running) [1-9]/.test(a.output()), 'machine A applying', a.errors);
      const b = run([events, route.url(), `${schema}_rm`, 'machine-b', '--delay=3'], route.env);
      await until(() => /state standby/.test(b.output()), 'machine B on standby', b.errors);
      expect(a.output()).not.toMatch(/state running/); // killed while catching up, work left for B
      a.child.kill('SIGKILL');
      expect(await a.exited).toBeNull();
      await until(
        () => /state (catching-up|running) [1-9]/.test(b.output()),
        'machine B taking over',
        b.errors,
      );
      b.child.kill('SIGKILL');
      await b.exited;
      const finisher = run([events, route.url(), `${schema}_rm`, 'finisher', '--until-caught-up'], route.env);
      expect({ code: await finisher.exited, errors: finisher.errors() }).toEqual({ code: 0, errors: '' });
      const model = await readModelIn(pg.url, `${schema}_rm`);
      // Every event in the log (acknowledged or written just before the kill) applied exactly once.
      const store = await PostgresEventStore.connect({ connectionString: pg.url, schema });
      const total = (await collect(store.readAll())).length;
      await store.close();
      expect(total).toBeGreaterThanOrEqual(writer.acks().length);
      expect(model.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
      expect(model.seen).toHaveLength(total);
      expect(applied(model.counters)).toBe(total);
    }, 300_000);
  },
);

describe('the PostgreSQL event store, with real processes', () => {
  it('survives a PostgreSQL restart under appenders and a projector: clear transient errors, no crash, the read model equals a from-scratch build', async () => {
    const events = `${pg.url}#schema=restart`;
    const writer = appender('restart', 3, 'rel', '--retry');
    const projector = run([events, pg.url, 'restart_rm', 'live']);
    await until(() => writer.acks().length >= 30, 'appends before the restart', writer.errors);
    await until(
      () => /state running [1-9]/.test(projector.output()),
      'the projector applying events',
      projector.errors,
    );
    await pg.restart({ downMs: 300 });
    const ackedBefore = writer.acks().length;
    // The writer saw the outage as transient errors naming the store, and went on afterwards.
    await until(() => writer.acks().length >= ackedBefore + 30, 'appends after the restart', writer.errors);
    expect(writer.failures().length).toBeGreaterThan(0);
    expect(
      writer.failures().every((line) => /^error (STORE_UNAVAILABLE|APPEND_OUTCOME_UNKNOWN) /.test(line)),
    ).toBe(true);
    writer.child.kill('SIGKILL');
    await writer.exited;
    // The projector is still alive and goes on past the restart.
    const appliedBefore = Number(/state \S+ (\d+)\n(?![\s\S]*state)/.exec(projector.output())?.[1] ?? 0);
    await until(
      () => Number(/state \S+ (\d+)\n(?![\s\S]*state)/.exec(projector.output())?.[1] ?? 0) > appliedBefore,
      'the projector after the restart',
      projector.errors,
    );
    projector.child.kill('SIGKILL');
    expect(await projector.exited).toBeNull();
    expect(projector.errors()).toBe('');

    const finisher = run([events, pg.url, 'restart_rm', 'finisher', '--until-caught-up']);
    expect({ code: await finisher.exited, errors: finisher.errors() }).toEqual({ code: 0, errors: '' });
    const clean = run([events, pg.url, 'restart_scratch', 'clean', '--until-caught-up']);
    expect({ code: await clean.exited, errors: clean.errors() }).toEqual({ code: 0, errors: '' });
    const live = await readModelIn(pg.url, 'restart_rm');
    const scratch = await readModelIn(pg.url, 'restart_scratch');
    expect(live.counters).toEqual(scratch.counters);
    expect(live.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
    expect(applied(live.counters)).toBe(live.seen.length);
  }, 300_000);
});
