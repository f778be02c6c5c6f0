import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs'

/** Why a file the operator named could not be read. */
export type InputProblem =
  | { problem: 'missing' }
  | { problem: 'directory' }
  | { problem: 'not-regular'; kind: string }
  | { problem: 'too-large'; size: number }
  | { problem: 'unreadable'; code: string }

/**
 * Reads a file the operator named (runbook, params, saved plan), refusing what cannot be one before
 * reading a byte: a device or a pipe never ends (/dev/zero), and no read goes past `maxBytes`.
 */
export function readInputFile(file: string, maxBytes: number): { bytes: Buffer } | InputProblem {
  let fd: number
  try {
    const stat = statSync(file)
    if (!stat.isFile()) return irregular(stat)
    // O_NONBLOCK: should the path turn into a pipe between stat and open, opening it cannot hang.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    return code === 'ENOENT' ? { problem: 'missing' } : { problem: 'unreadable', code }
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) return irregular(stat)
    if (stat.size > maxBytes) return { problem: 'too-large', size: stat.size }
    // Counted as it is read: a file that grows past the limit while it is read is still refused.
    const chunks: Buffer[] = []
    let length = 0
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024)
      const read = readSync(fd, chunk, 0, chunk.length, null)
      if (read === 0) break
      length += read
      if (length > maxBytes) return { problem: 'too-large', size: length }
      chunks.push(chunk.subarray(0, read))
    }
    return { bytes: Buffer.concat(chunks, length) }
  } catch (error) {
    return { problem: 'unreadable', code: (error as NodeJS.ErrnoException).code ?? 'EIO' }
  } finally {
    closeSync(fd)
  }
}

/** One line naming the file and what is wrong with it. */
export function describeInputProblem(p: InputProblem, name: string, maxBytes: number): string {
  switch (p.problem) {
    case 'missing':
      return `no such file: ${name}`
    case 'directory':
      return `${name} is a directory, not a file`
    case 'not-regular':
      return `${name} is ${p.kind}, not a regular file: refusing to read it`
    case 'too-large':
      return `${name} is ${megabytes(p.size)} MB or more; at most ${megabytes(maxBytes)} MB is read`
    case 'unreadable':
      return `cannot read ${name} (${p.code})`
  }
}

export const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

function irregular(stat: Stats): InputProblem {
  if (stat.isDirectory()) return { problem: 'directory' }
  const kind = stat.isCharacterDevice()
    ? 'a character device'
    : stat.isBlockDevice()
      ? 'a block device'
      : stat.isFIFO()
        ? 'a named pipe'
        : stat.isSocket()
          ? 'a socket'
          : 'a special file'
  return { problem: 'not-regular', kind }
}
