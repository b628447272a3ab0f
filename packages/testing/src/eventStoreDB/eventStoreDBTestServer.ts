import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { GossipService } from '@eventstore/db-client/generated/gossip_grpc_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { gossipService, serverFeaturesService, type FeaturesMode } from './clusterServices';
import { EventStoreDBLog } from './eventStoreDBLog';
import { exceptionError, status } from './protocol';
import { serverModeBehaviour, type EventStoreDBServerMode, type ServerModeBehaviour } from './serverModes';
import { streamsService, type AppendFault } from './streamsService';

/** Options for {@link EventStoreDBTestServer.start}. */
export interface EventStoreDBTestServerOptions {
  /**
   * Whether `ServerFeatures` advertises `Streams.BatchAppend` (the client then appends through it), or
   * only `Streams.Append`, or answers UNIMPLEMENTED like a pre-21.10 server. Default `true`.
   */
  readonly batchAppend?: boolean | 'unimplemented';
  /** Port to bind on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** A system event pair (`$statsCollected`, `$metadata`) is written after every this many user appends. */
  readonly systemEventEvery?: number;
  /**
   * The server release to imitate (subscription messages, checkpoints, the reported version); see
   * {@link EventStoreDBServerMode}. Default `'24.10.5'`.
   */
  readonly version?: EventStoreDBServerMode;
  /**
   * Write the standard projections' `$>` link events after each user append (to `$ce-<category>`,
   * `$et-<type>`, and for a stream's first event `$streams` and `$category-<category>`), so most of
   * `$all` is system records, as on a node running the standard projections. Default `true`.
   */
  readonly systemProjections?: boolean;
  /** MaxAppendSize in bytes, counted as the server does (data + metadata + 2 × type length). Default 1 MiB. */
  readonly maxAppendSize?: number;
}

/** A fault for {@link EventStoreDBTestServer.failNextAppend}. */
export interface EventStoreDBAppendFault {
  /** Whether the append's events are written (committed) before the fault. */
  readonly committed: boolean;
  /**
   * `'lost-response'`: the call fails UNAVAILABLE as if the connection dropped (the client raises
   * `UnavailableError`). `'commit-timeout'`: the server's own timeout answer — on `Streams.Append` status
   * ABORTED "Operation timed out: Commit phase timeout." (`Prepare phase` when not committed) without an
   * `exception` trailer (client: `TimeoutError`); on `Streams.BatchAppend` a `google.rpc.Status`
   * DEADLINE_EXCEEDED carrying `Timeout` (client: `DeadlineExceededError`). Sent at once, without the
   * real server's 2 s wait.
   */
  readonly as: 'lost-response' | 'commit-timeout';
}

/**
 * An in-process gRPC server that speaks EventStoreDB's client protocol, built on the client package's
 * own generated service definitions, so the real `@eventstore/db-client` runs against it unmodified.
 * It proves how Rewind uses the client — not EventStoreDB's own semantics (use `EVENTSTORE_URL` for those).
 * It imitates one server release at a time (`version`, see {@link EventStoreDBServerMode}): subscription
 * messages and checkpoints differ between releases; stream semantics (deletes, metadata, idempotency,
 * MaxAppendSize) are the same in every mode.
 *
 * @example
 * const server = await EventStoreDBTestServer.start({ batchAppend: true });
 * const client = EventStoreDBClient.connectionString(server.connectionString);
 * // ...
 * await client.dispose();
 * await server.stop();
 */
export class EventStoreDBTestServer {
  /** The server's data; it survives {@link restart}. */
  readonly log: EventStoreDBLog;
  /** The server release imitated. */
  readonly mode: EventStoreDBServerMode;
  private server: Server | undefined;
  private boundPort = 0;
  private readonly subscriptions = new Map<
    ServerWritableStream<ReadReq, ReadResp>,
    { stop: () => void; fallBehind: () => void }
  >();
  private readonly behaviour: ServerModeBehaviour;
  private readonly maxAppendSize: number;
  private appendFault: AppendFault | undefined;
  private notLeader: { host: string; port: number } | undefined;
  private featuresMode: FeaturesMode;
  private readonly instanceId = globalThis.crypto.randomUUID();
  private refuseTimer: NodeJS.Timeout | undefined;

  private constructor(options: EventStoreDBTestServerOptions) {
    this.log = new EventStoreDBLog({
      systemEventEvery: options.systemEventEvery,
      systemProjections: options.systemProjections,
    });
    this.mode = options.version ?? '24.10.5';
    this.behaviour = serverModeBehaviour(this.mode);
    this.maxAppendSize = options.maxAppendSize ?? 1_048_576;
    this.featuresMode =
      options.batchAppend === 'unimplemented'
        ? 'unimplemented'
        : options.batchAppend === false
          ? 'append-only'
          : 'batch-append';
  }

  /** Starts a server on 127.0.0.1. */
  static async start(options: EventStoreDBTestServerOptions = {}): Promise<EventStoreDBTestServer> {
    const server = new EventStoreDBTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  /** The port the server listens on (kept across restarts). */
  get port(): number {
    return this.boundPort;
  }

  /** `esdb://127.0.0.1:PORT?tls=false`: pass it to `EventStoreDBClient.connectionString`. */
  get connectionString(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  /** Whether it currently accepts connections. */
  get running(): boolean {
    return this.server !== undefined;
  }

  /** The version string `ServerFeatures` reports, e.g. `'24.10.5'` (see {@link EventStoreDBServerMode}). */
  get version(): string {
    return this.behaviour.version;
  }

  /** Live subscriptions currently open. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Ends every live subscription with UNAVAILABLE, as a node does when it drops its clients. */
  dropSubscriptions(): number {
    const calls = [...this.subscriptions.entries()];
    this.subscriptions.clear();
    for (const [call, { stop }] of calls) {
      stop();
      call.emit(
        'error',
        exceptionError(status.UNAVAILABLE, 'unavailable', 'Subscription dropped by the test server'),
      );
    }
    return calls.length;
  }

  /**
   * Makes every open subscription behave as when its live buffer overflowed (the server's live channel
   * holds 32 messages and drops the oldest: Enumerator.cs `LiveChannelOptions`). In the 24.10.0, 25.0.0
   * and 24.10.5 modes it goes back to catch-up from its last checkpoint: fell-behind (24.10.5 only), a
   * checkpoint (filtered `$all`), the events it had not sent, the end-of-catch-up checkpoint, and
   * caught-up again. In the 22.10 and 23.10 modes the call ends with ABORTED "Consumer too slow to handle
   * event while live" (client: `TimeoutError`). Returns how many subscriptions it affected.
   */
  fallBehind(): number {
    const subscriptions = [...this.subscriptions.values()];
    for (const subscription of subscriptions) subscription.fallBehind();
    return subscriptions.length;
  }

  /**
   * Arms a fault for the next append (`Streams.Append` or `Streams.BatchAppend`): its events are written
   * or not (`committed`), then the answer is lost or is the server's commit timeout. One append only.
   */
  failNextAppend(fault: EventStoreDBAppendFault): void {
    this.appendFault = { committed: fault.committed, as: fault.as };
  }

  /** Answers every call with "not leader" (pointing at `leader`), or stops doing so with `undefined`. */
  setNotLeader(leader: { host: string; port: number } | undefined): void {
    this.notLeader = leader;
  }

  /** Stops listening, then listens again on the same port with the same data. */
  async restart(): Promise<void> {
    await this.shutdown();
    await this.listen(this.boundPort);
  }

  /** Refuses connections (nothing listens on the port) for `ms`, then comes back with the same data. */
  async refuseConnectionsFor(ms: number): Promise<void> {
    await this.shutdown();
    this.refuseTimer = setTimeout(() => {
      this.refuseTimer = undefined;
      void this.listen(this.boundPort);
    }, ms);
  }

  /** Stops the server and closes every call. */
  async stop(): Promise<void> {
    if (this.refuseTimer) clearTimeout(this.refuseTimer);
    this.refuseTimer = undefined;
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const { stop } of this.subscriptions.values()) stop();
    this.subscriptions.clear();
    server.forceShutdown();
  }

  private refusal(): Error | undefined {
    if (!this.notLeader) return undefined;
    return exceptionError(status.NOT_FOUND, 'not-leader', 'Leader info available', {
      'leader-endpoint-host': this.notLeader.host,
      'leader-endpoint-port': String(this.notLeader.port),
    });
  }

  private async listen(port: number): Promise<void> {
    const server = new Server();
    server.addService(
      StreamsService,
      streamsService({
        log: this.log,
        refusal: () => this.refusal(),
        track: (call, subscription) => {
          this.subscriptions.set(call, subscription);
          return () => this.subscriptions.delete(call);
        },
        mode: this.behaviour,
        maxAppendSize: this.maxAppendSize,
        takeAppendFault: () => {
          const fault = this.appendFault;
          this.appendFault = undefined;
          return fault;
        },
      }),
    );
    server.addService(
      ServerFeaturesService,
      serverFeaturesService(() => this.featuresMode, this.behaviour.version),
    );
    server.addService(
      GossipService,
      gossipService(() => ({ host: '127.0.0.1', port: this.boundPort }), this.instanceId),
    );
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
  }
}
