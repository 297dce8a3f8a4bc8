/**
 * Read a file that someone else may have put in place — only if it is a regular file. Opened
 * non-blocking and without following a symlink, so a named pipe dropped under the expected name
 * cannot block the reader (a blocking open of a FIFO waits for a writer forever, holding a libuv
 * thread and any shutdown that waits for the read), and a symlink cannot make us read another file.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type RegularRead = { kind: 'file'; text: string } | { kind: 'other'; what: string };

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** The file's text, or what it is instead (`directory`, `named pipe`, …). ENOENT and other errors throw. */
export async function readRegularFile(file: string): Promise<RegularRead> {
  let fh;
  try {
    fh = await open(file, FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'other', what: 'symbolic link' };
    if (code === 'ENXIO') return { kind: 'other', what: 'socket' };
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'directory' : st.isFIFO() ? 'named pipe' : st.isSocket() ? 'socket' : 'device';
      return { kind: 'other', what };
    }
    return { kind: 'file', text: await fh.readFile('utf8') };
  } finally {
    await fh.close();
  }
}
