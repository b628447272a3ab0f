import { IsString } from 'class-validator';
import {
  ConfigurationError,
  DomainEvent,
  EventDecodingError,
  EventRegistry,
  ValidationError,
  decodeJson,
  defineUpcaster,
  encodeJson,
  sequencePosition,
  type RecordedEvent,
} from '@rewind/core';

@DomainEvent('menu.product-renamed', { version: 3 })
class ProductRenamed {
  @IsString() productId!: string;
  @IsString() name!: string;
  @IsString() previousName!: string;
}

const v1to2 = defineUpcaster(ProductRenamed, 1, (data) => ({ productId: data.id, name: data.name }));
const v2to3 = defineUpcaster(ProductRenamed, 2, (data) => ({ ...data, previousName: '(unknown)' }));

function recorded(
  type: string,
  data: unknown,
  schemaVersion: number,
  extra: Record<string, unknown> = {},
): RecordedEvent {
  return {
    id: 'e-1',
    streamId: 'menu-1',
    revision: 7n,
    position: sequencePosition(8),
    type,
    data,
    metadata: {
      schemaVersion,
      correlationId: 'c',
      causationId: 'k',
      occurredAt: '2026-03-01T00:00:00.000Z',
      ...extra,
    },
    recordedAt: new Date(),
  };
}

describe('@DomainEvent', () => {
  it('rejects a malformed name and a version below 1, naming the class', () => {
    expect(() => DomainEvent('has space')(class Bad {})).toThrow(/Bad.*invalid type name/);
    expect(() => DomainEvent('ok.name', { version: 0 })(class Bad2 {})).toThrow(/Bad2.*version 0/);
  });
});

describe('encodeJson / decodeJson', () => {
  it('keeps Dates and bigints, nested and in arrays, exactly', () => {
    const value = {
      at: new Date('2026-01-02T03:04:05.678Z'),
      big: 12345678901234567890n,
      list: [{ d: new Date(0) }],
      'a/b~c': 1n,
    };
    const { json, types } = encodeJson(value);
    const back = decodeJson(JSON.parse(JSON.stringify(json)), types);
    expect(back).toEqual(value);
    expect(back.at).toBeInstanceOf(Date);
    expect(typeof back.big).toBe('bigint');
  });
  it('records nothing for plain JSON', () => {
    expect(encodeJson({ a: 1, b: ['x'] }).types).toBeUndefined();
  });
  it('rejects values that cannot be stored, naming the path', () => {
    expect(() => encodeJson({ nested: { m: new Map() } })).toThrow(ValidationError);
    expect(() => encodeJson({ n: NaN })).toThrow(/\/n NaN is not a finite number/);
    expect(() => encodeJson({ f: () => 1 })).toThrow(/function/);
  });
});

describe(EventRegistry.name, () => {
  it('refuses two classes with one type name', () => {
    @DomainEvent('dup.name')
    class A {}
    @DomainEvent('dup.name')
    class B {}
    expect(() => new EventRegistry([A, B])).toThrow(/"dup.name" is declared by two classes: A and B/);
  });

  it('upcasts old versions through the whole chain on read', () => {
    const registry = new EventRegistry([ProductRenamed], { upcasters: [v1to2, v2to3] });
    registry.verify();
    const envelope = registry.decode<ProductRenamed>(
      recorded('menu.product-renamed', { id: 'p1', name: 'energy bar+' }, 1),
    )!;
    expect(envelope.event).toBeInstanceOf(ProductRenamed);
    expect({ ...envelope.event }).toEqual({
      productId: 'p1',
      name: 'energy bar+',
      previousName: '(unknown)',
    });
    expect(envelope.metadata.schemaVersion).toBe(3);
    expect(envelope.metadata.occurredAt).toEqual(new Date('2026-03-01T00:00:00.000Z'));
  });

  it('fails verification when a step of the chain is missing', () => {
    const registry = new EventRegistry([ProductRenamed], { upcasters: [v1to2] });
    expect(() => registry.verify()).toThrow(ConfigurationError);
    expect(() => registry.verify()).toThrow(
      /missing the step from version 2 to 3.*defineUpcaster\(ProductRenamed, 2/,
    );
  });

  it('names stream, revision and type for an unknown type, and can skip it', () => {
    const strict = new EventRegistry([ProductRenamed]);
    expect(() => strict.decode(recorded('menu.gone', {}, 1))).toThrow(EventDecodingError);
    expect(() => strict.decode(recorded('menu.gone', {}, 1))).toThrow(/"menu.gone" at menu-1@7/);
    expect(
      new EventRegistry([ProductRenamed], { unknownTypes: 'skip' }).decode(recorded('menu.gone', {}, 1)),
    ).toBeUndefined();
  });

  it('refuses events written by newer code and payloads missing required fields', () => {
    const registry = new EventRegistry([ProductRenamed], { upcasters: [v1to2, v2to3] });
    expect(() => registry.decode(recorded('menu.product-renamed', {}, 4))).toThrow(
      /written as version 4.*newer code/,
    );
    expect(() => registry.decode(recorded('menu.product-renamed', { productId: 'p', name: 'n' }, 3))).toThrow(
      /no "previousName"/,
    );
  });

  it('validates events before they are serialized', () => {
    const registry = new EventRegistry([ProductRenamed]);
    const bad = Object.assign(new ProductRenamed(), { productId: 42, name: 'x', previousName: 'y' });
    expect(() => registry.serialize(bad, { correlationId: 'c', causationId: 'k' })).toThrow(ValidationError);
    expect(() => registry.serialize(bad, { correlationId: 'c', causationId: 'k' })).toThrow(/productId/);
  });
});
