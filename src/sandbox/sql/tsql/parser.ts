import { init, parse } from '@guanmingchiu/sqlparser-ts'

/**
 * T-SQL parsing with datafusion-sqlparser-rs's MsSql dialect (WebAssembly); see BENCHMARKS.md for why this one. The
 * AST is serde's JSON of the Rust enums: a variant is `{ Name: body }` or the bare string `"Name"`.
 */

export type AstNode = { readonly [key: string]: unknown }

let ready: Promise<void> | undefined

/** Loads the WebAssembly module once; every parse awaits it. */
export function loadTsqlParser(): Promise<void> {
  ready ??= init()
  return ready
}

export interface ParseFailure {
  /** Character offset of the token the parser stopped at, or undefined at the end of the text. */
  offset: number | undefined
  /** The parser's words: "Expected: end of statement, found: set". */
  reason: string
}

const AT = /at Line: (\d+), Column: (\d+)/

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset)
    if (next === -1) return text.length
    offset = next + 1
  }
  // Columns count Unicode scalar values, as Rust's chars do
  return offset + [...text.slice(offset)].slice(0, column - 1).join('').length
}

/** Parses statements; a syntax error comes back as where the parser stopped, never as a throw. */
export function parseTsql(text: string): { statements: AstNode[] } | { failure: ParseFailure } {
  try {
    return { statements: parse(text, 'mssql') as unknown as AstNode[] }
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^sql parser error: /, '') : String(error)
    const at = AT.exec(reason)
    return {
      failure: {
        offset: at ? offsetOf(text, Number(at[1]), Number(at[2])) : undefined,
        reason: reason.replace(AT, '').trim(),
      },
    }
  }
}

/** The variant name and body of an enum value: `{ Select: {...} }` → ['Select', {...}], `"Null"` → ['Null', undefined]. */
export function variant(node: unknown): [string, unknown] {
  if (typeof node === 'string') return [node, undefined]
  if (node && typeof node === 'object') {
    const [key] = Object.keys(node)
    if (key !== undefined) return [key, (node as AstNode)[key]]
  }
  return ['', undefined]
}

/** An identifier's text (`{ value, quote_style }`). */
export const identText = (ident: unknown): string => String((ident as { value?: unknown })?.value ?? '')

/** An ObjectName's parts: [{ Identifier: ident }, ...]. */
export const objectNameParts = (name: unknown): string[] =>
  Array.isArray(name) ? name.map((part) => identText(variant(part)[1] ?? part)) : []
