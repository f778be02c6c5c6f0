import { mustDeclare, syntaxError } from './errors.js'

/**
 * T-SQL tokens, enough for the DDL the steps send. Quoted names follow QUOTENAME's rules (`[a]]b]` is `a]b`) and
 * N'..' literals double their quotes, so a hostile name never escapes its token and never starts a second statement.
 */
export type Token =
  | { kind: 'word'; text: string }
  | { kind: 'name'; text: string }
  | { kind: 'literal'; text: string }
  | { kind: 'number'; text: string }
  /** 0x… (hex digits in `text`, without the 0x). */
  | { kind: 'binary'; text: string }
  | { kind: 'variable'; text: string }
  | { kind: 'punct'; text: string }

const WORD = /[A-Za-z_#][A-Za-z0-9_#$@]*/y
const NUMBER = /[0-9]+(\.[0-9]+)?/y
const BINARY = /0[xX][0-9A-Fa-f]*/y
const VARIABLE = /@[A-Za-z0-9_#$@]+/y
const SPACE = /\s+/y

function matchAt(pattern: RegExp, sql: string, at: number): string | undefined {
  pattern.lastIndex = at
  return pattern.exec(sql)?.[0]
}

/** Reads a delimited token whose closing delimiter is escaped by doubling it; returns [value, index after]. */
function readDelimited(sql: string, start: number, close: string): [string, number] {
  let value = ''
  let i = start
  while (i < sql.length) {
    const ch = sql[i]
    if (ch === close) {
      if (sql[i + 1] === close) {
        value += close
        i += 2
        continue
      }
      return [value, i + 1]
    }
    value += ch
    i++
  }
  throw syntaxError(sql.slice(start - 1, start + 20))
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < sql.length) {
    const space = matchAt(SPACE, sql, i)
    if (space) {
      i += space.length
      continue
    }
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end + 1
      continue
    }
    if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2)
      if (end === -1) throw syntaxError(sql.slice(i, i + 20))
      i = end + 2
      continue
    }
    const ch = sql[i]
    if (ch === '[') {
      const [text, next] = readDelimited(sql, i + 1, ']')
      tokens.push({ kind: 'name', text })
      i = next
      continue
    }
    if ((ch === 'N' || ch === 'n') && sql[i + 1] === "'") {
      const [text, next] = readDelimited(sql, i + 2, "'")
      tokens.push({ kind: 'literal', text })
      i = next
      continue
    }
    if (ch === "'") {
      const [text, next] = readDelimited(sql, i + 1, "'")
      tokens.push({ kind: 'literal', text })
      i = next
      continue
    }
    if (ch === '"') {
      const [text, next] = readDelimited(sql, i + 1, '"')
      tokens.push({ kind: 'name', text })
      i = next
      continue
    }
    const variable = matchAt(VARIABLE, sql, i)
    if (variable) {
      tokens.push({ kind: 'variable', text: variable.slice(1) })
      i += variable.length
      continue
    }
    const word = matchAt(WORD, sql, i)
    if (word) {
      tokens.push({ kind: 'word', text: word })
      i += word.length
      continue
    }
    const binary = matchAt(BINARY, sql, i)
    if (binary) {
      tokens.push({ kind: 'binary', text: binary.slice(2) })
      i += binary.length
      continue
    }
    const number = matchAt(NUMBER, sql, i)
    if (number) {
      tokens.push({ kind: 'number', text: number })
      i += number.length
      continue
    }
    if ('(),=;.*'.includes(ch ?? '')) {
      tokens.push({ kind: 'punct', text: ch as string })
      i++
      continue
    }
    throw syntaxError(ch ?? '')
  }
  return tokens
}

/** How SQL Server would quote a token back in an "Incorrect syntax near" message. */
export function tokenText(token: Token | undefined): string {
  if (!token) return ';'
  if (token.kind === 'name') return token.text
  if (token.kind === 'literal') return token.text
  if (token.kind === 'variable') return `@${token.text}`
  if (token.kind === 'binary') return `0x${token.text}`
  return token.text
}

/**
 * Walks tokens left to right; each method consumes what it expects or throws SQL Server's
 * "Incorrect syntax near" error for the token it found instead.
 */
export class TokenReader {
  private at = 0

  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.at + offset]
  }

  /** True (and consumed) when the next tokens are these keywords, case-insensitive. */
  accept(...words: string[]): boolean {
    for (const [k, word] of words.entries()) {
      const token = this.peek(k)
      if (
        !token ||
        token.text.toUpperCase() !== word.toUpperCase() ||
        !['word', 'punct'].includes(token.kind)
      )
        return false
    }
    this.at += words.length
    return true
  }

  expect(...words: string[]): void {
    for (const word of words) if (!this.accept(word)) throw this.unexpected()
  }

  /** A name: [quoted] or a bare word. */
  name(): string {
    const token = this.peek()
    if (token?.kind !== 'name' && token?.kind !== 'word') throw this.unexpected()
    this.at++
    return token.text
  }

  literal(): string {
    const token = this.peek()
    if (token?.kind !== 'literal') throw this.unexpected()
    this.at++
    return token.text
  }

  word(): string {
    const token = this.peek()
    if (token?.kind !== 'word') throw this.unexpected()
    this.at++
    return token.text.toUpperCase()
  }

  /** A 0x… constant. */
  binary(): Buffer {
    const token = this.peek()
    if (token?.kind !== 'binary') throw this.unexpected()
    this.at++
    return Buffer.from(token.text.length % 2 ? `0${token.text}` : token.text, 'hex')
  }

  number(): number {
    const token = this.peek()
    if (token?.kind !== 'number') throw this.unexpected()
    this.at++
    return Number(token.text)
  }

  /** A value that may be a bound parameter (@db) or written inline ([db], N'db'). */
  value(params: ReadonlyMap<string, unknown>): unknown {
    const token = this.peek()
    if (token?.kind === 'variable') {
      this.at++
      const key = token.text.toLowerCase()
      if (!params.has(key)) throw mustDeclare(token.text)
      return params.get(key)
    }
    if (token?.kind === 'literal' || token?.kind === 'name' || token?.kind === 'word') {
      this.at++
      return token.text
    }
    throw this.unexpected()
  }

  /** The statement ends here: an optional ';' and nothing after it (a second statement is refused, loudly). */
  end(): void {
    this.accept(';')
    if (this.at < this.tokens.length) throw this.unexpected()
  }

  unexpected(): Error {
    return syntaxError(tokenText(this.peek()))
  }
}
