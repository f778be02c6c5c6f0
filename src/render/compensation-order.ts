import { mayHaveActed, type RunState, undoOrder } from '../engine/state.js'
import { START_POINT } from '../runbook/model.js'
import type { RunbookIndex } from './runbook-index.js'

/**
 * The steps a rollback to `to` will undo, newest first, read from the state as the engine's
 * compensationPlan (engine/rollback.ts) reads it: rollback-started does not list them.
 */
export function compensationOrder(index: RunbookIndex, state: RunState, to: string): string[] {
  const found: Array<{ step: string; order: number }> = []
  for (const [step, s] of Object.entries(state.steps)) {
    const phase = index.place(step)?.phase.id
    if (phase === undefined || !after(index, phase, to)) continue
    if (mayHaveActed(s)) found.push({ step, order: undoOrder(s) })
  }
  return found.sort((a, b) => b.order - a.order).map(({ step }) => step)
}

function after(index: RunbookIndex, phase: string, to: string): boolean {
  if (to === START_POINT) return true
  const order = index.phaseOrder()
  return order.indexOf(phase) > order.indexOf(to)
}
