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
}

async function request(o: CtlOpts, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { SimControlClient } = await import('../sim/index.js');
  const path = o.socket ?? simulatorPaths(dataDirOf(o)).control;
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
    .option('--data <dir>', 'data folder of `serve --simulate`');
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
    .description('inject a fault: hang, hangOnNextSend, cmsOnNextSend, garbage, noiseBurst, simFull, dropNextCmti, failNextDelete, clear')
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
  ctl(sim.command('unplug')).description('pull the simulated USB stick').action(action(async (o: CtlOpts) => printJson(await request(o, { cmd: 'unplug' }))));
  ctl(sim.command('replug')).description('re-insert it').action(action(async (o: CtlOpts) => printJson(await request(o, { cmd: 'replug' }))));
}
