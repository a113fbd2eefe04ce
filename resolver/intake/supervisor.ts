/** A supervisor's pages: accounts (list, add with a new second factor, remove) and retention. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createAccount, parseRole } from './accounts.js';
import { currentRetention, purgeSummary, type Retention, retentionFromForm } from './retention.js';
import { type Analyst, requireSupervisor, sendLogin, signedIn } from './signin.js';
import type { IntakeStore } from './store.js';
import { type AccountsView, accountsPage } from './triage-page.js';

type Form = Record<string, string | undefined>;

export async function supervisorRoutes(
  app: FastifyInstance,
  /** `retention`: the `--keep` flags, under the rules a supervisor saves here. */
  deps: { store: IntakeStore; retention: Retention },
): Promise<void> {
  const render = (
    reply: FastifyReply,
    analyst: Analyst,
    status: number,
    extra: Pick<AccountsView, 'message' | 'enrolment'> = {},
  ) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        accountsPage({
          analyst,
          csrf: reply.generateCsrf(),
          users: deps.store.users(),
          retention: currentRetention(deps.store, deps.retention),
          ...extra,
        }),
      );

  app.get('/triage/users', async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!requireSupervisor(analyst))
      return sendLogin(reply, 403, 'Only a supervisor manages accounts.');
    return render(reply, analyst, 200);
  });

  app.post('/triage/users/add', { preHandler: app.csrfProtection }, async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!requireSupervisor(analyst))
      return sendLogin(reply, 403, 'Only a supervisor manages accounts.');
    const form = request.body as Form;
    try {
      const enrolment = await createAccount(
        deps.store,
        form.user ?? '',
        form.password ?? '',
        parseRole(form.role ?? ''),
        analyst.user,
      );
      return render(reply, analyst, 200, { enrolment });
    } catch (error) {
      return render(reply, analyst, 400, { message: (error as Error).message });
    }
  });

  app.post('/triage/purge', { preHandler: app.csrfProtection }, async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!requireSupervisor(analyst)) return sendLogin(reply, 403, 'Only a supervisor purges.');
    const retention = currentRetention(deps.store, deps.retention);
    const purged = deps.store.cases.purge(retention, analyst.user, new Date());
    return render(reply, analyst, 200, { message: purgeSummary(purged) });
  });

  app.post('/triage/retention', { preHandler: app.csrfProtection }, async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!requireSupervisor(analyst))
      return sendLogin(reply, 403, 'Only a supervisor sets retention.');
    try {
      deps.store.cases.retentionRules.set(
        retentionFromForm(request.body as Form),
        analyst.user,
        new Date(),
      );
    } catch (error) {
      return render(reply, analyst, 400, { message: (error as Error).message });
    }
    return render(reply, analyst, 200, { message: 'Retention saved.' });
  });

  app.post('/triage/users/remove', { preHandler: app.csrfProtection }, async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!requireSupervisor(analyst))
      return sendLogin(reply, 403, 'Only a supervisor manages accounts.');
    const name = (request.body as Form).user ?? '';
    if (name === analyst.user)
      return render(reply, analyst, 400, { message: 'You cannot remove your own account.' });
    if (!deps.store.removeUser(name))
      return render(reply, analyst, 404, { message: 'No such account.' });
    deps.store.log(analyst.user, 'user remove', name);
    return render(reply, analyst, 200, { message: `Account ${name} removed; its sessions end.` });
  });
}
