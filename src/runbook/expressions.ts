/**
 * The `${{ ... }}` expression language: data lookups, comparisons and a few pure functions.
 * Parsed once at load time so a typo is a load error; evaluated by walking the tree, never by eval.
 */

export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null; offset: number }
  | { kind: 'path'; root: string; segments: Array<string | Expr>; offset: number }
  | { kind: 'call'; name: string; args: Expr[]; offset: number }
  | { kind: 'not'; operand: Expr; offset: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; offset: number }

type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||'

/** A syntax error inside an expression; `offset` counts from the start of the expression text. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(message)
  }
}

export const CONTEXTS = ['params', 'secrets', 'targets', 'steps', 'env', 'run'] as const

export interface FunctionSpec {
  minArgs: number
  maxArgs: number
  call(args: unknown[]): unknown
}

export const FUNCTIONS: Record<string, FunctionSpec> = {
  contains: {
    minArgs: 2,
    maxArgs: 2,
    call: ([haystack, needle]) =>
      Array.isArray(haystack)
        ? haystack.some((item) => looseEquals(item, needle))
        : toText(haystack).includes(toText(needle)),
  },
  startsWith: { minArgs: 2, maxArgs: 2, call: ([s, prefix]) => toText(s).startsWith(toText(prefix)) },
  endsWith: { minArgs: 2, maxArgs: 2, call: ([s, suffix]) => toText(s).endsWith(toText(suffix)) },
  format: {
    minArgs: 1,
    maxArgs: 32,
    call: ([template, ...values]) =>
      toText(template).replace(/\{\{|\}\}|\{(\d+)\}/g, (match, index: string | undefined) => {
        if (match === '{{') return '{'
        if (match === '}}') return '}'
        return toText(values[Number(index)])
      }),
  },
  join: {
    minArgs: 1,
    maxArgs: 2,
    call: ([items, separator]) =>
      Array.isArray(items)
        ? items.map(toText).join(separator === undefined ? ',' : toText(separator))
        : toText(items),
  },
  toJSON: { minArgs: 1, maxArgs: 1, call: ([value]) => JSON.stringify(value ?? null) },
}

const MAX_DEPTH = 32

// ---------- lexer ----------

type Token =
  | { type: 'ident'; text: string; offset: number }
  | { type: 'number'; value: number; offset: number }
  | { type: 'string'; value: string; offset: number }
  | { type: 'op'; text: string; offset: number }
  | { type: 'end'; offset: number }

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ',']

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i)) as RegExpExecArray
      tokens.push({ type: 'ident', text: match[0], offset: i })
      i += match[0].length
      continue
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const match = /^-?[0-9]+(\.[0-9]+)?/.exec(text.slice(i)) as RegExpExecArray
      tokens.push({ type: 'number', value: Number(match[0]), offset: i })
      i += match[0].length
      continue
    }
    if (c === "'" || c === '"') {
      const start = i
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw new ExpressionError('unterminated string', start)
        if (text[i] === c) {
          if (text[i + 1] === c) {
            value += c
            i += 2
            continue
          }
          i++
          break
        }
        value += text[i]
        i++
      }
      tokens.push({ type: 'string', value, offset: start })
      continue
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i))
    if (!op) {
      const hint = c === '=' ? "use '==' to compare" : c === '&' || c === '|' ? "use '&&' or '||'" : undefined
      throw new ExpressionError(`unexpected character '${c}'`, i, hint)
    }
    tokens.push({ type: 'op', text: op, offset: i })
    i += op.length
  }
  tokens.push({ type: 'end', offset: text.length })
  return tokens
}

// ---------- parser ----------

const PRECEDENCE: Array<BinaryOp[]> = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>=']]

/** Parses the text between `${{` and `}}` (or a bare `if:` condition). */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text)
  let position = 0
  const peek = (): Token => tokens[position] as Token
  const next = (): Token => tokens[position++] as Token
  const isOp = (token: Token, text: string) => token.type === 'op' && token.text === text
  const expectOp = (text: string, what: string) => {
    const token = next()
    if (!isOp(token, text)) throw new ExpressionError(`expected '${text}' ${what}`, token.offset)
  }

  const binary = (level: number, depth: number): Expr => {
    if (level === PRECEDENCE.length) return unary(depth)
    let left = binary(level + 1, depth)
    for (;;) {
      const token = peek()
      const ops = PRECEDENCE[level] as BinaryOp[]
      if (token.type !== 'op' || !ops.includes(token.text as BinaryOp)) return left
      next()
      const right = binary(level + 1, depth)
      left = { kind: 'binary', op: token.text as BinaryOp, left, right, offset: token.offset }
    }
  }

  const unary = (depth: number): Expr => {
    if (depth > MAX_DEPTH)
      throw new ExpressionError(`expression nests deeper than ${MAX_DEPTH} levels`, peek().offset)
    const token = peek()
    if (isOp(token, '!')) {
      next()
      return { kind: 'not', operand: unary(depth + 1), offset: token.offset }
    }
    return postfix(depth)
  }

  const postfix = (depth: number): Expr => {
    const base = primary(depth)
    if (base.kind !== 'path') {
      const token = peek()
      if (isOp(token, '.') || isOp(token, '['))
        throw new ExpressionError('only names of contexts can be followed by . or [', token.offset)
      return base
    }
    for (;;) {
      const token = peek()
      if (isOp(token, '.')) {
        next()
        const name = next()
        if (name.type !== 'ident' && name.type !== 'number')
          throw new ExpressionError("expected a property name after '.'", name.offset)
        base.segments.push(name.type === 'ident' ? name.text : String(name.value))
      } else if (isOp(token, '[')) {
        next()
        base.segments.push(binary(0, depth + 1))
        expectOp(']', 'to close the index')
      } else return base
    }
  }

  const primary = (depth: number): Expr => {
    const token = next()
    switch (token.type) {
      case 'number':
        return { kind: 'literal', value: token.value, offset: token.offset }
      case 'string':
        return { kind: 'literal', value: token.value, offset: token.offset }
      case 'ident': {
        if (token.text === 'true' || token.text === 'false')
          return { kind: 'literal', value: token.text === 'true', offset: token.offset }
        if (token.text === 'null') return { kind: 'literal', value: null, offset: token.offset }
        if (isOp(peek(), '(')) {
          next()
          const args: Expr[] = []
          if (!isOp(peek(), ')')) {
            for (;;) {
              args.push(binary(0, depth + 1))
              if (!isOp(peek(), ',')) break
              next()
            }
          }
          expectOp(')', `to close the call to ${token.text}`)
          return { kind: 'call', name: token.text, args, offset: token.offset }
        }
        return { kind: 'path', root: token.text, segments: [], offset: token.offset }
      }
      case 'op':
        if (token.text === '(') {
          const inner = binary(0, depth + 1)
          expectOp(')', 'to close the parenthesis')
          return inner
        }
        throw new ExpressionError(`unexpected '${token.text}'`, token.offset)
      case 'end':
        throw new ExpressionError('expression is incomplete', token.offset)
    }
  }

  if (peek().type === 'end') throw new ExpressionError('empty expression', 0)
  const expr = binary(0, 0)
  const rest = peek()
  if (rest.type !== 'end') {
    const hint = rest.type === 'op' && rest.text === '=' ? "use '==' to compare" : undefined
    throw new ExpressionError('unexpected text after the expression', rest.offset, hint)
  }
  return expr
}

// ---------- templates ----------

/** A string with `${{ }}` parts; `offset` of an expression is where its text starts in the string. */
export type TemplatePart = { text: string } | { expr: Expr; source: string; offset: number }

export const hasExpression = (value: string): boolean => value.includes('${{')

export function parseTemplate(value: string): TemplatePart[] {
  const parts: TemplatePart[] = []
  let i = 0
  while (i < value.length) {
    const open = value.indexOf('${{', i)
    if (open === -1) {
      parts.push({ text: value.slice(i) })
      break
    }
    if (open > i) parts.push({ text: value.slice(i, open) })
    const close = value.indexOf('}}', open + 3)
    if (close === -1) throw new ExpressionError("'${{' is not closed with '}}'", open)
    const source = value.slice(open + 3, close)
    try {
      parts.push({ expr: parseExpression(source), source: source.trim(), offset: open + 3 })
    } catch (error) {
      if (error instanceof ExpressionError)
        throw new ExpressionError(error.message, open + 3 + error.offset, error.hint)
      throw error
    }
    i = close + 2
  }
  return parts
}

// ---------- evaluation ----------

export type Scope = Record<string, unknown>

export function evaluate(expr: Expr, scope: Scope): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value
    case 'path': {
      let value: unknown = scope[expr.root]
      for (const segment of expr.segments) {
        const key = typeof segment === 'string' ? segment : evaluate(segment, scope)
        if (value === null || value === undefined) return null
        value = Object.hasOwn(value as object, String(key))
          ? (value as Record<string, unknown>)[String(key)]
          : undefined
      }
      return value ?? null
    }
    case 'call': {
      const fn = FUNCTIONS[expr.name] as FunctionSpec
      return fn.call(expr.args.map((a) => evaluate(a, scope)))
    }
    case 'not':
      return !isTruthy(evaluate(expr.operand, scope))
    case 'binary': {
      if (expr.op === '&&') {
        const left = evaluate(expr.left, scope)
        return isTruthy(left) ? evaluate(expr.right, scope) : left
      }
      if (expr.op === '||') {
        const left = evaluate(expr.left, scope)
        return isTruthy(left) ? left : evaluate(expr.right, scope)
      }
      const left = evaluate(expr.left, scope)
      const right = evaluate(expr.right, scope)
      switch (expr.op) {
        case '==':
          return looseEquals(left, right)
        case '!=':
          return !looseEquals(left, right)
        default:
          return compare(expr.op, left, right)
      }
    }
  }
}

export function renderTemplate(parts: TemplatePart[], scope: Scope): unknown {
  const only = parts.length === 1 ? parts[0] : undefined
  if (only && 'expr' in only) return evaluate(only.expr, scope)
  return parts.map((p) => ('expr' in p ? toText(evaluate(p.expr, scope)) : p.text)).join('')
}

export function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return true
  return Boolean(value)
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null)
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a
  if (typeof a === 'string' && typeof b === 'number') return looseEquals(b, a)
  return false
}

function compare(op: '<' | '<=' | '>' | '>=', a: unknown, b: unknown): boolean {
  const numeric = typeof a === 'number' || typeof b === 'number'
  const left = numeric ? Number(a) : toText(a)
  const right = numeric ? Number(b) : toText(b)
  switch (op) {
    case '<':
      return left < right
    case '<=':
      return left <= right
    case '>':
      return left > right
    case '>=':
      return left >= right
  }
}

export function toText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
