/**
 * Which data folder a CLI command works on, and whether this user may work on it.
 *
 * - The CLI never creates a data folder: a missing one is an error naming where the path came
 *   from (a `send` from the wrong directory used to make a fresh `./data` with a new key and queue
 *   a message no server would ever send). Only `serve` and explicit setup (`install -d`) create one.
 * - Unless `--data` named it, the folder used is said on stderr.
 * - The folder belongs to the user the server runs as. A command run by another user (root, by
 *   habit) would leave files the server cannot read — spool requests rejected with EACCES, a
 *   restart loop after the service's next start — so it is refused, naming the user to run as.
 *   Root may still read (listings write nothing).
 */
import { readFileSync, statSync } from 'node:fs';
import type { DataDirChoice } from '../config/config.js';
import { isNotFound } from '../util/fs-errors.js';

export class DataFolderError extends Error {
  readonly code = 'DATA_FOLDER';
  constructor(message: string) {
    super(message);
    this.name = 'DataFolderError';
  }
}

/** What a command does with the folder: lists it, writes it, or may create it (`serve`). */
export type FolderAccess = 'read' | 'write' | 'create';

/** Checks the folder for `access` by `command` (e.g. `clients add`); returns its path. */
export function useDataFolder(choice: DataDirChoice, access: FolderAccess, command: string): string {
  const { dir, source } = choice;
  let owner: number;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new DataFolderError(`data folder ${dir} (${source}) is not a folder`);
    owner = st.uid;
  } catch (e) {
    if (e instanceof DataFolderError) throw e;
    if (!isNotFound(e)) throw new DataFolderError(`cannot use data folder ${dir}: ${(e as Error).message}`);
    if (access === 'create') return dir;
    throw new DataFolderError(
      `data folder ${dir} (${source}) does not exist. Name the server's folder with --data DIR, SMS_SERVER_DATA or "dataDir" in /etc/sms-server/config.json; ` +
        `a new folder is made by \`sms-server serve --data DIR\` or \`install -d -m 0700 DIR\``,
    );
  }
  checkOwner(dir, owner, access, command);
  if (source !== '--data') process.stderr.write(`sms-server: data folder ${dir} (${source.startsWith('the default') ? source : `from ${source}`})\n`);
  return dir;
}

function checkOwner(dir: string, owner: number, access: FolderAccess, command: string): void {
  const me = process.getuid?.();
  if (me === undefined || me === owner) return;
  if (me === 0 && access === 'read') return;
  const name = userName(owner);
  const them = name ? `${name} (uid ${owner})` : `uid ${owner}`;
  const self = userName(me) ?? `uid ${me}`;
  const why =
    access === 'read'
      ? `${self} cannot read its private files`
      : `files written as ${self}${self.startsWith('uid') ? '' : ` (uid ${me})`} would be unreadable to the server running as ${name ?? `uid ${owner}`}`;
  // `sudo -u '#998'` is how sudo takes a bare uid (quoted: # starts a shell comment).
  throw new DataFolderError(
    `data folder ${dir} belongs to ${them}; ${why}. Run the command as that user: sudo -u ${name ?? `'#${owner}'`} sms-server ${command} …`,
  );
}

/** The login name of a uid, from /etc/passwd. */
export function userName(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && Number(id) === uid) return name;
    }
  } catch {
    /* no passwd file */
  }
  return undefined;
}
