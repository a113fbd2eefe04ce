/**
 * Local rules: the café's own allow and block entries (a name and its subdomains), kept in the
 * config's `localRules:` so they survive restarts and go through the same validation. They are
 * consulted with the lists on every query: a local block blocks for policies that block its
 * category; a local allow lifts a list's block, except for the categories answered as Blocked
 * (abuse), which only the publishing unit can lift (the console asks it to review instead).
 */
import { z } from 'zod';
import type { Verdict } from '../../blocklists/matcher.js';
import type { Policy } from '../serve/context.js';
import { en } from '../serve/messages/en.js';

/** The list id a local block carries in its EDE text and in the check-a-name answer. */
export const LOCAL_LIST_ID = 'local';

const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    en['reason.hostName'],
  );

export const localRuleSchema = z.strictObject({
  name: hostname,
  action: z.enum(['allow', 'block']),
  /** The category a block is counted and filtered under (default `local`). */
  category: z.string().min(1).default('local'),
  note: z.string().max(500).default(''),
  addedBy: z.string().min(1),
  addedAt: z.iso.datetime({ offset: true }),
});

export type LocalRule = z.output<typeof localRuleSchema>;

/** The rules in force, swapped whole on reload; `generation` changes with each swap. */
export class LocalRules {
  private byName = new Map<string, LocalRule>();
  generation = 0;

  constructor(
    rules: readonly LocalRule[],
    private readonly blockedCategories: ReadonlySet<string>,
  ) {
    this.replace(rules);
  }

  replace(rules: readonly LocalRule[]): void {
    this.byName = new Map(rules.map((r) => [r.name, r]));
    this.generation++;
  }

  /** The rule for `name` or its nearest listed parent. */
  ruleFor(name: string): LocalRule | undefined {
    if (this.byName.size === 0) return undefined;
    let at = name.toLowerCase().replace(/\.$/, '');
    for (;;) {
      const rule = this.byName.get(at);
      if (rule) return rule;
      const dot = at.indexOf('.');
      if (dot < 0) return undefined;
      at = at.slice(dot + 1);
    }
  }

  /** The lists' verdict with the local rules applied for this policy. */
  decide(name: string, policy: Policy | undefined, lists: Verdict): Verdict {
    const rule = this.ruleFor(name);
    if (!rule) return lists;
    if (rule.action === 'allow') {
      if (lists.blocked && this.blockedCategories.has(lists.category)) return lists;
      return { blocked: false, allowedBy: LOCAL_LIST_ID };
    }
    if (lists.blocked) return lists;
    const categories = policy?.categories;
    if (categories && !categories.has(rule.category)) return lists;
    return { blocked: true, category: rule.category, listId: LOCAL_LIST_ID };
  }

  /** Whether a list category may be lifted by a local allow. */
  mayAllow(category: string): boolean {
    return !this.blockedCategories.has(category);
  }
}
