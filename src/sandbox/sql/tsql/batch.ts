import { syntaxError } from '../errors.js'
import { type AstNode, parseTsql } from './parser.js'

/**
 * A batch as SQL Server reads it: statements separated by ';' or simply following each other. The parser wants ';'
 * between statements, so where it stops at a word that starts a statement, the batch is split there and read on.
 * Statements the grammar lacks (ALTER AVAILABILITY GROUP, ALTER DATABASE … SET HADR, BACKUP, RESTORE) are left as
 * text for the hand-written reader in ddl.ts.
 */
export type BatchStatement = { kind: 'parsed'; ast: AstNode } | { kind: 'ddl'; text: string }

const STATEMENT_STARTS = new Set([
  'ALTER',
  'BACKUP',
  'BEGIN',
  'COMMIT',
  'CREATE',
  'DECLARE',
  'DELETE',
  'DROP',
  'EXEC',
  'EXECUTE',
  'GRANT',
  'IF',
  'INSERT',
  'PRINT',
  'RAISERROR',
  'RESTORE',
  'ROLLBACK',
  'SELECT',
  'SET',
  'THROW',
  'UPDATE',
  'USE',
  'WAITFOR',
  'WITH',
])

const HAND_WRITTEN = [
  /^ALTER\s+AVAILABILITY\s+GROUP\b/i,
  /^ALTER\s+DATABASE\b/i,
  /^BACKUP\b/i,
  /^RESTORE\b/i,
  /^(CREATE|ALTER|DROP)\s+LOGIN\b/i,
  /^ALTER\s+SERVER\s+ROLE\b/i,
]

/** Skips a quoted run ('..', [..], "..") or a comment starting at i; returns the index after it, or i if none. */
function skipQuotedOrComment(sql: string, i: number): number {
  const ch = sql[i]
  const close = ch === "'" ? "'" : ch === '[' ? ']' : ch === '"' ? '"' : undefined
  if (close) {
    let j = i + 1
    while (j < sql.length) {
      if (sql[j] === close) {
        if (sql[j + 1] === close) j += 2
        else return j + 1
      } else j++
    }
    return sql.length
  }
  if (sql.startsWith('--', i)) {
    const end = sql.indexOf('\n', i)
    return end === -1 ? sql.length : end + 1
  }
  if (sql.startsWith('/*', i)) {
    const end = sql.indexOf('*/', i + 2)
    return end === -1 ? sql.length : end + 2
  }
  return i
}

/** Splits at the ';' that are outside strings, brackets and comments. */
function splitOnSemicolons(sql: string): string[] {
  const pieces: string[] = []
  let start = 0
  let i = 0
  while (i < sql.length) {
    const after = skipQuotedOrComment(sql, i)
    if (after !== i) {
      i = after
      continue
    }
    if (sql[i] === ';') {
      pieces.push(sql.slice(start, i))
      start = i + 1
    }
    i++
  }
  pieces.push(sql.slice(start))
  return pieces
}

/** Comments and blanks at the start of a piece, which the hand-written matchers must look past. */
function skipBlanks(sql: string): string {
  let i = 0
  while (i < sql.length) {
    if (/\s/.test(sql[i] ?? '')) {
      i++
      continue
    }
    const after = sql.startsWith('--', i) || sql.startsWith('/*', i) ? skipQuotedOrComment(sql, i) : i
    if (after === i) break
    i = after
  }
  return sql.slice(i)
}

const TOKEN = /^(?:N?'(?:[^']|'')*'|\[(?:[^\]]|\]\])*\]|"[^"]*"|@{0,2}[\w#$]+|<>|!=|>=|<=|\S)/

/** The token SQL Server would quote in "Incorrect syntax near '…'": the one at offset, or the last one. */
function tokenNear(sql: string, offset: number | undefined): string {
  if (offset !== undefined && offset < sql.length) {
    const token = TOKEN.exec(sql.slice(offset))?.[0] ?? ''
    return token.replace(/^N?'|'$/g, '').replace(/^\[|\]$/g, '')
  }
  const tokens = sql.match(/N?'(?:[^']|'')*'|\[(?:[^\]]|\]\])*\]|@{0,2}[\w#$]+|\S/g) ?? []
  return (tokens.at(-1) ?? '').replace(/^N?'|'$/g, '').replace(/^\[|\]$/g, '')
}

function readPiece(piece: string, into: BatchStatement[]): void {
  let rest = skipBlanks(piece)
  while (rest.trim().length > 0) {
    if (HAND_WRITTEN.some((pattern) => pattern.test(rest))) {
      into.push({ kind: 'ddl', text: rest })
      return
    }
    const parsed = parseTsql(rest)
    if ('statements' in parsed) {
      into.push(...parsed.statements.map((ast) => ({ kind: 'parsed' as const, ast })))
      return
    }
    const { offset } = parsed.failure
    const next = offset === undefined ? '' : (/^\w+/.exec(rest.slice(offset))?.[0] ?? '').toUpperCase()
    if (offset === undefined || offset === 0 || !STATEMENT_STARTS.has(next))
      throw syntaxError(tokenNear(rest, offset))
    const head = parseTsql(rest.slice(0, offset))
    if ('failure' in head) throw syntaxError(tokenNear(rest.slice(0, offset), head.failure.offset))
    into.push(...head.statements.map((ast) => ({ kind: 'parsed' as const, ast })))
    rest = skipBlanks(rest.slice(offset))
  }
}

/** Every statement of a batch, in order; a syntax error anywhere fails the whole batch (Msg 102), as on SQL Server. */
export function readBatch(sql: string): BatchStatement[] {
  const statements: BatchStatement[] = []
  for (const piece of splitOnSemicolons(sql)) readPiece(piece, statements)
  return statements
}
