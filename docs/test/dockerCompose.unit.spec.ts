import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// docker-compose.yml cannot be started on the build machines (no Docker engine); what it promises is
// pinned here instead: exact image tags, health checks on every node, ports on 127.0.0.1 only, and only
// the EventStoreDB features Rewind uses or documents.
interface Service {
  readonly image: string;
  readonly environment?: Record<string, string | number>;
  readonly ports?: readonly string[];
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly profiles?: readonly string[];
}

const compose = parse(readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const eventStoreNodes = services.filter(([name]) => name === 'eventstore' || name.startsWith('esdb-node'));

/** Compose's `${VAR:-default}`: the default. */
const resolved = (image: string) => image.replace(/^\$\{[A-Z_]+:-(.+)\}$/, '$1');

describe('docker-compose.yml', () => {
  it('has a single node, PostgreSQL and a three-node cluster profile', () => {
    expect(services.map(([name]) => name).sort()).toEqual(
      ['esdb-node1', 'esdb-node2', 'esdb-node3', 'eventstore', 'postgres'].sort(),
    );
    expect(eventStoreNodes.filter(([, s]) => s.profiles?.includes('cluster'))).toHaveLength(3);
  });

  it.each(services)('%s: pins an exact image tag (major.minor.patch), never latest', (_name, service) => {
    expect(resolved(service.image)).toMatch(/:\d+\.\d+(\.\d+)?$/);
    expect(resolved(service.image)).not.toMatch(/latest|lts/);
  });

  it('runs EventStoreDB 24.10.5 by default: the first 24.10 patch with KDB-710 and KDB-744 fixed', () => {
    for (const [, node] of eventStoreNodes)
      expect(resolved(node.image)).toMatch(/eventstoredb-ee:24\.10\.5$/);
  });

  it.each(services)('%s: has a health check', (_name, service) => {
    expect(service.healthcheck?.test.join(' ')).toMatch(/health\/live|pg_isready/);
  });

  it.each(services)('%s: binds its ports to 127.0.0.1 only', (_name, service) => {
    expect(service.ports?.length).toBeGreaterThan(0);
    for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it.each(eventStoreNodes)(
    '%s: keeps system projections on ($by_correlation_id) and AtomPub off',
    (_name, node) => {
      expect(node.environment).toMatchObject({
        EVENTSTORE_RUN_PROJECTIONS: 'System',
        EVENTSTORE_START_STANDARD_PROJECTIONS: 'true',
        EVENTSTORE_ENABLE_ATOM_PUB_OVER_HTTP: 'false',
      });
    },
  );
});
