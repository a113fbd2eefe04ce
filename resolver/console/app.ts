/**
 * The café's console on the status port (issue 17), on Fastify as the intake: staff sign in
 * (scrypt hashes as the intake's analysts, a rate-limited sign-in), a server-side session in an
 * HttpOnly SameSite=Strict cookie, a CSRF token on every form. Nothing under /console answers
 * without a session but the sign-in form. The status server hands it only requests whose Host
 * passed its rebinding check.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyReply, type FastifyRequest, type Session } from 'fastify';
import type { Verdict } from '../../blocklists/matcher.js';
import type { ScheduleWindow } from '../policies/schedule.js';
import type { Config } from '../serve/config.js';
import { chooseLanguage, LANGUAGE_COOKIE, text } from '../serve/language.js';
import type { StaffAccounts } from './accounts.js';
import type { ActivityView } from './activity.js';
import type { Checked, ConfigEditor } from './config-file.js';
import { KNOWN_DEVICE_COOKIE, KNOWN_DEVICE_MAX_AGE_S, KnownDevices } from './known-device.js';
import type { LocalRule } from './local-rules.js';
import {
  consolePage,
  type NameReport,
  type Notice,
  type PolicyView,
  signInPage,
  type Words,
} from './page.js';
import { putDevice, putPolicy, removeDevice, setSchedule } from './policy-edits.js';
import { addRule, hostOf, removeRule } from './rule-edits.js';
import { BoundedMap } from './session-map.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

export const CONSOLE_PATH = '/console';
/** Sessions kept (signed in or only holding a sign-in form's CSRF secret). */
const MAX_SESSIONS = 2000;

export interface ConsoleDeps {
  accounts: StaffAccounts;
  /** Undefined when serve runs without --config: nothing to write rules into. */
  editor: ConfigEditor | undefined;
  rules: () => readonly LocalRule[];
  /** The config in force (devices, policies, schedules). */
  config: () => Config;
  /** Each policy with what it blocks now; the time now in the café's zone. */
  policiesNow: () => { policies: PolicyView[]; now: Date };
  activity: () => ActivityView;
  /** Applies the config just written (the same reload as SIGHUP). */
  reload: () => Promise<unknown>;
  /** What the lists alone say of a name, over every category. */
  listVerdict: (host: string) => Verdict;
  /** False for the categories only the unit lifts (abuse). */
  mayAllow: (category: string) => boolean;
  explain: (host: string, client: string | undefined) => Promise<NameReport>;
  /** Sends a review request to the unit; undefined without `reports:`. */
  review: ((name: string, note: string, user: string) => Promise<void>) | undefined;
  now?: () => Date;
  /** Sign-in attempts per address and minute. */
  signInsPerMinute?: number;
  /** Sign-in attempts per account and 15 minutes, from all addresses together. */
  signInsPerAccount?: number;
  checksPerMinute?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function createConsole(deps: ConsoleDeps): Promise<Handler> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  await app.register(fastifyHelmet, {
    // Plain HTTP on the LAN: no HSTS, no upgrade; pages without scripts, inline styles only.
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: randomBytes(32).toString('base64url'),
    cookieName: 'kalkan_console',
    store: new fastifySession.MemoryStore(new BoundedMap<string, Session>(MAX_SESSIONS)),
    saveUninitialized: false,
    cookie: {
      path: CONSOLE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: false,
      maxAge: 8 * 60 * 60_000,
    },
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
  await app.register(fastifyRateLimit, { global: false });

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(body);
  const staff = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.session.get('user')) return;
    if (request.method === 'GET') await reply.redirect(`${CONSOLE_PATH}/sign-in`, 303);
    else await reply.code(401).type('text/plain').send('sign in first\n');
  };
  const signedIn = { preHandler: [staff, app.csrfProtection] };
  const fields = (request: FastifyRequest) => {
    const body = (request.body ?? {}) as Record<string, string | string[]>;
    // A repeated field (checkboxes) comes as an array; every other field is one string.
    const one = Object.fromEntries(
      Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? '') : v]),
    );
    return one as Record<string, string | undefined>;
  };
  const many = (request: FastifyRequest, key: string): string[] => {
    const value = ((request.body ?? {}) as Record<string, string | string[]>)[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  const categoryList = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  /** The request's language: ?lang= (remembered in a cookie), the cookie, Accept-Language. */
  const words = (request: FastifyRequest): Words => {
    const lang = chooseLanguage(
      (request.query as { lang?: string }).lang,
      request.cookies[LANGUAGE_COOKIE],
      request.headers['accept-language'],
    );
    return { lang, t: text(lang) };
  };
  app.addHook('onRequest', async (request, reply) => {
    const asked = (request.query as { lang?: string }).lang;
    if (asked && words(request).lang === asked)
      reply.setCookie(LANGUAGE_COOKIE, asked, { path: '/', sameSite: 'strict', httpOnly: true });
  });
  const t = (request: FastifyRequest) => words(request).t;
  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: { notice?: Notice; check?: NameReport } = {},
  ) =>
    html(
      reply,
      status,
      consolePage({
        ...words(request),
        user: request.session.get('user') ?? '',
        csrf: await reply.generateCsrf(),
        rules: deps.rules(),
        editable: deps.editor !== undefined,
        reportsConfigured: deps.review !== undefined,
        // Devices found by their DoT/DoH id show that id where a LAN device shows its address.
        devices: deps.config().devices.map((d) => ({
          name: d.name ?? d.id ?? '',
          address: d.address ?? `DoT/DoH id ${d.id}`,
          policy: d.policy,
        })),
        timeZone: deps.config().timeZone,
        ...deps.policiesNow(),
        activity: deps.activity(),
        ...extra,
      }),
    );
  /** A written change is in force once the reload that follows it has run. */
  const written = async (
    request: FastifyRequest,
    checked: Checked,
    done: string,
  ): Promise<Notice> => {
    if (!checked.ok)
      return { ok: false, lines: [t(request)('console.notSaved'), ...checked.problems] };
    await deps.reload();
    return { ok: true, lines: [done] };
  };

  app.get(CONSOLE_PATH, { preHandler: staff }, (request, reply) => render(request, reply, 200));
  app.get(
    `${CONSOLE_PATH}/sign-in`,
    { config: { rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request, reply) =>
      html(reply, 200, signInPage(words(request), await reply.generateCsrf())),
  );
  // Two limits before the password is even hashed: per address, and per account from every
  // address together, so a LAN of many addresses cannot take turns guessing one password. A
  // browser that signed in to the account before skips the second (known-device.ts), so those
  // guesses cannot lock the account's staff out either.
  const perAddress = app.createRateLimit({
    max: deps.signInsPerMinute ?? 10,
    timeWindow: 60_000,
    keyGenerator: (request) => `address:${request.ip}`,
  });
  const perAccount = app.createRateLimit({
    max: deps.signInsPerAccount ?? 20,
    timeWindow: 15 * 60_000,
    // Only real accounts get counters of their own: made-up names share one, so they can neither
    // grow memory nor push a real account's counter out.
    keyGenerator: async (request) => {
      const user = fields(request).user ?? '';
      return (await deps.accounts.names()).includes(user) ? `account:${user}` : 'account:?';
    },
  });
  const knownDevices = new KnownDevices();
  const addressLimit = [perAddress, 'signIn.tooManyFromAddress'] as const;
  const accountLimit = [perAccount, 'signIn.tooManyForAccount'] as const;
  app.post(
    `${CONSOLE_PATH}/sign-in`,
    { preHandler: app.csrfProtection },
    async (request, reply) => {
      const { user = '', password = '' } = fields(request);
      const knownDevice = knownDevices.userOf(request.cookies[KNOWN_DEVICE_COOKIE]) === user;
      for (const [limit, message] of knownDevice ? [addressLimit] : [addressLimit, accountLimit]) {
        const counted = await limit(request);
        if (counted.isAllowed || !counted.isExceeded) continue;
        const minutes = Math.max(1, Math.ceil(counted.ttlInSeconds / 60));
        reply.header('retry-after', String(counted.ttlInSeconds));
        return html(
          reply,
          429,
          signInPage(words(request), await reply.generateCsrf(), t(request)(message, { minutes })),
        );
      }
      if (!(await deps.accounts.verify(user, password)))
        return html(
          reply,
          401,
          signInPage(words(request), await reply.generateCsrf(), t(request)('signIn.wrong')),
        );
      // A new session id on sign-in: an id planted before it is worth nothing after.
      await request.session.regenerate();
      request.session.set('user', user);
      reply.setCookie(KNOWN_DEVICE_COOKIE, knownDevices.token(user), {
        path: CONSOLE_PATH,
        httpOnly: true,
        sameSite: 'strict',
        maxAge: KNOWN_DEVICE_MAX_AGE_S,
      });
      return reply.redirect(CONSOLE_PATH, 303);
    },
  );
  app.post(`${CONSOLE_PATH}/sign-out`, signedIn, async (request, reply) => {
    await request.session.destroy();
    return reply.redirect(`${CONSOLE_PATH}/sign-in`, 303);
  });

  app.post(`${CONSOLE_PATH}/rules`, signedIn, async (request, reply) => {
    const { editor } = deps;
    if (!editor) return render(request, reply, 409);
    const f = fields(request);
    const host = hostOf(f.name ?? '');
    if (!host.ok)
      return render(request, reply, 400, { notice: { ok: false, lines: [host.reason] } });
    const action = f.action === 'allow' ? 'allow' : 'block';
    if (action === 'allow') {
      const listed = deps.listVerdict(host.host);
      if (listed.blocked && !deps.mayAllow(listed.category))
        return render(request, reply, 403, {
          notice: {
            ok: false,
            lines: [
              t(request)('console.unitOnly', {
                name: host.host,
                list: listed.listId,
                category: listed.category,
              }),
            ],
            review: { name: host.host, category: listed.category, listId: listed.listId },
          },
        });
    }
    const rule: LocalRule = {
      name: host.host,
      action,
      category: (f.category ?? '').trim() || 'local',
      note: (f.note ?? '').trim().slice(0, 500),
      addedBy: request.session.get('user') ?? '',
      addedAt: (deps.now?.() ?? new Date()).toISOString(),
    };
    const checked = await editor.edit((doc) => addRule(doc, rule));
    const notice = await written(
      request,
      checked,
      t(request)(action === 'allow' ? 'console.allowed' : 'console.blocked', { name: host.host }),
    );
    return render(request, reply, notice.ok ? 200 : 400, { notice });
  });

  app.post(`${CONSOLE_PATH}/rules/remove`, signedIn, async (request, reply) => {
    const { editor } = deps;
    if (!editor) return render(request, reply, 409);
    const name = fields(request).name ?? '';
    const notice = await written(
      request,
      await editor.edit((doc) => removeRule(doc, name)),
      t(request)('console.removed', { name }),
    );
    return render(request, reply, notice.ok ? 200 : 400, { notice });
  });

  app.post(`${CONSOLE_PATH}/devices`, signedIn, async (request, reply) => {
    if (!deps.editor) return render(request, reply, 409);
    const f = fields(request);
    const device = {
      name: (f.name ?? '').trim(),
      address: (f.address ?? '').trim(),
      policy: f.policy ?? '',
    };
    const notice = await written(
      request,
      await deps.editor.edit((doc) => putDevice(doc, device)),
      t(request)('console.deviceSaved', { name: device.name, policy: device.policy }),
    );
    return render(request, reply, notice.ok ? 200 : 400, { notice });
  });

  app.post(`${CONSOLE_PATH}/devices/remove`, signedIn, async (request, reply) => {
    if (!deps.editor) return render(request, reply, 409);
    const name = fields(request).name ?? '';
    const notice = await written(
      request,
      await deps.editor.edit((doc) => removeDevice(doc, name)),
      t(request)('console.deviceRemoved', { name }),
    );
    return render(request, reply, notice.ok ? 200 : 400, { notice });
  });

  app.post(`${CONSOLE_PATH}/policies`, signedIn, async (request, reply) => {
    if (!deps.editor) return render(request, reply, 409);
    const f = fields(request);
    const categories = categoryList(f.categories);
    const policy = {
      name: (f.name ?? '').trim(),
      ...(categories.length && { categories }),
      safeSearch: f.safeSearch === '1',
    };
    const notice = await written(
      request,
      await deps.editor.edit((doc) => putPolicy(doc, policy)),
      t(request)('console.policySaved', { name: policy.name }),
    );
    return render(request, reply, notice.ok ? 200 : 400, { notice });
  });

  app.post(`${CONSOLE_PATH}/policies/schedule`, signedIn, async (request, reply) => {
    if (!deps.editor) return render(request, reply, 409);
    const f = fields(request);
    const name = f.policy ?? '';
    const existing = deps.config().policies.find((p) => p.name === name)?.schedule ?? [];
    const categories = categoryList(f.categories);
    const windows =
      f.clear === '1'
        ? []
        : [
            ...existing,
            {
              days: many(request, 'days') as ScheduleWindow['days'],
              from: (f.from ?? '').trim(),
              to: (f.to ?? '').trim(),
              ...(categories.length && { categories }),
              safeSearch: f.safeSearch === '1',
            },
          ];
    let known = true;
    const checked = await deps.editor.edit((doc) => {
      known = setSchedule(doc, name, windows);
    });
    const notice = known
      ? await written(request, checked, t(request)('console.scheduleSaved', { name }))
      : { ok: false, lines: [t(request)('console.notAPolicy', { name })] };
    return render(request, reply, notice.ok ? 200 : 400, { notice });
  });

  app.post(`${CONSOLE_PATH}/review`, signedIn, async (request, reply) => {
    const f = fields(request);
    const host = hostOf(f.name ?? '');
    if (!deps.review || !host.ok)
      return render(request, reply, 400, {
        notice: {
          ok: false,
          lines: [host.ok ? t(request)('console.reportsNotSetUp') : host.reason],
        },
      });
    await deps.review(host.host, (f.note ?? '').trim(), request.session.get('user') ?? '');
    return render(request, reply, 200, {
      notice: {
        ok: true,
        lines: [t(request)('console.reviewQueued', { name: host.host })],
      },
    });
  });

  app.post(
    `${CONSOLE_PATH}/check`,
    {
      ...signedIn,
      // Per account: the console must not become a way to test a hashed list name by name.
      config: {
        rateLimit: {
          max: deps.checksPerMinute ?? 20,
          timeWindow: 60_000,
          keyGenerator: (request: FastifyRequest) =>
            `check:${request.session.get('user') ?? request.ip}`,
        },
      },
    },
    async (request, reply) => {
      const f = fields(request);
      const host = hostOf(f.name ?? '');
      if (!host.ok)
        return render(request, reply, 400, { notice: { ok: false, lines: [host.reason] } });
      const client = (f.client ?? '').trim() || undefined;
      if (client && isIP(client) === 0)
        return render(request, reply, 400, {
          notice: { ok: false, lines: [t(request)('console.notAnAddress', { value: client })] },
        });
      return render(request, reply, 200, { check: await deps.explain(host.host, client) });
    },
  );

  await app.ready();
  return (req, res) => app.routing(req, res);
}
