/**
 * A password (a client's portal password for `clients add`, an account's SMPP password for
 * `accounts set --smpp-password`) without putting it on the command line, where every local
 * user sees it in `ps` and it lands in shell history: from stdin (`--password-stdin`, for scripts)
 * or typed at a hidden prompt (`read`, npm's own prompt library, echo off).
 */
import { UsageError } from './common.js';

/** The whole of stdin, without the one line end a `printf`/`echo` adds. */
export async function passwordFromStdin(flag = '--password-stdin'): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text.includes('\n')) throw new UsageError(`${flag} reads one password: stdin has more than one line`);
  return text;
}

/** Asks twice on the terminal (echo off); the two must match. */
export async function passwordFromPrompt(label = 'Portal password', hint = 'pass --password-stdin and pipe it in (printf %s "$PW" | sms-server clients add … --password-stdin)'): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`no password: ${hint}, or run in a terminal to be asked`);
  const { read } = await import('read'); // only when a person is asked
  const ask = (prompt: string) => read({ prompt, silent: true, replace: '', output: process.stderr });
  const first = await ask(`${label}: `);
  const again = await ask('Again: ');
  if (first !== again) throw new UsageError('the two passwords differ; nothing was saved');
  return first;
}
