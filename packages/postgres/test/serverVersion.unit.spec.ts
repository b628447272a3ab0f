import { ConfigurationError } from '@rewind/core';
import { checkServerVersion } from '@rewind/postgres';

describe('checkServerVersion', () => {
  it('accepts PostgreSQL 13 and newer', () => {
    expect(() => checkServerVersion('130000', 'The server')).not.toThrow();
    expect(() => checkServerVersion('170002', 'The server')).not.toThrow();
  });

  it('refuses an older server, naming its version and the floor', () => {
    expect(() => checkServerVersion('120017', 'The server at db:5432')).toThrow(ConfigurationError);
    expect(() => checkServerVersion('120017', 'The server at db:5432')).toThrow(
      /PostgreSQL 12 .*needs PostgreSQL 13/,
    );
    expect(() => checkServerVersion('90624', 'The server')).toThrow(/PostgreSQL 9\.6 /);
  });

  it('refuses a server that does not report a PostgreSQL version', () => {
    expect(() => checkServerVersion(undefined, 'The server')).toThrow(
      /does not report a PostgreSQL server_version_num/,
    );
    expect(() => checkServerVersion('', 'The server')).toThrow(ConfigurationError);
  });
});
