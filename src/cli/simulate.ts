/**
 * `simulate`: run the simulated modem on a pseudo-terminal (any program can open the printed
 * device), and control a running one: `simulate sms|call|pdu|sent|storage|fault|unplug|replug`.
 * The control socket protocol is documented in src/sim/CONTROL.md.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { locateDataDir } from '../config/config.js';
import { action, dataDirOf, intOption, printJson, simulatorPaths, UsageError } from './common.js';

interface CtlOpts {
  socket?: string;
  data?: string;
  modem?: string;
}

interface ReportCliOpts {
  policy?: string;
  mr?: number;
  to?: string;
  last?: boolean;
  status?: number;
  delay?: number;
  finalDelay?: number;
  recipientForm?: string;
  tz?: string;
}

/** TP-ST as decimal or 0x hex. */
function statusOption(value: string): number {
  const n = /^0x[0-9a-f]{1,2}$/i.test(value) ? parseInt(value, 16) : /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 255)) throw new UsageError(`--status must be 0-255 or 0x00-0xFF, got "${value}"`);
  return n;
}

async function request(o: CtlOpts, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { SimControlClient } = await import('../sim/index.js');
  const path = o.socket ?? simulatorPaths(dataDirOf(o), o.modem).control;
  const client = await SimControlClient.connect(path);
  try {
    const reply = await client.request(req as never);
    if (!reply.ok) throw new UsageError(`simulator: ${(reply as { error: string }).error}`);
    return reply;
  } finally {
    client.close();
  }
}

function ctl(cmd: Command): Command {
  return cmd
    .option('--socket <path>', 'control socket (default <data>/sim-control.sock)')
    .option('--data <dir>', 'data folder of `serve --simulate`')
    .option('--modem <id>', 'which modem of `serve --simulate --modems N` (m1, m2, …; default: the one modem)');
}

export function registerSimulate(program: Command): void {
  const sim = program
    .command('simulate')
    .description('run a simulated GSM modem on a pseudo-terminal; subcommands control a running one')
    .enablePositionalOptions()
    .option('--profile <name>', 'modem family to imitate: generic, sim800, huawei, quectel, wavecom, zte', 'generic')
    .option('--link <path>', 'also create this symlink to the device (like /dev/serial/by-id/…)')
    .option('--socket <path>', 'control socket (default <data>/sim-control.sock)')
    .option('--send-delay <ms>', 'network delay per SMS submit', intOption('--send-delay', 0, 600_000), 0)
    .option('--data <dir>', 'data folder for the default socket path')
    .action(
      action(async (o: { profile: string; link?: string; socket?: string; sendDelay: number; data?: string }) => {
        const { runSimulateCommand } = await import('../sim/index.js');
        // The socket goes into the data folder when there is one (so `simulate sms` finds it), else
        // into the temp folder (printed): the simulator never creates a data folder.
        const choice = locateDataDir({ dataDir: o.data });
        const control = o.socket ?? (o.data || existsSync(choice.dir) ? simulatorPaths(dataDirOf(o)).control : undefined);
        await runSimulateCommand({ profile: o.profile, link: o.link, control, sendDelayMs: o.sendDelay });
      }),
    );

  ctl(sim.command('sms'))
    .description('deliver an SMS to the simulated modem (multipart when long)')
    .requiredOption('--from <sender>', 'sender number or name')
    .requiredOption('--text <text>', 'text')
    .option('--order <list>', 'part delivery order for multipart, e.g. 3,1,2')
    .option('--encoding <enc>', 'gsm7, ucs2 or 8bit (default: gsm7 when it fits)')
    .action(
      action(async (o: CtlOpts & { from: string; text: string; order?: string; encoding?: string }) => {
        const order = o.order?.split(',').map((x) => Number(x.trim()));
        if (order?.some((n) => !Number.isInteger(n))) throw new UsageError(`--order must list part numbers like 3,1,2, got "${o.order}"`);
        printJson(await request(o, { cmd: 'sms', from: o.from, text: o.text, ...(order ? { order } : {}), ...(o.encoding ? { encoding: o.encoding } : {}) }));
      }),
    );
  ctl(sim.command('pdu'))
    .description('deliver a raw SMS-DELIVER PDU (hex, with SMSC prefix)')
    .requiredOption('--hex <pdu>', 'PDU hex')
    .action(action(async (o: CtlOpts & { hex: string }) => printJson(await request(o, { cmd: 'pdu', hex: o.hex }))));
  ctl(sim.command('call'))
    .description('ring the modem from a number (RING + +CLIP until hung up)')
    .requiredOption('--from <number>', 'caller')
    .action(action(async (o: CtlOpts & { from: string }) => printJson(await request(o, { cmd: 'call', from: o.from }))));
  ctl(sim.command('sent'))
    .description('what the simulated modem has sent (decoded)')
    .action(action(async (o: CtlOpts) => printJson(await request(o, { cmd: 'sent' }))));
  ctl(sim.command('storage'))
    .description('SMS stored on the simulated SIM')
    .action(action(async (o: CtlOpts) => printJson(await request(o, { cmd: 'storage' }))));
  ctl(sim.command('fault <type>'))
    .description('inject a fault: hang, hangOnNextSend, cmsOnNextSend, garbage, noiseBurst, simFull, dropNextCmti, failNextDelete, stallNextDelete, clear')
    .option('--code <n>', 'CMS error code for cmsOnNextSend')
    .option('--ms <n>', 'duration for hang and hangOnNextSend')
    .option('--line <text>', 'line for garbage')
    .option('--count <n>', 'lines for noiseBurst')
    .action(
      action(async (type: string, o: CtlOpts & { code?: string; ms?: string; line?: string; count?: string }) => {
        const num = (flag: string, v?: string) => {
          if (v === undefined) return undefined;
          if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number, got "${v}"`);
          return Number(v);
        };
        // The control protocol calls noiseBurst's count `n` (src/sim/CONTROL.md).
        printJson(await request(o, { cmd: 'fault', type, code: num('--code', o.code), ms: num('--ms', o.ms), line: o.line, n: num('--count', o.count) }));
      }),
    );
  ctl(sim.command('report'))
    .description('status reports: set how the network answers TP-SRR (--policy), or send one now (--mr/--to or --last)')
    .option('--policy <outcome>', 'for future sends: delivered, failed, pending (temporary, then final), none')
    .option('--mr <n>', 'one report now on this message reference…', intOption('--mr', 0, 255))
    .option('--to <number>', '…and this recipient')
    .option('--last', 'one report now on the last part the modem sent')
    .option('--status <code>', 'TP-ST, decimal or 0x hex (0 delivered, 0x21 busy, 0x46 expired)', statusOption)
    .option('--delay <ms>', 'delay before the (first) report', intOption('--delay', 0, 7 * 86_400_000))
    .option('--final-delay <ms>', 'pending: delay from the temporary to the final report', intOption('--final-delay', 0, 7 * 86_400_000))
    .option('--recipient-form <form>', 'how the SMSC writes the recipient: international, national, unknown')
    .option('--tz <minutes>', 'SMSC zone for the report times, minutes east of UTC (multiple of 15)')
    .action(
      action(async (o: CtlOpts & ReportCliOpts) => {
        const one = o.mr !== undefined || o.to !== undefined || o.last;
        if (one && o.policy) throw new UsageError('give either --policy (future sends) or --mr/--to/--last (one report now), not both');
        if (o.mr !== undefined && !o.to) throw new UsageError('--mr needs --to (the recipient the report is about)');
        if (o.to && o.mr === undefined) throw new UsageError('--to needs --mr (the message reference the report is about)');
        const tz = o.tz === undefined ? undefined : Number(o.tz);
        if (tz !== undefined && !Number.isInteger(tz)) throw new UsageError(`--tz must be whole minutes, got "${o.tz}"`);
        if (one) {
          if (o.finalDelay !== undefined || tz !== undefined) throw new UsageError('--final-delay and --tz belong to --policy');
          const target = o.last ? { sent: 'last' } : { mr: o.mr, to: o.to };
          printJson(await request(o, { cmd: 'report', ...target, status: o.status, delayMs: o.delay, recipientForm: o.recipientForm }));
          return;
        }
        const policy = { outcome: o.policy, status: o.status, delayMs: o.delay, finalDelayMs: o.finalDelay, recipientForm: o.recipientForm, tzOffsetMinutes: tz };
        const given = Object.values(policy).some((v) => v !== undefined);
        printJson(await request(o, { cmd: 'report', ...(given ? { policy } : {}) }));
      }),
    );
  ctl(sim.command('mr <next>'))
    .description('the TP-MR the next send gets (0-255; it wraps after 255)')
    .action(action(async (next: string, o: CtlOpts) => printJson(await request(o, { cmd: 'mr', next: intOption('<next>', 0, 255)(next) }))));
  ctl(sim.command('unplug')).description('pull the simulated USB stick').action(action(async (o: CtlOpts) => printJson(await request(o, { cmd: 'unplug' }))));
  ctl(sim.command('replug')).description('re-insert it').action(action(async (o: CtlOpts) => printJson(await request(o, { cmd: 'replug' }))));
}
