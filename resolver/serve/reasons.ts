/**
 * The reasons the console shows (a refused change, a name that is not one, a list's refused
 * update) in the page's language. The config check and the name parser speak English, as the
 * log and `--check` do; their reasons are the catalogue's `reason.*` templates, so a reason is
 * recognised by its English template and said again in the page's language with the same
 * values. The location before it (`file:line: key:`) is kept as it is: it names config keys.
 */
import type { Translate } from './language.js';
import { en, type MessageKey } from './messages/en.js';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Longest first, so a template that extends another is tried before it. */
const TEMPLATES = (Object.keys(en) as MessageKey[])
  .filter((key) => key.startsWith('reason.'))
  .sort((a, b) => en[b].length - en[a].length)
  .map((key) => {
    const names: string[] = [];
    const source = en[key]
      .split(/(\{\w+\})/)
      .map((part) => {
        const placeholder = /^\{(\w+)\}$/.exec(part);
        if (!placeholder) return escapeRegExp(part);
        names.push(placeholder[1] as string);
        return '(.+?)';
      })
      .join('');
    return { key, names, pattern: new RegExp(`(^|: )${source}$`) };
  });

/** `line` with its English reason in the language of `t`; unchanged when none is known. */
export function inLanguage(line: string, t: Translate): string {
  for (const { key, names, pattern } of TEMPLATES) {
    const match = pattern.exec(line);
    if (!match) continue;
    const values = Object.fromEntries(names.map((name, i) => [name, match[i + 2] ?? '']));
    return `${line.slice(0, match.index)}${match[1]}${t(key, values)}`;
  }
  return line;
}

/** A list's refused update: its code's words, or the message when the code has none. */
export function listRefusalText(
  refusal: { code: string | undefined; message: string },
  t: Translate,
): string {
  const key = `listError.${refusal.code}`;
  return key in en ? t(key as MessageKey) : refusal.message;
}
