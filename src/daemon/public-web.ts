/**
 * Wiring of the public web listener and the chat (issue 12) into the server: the chat service on
 * the store (sessions, captcha single-use keys), its outbox on the queue, its inbound route, job
 * outcomes as delivery states, and the listener itself; the self-service page (issue 13) when
 * `selfService.enabled`. Wiring only: the logic lives in src/chat, src/selfservice and src/web.
 */
import { createHmac } from 'node:crypto';
import { ChatRoute, ChatService, storeOutbox, type ChatDeliveryState } from '../chat/index.js';
import type { TemplateSet } from '../commands/templates.js';
import type { Config } from '../config/config.js';
import type { JobOutcome } from '../queue/index.js';
import { notificationSwitch, type SelfService } from '../selfservice/index.js';
import type { Job, Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { AdminData } from '../web/admin/data.js';
import { registerAdminRoutes, type AdminAct } from '../web/admin/routes.js';
import { AdminSessions } from '../web/admin/sessions.js';
import { PowCaptcha } from '../web/captcha.js';
import { registerChatRoutes } from '../web/chat/routes.js';
import { registerSelfServiceRoutes } from '../web/selfservice/routes.js';
import { createWebServer, type WebServer } from '../web/server.js';

export interface PublicWeb {
  chat: ChatService;
  route: ChatRoute;
  /** Starts listening (after the rest of the server is up); answers the port. */
  listen(): Promise<number>;
  readonly port: number | undefined;
  close(): Promise<void>;
}

/** Queue outcomes as the delivery states a chat page shows (retries stay `queued`). */
const OUTCOME_STATE: Record<JobOutcome, ChatDeliveryState> = {
  sent: 'sent',
  failed: 'failed',
  unknown: 'unknown',
  retry: 'queued',
  resend: 'queued',
  interrupted: 'queued',
};

export async function createPublicWeb(o: {
  cfg: Config;
  store: Store;
  /** Job outcomes (the modem pool re-emits every worker's `job` event). */
  jobs: { on(event: 'job', listener: (job: Job, outcome: JobOutcome) => void): unknown };
  /** More than one modem: a chat conversation keeps to one SIM. */
  severalModems: boolean;
  /** The server's secret key: the captcha signing key is derived from it (challenges survive a restart). */
  key: Buffer;
  kick: () => void;
  /** The operator console at /admin (issue 18): the operator token and the server's ops. Without it: no console. */
  admin?: { token: string; act: AdminAct };
  /** The self-service page is served when given (the same service as the API's verify). */
  selfService?: SelfService;
  /** Reply texts: the page's notification switch confirms by the `CLIENT sms stop/start` SMS. */
  templates: TemplateSet;
  /** Shown in the page's activation hint. */
  serviceNumber?: string;
  /** The server's clock: page sessions expire on it. */
  clock?: Clock;
  logger: Logger;
}): Promise<PublicWeb> {
  const { cfg, store, logger } = o;
  const log = moduleLogger(logger, 'server');
  const chat = new ChatService({
    repo: store,
    outbox: storeOutbox(store, { onQueued: o.kick }),
    jobs: store,
    maxLength: cfg.chat.maxLength,
    sessionMinutes: cfg.chat.sessionMinutes,
    template: cfg.chat.template,
    allowedPrefixes: cfg.chat.allowedPrefixes,
    phoneRule: { country: cfg.country },
    limits: cfg.chat.limits,
    pinToModem: o.severalModems,
    logger,
  });
  if (cfg.chat.captcha === 'off') {
    log.warn('chat.captcha is "off": anyone can make this server send SMS from the public page; use it for local testing only');
  }
  const captcha = new PowCaptcha({
    mode: cfg.chat.captcha,
    guard: store,
    difficulty: cfg.chat.captchaDifficulty,
    secret: createHmac('sha256', o.key).update('sms-server chat captcha v1').digest(),
  });
  const self = o.selfService;
  if (self && self.settings.captcha === 'off') {
    log.warn('selfService.captcha is "off": anyone can try codes on the self-service page without a proof of work; use it for local testing only');
  }
  const selfCaptcha = self
    ? new PowCaptcha({
        mode: self.settings.captcha,
        guard: store,
        difficulty: self.settings.captchaDifficulty,
        secret: createHmac('sha256', o.key).update('sms-server self-service captcha v1').digest(),
      })
    : undefined;
  o.jobs.on('job', (job: Job, outcome: JobOutcome) => void chat.jobUpdate(job.id, OUTCOME_STATE[outcome], job.via));
  await chat.start();

  let web: WebServer | undefined;
  return {
    chat,
    route: new ChatRoute(chat),
    get port() {
      return web?.port;
    },
    async listen() {
      const { host, port, trustProxy } = cfg.web;
      web = await createWebServer({ host, port, trustProxy, logger });
      await registerChatRoutes(web.app, { chat, captcha, sse: web.sse, language: cfg.language, logger });
      if (o.admin) {
        const sessions = new AdminSessions({ token: o.admin.token });
        await registerAdminRoutes(web.app, { sessions, data: new AdminData(store), act: o.admin.act, sse: web.sse, logger });
      }
      if (self && selfCaptcha) {
        await registerSelfServiceRoutes(web.app, {
          selfService: self,
          notifications: notificationSwitch(store, o.templates, { onQueued: o.kick, clock: o.clock, logger }),
          captcha: selfCaptcha,
          language: cfg.language,
          phoneRule: { country: cfg.country },
          serviceNumber: o.serviceNumber,
          loginsPerIpPerHour: self.settings.loginsPerIpPerHour,
          clock: o.clock,
          logger,
        });
      }
      return web.listen();
    },
    async close() {
      await web?.close();
      await chat.stop();
    },
  };
}
