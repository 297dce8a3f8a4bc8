/** `status`: the modem (model, signal, operator, registration, state, last fault) and the queue. */
import type { Command } from 'commander';
import { readDataLock, type ServerStatus } from '../store/index.js';
import { terminalSafe } from './terminal-safe.js';
import { action, dataDirOf, openReadOnly, printJson } from './common.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('server, modem and queue status')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .action(
      action(async (o: { json?: boolean; data?: string }) => {
        const dir = dataDirOf(o);
        const lock = await readDataLock(dir);
        const store = await openReadOnly(dir);
        const snapshot = await store.getStatus();
        const queue = await store.queueCounts();
        await store.close();
        // A lock held by another CLI's direct operation is not a running server.
        const running = lock.held && !lock.stale && lock.info?.role !== 'cli';
        const status = {
          server: { running, pid: running ? lock.info?.pid : undefined, startedAt: running ? snapshot?.startedAt : undefined },
          modem: running && snapshot ? { ...snapshot.modem, device: snapshot.device, updatedAt: snapshot.updatedAt } : { state: 'stopped', lastFault: snapshot?.modem.lastFault },
          queue: { depth: queue.byPriority, byState: queue.byState },
          ...(running && snapshot?.http ? { http: snapshot.http } : {}),
        };
        if (o.json) return printJson(status);
        const m = status.modem as ServerStatus['modem'] & { device?: string };
        const out = [
          `server:   ${running ? `running (pid ${lock.info?.pid})` : 'not running'}`,
          `modem:    ${m.state}${m.device ? ` on ${m.device}` : ''}`,
          ...(m.manufacturer || m.model ? [`model:    ${[m.manufacturer, m.model, m.revision].filter(Boolean).join(' ')} (profile ${m.profile ?? '?'})`] : []),
          ...(m.signal ? [`signal:   ${m.signal.dbm !== undefined ? `${m.signal.dbm} dBm` : 'unknown'} (rssi ${m.signal.rssi})`] : []),
          ...(m.operator ? [`operator: ${m.operator}`] : []),
          ...(m.registration ? [`network:  ${m.registration}`] : []),
          `queue:    replies ${queue.byPriority.reply}, notifications ${queue.byPriority.notification}, mass ${queue.byPriority.mass} pending`,
          `jobs:     ${Object.entries(queue.byState).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          ...(m.lastFault ? [`last fault: ${m.lastFault.at} ${m.lastFault.step}: ${m.lastFault.reason}`] : []),
        ];
        // The modem's own strings (operator, model, fault text) are shown, never obeyed by the terminal.
        process.stdout.write(out.map(terminalSafe).join('\n') + '\n');
      }),
    );
}
