/**
 * A bounded map from name to value, so a name asked again costs no hashing. Two generations:
 * new entries go into the current map; when it holds half the capacity it becomes the previous
 * one and the older generation is dropped whole. A hit in the previous generation is copied
 * forward, so busy names stay. (Evicting the oldest key of one Map one at a time looks cheaper
 * but is not: V8's Map keeps deleted slots until it rehashes, and `keys().next()` walks over
 * them, which made every insert into a full cache cost ~10 µs.)
 */
export class VerdictCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  private readonly generationSize: number;

  constructor(private readonly capacity: number) {
    this.generationSize = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: string): V | undefined {
    const value = this.current.get(key);
    if (value !== undefined) return value;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    if (this.current.size >= this.generationSize && !this.current.has(key)) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  /** Entries held (a name in both generations counts twice); at most the capacity (≥ 2). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
