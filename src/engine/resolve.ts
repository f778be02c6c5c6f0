import {
  evaluate,
  hasExpression,
  isTruthy,
  parseExpression,
  parseTemplate,
  renderTemplate,
  type Scope,
} from '../runbook/expressions.js'
import type { Runbook } from '../runbook/model.js'
import type { RunState } from './state.js'

/** The data expressions read, as of now in the run. */
export function buildScope(
  runbook: Runbook,
  state: RunState,
  secrets: Record<string, string>,
  run: { id: string; operator: string; dryRun: boolean },
): Scope {
  const steps: Record<string, { outputs: Record<string, unknown> }> = {}
  for (const [id, s] of Object.entries(state.steps)) if (s.outputs) steps[id] = { outputs: s.outputs }
  const base: Scope = { params: state.params, secrets, steps, env: { ...process.env }, run }
  const targets = resolveValue(runbook.targets, { ...base, targets: {} })
  return { ...base, targets }
}

/** Replaces every `${{ }}` in a value (deeply) with what it reads. */
export function resolveValue<T>(value: T, scope: Scope): T {
  if (typeof value === 'string')
    return (hasExpression(value) ? renderTemplate(parseTemplate(value), scope) : value) as T
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, scope)) as T
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, scope)])) as T
  return value
}

/** An `if:` — bare, or one `${{ }}`, or a boolean. */
export function evaluateCondition(condition: string | boolean, scope: Scope): boolean {
  if (typeof condition === 'boolean') return condition
  const trimmed = condition.trim()
  const text = trimmed.startsWith('${{') && trimmed.endsWith('}}') ? trimmed.slice(3, -2) : trimmed
  return isTruthy(evaluate(parseExpression(text), scope))
}
