/**
 * A per-client value remembered (the ACL's and the policy's subnet checks run once per
 * address; a rate-limit bucket is made once): a bounded map, and the last client's value in
 * front of it, since a busy client sends many queries in a row.
 */
import { VerdictCache } from '../../blocklists/verdict-cache.js';

/** Addresses remembered by default before the older half is dropped. */
const MEMO_SIZE = 10_000;

export class ClientMemo<T> {
  private readonly memo: VerdictCache<T>;
  private lastClient = '';
  private lastValue: T | undefined;

  constructor(
    private readonly compute: (client: string) => T,
    size = MEMO_SIZE,
  ) {
    this.memo = new VerdictCache<T>(size);
  }

  get(client: string): T {
    if (client === this.lastClient && this.lastValue !== undefined) return this.lastValue;
    let value = this.memo.get(client);
    if (value === undefined) {
      value = this.compute(client);
      this.memo.set(client, value);
    }
    this.lastClient = client;
    this.lastValue = value;
    return value;
  }
}
