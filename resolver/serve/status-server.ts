/**
 * The status port: the HTML page at /, the report form's POST /report, Prometheus at /metrics,
 * a health probe at /healthz (200 "ok", or 503 "not ready" / "degraded" with the reasons).
 * Every route answers only to a Host that is an IP address, localhost or a configured name:
 * a page on a name rebound to this address (DNS rebinding) gets 421 and reads nothing.
 * Everything under /console goes to the staff console (resolver/console/app.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { LANGUAGE_COOKIE, languageOfRequest, text } from './language.js';
import type { Metrics } from './metrics.js';
import { problemText } from './problems.js';
import { type FormNotice, queuedNotice, REPORT_PATH, type ReportForm } from './report-form.js';
import type { StatusRoutes } from './setup/routes.js';
import { renderStatusPage, type StatusView } from './status-page.js';

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
};

export function listenStatus(
  host: string,
  port: number,
  view: () => StatusView,
  metrics: Metrics,
  reportForm?: ReportForm,
  extraHosts: readonly string[] = [],
  /** More routes, e.g. device setup (setup/routes.ts), tried before the page's own. */
  routes?: StatusRoutes,
  staffConsole?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const allowedNames = new Set(
    ['localhost', ...extraHosts, ...(routes?.hosts ?? [])].map((h) => h.toLowerCase()),
  );
  const page = async (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    notice?: FormNotice,
  ) => {
    const reports = reportForm ? await reportForm.section(req, notice) : undefined;
    const lang = languageOfRequest(req);
    const asked = new URLSearchParams((req.url ?? '').split('?')[1]).get('lang');
    // The switch (?lang=) is remembered for the next visit, as in the console.
    const remember =
      asked === lang
        ? { 'set-cookie': `${LANGUAGE_COOKIE}=${lang}; Path=/; HttpOnly; SameSite=Strict` }
        : {};
    res
      .writeHead(status, { ...HTML_HEADERS, ...remember })
      .end(renderStatusPage({ ...view(), reports }, { lang, t: text(lang) }));
  };
  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, allowedNames)) {
      res
        .writeHead(421, { 'content-type': 'text/plain' })
        .end('this status page answers only to its address, localhost or statusHosts\n');
      return;
    }
    if (routes?.handle(req, res)) return;
    const [path, query] = (req.url ?? '/').split('?');
    if (staffConsole && (path === '/console' || path?.startsWith('/console/'))) {
      staffConsole(req, res);
      return;
    }
    if (req.method === 'POST' && path === REPORT_PATH && reportForm) {
      reportForm.handle(req).then(
        ({ status, notice }) => {
          // Post/redirect/get: a reload of the page does not send the report twice.
          if (status === 303) res.writeHead(303, { location: '/?reported=1#reports' }).end();
          else void page(req, res, status, notice).catch(() => res.writeHead(500).end());
        },
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/') {
      const notice = new URLSearchParams(query).has('reported') ? queuedNotice(req) : undefined;
      page(req, res, 200, notice).catch(() => res.writeHead(500).end());
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
    } else if (path === '/healthz') {
      const { notReady, warnings } = view().problems;
      const english = text('en');
      const lines = [
        ...notReady.map((p) => `not ready: ${problemText(p, english)}`),
        ...warnings.map((p) => `degraded: ${problemText(p, english)}`),
      ];
      res
        .writeHead(lines.length ? 503 : 200, { 'content-type': 'text/plain' })
        .end(lines.length ? `${lines.join('\n')}\n` : 'ok\n');
    } else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** An IP literal (not a name a rebinding attacker controls), localhost, or a configured name. */
function hostAllowed(host: string | undefined, names: ReadonlySet<string>): boolean {
  if (!host) return false;
  const name = /^\[([^\]]+)\](?::\d+)?$/.exec(host)?.[1] ?? host.replace(/:\d+$/, '');
  return isIP(name) !== 0 || names.has(name.toLowerCase().replace(/\.$/, ''));
}
