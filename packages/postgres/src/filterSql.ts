import type { ParsedCondition, ParsedFindOptions } from '@rewind/projections';

/**
 * Builds SQL over the `doc` jsonb column from checked conditions. Nothing from the filter becomes SQL
 * text: field paths travel as `text[]` parameters (`doc #> $n`), values as jsonb or text parameters.
 * The only text produced is fixed SQL and `$n` placeholders.
 */
export class ParameterList {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The WHERE clause fragments (ANDed) for the conditions. */
export function conditionsSql(conditions: readonly ParsedCondition[], params: ParameterList): string[] {
  return conditions.map(({ path, op, value }) => {
    if (op === '$in' && (value as unknown[]).length === 0) return 'FALSE';
    const field = `(doc #> ${params.add(path)}::text[])`;
    const missing = `(${field} IS NULL OR ${field} = 'null'::jsonb)`;
    const equals = (v: unknown) =>
      v === null ? missing : `${field} = ${params.add(JSON.stringify(v))}::jsonb`;
    switch (op) {
      case '$eq':
        return equals(value);
      case '$ne':
        return `(${equals(value)}) IS NOT TRUE`;
      case '$in': {
        const list = value as unknown[];
        const parts: string[] = [];
        const scalars = list.filter((v) => v !== null).map((v) => JSON.stringify(v));
        if (scalars.length > 0) parts.push(`${field} = ANY(${params.add(scalars)}::jsonb[])`);
        if (list.some((v) => v === null)) parts.push(missing);
        return `(${parts.join(' OR ')}) IS TRUE`;
      }
      default: {
        const sqlOp = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
        if (typeof value === 'number') {
          // jsonb numbers compare numerically; the type guard keeps strings and booleans out.
          return `(jsonb_typeof(${field}) = 'number' AND ${field} ${sqlOp} ${params.add(JSON.stringify(value))}::jsonb) IS TRUE`;
        }
        // Strings by code unit order: the binary "C" collation, whatever the database's default.
        return `(jsonb_typeof(${field}) = 'string' AND (doc #>> ${params.add(path)}::text[]) COLLATE "C" ${sqlOp} (${params.add(value)}::text COLLATE "C")) IS TRUE`;
      }
    }
  });
}

/** ORDER BY and LIMIT with the in-memory store's meaning: missing fields last, ties by key. */
export function orderSql(options: ParsedFindOptions, params: ParameterList): string {
  let order = 'ORDER BY key';
  if (options.orderBy) {
    const field = `(doc #> ${params.add(options.orderBy)}::text[])`;
    const dir = options.descending ? 'DESC' : 'ASC';
    order =
      `ORDER BY (${field} IS NULL OR ${field} = 'null'::jsonb) ASC, ` +
      `CASE WHEN jsonb_typeof(${field}) = 'number' THEN ${field} END ${dir} NULLS LAST, ` +
      `CASE WHEN jsonb_typeof(${field}) = 'string' THEN (${field} #>> '{}') COLLATE "C" END ${dir} NULLS LAST, ` +
      `${field} ${dir}, key ASC`;
  }
  return options.limit === undefined ? order : `${order} LIMIT ${params.add(options.limit)}::bigint`;
}
