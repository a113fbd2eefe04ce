/**
 * Analysts' sign-in and sessions (@fastify/session, in memory: a restart signs everyone out).
 * Password and TOTP code together; throttled per client and per account; a failure is counted
 * per account and day (audit), never with what was typed. The cookie is HttpOnly,
 * SameSite=Strict and Secure unless the operator opts out for plain-HTTP testing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Analyst } from './analyst.js';
import { limitHook } from './limits.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import { type IntakeStore, type Role, UNKNOWN_ACCOUNT } from './store.js';
import { totpStep } from './totp.js';
import { loginPage } from './triage-page.js';

declare module 'fastify' {
  interface Session {
    user?: string;
    role?: Role;
    startedAt?: number;
  }
}

export const SESSION_COOKIE = 'kalkan_triage';
export const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 8 * 60 * 60_000;

export interface SignInLimits {
  perClientPerMinute: number;
  perAccountPer15Minutes: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perClientPerMinute: 10,
  perAccountPer15Minutes: 20,
};

export type { Analyst } from './analyst.js';

/** The signed-in analyst, or undefined (also once the session is 8 h old or the account is gone). */
export function signedIn(request: FastifyRequest, store: IntakeStore): Analyst | undefined {
  const { user, startedAt } = request.session;
  if (user === undefined || startedAt === undefined) return undefined;
  const account = store.user(user);
  if (!account || Date.now() - startedAt > ABSOLUTE_MS) return undefined;
  return { user, role: account.role };
}

export function requireSupervisor(analyst: Analyst | undefined): analyst is Analyst {
  return analyst?.role === 'supervisor';
}

export async function signInRoutes(
  app: FastifyInstance,
  deps: { store: IntakeStore; limits: SignInLimits; secureCookies: boolean },
): Promise<void> {
  const tooMany = (what: string) => (seconds: number) =>
    `Too many sign-in attempts ${what}; wait ${Math.ceil(seconds / 60)} minute(s) and try again.`;
  app.post(
    '/triage/login',
    {
      onRequest: [
        async (request, reply) => {
          if (deps.secureCookies && request.protocol !== 'https') {
            return sendLogin(
              reply,
              400,
              'Sign-in needs HTTPS: reach the intake through its TLS proxy (started with --trust-proxy), or start it with --insecure-cookies for a test on plain HTTP.',
            );
          }
        },
        limitHook(app, {
          max: deps.limits.perClientPerMinute,
          windowMs: 60_000,
          key: (request) => request.ip,
          message: tooMany('from this address'),
        }),
      ],
      preHandler: limitHook(app, {
        max: deps.limits.perAccountPer15Minutes,
        windowMs: 15 * 60_000,
        key: (request) => accountKey(request, deps.store),
        message: tooMany('for this account'),
      }),
    },
    async (request, reply) => {
      const form = request.body as Record<string, string | undefined>;
      const name = form.user ?? '';
      const account = deps.store.user(name);
      const passwordOk = await verifyPassword(
        form.password ?? '',
        account?.passwordHash ?? DUMMY_HASH,
      );
      const step =
        account && passwordOk ? totpStep(account.totpSecret, (form.code ?? '').trim()) : undefined;
      if (!account || step === undefined || !deps.store.useTotpStep(account.name, step)) {
        deps.store.failedSignIn(account?.name ?? UNKNOWN_ACCOUNT, new Date().toISOString());
        return sendLogin(reply, 401, 'Wrong user, password or code.');
      }
      await request.session.regenerate();
      request.session.user = account.name;
      request.session.role = account.role;
      request.session.startedAt = Date.now();
      deps.store.log(account.name, 'sign in', account.role);
      return reply.redirect('/triage', 303);
    },
  );
}

/**
 * Only accounts that exist get buckets of their own; made-up names share one, so they can neither
 * fill memory nor push a real account's bucket out of the limiter's cache.
 */
function accountKey(request: FastifyRequest, store: IntakeStore): string {
  const name = (request.body as Record<string, string | undefined> | undefined)?.user ?? '';
  return store.user(name) ? `account:${name}` : 'account:(unknown)';
}

export function sendLogin(reply: FastifyReply, status: number, message?: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(loginPage(message));
}
