import { ambiguousColumn, invalidColumn, mustDeclare, notModelled, unboundIdentifier } from '../errors.js'
import { type AstNode, identText, variant } from '../tsql/parser.js'
import { compileFunction } from './functions.js'
import { GLOBALS } from './server-functions.js'
import type { Binder, Compiled, Tuple, ValueType } from './types.js'
import { asNumeric, asText, compare, convert, dataType, isStringType } from './values.js'

const BIT: ValueType = { type: 'bit' }
const INT: ValueType = { type: 'int' }

const constant = (type: ValueType, value: unknown): Compiled => ({ type, evaluate: () => value })

/** Finds a column by name in scope: 207 when nothing has it, 209 when two sources do. */
function bindColumn(binder: Binder, qualifier: string | undefined, name: string, written: string): Compiled {
  const lower = name.toLowerCase()
  if (qualifier !== undefined) {
    const q = qualifier.toLowerCase()
    const index = binder.sources.findIndex((s) => s.alias.toLowerCase() === q)
    const source = binder.sources[index]
    if (!source) throw unboundIdentifier(written)
    const column = source.columns.find((c) => c.name === lower)
    if (!column) throw invalidColumn(name)
    binder.bareColumns?.push(written)
    return { type: column, evaluate: (tuple) => tuple[index]?.[column.name] ?? null }
  }
  const found = binder.sources.flatMap((source, index) => {
    const column = source.columns.find((c) => c.name === lower)
    return column ? [{ index, column }] : []
  })
  if (found.length > 1) throw ambiguousColumn(name)
  const [hit] = found
  if (!hit) throw invalidColumn(name)
  binder.bareColumns?.push(written)
  return { type: hit.column, evaluate: (tuple) => tuple[hit.index]?.[hit.column.name] ?? null }
}

function bindVariable(binder: Binder, name: string): Compiled {
  const lower = name.toLowerCase()
  const global = GLOBALS[lower]
  if (global) return { type: global.type, evaluate: (_tuple, env) => global.value(env) }
  const type = binder.variables.get(lower)
  if (!type) throw mustDeclare(name.replace(/^@/, ''))
  return { type, evaluate: (_tuple, env) => env.variables.get(lower) ?? null }
}

function literal(value: unknown): Compiled {
  const [kind, body] = variant(value)
  switch (kind) {
    case 'Number': {
      const text = String((body as [string])[0])
      if (/[.eE]/.test(text)) {
        const scale = text.includes('.') ? (text.split('.')[1]?.length ?? 0) : 0
        return constant(
          { type: 'decimal', precision: Math.max(text.replace(/\D/g, '').length, 1), scale },
          text,
        )
      }
      const n = BigInt(text)
      return n > 2147483647n ? constant({ type: 'bigint' }, n) : constant(INT, Number(n))
    }
    case 'SingleQuotedString':
      return constant({ type: 'varchar' }, String(body))
    case 'NationalStringLiteral':
      return constant({ type: 'nvarchar' }, String(body))
    case 'HexStringLiteral':
      return constant({ type: 'varbinary' }, Buffer.from(String(body), 'hex'))
    case 'Boolean':
      return constant(BIT, Boolean(body))
    case 'Null':
      return constant(INT, null)
    default:
      throw notModelled(`the literal ${kind}`)
  }
}

const COMPARISONS: Record<string, (c: number) => boolean> = {
  Eq: (c) => c === 0,
  NotEq: (c) => c !== 0,
  Lt: (c) => c < 0,
  LtEq: (c) => c <= 0,
  Gt: (c) => c > 0,
  GtEq: (c) => c >= 0,
}

/** Three-valued AND/OR: NULL is unknown. */
function logical(op: 'And' | 'Or', left: Compiled, right: Compiled): Compiled {
  return {
    type: BIT,
    evaluate: (tuple, env) => {
      const a = left.evaluate(tuple, env) as boolean | null
      if (op === 'And' && a === false) return false
      if (op === 'Or' && a === true) return true
      const b = right.evaluate(tuple, env) as boolean | null
      if (op === 'And') return a === null || b === null ? (b === false ? false : null) : b
      return a === null || b === null ? (b === true ? true : null) : b
    },
  }
}

/** The wider of two numeric types, as SQL Server's data type precedence picks it. */
function arithmeticType(a: ValueType, b: ValueType): ValueType {
  for (const t of ['float', 'decimal', 'bigint'] as const)
    if (a.type === t || b.type === t)
      return t === 'decimal'
        ? { type: 'decimal', precision: 38, scale: Math.max(a.scale ?? 0, b.scale ?? 0) }
        : { type: t }
  return INT
}

function arithmetic(op: string, left: Compiled, right: Compiled): Compiled {
  if (op === 'Plus' && isStringType(left.type) && isStringType(right.type)) {
    const type: ValueType =
      left.type.type === 'nvarchar' || right.type.type === 'nvarchar'
        ? { type: 'nvarchar' }
        : { type: 'varchar' }
    return {
      type,
      evaluate: (tuple, env) => {
        const a = left.evaluate(tuple, env)
        const b = right.evaluate(tuple, env)
        return a === null || b === null ? null : asText(a) + asText(b)
      },
    }
  }
  const type = arithmeticType(left.type, right.type)
  return {
    type,
    evaluate: (tuple, env) => {
      const a = left.evaluate(tuple, env)
      const b = right.evaluate(tuple, env)
      if (a === null || b === null || a === undefined || b === undefined) return null
      const x = asNumeric(a, left.type, type.type)
      const y = asNumeric(b, right.type, type.type)
      if (type.type === 'bigint' || typeof x === 'bigint' || typeof y === 'bigint') {
        const bx = BigInt(Math.trunc(Number(x)) === Number(x) ? x : Math.trunc(Number(x)))
        const by = BigInt(Math.trunc(Number(y)) === Number(y) ? y : Math.trunc(Number(y)))
        const result =
          op === 'Plus'
            ? bx + by
            : op === 'Minus'
              ? bx - by
              : op === 'Multiply'
                ? bx * by
                : op === 'Divide'
                  ? bx / by
                  : bx % by
        return type.type === 'bigint' ? result : convert(result, { type: 'bigint' }, type)
      }
      const nx = Number(x)
      const ny = Number(y)
      const raw =
        op === 'Plus'
          ? nx + ny
          : op === 'Minus'
            ? nx - ny
            : op === 'Multiply'
              ? nx * ny
              : op === 'Divide'
                ? nx / ny
                : nx % ny
      const result = type.type === 'int' && op === 'Divide' ? Math.trunc(raw) : raw
      return type.type === 'decimal' ? convert(result, { type: 'float' }, type) : result
    },
  }
}

function binaryOp(node: { left: unknown; op: string; right: unknown }, binder: Binder): Compiled {
  const left = compileExpression(node.left, binder)
  const right = compileExpression(node.right, binder)
  const test = COMPARISONS[node.op]
  if (test) {
    return {
      type: BIT,
      evaluate: (tuple, env) => {
        const c = compare(left.evaluate(tuple, env), right.evaluate(tuple, env), left.type, right.type)
        return c === null ? null : test(c)
      },
    }
  }
  if (node.op === 'And' || node.op === 'Or') return logical(node.op, left, right)
  if (['Plus', 'Minus', 'Multiply', 'Divide', 'Modulo'].includes(node.op))
    return arithmetic(node.op, left, right)
  if (node.op === 'StringConcat') return arithmetic('Plus', left, right)
  throw notModelled(`the operator ${node.op}`)
}

/** SQL LIKE: % any run, _ one character, [..] a set; case-insensitive. */
function likePattern(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (ch === '%') source += '.*'
    else if (ch === '_') source += '.'
    else if (ch === '[') {
      const end = pattern.indexOf(']', i)
      if (end === -1) source += '\\['
      else {
        source += `[${pattern
          .slice(i + 1, end)
          .replace(/^\^/, '^')
          .replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else source += ch.replace(/[.*+?^${}()|\\\]]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'is')
}

function caseExpression(node: AstNode, binder: Binder): Compiled {
  const operand =
    node.operand === undefined || node.operand === null ? undefined : compileExpression(node.operand, binder)
  const branches = ((node.conditions as { condition: unknown; result: unknown }[]) ?? []).map((c) => ({
    when: compileExpression(c.condition, binder),
    then: compileExpression(c.result, binder),
  }))
  const otherwise = node.else_result ? compileExpression(node.else_result, binder) : undefined
  const type = branches.find((b) => b.then.type)?.then.type ?? otherwise?.type ?? INT
  return {
    type,
    evaluate: (tuple, env) => {
      for (const branch of branches) {
        const hit = operand
          ? compare(
              operand.evaluate(tuple, env),
              branch.when.evaluate(tuple, env),
              operand.type,
              branch.when.type,
            ) === 0
          : branch.when.evaluate(tuple, env) === true
        if (hit) return convert(branch.then.evaluate(tuple, env), branch.then.type, type)
      }
      return otherwise ? convert(otherwise.evaluate(tuple, env), otherwise.type, type) : null
    },
  }
}

function cast(expr: unknown, target: unknown, binder: Binder): Compiled {
  const inner = compileExpression(expr, binder)
  const type = dataType(target)
  if (!type) throw notModelled(`CAST to ${JSON.stringify(target)}`)
  return { type, evaluate: (tuple, env) => convert(inner.evaluate(tuple, env), inner.type, type) }
}

/** Compiles an expression against the sources in scope: every name is bound now, so a wrong column fails even on zero rows. */
export function compileExpression(node: unknown, binder: Binder): Compiled {
  const [kind, body] = variant(node)
  switch (kind) {
    case 'Identifier': {
      const name = identText(body)
      if (name.startsWith('@')) return bindVariable(binder, name)
      return bindColumn(binder, undefined, name, name)
    }
    case 'CompoundIdentifier': {
      const parts = (body as unknown[]).map(identText)
      const name = parts.at(-1) as string
      if (parts.length > 2) {
        // database.schema.table.column or schema.table.column: bind by the table part, as written
        return bindColumn(binder, parts.at(-2), name, parts.join('.'))
      }
      return bindColumn(binder, parts[0], name, parts.join('.'))
    }
    case 'Value':
      return literal((body as { value: unknown }).value)
    case 'Nested':
      return compileExpression(body, binder)
    case 'BinaryOp':
      return binaryOp(body as { left: unknown; op: string; right: unknown }, binder)
    case 'UnaryOp': {
      const { op, expr } = body as { op: string; expr: unknown }
      const inner = compileExpression(expr, binder)
      if (op === 'Not')
        return {
          type: BIT,
          evaluate: (tuple, env) => {
            const v = inner.evaluate(tuple, env)
            return v === null ? null : !v
          },
        }
      if (op === 'Minus' || op === 'Plus') return arithmetic(op, constant(INT, 0), inner)
      throw notModelled(`the unary operator ${op}`)
    }
    case 'IsNull':
    case 'IsNotNull': {
      const inner = compileExpression(body, binder)
      const wantNull = kind === 'IsNull'
      return { type: BIT, evaluate: (tuple, env) => (inner.evaluate(tuple, env) === null) === wantNull }
    }
    case 'InList': {
      const { expr, list, negated } = body as { expr: unknown; list: unknown[]; negated: boolean }
      const inner = compileExpression(expr, binder)
      const items = list.map((item) => compileExpression(item, binder))
      return {
        type: BIT,
        evaluate: (tuple, env) => {
          const v = inner.evaluate(tuple, env)
          if (v === null) return null
          const hit = items.some((item) => compare(v, item.evaluate(tuple, env), inner.type, item.type) === 0)
          return negated ? !hit : hit
        },
      }
    }
    case 'Between': {
      const { expr, low, high, negated } = body as {
        expr: unknown
        low: unknown
        high: unknown
        negated: boolean
      }
      const inner = compileExpression(expr, binder)
      const lo = compileExpression(low, binder)
      const hi = compileExpression(high, binder)
      return {
        type: BIT,
        evaluate: (tuple, env) => {
          const v = inner.evaluate(tuple, env)
          const a = compare(v, lo.evaluate(tuple, env), inner.type, lo.type)
          const b = compare(v, hi.evaluate(tuple, env), inner.type, hi.type)
          if (a === null || b === null) return null
          const within = a >= 0 && b <= 0
          return negated ? !within : within
        },
      }
    }
    case 'Like': {
      const { expr, pattern, negated } = body as { expr: unknown; pattern: unknown; negated: boolean }
      const inner = compileExpression(expr, binder)
      const like = compileExpression(pattern, binder)
      return {
        type: BIT,
        evaluate: (tuple, env) => {
          const v = inner.evaluate(tuple, env)
          const p = like.evaluate(tuple, env)
          if (v === null || p === null) return null
          const hit = likePattern(asText(p)).test(asText(v))
          return negated ? !hit : hit
        },
      }
    }
    case 'Case':
      return caseExpression(body as AstNode, binder)
    case 'Cast':
      return cast((body as AstNode).expr, (body as AstNode).data_type, binder)
    case 'Convert': {
      const { expr, data_type } = body as AstNode
      return cast(expr, data_type, binder)
    }
    case 'Function':
      return compileFunction(body as AstNode, binder, compileExpression)
    case 'Subquery':
    case 'Exists':
    case 'InSubquery':
      throw notModelled('subqueries')
    default:
      throw notModelled(`the expression ${kind}`)
  }
}

/** A predicate passes only when it is true (NULL, unknown, filters the row out). */
export const passes = (
  predicate: Compiled | undefined,
  tuple: Tuple,
  env: Parameters<Compiled['evaluate']>[1],
) => predicate === undefined || predicate.evaluate(tuple, env) === true
