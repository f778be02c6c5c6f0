import { type Expr, evaluate, isTruthy, parseExpression, type Scope } from '../runbook/expressions.js'

/**
 * Why an `if:` was false, in the values it read: `env.SWITCHYARD_SANDBOX_LDAP is 'off'`, never the
 * raw `${{ }}` text. Of an `&&`, the part that was false; of an `||`, every part.
 */
export function conditionReason(condition: string, scope: Scope): string {
  const trimmed = condition.trim()
  const text = trimmed.startsWith('${{') && trimmed.endsWith('}}') ? trimmed.slice(3, -2) : trimmed
  try {
    return whyFalse(parseExpression(text), scope)
  } catch {
    return `${text.trim()} is false`
  }
}

function whyFalse(expr: Expr, scope: Scope): string {
  if (expr.kind === 'binary' && expr.op === '&&')
    return isTruthy(evaluate(expr.left, scope)) ? whyFalse(expr.right, scope) : whyFalse(expr.left, scope)
  if (expr.kind === 'binary' && expr.op === '||')
    return `${whyFalse(expr.left, scope)} and ${whyFalse(expr.right, scope)}`
  if (expr.kind === 'not') return describeValue(expr.operand, scope)
  if (expr.kind === 'binary') {
    const sides = [expr.left, expr.right].filter((side) => side.kind !== 'literal')
    const read = sides.map((side) => describeValue(side, scope)).join(', ')
    const literal = [expr.left, expr.right].find((side) => side.kind === 'literal')
    return expr.op === '==' && literal && sides.length === 1 ? `${read}, not ${source(literal)}` : read
  }
  return describeValue(expr, scope)
}

/** `params.ldap is false`; a secret's value is never shown. */
function describeValue(expr: Expr, scope: Scope): string {
  if (expr.kind === 'path' && expr.root === 'secrets') return `${source(expr)} is a secret`
  const value = evaluate(expr, scope)
  return `${source(expr)} is ${value === null || value === undefined ? 'not set' : shown(value)}`
}

const shown = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value))

/** The expression as an operator would write it. */
function source(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      return expr.value === null ? 'null' : shown(expr.value)
    case 'path':
      return [
        expr.root,
        ...expr.segments.map((s) => (typeof s === 'string' ? `.${s}` : `[${source(s)}]`)),
      ].join('')
    case 'call':
      return `${expr.name}(${expr.args.map(source).join(', ')})`
    case 'not':
      return `!${inner(expr.operand)}`
    case 'binary':
      return `${inner(expr.left)} ${expr.op} ${inner(expr.right)}`
  }
}

const inner = (expr: Expr): string => (expr.kind === 'binary' ? `(${source(expr)})` : source(expr))
