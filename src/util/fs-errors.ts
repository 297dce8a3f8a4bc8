/** Errors of node:fs, classified once so every module asks the same question the same way. */

/** True when a node:fs call failed because the path (or a folder on it) does not exist. */
export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
