import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';

describe(EventStoreDBEventStore.name, () => {
  it('refuses options without a connection string or a client as a ConfigurationError naming both', () => {
    const error = (() => {
      try {
        new EventStoreDBEventStore({});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/connectionString/);
    expect((error as Error).message).toMatch(/client/);
    expect((error as Error).message).toMatch(/esdb:\/\//);
  });
});
