/**
 * The console's sessions in memory, bounded: every visit to the sign-in form makes a session
 * (its CSRF secret), so anyone on the LAN could otherwise grow the map without end. Past the
 * bound the least recently used session goes; signed-in staff use theirs, so it stays.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  override get(key: K): V | undefined {
    const value = super.get(key);
    if (value !== undefined) {
      // Most recently used last: Map keeps insertion order.
      super.delete(key);
      super.set(key, value);
    }
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.capacity) {
      const oldest = this.keys().next();
      if (oldest.done) break;
      super.delete(oldest.value);
    }
    return this;
  }
}
