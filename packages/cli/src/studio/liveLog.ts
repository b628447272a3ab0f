import type { ServerResponse } from 'node:http';
import { serializePosition, type EventStore, type Position, type Subscription } from '@rewind/core';
import { toPlain } from '../output/format';
import { eventRow } from './studioViews';

/**
 * The live log as Server-Sent Events: each client gets a subscription to the whole log from the head
 * when it connects (or from the `Last-Event-ID` it reconnects with), and one `event` message per
 * appended event, its position as the message id. Ended for every client by {@link close}.
 */
export class LiveLog {
  private readonly clients = new Set<{ subscription: Subscription; response: ServerResponse }>();

  constructor(private readonly store: EventStore) {}

  /** Streams to `response` (already hijacked from the framework) until the client goes or {@link close}. */
  async attach(response: ServerResponse, after: Position | undefined): Promise<void> {
    const from = after ?? (await this.store.headPosition());
    const subscription = this.store.subscribeToAll(from ? { after: from } : {});
    const client = { subscription, response };
    this.clients.add(client);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    response.write(`retry: 2000\n: live from ${from ? serializePosition(from) : 'the start'}\n\n`);
    const end = (): void => {
      this.clients.delete(client);
      void subscription.close().catch(() => undefined);
    };
    response.on('close', end);
    try {
      for await (const message of subscription) {
        if (message.type === 'caught-up') {
          response.write(`event: ready\ndata: {}\n\n`);
          continue;
        }
        if (message.type !== 'event') continue;
        const row = JSON.stringify(toPlain(eventRow(message.event)));
        response.write(`id: ${serializePosition(message.event.position)}\nevent: append\ndata: ${row}\n\n`);
      }
    } catch (error) {
      response.write(`event: failure\ndata: ${JSON.stringify({ detail: (error as Error).message })}\n\n`);
    } finally {
      end();
      response.end();
    }
  }

  /** Ends every live stream (the server is closing). */
  async close(): Promise<void> {
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.all(
      clients.map(async ({ subscription, response }) => {
        await subscription.close().catch(() => undefined);
        response.end();
      }),
    );
  }
}
