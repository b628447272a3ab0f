import { structuralDiff, type StructuralChange } from '@rewind/core';
import type { Document, Keyed, ReadModelStore } from '../readModel/readModelStore';

/** How one collection differs between two namespaces. */
export interface CollectionDiff {
  readonly collection: string;
  readonly added: Keyed[];
  readonly removed: Keyed[];
  readonly changed: Array<{
    readonly key: string;
    readonly before: Document;
    readonly after: Document;
    readonly changes: StructuralChange[];
  }>;
}

/** How two read models differ, collection by collection. */
export interface ReadModelDiff {
  readonly from: string;
  readonly to: string;
  readonly identical: boolean;
  readonly collections: CollectionDiff[];
}

/**
 * Compares two namespaces document by document: added, removed and changed documents, with field-level
 * changes — e.g. the read model as of last week against the live one, or a rebuild against the live build.
 */
export async function diffNamespaces(
  store: ReadModelStore,
  from: string,
  to: string,
): Promise<ReadModelDiff> {
  const names = [
    ...new Set([...(await store.listCollections(from)), ...(await store.listCollections(to))]),
  ].sort();
  const collections: CollectionDiff[] = [];
  for (const collection of names) {
    const before = new Map((await store.collection(from, collection).find()).map((e) => [e.key, e.doc]));
    const after = new Map((await store.collection(to, collection).find()).map((e) => [e.key, e.doc]));
    const diff: CollectionDiff = { collection, added: [], removed: [], changed: [] };
    for (const [key, doc] of after) {
      const old = before.get(key);
      if (!old) diff.added.push({ key, doc });
      else {
        const changes = structuralDiff(old, doc);
        if (changes.length) diff.changed.push({ key, before: old, after: doc, changes });
      }
    }
    for (const [key, doc] of before) if (!after.has(key)) diff.removed.push({ key, doc });
    if (diff.added.length || diff.removed.length || diff.changed.length) collections.push(diff);
  }
  return { from, to, identical: collections.length === 0, collections };
}
