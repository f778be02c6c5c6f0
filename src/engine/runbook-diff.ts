import type { Runbook, Step } from '../runbook/model.js'

/** What changed between the runbook a run started from and the one on disk now, in a few lines. */
export function summarizeRunbookChanges(before: Runbook, after: Runbook): string[] {
  const lines: string[] = []
  const phasesBefore = before.phases.map((p) => p.id)
  const phasesAfter = after.phases.map((p) => p.id)
  if (phasesBefore.join() !== phasesAfter.join())
    lines.push(`phases: ${phasesBefore.join(', ')} -> ${phasesAfter.join(', ')}`)
  const stepsOf = (r: Runbook) => new Map(r.phases.flatMap((p) => p.steps).map((s) => [s.id, s]))
  const a = stepsOf(before)
  const b = stepsOf(after)
  const shape = (s: Step) =>
    JSON.stringify([s.phase, s.uses, s.with, s.needs, s.if, s.timeoutMs, s.retry, s.continueOnError])
  const added = [...b.keys()].filter((id) => !a.has(id))
  const removed = [...a.keys()].filter((id) => !b.has(id))
  const changed = [...a.keys()].filter(
    (id) => b.has(id) && shape(a.get(id) as Step) !== shape(b.get(id) as Step),
  )
  if (added.length > 0) lines.push(`steps added: ${added.join(', ')}`)
  if (removed.length > 0) lines.push(`steps removed: ${removed.join(', ')}`)
  if (changed.length > 0) lines.push(`steps changed: ${changed.join(', ')}`)
  if (lines.length === 0)
    lines.push('no change to phases or steps (comments, params, targets or secrets differ)')
  return lines
}
