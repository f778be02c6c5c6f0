import { randomBytes, randomUUID } from 'node:crypto'

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

function pick(alphabet: string, length: number): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const byte of bytes) out += alphabet[byte % alphabet.length]
  return out
}

export const hex = (length: number): string =>
  randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length)

/** Route 53 style: a letter, then upper-case letters and digits (`Z0123ABC...`, `C2682N5HXP0BZ4`). */
export const upperId = (prefix: string, length = 13): string => prefix + pick(UPPER_ALNUM, length)

/** EC2 style: `i-0abc...`, `snap-0abc...`, `vol-0abc...`. */
export const ec2Id = (prefix: string): string => `${prefix}-0${hex(16)}`

export const requestId = (): string => randomUUID()

export const uuid = (): string => randomUUID()
