/**
 * Which policy a client gets: a named device (an address or subnet) first, then the first
 * policy whose subnets hold the address, else the default. Policies with a schedule change
 * what they block while a window is on; `tick()` re-evaluates them against the clock and bumps
 * `generation` when anything changed, so cached verdicts are dropped. The Policy objects live
 * in one array (`all`) that keeps its identity across config reloads: the UDP fast path
 * indexes its name table by a policy's position there.
 */
import { VerdictCache } from '../../blocklists/verdict-cache.js';
import { AddressSet } from '../net/address-set.js';
import type { Policy } from '../serve/context.js';
import { activeWindow, type ScheduleWindow } from './schedule.js';

export interface PolicySettings {
  name: string;
  subnets: readonly string[];
  categories?: readonly string[] | undefined;
  safeSearch?: boolean | undefined;
  schedule?: readonly ScheduleWindow[] | undefined;
}

/** A device: found by its address or subnet, or by its id over DoT/DoH (config `devices:`). */
export interface DeviceSettings {
  name?: string | undefined;
  address?: string | undefined;
  id?: string | undefined;
  policy: string;
}

export interface ClientPolicySettings {
  policies: readonly PolicySettings[];
  devices: readonly DeviceSettings[];
  safeSearch: boolean;
  timeZone: string;
}

/** The policy for clients nothing else names. */
export const DEFAULT_POLICY = 'default';

const MEMO_SIZE = 10_000;

interface Entry {
  settings: PolicySettings | undefined;
  policy: Policy;
  window: ScheduleWindow | undefined;
}

export class ClientPolicies {
  /** Every policy in force, the default last; same array object for the process's life. */
  readonly all: Policy[] = [];
  generation = 0;
  private entries: Entry[] = [];
  private bySubnet: { subnets: AddressSet; entry: Entry }[] = [];
  private byDevice: { addresses: AddressSet; entry: Entry }[] = [];
  private byId = new Map<string, Entry>();
  private memo = new VerdictCache<Policy>(MEMO_SIZE);
  private settings!: ClientPolicySettings;

  constructor(
    settings: ClientPolicySettings,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.replace(settings);
  }

  /** Applies new settings (a config reload); clients are matched afresh. */
  replace(settings: ClientPolicySettings): void {
    this.settings = settings;
    const make = (s: PolicySettings | undefined): Entry => ({
      settings: s,
      policy: {
        name: s?.name ?? DEFAULT_POLICY,
        categories: undefined,
        safeSearch: settings.safeSearch,
      },
      window: undefined,
    });
    this.entries = [...settings.policies.map(make), make(undefined)];
    const byName = new Map(this.entries.map((e) => [e.policy.name, e]));
    this.bySubnet = this.entries.flatMap((entry) =>
      entry.settings?.subnets.length
        ? [{ subnets: new AddressSet([...entry.settings.subnets]), entry }]
        : [],
    );
    this.byDevice = settings.devices.flatMap((d) => {
      const entry = byName.get(d.policy);
      return entry && d.address ? [{ addresses: new AddressSet([d.address]), entry }] : [];
    });
    this.byId = new Map(
      settings.devices.flatMap((d) => {
        const entry = byName.get(d.policy);
        return entry && d.id ? [[d.id, entry] as const] : [];
      }),
    );
    this.all.length = 0;
    for (const e of this.entries) this.all.push(e.policy);
    for (const e of this.entries) this.evaluate(e, this.clock());
    this.changed();
  }

  /** Re-evaluates the schedules; true (and a new generation) when a policy changed. */
  tick(): boolean {
    const now = this.clock();
    let changed = false;
    for (const e of this.entries) changed = this.evaluate(e, now) || changed;
    if (changed) this.changed();
    return changed;
  }

  policyFor(client: string): Policy {
    let policy = this.memo.get(client);
    if (!policy) {
      policy = (
        this.byDevice.find((d) => d.addresses.has(client))?.entry ??
        this.bySubnet.find((p) => p.subnets.has(client))?.entry ??
        (this.entries.at(-1) as Entry)
      ).policy;
      this.memo.set(client, policy);
    }
    return policy;
  }

  /** The policy of a device named by its id over DoT/DoH; undefined for an id not configured. */
  policyForDevice(id: string): Policy | undefined {
    return this.byId.get(id)?.policy;
  }

  /** The default policy (clients no device or subnet names). */
  get fallback(): Policy {
    return (this.entries.at(-1) as Entry).policy;
  }

  /** The window a policy is in now (for the console), if any. */
  windowOf(name: string): ScheduleWindow | undefined {
    return this.entries.find((e) => e.policy.name === name)?.window;
  }

  get timeZone(): string {
    return this.settings.timeZone;
  }

  private evaluate(e: Entry, now: Date): boolean {
    const s = e.settings;
    const window = activeWindow(s?.schedule, now, this.settings.timeZone);
    const categories = window?.categories ?? s?.categories;
    const next = {
      categories: categories ? new Set(categories) : undefined,
      safeSearch: window?.safeSearch ?? s?.safeSearch ?? this.settings.safeSearch,
    };
    const same =
      e.window === window &&
      e.policy.safeSearch === next.safeSearch &&
      keyOf(e.policy.categories) === keyOf(next.categories);
    e.window = window;
    if (same) return false;
    e.policy.categories = next.categories;
    e.policy.safeSearch = next.safeSearch;
    return true;
  }

  private changed(): void {
    this.memo = new VerdictCache<Policy>(MEMO_SIZE);
    this.generation++;
  }
}

const keyOf = (set: ReadonlySet<string> | undefined) => (set ? [...set].sort().join(',') : '*');
