/**
 * `status`: every modem (id, number, device, profile, state, signal, operator, registration,
 * queue depth, sent today, last fault) and the queue. The modems' side comes from the snapshot the
 * server publishes; queue depths from the data folder itself (always current).
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { STALE_BEATS } from '../daemon/host-directory.js';
import { isSharedStore, readDataLock, type HostStatus, type PoolModemStatus, type QueuedByModem, type ServerStatus } from '../store/index.js';
import { terminalSafe } from './terminal-safe.js';
import { action, dataDirOf, openReadOnly, printJson } from './common.js';
import { renderTable } from './table.js';

/** One modem as `status --json` lists it. */
export type ModemView = Omit<PoolModemStatus, 'configuredProfile' | 'profile'> & {
  /** The configured profile (`auto`), or what init detected when it did. */
  profile: string;
  /** Queued jobs pinned to this modem (unpinned ones are under `queue.unpinned`). */
  queueDepth: number;
};

function modemViews(snapshot: ServerStatus | undefined, running: boolean, queued: QueuedByModem): ModemView[] {
  const listed = snapshot?.modems ?? [];
  const views: ModemView[] = listed.map(({ configuredProfile, profile, ...m }) => ({
    ...m,
    profile: profile ?? configuredProfile,
    ...(running ? {} : { state: 'stopped', signal: undefined, operator: undefined, registration: undefined, downSince: undefined }),
    queueDepth: queued.pinned[m.id] ?? 0,
  }));
  // Jobs pinned to a modem the server does not drive (removed from the config): shown, not hidden.
  for (const [id, n] of Object.entries(queued.pinned)) {
    if (!views.some((v) => v.id === id)) views.push({ id, device: '', profile: '', state: 'not configured', sentToday: 0, massPerMinute: 0, queueDepth: n });
  }
  return views;
}

const dash = (v: string | number | undefined) => (v === undefined || v === '' ? '-' : String(v));

function modemTable(modems: ModemView[]): string {
  return renderTable(modems, [
    { header: 'id', get: (m) => m.id },
    { header: 'number', get: (m) => dash(m.number) },
    { header: 'state', get: (m) => m.state },
    { header: 'signal', get: (m) => (m.signal?.dbm !== undefined ? `${m.signal.dbm} dBm` : dash(m.signal?.rssi)) },
    { header: 'operator', get: (m) => dash(m.operator), max: 16 },
    { header: 'network', get: (m) => dash(m.registration), max: 20 },
    { header: 'queued', get: (m) => String(m.queueDepth) },
    { header: 'sent today', get: (m) => (m.dailyCap !== undefined ? `${m.sentToday}/${m.dailyCap}` : String(m.sentToday)) },
    { header: 'profile', get: (m) => dash(m.profile) },
    { header: 'device', get: (m) => dash(m.device) },
  ]);
}

/** One host sharing the database, as `status --json` lists it (`hosts`). */
export interface HostView {
  host: string;
  /** Heartbeat within the last three beats. */
  live: boolean;
  startedAt: string;
  heartbeatAt: string;
  /** Seconds since the last heartbeat (the database's clock). */
  lastSeenSeconds: number;
  modems: ModemView[];
}

function hostViews(hosts: HostStatus[], heartbeatSeconds: number, queued: QueuedByModem): HostView[] {
  return hosts.map((h) => {
    const live = h.ageSeconds < STALE_BEATS * heartbeatSeconds;
    const modems = (h.status.modems ?? []).map(({ configuredProfile, profile, ...m }) => ({
      ...m,
      profile: profile ?? configuredProfile,
      ...(live ? {} : { state: 'host down', signal: undefined, operator: undefined, registration: undefined }),
      queueDepth: queued.pinned[m.id] ?? 0,
    }));
    return { host: h.host, live, startedAt: h.startedAt, heartbeatAt: h.heartbeatAt, lastSeenSeconds: Math.round(h.ageSeconds), modems };
  });
}

function hostLines(hosts: HostView[], queued: QueuedByModem): string[] {
  const table = renderTable(
    hosts.flatMap((h) => (h.modems.length ? h.modems : [undefined]).map((m) => ({ h, m }))),
    [
      { header: 'host', get: ({ h }) => h.host },
      { header: 'heartbeat', get: ({ h }) => (h.live ? 'live' : 'DOWN') },
      { header: 'last seen', get: ({ h }) => `${h.lastSeenSeconds} s ago` },
      { header: 'modem', get: ({ m }) => dash(m?.id) },
      { header: 'number', get: ({ m }) => dash(m?.number) },
      { header: 'state', get: ({ m }) => dash(m?.state) },
      { header: 'queued', get: ({ m }) => dash(m?.queueDepth) },
      { header: 'sent today', get: ({ m }) => (m ? (m.dailyCap !== undefined ? `${m.sentToday}/${m.dailyCap}` : String(m.sentToday)) : '-') },
    ],
  );
  const known = new Set(hosts.flatMap((h) => h.modems.map((m) => m.id)));
  const orphans = Object.entries(queued.pinned).filter(([id]) => !known.has(id));
  return [...table.split('\n'), ...orphans.map(([id, n]) => `${n} queued for modem ${id}, which no host drives`)];
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('server, modems and queue status')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .action(
      action(async (o: { json?: boolean; data?: string }) => {
        const dir = dataDirOf(o);
        const lock = await readDataLock(dir);
        const store = await openReadOnly(dir);
        const snapshot = await store.getStatus();
        const queue = await store.queueCounts();
        const queued = await store.queuedByModem();
        const shared = isSharedStore(store) ? await store.listHosts() : undefined;
        await store.close();
        const hosts = shared && hostViews(shared, loadConfig({ dataDir: dir }).store.heartbeatSeconds, queued);
        // A lock held by another CLI's direct operation is not a running server.
        const running = lock.held && !lock.stale && lock.info?.role !== 'cli';
        const modems = modemViews(snapshot, running, queued);
        const status = {
          server: { running, pid: running ? lock.info?.pid : undefined, startedAt: running ? snapshot?.startedAt : undefined },
          modem: running && snapshot ? { ...snapshot.modem, device: snapshot.device, updatedAt: snapshot.updatedAt } : { state: 'stopped', lastFault: snapshot?.modem.lastFault },
          modems,
          queue: { depth: queue.byPriority, byState: queue.byState, unpinned: queued.unpinned },
          ...(running && snapshot?.http ? { http: snapshot.http } : {}),
          ...(hosts ? { hosts } : {}),
        };
        if (o.json) return printJson(status);
        const queueLines = [
          `queue:    replies ${queue.byPriority.reply}, notifications ${queue.byPriority.notification}, mass ${queue.byPriority.mass} pending`,
          `jobs:     ${Object.entries(queue.byState).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        ];
        const server = `server:   ${running ? `running (pid ${lock.info?.pid})` : 'not running'}`;
        if (hosts) {
          // Several hosts on one database: every host and its modems, then the shared queue.
          const out = [`${server} on this host; ${hosts.filter((h) => h.live).length} of ${hosts.length} hosts live`, '', ...hostLines(hosts, queued), '', ...queueLines];
          process.stdout.write(out.map(terminalSafe).join('\n') + '\n');
          return;
        }
        if (modems.length > 1) {
          const faults = modems.filter((m) => m.lastFault).map((m) => `last fault ${m.id}: ${m.lastFault!.at} ${m.lastFault!.step}: ${m.lastFault!.reason}`);
          const out = [server, '', modemTable(modems), '', ...queueLines, `          ${queued.unpinned} queued for any modem, the rest pinned (column "queued")`, ...faults];
          process.stdout.write(out.join('\n') + '\n');
          return;
        }
        const m = status.modem as ServerStatus['modem'] & { device?: string };
        const one = modems[0];
        const out = [
          server,
          `modem:    ${m.state}${m.device ? ` on ${m.device}` : ''}`,
          ...(m.manufacturer || m.model ? [`model:    ${[m.manufacturer, m.model, m.revision].filter(Boolean).join(' ')} (profile ${m.profile ?? '?'})`] : []),
          ...(m.signal ? [`signal:   ${m.signal.dbm !== undefined ? `${m.signal.dbm} dBm` : 'unknown'} (rssi ${m.signal.rssi})`] : []),
          ...(m.operator ? [`operator: ${m.operator}`] : []),
          ...(m.registration ? [`network:  ${m.registration}`] : []),
          ...(one?.number ? [`number:   ${one.number}`] : []),
          ...(one ? [`sent:     ${one.sentToday} SMS parts today${one.dailyCap !== undefined ? ` (SIM limit ${one.dailyCap})` : ''}`] : []),
          ...queueLines,
          ...(m.lastFault ? [`last fault: ${m.lastFault.at} ${m.lastFault.step}: ${m.lastFault.reason}`] : []),
        ];
        // The modem's own strings (operator, model, fault text) are shown, never obeyed by the terminal.
        process.stdout.write(out.map(terminalSafe).join('\n') + '\n');
      }),
    );
}
