import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { GossipService } from '@eventstore/db-client/generated/gossip_grpc_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { gossipService, serverFeaturesService, type FeaturesMode } from './clusterServices';
import { EventStoreDBLog } from './eventStoreDBLog';
import { exceptionError, status } from './protocol';
import { streamsService } from './streamsService';

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
}

/**
 * An in-process gRPC server that speaks EventStoreDB's client protocol, built on the client package's
 * own generated service definitions, so the real `@eventstore/db-client` runs against it unmodified.
 * It proves how Rewind uses the client — not EventStoreDB's own semantics (use `EVENTSTORE_URL` for those).
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
  private server: Server | undefined;
  private boundPort = 0;
  private readonly subscriptions = new Map<ServerWritableStream<ReadReq, ReadResp>, () => void>();
  private notLeader: { host: string; port: number } | undefined;
  private featuresMode: FeaturesMode;
  private readonly instanceId = globalThis.crypto.randomUUID();
  private refuseTimer: NodeJS.Timeout | undefined;

  private constructor(options: EventStoreDBTestServerOptions) {
    this.log = new EventStoreDBLog(options.systemEventEvery);
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

  /** Live subscriptions currently open. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Ends every live subscription with UNAVAILABLE, as a node does when it drops its clients. */
  dropSubscriptions(): number {
    const calls = [...this.subscriptions.entries()];
    this.subscriptions.clear();
    for (const [call, stop] of calls) {
      stop();
      call.emit(
        'error',
        exceptionError(status.UNAVAILABLE, 'unavailable', 'Subscription dropped by the test server'),
      );
    }
    return calls.length;
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
    for (const stop of this.subscriptions.values()) stop();
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
        track: (call, stop) => {
          this.subscriptions.set(call, stop);
          return () => this.subscriptions.delete(call);
        },
      }),
    );
    server.addService(
      ServerFeaturesService,
      serverFeaturesService(() => this.featuresMode),
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
