import type { ParsedCondition } from '@rewind/projections';

/** Pushes a scalar condition into SQL (path and value as parameters); undefined when JS must decide. */
export function toSql(condition: ParsedCondition, params: (string | number)[]): string | undefined {
  const path = `$.${condition.path.join('.')}`;
  const scalar = (v: unknown): v is string | number =>
    typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  const typed = (v: string | number) =>
    typeof v === 'string' ? `json_type(doc, ?) = 'text'` : `json_type(doc, ?) IN ('integer', 'real')`;
  const compare = (op: string, v: string | number) => {
    params.push(path, path, v);
    return `COALESCE((${typed(v)} AND json_extract(doc, ?) ${op} ?), 0)`;
  };
  switch (condition.op) {
    case '$eq':
      return scalar(condition.value) ? compare('=', condition.value) : undefined;
    case '$ne':
      return scalar(condition.value) ? `NOT ${compare('=', condition.value)}` : undefined;
    case '$gt':
      return scalar(condition.value) ? compare('>', condition.value) : undefined;
    case '$gte':
      return scalar(condition.value) ? compare('>=', condition.value) : undefined;
    case '$lt':
      return scalar(condition.value) ? compare('<', condition.value) : undefined;
    case '$lte':
      return scalar(condition.value) ? compare('<=', condition.value) : undefined;
    case '$in': {
      const values = condition.value as unknown[];
      if (values.length === 0) return '0';
      if (!values.every(scalar)) return undefined;
      return `(${values.map((v) => compare('=', v as string | number)).join(' OR ')})`;
    }
  }
}

/** A find as SQL: the statement, its parameters, and the conditions left for JavaScript to check. */
export interface FindSql {
  readonly sql: string;
  readonly params: (string | number)[];
  /** Conditions SQL cannot decide with the same meaning (checked on each row read). */
  readonly rest: ParsedCondition[];
}

/**
 * Translates a parsed find into SQL over `rm_documents`: every condition it can, as parameters
 * (paths and values are never SQL text); the order every store shares (`compareFound`): by the field,
 * documents without it last in either direction, ties by key; by key otherwise. The limit goes into
 * SQL only when nothing is left for JavaScript.
 */
export function findSql(
  namespace: string,
  collection: string,
  conditions: readonly ParsedCondition[],
  orderBy: readonly string[] | undefined,
  descending: boolean,
  limit: number | undefined,
): FindSql {
  const pushed: string[] = [];
  const params: (string | number)[] = [namespace, collection];
  const rest: ParsedCondition[] = [];
  for (const condition of conditions) {
    const sql = toSql(condition, params);
    if (sql) pushed.push(sql);
    else rest.push(condition);
  }
  let sql = `SELECT key, doc FROM rm_documents WHERE namespace = ? AND collection = ?${pushed.map((p) => ` AND ${p}`).join('')}`;
  if (orderBy) {
    const path = `$.${orderBy.join('.')}`;
    sql += ` ORDER BY COALESCE(json_type(doc, ?), 'null') = 'null', json_extract(doc, ?) ${descending ? 'DESC' : 'ASC'}, key ASC`;
    params.push(path, path);
  } else sql += ' ORDER BY key ASC'; // direction applies to a field only (compareFound)
  if (limit !== undefined && rest.length === 0) {
    sql += ' LIMIT ?';
    params.push(limit);
  }
  return { sql, params, rest };
}
