import { colours } from '../render/ansi.js'
import { rehearsalCheckLines } from '../render/wording.js'
import type { Runbook } from '../runbook/model.js'
import type { Change, JournalEvent, RehearsalCheck } from './events.js'
import type { EngineEvent, Observer, RunOutcome } from './observer.js'
import type { SavedPlan } from './run-context.js'

/** Collects a dry run's intended changes into a plan that `run --plan` can hold a run to. */
export class PlanCollector implements Observer {
  private runbook: Runbook | undefined
  readonly steps: Record<string, { changes: Change[] }> = {}
  readonly skipped: Record<string, string> = {}
  readonly failures: Record<string, string> = {}
  /** What each read-only step's check found against the world as it is. */
  readonly checks: Record<string, RehearsalCheck> = {}
  outcome: RunOutcome | undefined

  start(runbook: Runbook): void {
    this.runbook = runbook
  }

  event(event: EngineEvent): void {
    const e = event as JournalEvent
    if (e.type === 'step-planned') this.steps[e.step] = { changes: e.changes }
    else if (e.type === 'step-skipped')
      this.skipped[e.step] = e.reason === 'upstream' ? `upstream ${e.upstream} failed` : 'condition is false'
    else if (e.type === 'step-failed' && !e.willRetry) this.failures[e.step] = e.error.message
    else if (e.type === 'step-rehearsed' && e.check) this.checks[e.step] = e.check
  }

  async finish(outcome: RunOutcome): Promise<void> {
    this.outcome = outcome
  }

  plan(): SavedPlan {
    const runbook = this.runbook as Runbook
    return {
      runbook: { name: runbook.name, hash: runbook.hash },
      params: runbook.paramValues,
      createdAt: new Date().toISOString(),
      steps: this.steps,
    }
  }

  /** The plan as an operator reads it: per phase, per step, what would change. */
  report(): string {
    const runbook = this.runbook as Runbook
    const lines: string[] = [`plan for ${runbook.name} (${runbook.file})`]
    let changes = 0
    let manual = 0
    for (const phase of runbook.phases) {
      const marks = [
        phase.approval ? 'approval required' : '',
        phase.pointOfNoReturn ? 'point of no return' : '',
      ]
      const extra = marks.filter(Boolean).join(', ')
      lines.push('', `phase ${phase.id}${extra ? ` (${extra})` : ''}`)
      for (const step of phase.steps) {
        const failed = this.failures[step.id]
        const skipped = this.skipped[step.id]
        const planned = this.steps[step.id]
        if (failed) lines.push(`  ! ${step.id}: cannot plan: ${failed}`)
        else if (skipped) lines.push(`  - ${step.id}: skipped (${skipped})`)
        else if (!planned) lines.push(`  ? ${step.id}: not planned (an earlier step failed)`)
        else if (planned.changes.length === 0) lines.push(`  = ${step.id}: no change`)
        else
          for (const change of planned.changes) {
            changes++
            if (change.manualUndo) manual++
            lines.push(`  ~ ${step.id}: ${change.summary}${change.manualUndo ? '  [rollback: manual]' : ''}`)
          }
        const check = this.checks[step.id]
        if (check) lines.push(...checkLines(step.id, check))
      }
    }
    const checks = Object.values(this.checks)
    const failing = checks.filter((c) => c.result === 'would-fail').length
    const waiting = checks.filter((c) => c.result === 'after').length
    lines.push('', `${changes} change(s), ${manual} of them not undone by rollback (manual)`)
    if (checks.length > 0)
      lines.push(
        `${checks.length} check(s) read today: ${checks.length - failing - waiting} pass, ${failing} would fail, ${waiting} cannot be checked before earlier steps act`,
      )
    return `${lines.join('\n')}\n`
  }
}

/** A check's verdict under its step: `✓` passes, `✗` would fail today, `…` waits for an earlier step. */
function checkLines(step: string, check: RehearsalCheck): string[] {
  const mark = { passes: '✓', 'would-fail': '✗', after: '…' }[check.result]
  const { verdict, detail } = rehearsalCheckLines(check, colours(false))
  return [`  ${mark} ${step}: ${verdict}`, ...detail.map((d) => `      ${d}`)]
}
