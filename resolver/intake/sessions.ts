/**
 * Analyst sessions, in memory only (a restart signs everyone out): a random id in an HttpOnly,
 * SameSite=Strict cookie, an idle and an absolute lifetime, and a per-session CSRF token that
 * every state-changing form must carry.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'kalkan_triage';
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 8 * 60 * 60_000;

export interface Session {
  id: string;
  user: string;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(user: string): Session {
    const at = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      csrf: randomBytes(32).toString('base64url'),
      createdAt: at,
      lastSeenAt: at,
    };
    this.byId.set(session.id, session);
    return session;
  }

  /** The live session for a cookie header, refreshed; expired ones are dropped. */
  fromCookie(cookieHeader: string | undefined): Session | undefined {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    const session = id === undefined ? undefined : this.byId.get(id);
    if (!session) return undefined;
    const at = this.now();
    if (at - session.lastSeenAt > IDLE_MS || at - session.createdAt > ABSOLUTE_MS) {
      this.byId.delete(session.id);
      return undefined;
    }
    session.lastSeenAt = at;
    return session;
  }

  end(session: Session): void {
    this.byId.delete(session.id);
  }
}

export function csrfMatches(session: Session, token: string | undefined): boolean {
  if (token === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sessionCookie(session: Session, secure: boolean): string {
  return `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
