import { AppendOutcomeUnknownError } from '@rewind/core';
import { PostgresEventStore } from '@rewind/postgres';
import { collect, testEvent } from '@rewind/testing';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';

// The connection to PostgreSQL dies while an append's COMMIT is under way: the store cannot know
// whether the transaction committed. It must say so (AppendOutcomeUnknownError, with the event ids),
// and the same append made again — same ids, same expected revision — must settle it either way:
// written once if the commit was lost, recognised and not written again if it went through.
jest.setTimeout(60_000);

/** The simple-protocol message `COMMIT` ('Q', length, text, NUL) as the client sends it. */
const COMMIT = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('COMMIT\0')]);

/**
 * A TCP proxy in front of PostgreSQL that, once armed, cuts the connection that sends the next
 * COMMIT: before it reaches the server (`'before'`: nothing committed) or after the server answered
 * it (`'after'`: committed, the answer lost).
 */
class CommitCutter {
  private armed: 'before' | 'after' | undefined;
  private readonly sockets = new Set<Socket>();
  private cutDone: (() => void) | undefined;
  readonly server: Server;

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.upstreamPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      let awaitingAnswer = false;
      const cut = () => {
        client.destroy();
        upstream.destroy();
        this.cutDone?.();
      };
      client.on('data', (chunk: Buffer) => {
        if (this.armed && chunk.includes(COMMIT)) {
          const mode = this.armed;
          this.armed = undefined;
          if (mode === 'before') return cut();
          awaitingAnswer = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (awaitingAnswer) return cut(); // the server's answer to COMMIT never arrives
        client.write(chunk);
      });
      for (const socket of [client, upstream]) {
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)),
    );
  }

  /** Cuts the connection that sends the next COMMIT; resolves once it did. */
  arm(mode: 'before' | 'after'): Promise<void> {
    this.armed = mode;
    return new Promise((resolve) => (this.cutDone = resolve));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let pg: ThrowawayPostgres | undefined;
let cutter: CommitCutter | undefined;
let store: PostgresEventStore | undefined;
let direct: PostgresEventStore | undefined;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  cutter = new CommitCutter(pg.port);
  const port = await cutter.listen();
  store = await PostgresEventStore.connect({
    connectionString: pg.url.replace(`:${pg.port}/`, `:${port}/`),
    notifications: false,
  });
  direct = await PostgresEventStore.connect({ connectionString: pg.url });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await direct?.close();
  await cutter?.close();
  await pg?.stop();
});

describe.each([
  ['the COMMIT never reached the server', 'before' as const, 'writes it'],
  ['the server committed, its answer was lost', 'after' as const, 'recognises it and writes nothing again'],
])('a connection lost at COMMIT: %s', (_, mode, retryDoes) => {
  it(`rejects with AppendOutcomeUnknownError; the same append again ${retryDoes}`, async () => {
    const stream = `order-${mode}`;
    const events = [
      { ...testEvent('placed', { n: 1 }), id: randomUUID() },
      { ...testEvent('paid', { n: 2 }), id: randomUUID() },
    ];
    const cut = cutter!.arm(mode);
    const error = await store!
      .append(stream, events, { expectedRevision: 'no_stream' })
      .catch((e: unknown) => e);
    await cut;
    expect(error).toBeInstanceOf(AppendOutcomeUnknownError);
    expect((error as AppendOutcomeUnknownError).message).toMatch(
      /was lost while the commit of 1 append\(s\) was under way/,
    );
    expect((error as AppendOutcomeUnknownError).eventIds).toEqual(events.map((e) => e.id));

    const committed = (await collect(readOrNone(stream))).length;
    expect(committed).toBe(mode === 'after' ? 2 : 0);

    // The retry Repository.save makes: the same ids, the same expected revision.
    const retried = await store!.append(stream, events, { expectedRevision: 'no_stream' });
    expect(retried.nextExpectedRevision).toBe(1n);
    const stored = await collect(direct!.readStream(stream));
    expect(stored.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});

/** The events of a stream, none when it does not exist. */
async function* readOrNone(stream: string) {
  try {
    yield* direct!.readStream(stream);
  } catch (error) {
    if ((error as { code?: string }).code !== 'STREAM_NOT_FOUND') throw error;
  }
}
