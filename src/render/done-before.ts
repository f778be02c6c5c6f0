import type { StepState } from '../engine/state.js'

/**
 * Whether a resumed run will leave this step alone: applied, rehearsed, skipped by its condition or
 * an operator, or failed and continued. The engine's own test (phase.ts) reads the same fields.
 */
export function doneBefore(s: StepState | undefined): boolean {
  if (!s) return false
  if (s.status === 'applied' || s.status === 'rehearsed') return true
  if (s.status === 'skipped') return !s.skipReason?.startsWith('upstream')
  return s.status === 'failed' && s.continued === true
}
