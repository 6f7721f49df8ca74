// Tracks which seqs of a room this client has, to resume without a gap.
//
// Seqs are gap-free per room. Events from different senders may arrive out
// of seq order, so resuming from the *highest* seq seen could skip one still
// in flight; the tracker resumes from the highest seq below which nothing is
// missing. Duplicates from a resume are harmless (the reducer dedupes by id).

export class SeqTracker {
  private base: number;
  private above = new Set<number>();
  private max: number;

  constructor(base = 0) {
    this.base = base;
    this.max = base;
  }

  /** The after_seq to resume with. */
  get resumeFrom(): number {
    return this.base;
  }

  get maxSeen(): number {
    return this.max;
  }

  /** Everything up to seq is known (e.g. a history page or a server-proven gap). */
  haveThrough(seq: number): void {
    if (seq <= this.base) return;
    this.base = seq;
    for (const s of this.above) if (s <= seq) this.above.delete(s);
    this.advance();
    if (seq > this.max) this.max = seq;
  }

  /** seq exists on the server (a room's last_seq): any gap below it shows as one. */
  knowOf(seq: number): void {
    if (Number.isFinite(seq) && seq > this.max) this.max = seq;
  }

  observe(seq: number): void {
    if (!Number.isFinite(seq) || seq <= this.base) return;
    if (seq > this.max) this.max = seq;
    this.above.add(seq);
    this.advance();
  }

  private advance(): void {
    while (this.above.has(this.base + 1)) {
      this.base++;
      this.above.delete(this.base);
    }
  }
}
