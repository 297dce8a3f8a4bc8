/** `send`, `mass`, `mass status`, `outbox`: outbound work from the command line. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { normalizeLogin } from '../accounts/index.js';
import { deliveryJson, deliveryLabel } from '../delivery/state.js';
import { campaignStatus, type CampaignResult, type CancelResult } from '../queue/index.js';
import type { Job, JobState } from '../store/index.js';
import { parseRecipientsFile } from '../util/csv.js';
import { action, applyOp, cliConfig, dataDirOf, intOption, noteMore, openReadOnly, printJson, UsageError } from './common.js';
import { renderTable } from './table.js';
import { terminalSafe } from './terminal-safe.js';

const STATES: JobState[] = ['queued', 'sending', 'sent', 'failed', 'unknown'];
const SEALED = '[sealed: contains credentials]';

/** The JSON shape of an outbound job. Sealed (credential) texts are never printed. */
export function jobJson(j: Job): Record<string, unknown> {
  return {
    id: j.id,
    to: j.to,
    text: j.sealed ? SEALED : j.text,
    priority: j.priority,
    state: j.state,
    attempts: j.attempts,
    ...(j.lastError ? { lastError: j.lastError } : {}),
    ...(j.reason ? { reason: j.reason } : {}),
    createdAt: j.createdAt,
    ...(j.sentAt ? { sentAt: j.sentAt } : {}),
    ...(j.parts ? { parts: j.parts.map((p) => ({ seq: p.seq, ...(p.mr !== undefined ? { mr: p.mr } : {}) })) } : {}),
    duplicates: j.duplicates ?? 0,
    delivery: deliveryJson(j),
    ...(j.campaignId ? { campaignId: j.campaignId } : {}),
    ...(j.inReplyTo ? { inReplyTo: j.inReplyTo } : {}),
    ...(j.account ? { account: j.account } : {}),
  };
}

/** `--account`: a login in its stored (lower-case) form; whether it exists is checked by the writer. */
function accountFlag(v: string): string {
  try {
    return normalizeLogin(v);
  } catch (e) {
    throw new UsageError(`--account: ${(e as Error).message}`);
  }
}

/** `yes` / `no` → boolean, anything else a usage error naming the flag. */
function yesNo(flag: string) {
  return (v: string): boolean => {
    if (v === 'yes') return true;
    if (v === 'no') return false;
    throw new UsageError(`${flag} must be yes or no, got "${v}"`);
  };
}

function splitList(v: string, prev: string[] = []): string[] {
  return prev.concat(v.split(',').map((s) => s.trim()).filter(Boolean));
}

function bar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function registerOutbound(program: Command): void {
  program
    .command('send')
    .description('queue a notification SMS (opted-out clients are refused)')
    .requiredOption('--to <phone>', 'recipient (repeat or comma-separate for several)', splitList)
    .requiredOption('--text <text>', 'message text')
    .option('--account <login>', 'send as this account: replies from the recipients are routed back to it')
    .option('--report <yes|no>', 'ask for a delivery report (default: the server\'s queue.deliveryReports)', yesNo('--report'))
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: { to: string[]; text: string; account?: string; report?: boolean; json?: boolean; data?: string; config?: string }) => {
        const cfg = cliConfig(o);
        const { via, result } = await applyOp<{ ids: string[]; jobs: { id: string; to: string; state: string }[]; rejected: { to: string; error: string; message: string }[] }>(
          cfg,
          'send',
          {
            to: o.to.length === 1 ? o.to[0] : o.to,
            text: o.text,
            ...(o.account !== undefined ? { account: accountFlag(o.account) } : {}),
            ...(o.report !== undefined ? { report: o.report } : {}),
          },
        );
        if (o.json) printJson({ ...result, id: result.ids[0], via });
        else {
          for (const j of result.jobs) process.stdout.write(`${j.id}\t${j.to}\t${j.state}\n`);
          for (const r of result.rejected) process.stderr.write(`rejected ${r.to}: ${r.message}\n`);
        }
        if (!result.ids.length) process.exitCode = 1;
      }),
    );

  const mass = program
    .command('mass')
    .description('queue a mass text to every number in FILE (cron-friendly); `mass status` shows progress')
    .option('--file <file>', 'recipients: one number per line, or CSV with a "phone" column')
    .option('--text <text>', 'message text')
    .option('--name <name>', 'campaign name')
    .option('--strict', 'reject the whole file if any line is bad')
    .option('--account <login>', 'send as this account: replies from the recipients are routed back to it')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: { file?: string; text?: string; name?: string; strict?: boolean; account?: string; json?: boolean; data?: string; config?: string }) => {
        if (!o.file || !o.text) throw new UsageError('mass needs --file FILE and --text TEXT (or: mass status [ID])');
        const account = o.account === undefined ? undefined : accountFlag(o.account);
        const cfg = cliConfig(o);
        let fileText: string;
        try {
          fileText = readFileSync(o.file, 'utf8');
        } catch (e) {
          throw new UsageError(`cannot read --file ${o.file}: ${(e as Error).message}`);
        }
        // Checked here too, so every bad line is named as FILE:LINE (the server's refusal names
        // only the first) and a rejected file is never shipped through the spool — also when not
        // --strict but no line is usable at all.
        const { phones, errors } = parseRecipientsFile(fileText, { country: cfg.country });
        if (errors.length && (o.strict || phones.length === 0)) {
          for (const bad of errors) process.stderr.write(`${o.file}:${bad.line}: ${bad.message}\n`);
          throw new UsageError(
            o.strict ? `${o.file}: ${errors.length} bad line(s); --strict queues nothing` : `${o.file}: no valid recipient (${errors.length} bad line(s)); nothing queued`,
          );
        }
        const { via, result } = await applyOp<CampaignResult>(cfg, 'mass', { text: o.text, name: o.name, fileText, strict: o.strict, ...(account ? { account } : {}) });
        if (o.json) printJson({ ...result, via });
        else {
          for (const bad of result.invalid) process.stderr.write(`${o.file}:${bad.line}: ${bad.message} (skipped)\n`);
          process.stdout.write(
            `campaign ${result.campaignId}: ${result.enqueued} queued, ${result.skippedOptOut} opted out, ${result.invalid.length} bad line(s), ${result.duplicates} duplicate(s) removed\n`,
          );
        }
      }),
    );

  mass
    .command('status [id]')
    .description('progress of a campaign (default: the latest)')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .action(
      action(async (id: string | undefined, o: { json?: boolean; data?: string }) => {
        const store = await openReadOnly(dataDirOf(o));
        try {
          const campaigns = await store.listCampaigns();
          const target = id ? campaigns.find((c) => c.id === id) : campaigns[campaigns.length - 1];
          if (!target) throw new UsageError(id ? `no campaign "${id}"` : 'no campaigns yet');
          const s = (await campaignStatus(store, target.id))!;
          if (o.json) return printJson(s);
          const done = s.done;
          const line = `${target.id} ${target.name ? `"${target.name}" ` : ''}${bar(done, s.total)} ${done}/${s.total}` +
            ` sent ${s.counts.sent ?? 0}, failed ${s.counts.failed ?? 0}, unknown ${s.counts.unknown ?? 0}, pending ${s.pending}` +
            (s.eta ? `, ETA ${s.eta}` : '');
          process.stdout.write(terminalSafe(line) + '\n');
        } finally {
          await store.close();
        }
      }),
    );

  mass
    .command('cancel <id>')
    .description('cancel what is left of a campaign: its queued SMS are not sent (those on the air finish)')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (id: string, o: { json?: boolean; data?: string; config?: string }) => {
        const { via, result } = await applyOp<CancelResult>(cliConfig(o), 'mass.cancel', { id });
        if (o.json) return printJson({ ...result, via });
        process.stdout.write(`campaign ${terminalSafe(result.campaignId)}: ${result.cancelled} cancelled, ${result.sending} being sent finish\n`);
      }),
    );

  program
    .command('outbox')
    .description('outbound jobs with state, attempts, last error and times')
    .option('--json', 'print JSON')
    .option('--status <state>', `only this state (${STATES.join(', ')})`, (v: string) => {
      if (!STATES.includes(v as JobState)) throw new UsageError(`--status must be one of ${STATES.join(', ')}, got "${v}"`);
      return v as JobState;
    })
    .option('--limit <n>', 'at most N jobs', intOption('--limit', 1, 1_000_000), 50)
    .option('--data <dir>', 'data folder')
    .action(
      action(async (o: { json?: boolean; status?: JobState; limit: number; data?: string }) => {
        const store = await openReadOnly(dataDirOf(o));
        const jobs = await store.listJobs({ state: o.status, limit: o.limit + 1 });
        await store.close();
        if (jobs.length > o.limit) {
          jobs.length = o.limit;
          noteMore('jobs', o.limit);
        }
        if (o.json) return printJson(jobs.map(jobJson));
        if (!jobs.length) return void process.stdout.write('outbox is empty\n');
        const dups = jobs.reduce((n, j) => n + (j.duplicates ?? 0), 0);
        process.stdout.write(
          renderTable(jobs, [
            { header: 'ID', get: (j) => j.id },
            { header: 'TO', get: (j) => j.to },
            { header: 'PRIORITY', get: (j) => j.priority },
            { header: 'STATE', get: (j) => j.state },
            { header: 'TRIES', get: (j) => String(j.attempts) },
            { header: 'CREATED', get: (j) => j.createdAt.replace('T', ' ').slice(0, 19) },
            { header: 'SENT', get: (j) => (j.sentAt ?? '').replace('T', ' ').slice(0, 19) },
            { header: 'DUP', get: (j) => String(j.duplicates ?? 0) },
            { header: 'DELIVERY', get: (j) => deliveryLabel(j) },
            { header: 'TEXT / ERROR', get: (j) => (j.lastError && j.state !== 'sent' ? `⚠ ${j.lastError}` : j.sealed ? SEALED : j.text), max: 50 },
          ]) + '\n',
        );
        if (dups) process.stdout.write(`possible duplicates sent: ${dups}\n`);
      }),
    );
}
