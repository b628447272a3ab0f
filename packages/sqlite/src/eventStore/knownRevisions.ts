/**
 * What this connection knows about the file without asking it: the last revision of streams it
 * appended to and the last recorded time it wrote, valid only while no other connection has
 * committed. SQLite's `PRAGMA data_version` changes exactly when another connection commits (never
 * for this connection's own commits), so a group commit reads it once, inside its write lock, and
 * starts from scratch when it moved. That spares the append path one query per append without ever
 * deciding an expected revision on stale knowledge: other processes appending to the same file are
 * seen as before.
 */
export class KnownRevisions {
  private readonly revisions = new Map<string, number>();
  private dataVersion: number | undefined;
  private recordedAt: number | undefined;

  /** @param maxStreams streams remembered at most; past it the knowledge starts over. */
  constructor(private readonly maxStreams = 10_000) {}

  /**
   * Called inside the write transaction, before anything is read: forgets everything when another
   * connection committed since the last successful group commit.
   */
  check(dataVersion: number): void {
    if (dataVersion !== this.dataVersion) this.forget();
    this.dataVersion = dataVersion;
  }

  /** The stream's last revision when known, otherwise undefined (ask the file). */
  revision(streamId: string): number | undefined {
    return this.revisions.get(streamId);
  }

  /** The last recorded time this connection wrote, when nothing else wrote since. */
  get lastRecordedAt(): number | undefined {
    return this.recordedAt;
  }

  /** After a group commit committed: the revisions it wrote and its last recorded time. */
  committed(written: ReadonlyMap<string, number>, recordedAt: number): void {
    if (this.revisions.size + written.size > this.maxStreams) this.revisions.clear();
    for (const [streamId, revision] of written) this.revisions.set(streamId, revision);
    if (written.size > 0) this.recordedAt = recordedAt;
  }

  /** Forgets everything (a group commit failed, or another connection wrote). */
  forget(): void {
    this.revisions.clear();
    this.dataVersion = undefined;
    this.recordedAt = undefined;
  }
}
