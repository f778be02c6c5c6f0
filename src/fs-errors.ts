const reasons: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'no such file or folder',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EIO: 'an input/output error',
}

/** A file system error in words, with its code: "permission denied (EACCES)". */
export function describeFsError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? 'EIO'
  return `${reasons[code] ?? error.message} (${code})`
}

/** An error from the file system (it carries an errno code), as opposed to one of switchyard's own. */
export const isFsError = (error: unknown): boolean =>
  error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && 'errno' in error

/** A full disk is the machine's problem, not bad input: it ends with exit 1, not 2. */
export const isDiskFull = (error: unknown) =>
  ['ENOSPC', 'EDQUOT'].includes((error as NodeJS.ErrnoException | undefined)?.code ?? '')
