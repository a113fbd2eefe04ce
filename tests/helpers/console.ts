/** Signing in to the resolver's staff console over HTTP (fetch), as a browser's forms would. */

import { runKalkan } from './kalkan-process.js';

export const STAFF = { user: 'anna', password: 'correct horse battery staple' };

/** `kalkan serve user add` through the built CLI, the password on stdin, as an operator does. */
export async function addStaff(configPath: string, staff = STAFF): Promise<void> {
  const add = await runKalkan(['serve', 'user', 'add', staff.user, '--config', configPath], {
    input: `${staff.password}\n`,
  });
  if (add.code !== 0) throw new Error(`kalkan serve user add ${staff.user}: ${add.stderr}`);
}

export interface ConsoleSession {
  base: string;
  cookie: string;
  csrf: string;
  /** POSTs a console form with the session's cookie and CSRF token. */
  post: (path: string, fields: Record<string, string>) => Promise<Response>;
}

export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** The cookies a response sets, as a browser sends them back (`name=value; name=value`). */
export const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

export async function signIn(statusPort: number, staff = STAFF): Promise<ConsoleSession> {
  const base = `http://127.0.0.1:${statusPort}`;
  const form = await fetch(`${base}/console/sign-in`);
  let cookie = cookieOf(form);
  const signedIn = await fetch(`${base}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body: new URLSearchParams({ _csrf: csrfOf(await form.text()), ...staff }),
  });
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  cookie = cookieOf(signedIn);
  const page = await fetch(`${base}/console`, { headers: { cookie } });
  const csrf = csrfOf(await page.text());
  return {
    base,
    cookie,
    csrf,
    post: (path, fields) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie },
        body: new URLSearchParams({ _csrf: csrf, ...fields }),
      }),
  };
}
