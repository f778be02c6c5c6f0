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
import { renderShellTemplate } from '../runbook/shell-template.js'
import { valueAt } from '../runbook/zod-issues.js'
import type { RunLog } from './event-log.js'

/**
 * The data expressions read. Built once per invocation: `steps` is the run log's live view of
 * outputs, and targets (which read only params, secrets and env) are resolved once, so a step
 * costs nothing more to resolve in a run of 10,000 than in a run of ten.
 */
export function createScope(
  runbook: Runbook,
  log: RunLog,
  secrets: Record<string, string>,
  run: { id: string; operator: string; dryRun: boolean },
): Scope {
  const base: Scope = { params: log.state.params, secrets, steps: log.outputs, env: { ...process.env }, run }
  const targets = resolveValue(runbook.targets, { ...base, targets: {} }) as Record<string, object>
  for (const [name, found] of Object.entries(log.state.targets))
    targets[name] = { ...targets[name], ...found }
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

/** Resolves a step's `with`, quoting each value interpolated into a string that runs through a shell. */
export function resolveStepWith(value: Record<string, unknown>, scope: Scope, shellPaths: string[][]) {
  const resolved = resolveValue(value, scope)
  for (const path of shellPaths) {
    const written = valueAt(value, path)
    const parent = valueAt(resolved, path.slice(0, -1)) as Record<string, unknown> | undefined
    const key = path.at(-1)
    if (typeof written === 'string' && hasExpression(written) && key !== undefined && parent)
      parent[key] = renderShellTemplate(parseTemplate(written), scope)
  }
  return resolved
}

/** An `if:` — bare, or one `${{ }}`, or a boolean. */
export function evaluateCondition(condition: string | boolean, scope: Scope): boolean {
  if (typeof condition === 'boolean') return condition
  const trimmed = condition.trim()
  const text = trimmed.startsWith('${{') && trimmed.endsWith('}}') ? trimmed.slice(3, -2) : trimmed
  return isTruthy(evaluate(parseExpression(text), scope))
}
