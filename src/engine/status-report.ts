import { invocation } from '../invocation.js'
import type { Runbook } from '../runbook/model.js'
import { approvalProof } from './approvals.js'
import { mayHaveActed, type RunState, type StepState } from './state.js'

const SYMBOL: Record<StepState['status'], string> = {
  pending: ' ',
  running: '>',
  applied: '✓',
  rehearsed: '✓',
  failed: '✗',
  skipped: '-',
  compensating: '<',
  compensated: '↺',
}

function duration(from?: string, to?: string): string {
  if (!from) return ''
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from)
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}

/** Whether the last rollback finished, how far it got, and what `resume` will do about it. */
function rollbackLine(state: RunState, runbook: Runbook | undefined): string | undefined {
  const { rollback } = state
  // A finished rollback matters until the run goes forward again.
  if (!rollback || (rollback.status === 'completed' && state.status !== 'rolled-back')) return undefined
  const cut = rollback.to === 'start' ? -1 : (runbook?.phases.findIndex((p) => p.id === rollback.to) ?? -1)
  const after =
    runbook?.phases.slice(cut + 1).flatMap((p) => p.steps.map((s) => s.id)) ?? Object.keys(state.steps)
  const undone = after.filter((id) => state.steps[id]?.status === 'compensated').length
  if (rollback.status === 'completed')
    return `rolled back to ${rollback.to}: ${undone} step(s) undone; \`${invocation()} resume\` applies them again`
  const left = after.filter((id) => {
    const s = state.steps[id]
    return s !== undefined && mayHaveActed(s)
  }).length
  return `rollback to ${rollback.to} unfinished: ${undone} step(s) undone, ${left} still to undo; \`${invocation()} resume\` finishes the rollback`
}

/** A step's outputs, one a line; those of an undone step say so, since the world no longer holds them. */
function outputLines(outputs: Record<string, unknown> | undefined, suffix: string): string[] {
  return Object.entries(outputs ?? {}).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    const short = text.length > 80 ? `${text.slice(0, 77)}...` : text
    return `      ${key}: ${short.replace(/\n/g, '⏎')}${suffix}`
  })
}

/** `switchyard status`: where a run stands, from its journal alone. */
export function formatStatus(state: RunState, runbook: Runbook | undefined): string {
  const point = state.completedPhases.at(-1) ?? 'start'
  const lines = [
    `run ${state.runId}: ${state.status}${state.pauseReason ? ` (${state.pauseReason})` : ''}`,
    `runbook ${state.runbook.name} (${state.runbook.file}), started ${state.startedAt} by ${state.operator}${state.awsIdentity ? ` as ${state.awsIdentity}` : ''}`,
    `rollback point reached: ${point}`,
  ]
  if (state.abandoned)
    lines.push(
      `abandoned by ${state.abandoned.by} at ${state.abandoned.at}: ${state.abandoned.reason} (steps it applied were left as they are)`,
    )
  const rollback = rollbackLine(state, runbook)
  if (rollback) lines.push(rollback)
  if (state.lastError) lines.push(`last error: ${state.lastError.message}`)
  for (const [name, found] of Object.entries(state.targets))
    lines.push(`target ${name}: ${found.instances.join(', ')} (found by tags when the run started)`)
  const phases = runbook?.phases.map((p) => ({ id: p.id, steps: p.steps.map((s) => s.id) })) ?? []
  for (const phase of phases) {
    const p = state.phases[phase.id]
    lines.push('', `phase ${phase.id}: ${p?.status ?? 'pending'}`)
    for (const id of phase.steps) {
      const s = state.steps[id]
      const status = s?.status ?? 'pending'
      const extra = [
        s?.attempts && s.attempts > 1 ? `${s.attempts} attempts` : '',
        duration(s?.startedAt, s?.endedAt),
        s?.skipReason ?? '',
        s?.error && status === 'failed' ? s.error.message : '',
        s?.continued ? 'failed, continued' : '',
      ].filter(Boolean)
      lines.push(
        `  ${SYMBOL[status]} ${id.padEnd(24)} ${status}${extra.length > 0 ? `  (${extra.join('; ')})` : ''}`,
      )
      lines.push(...outputLines(s?.outputs, ''), ...outputLines(s?.undoneOutputs, ' (undone)'))
      for (const warning of s?.warnings ?? []) lines.push(`      warning: ${warning}`)
    }
  }
  if (state.approvals.length > 0) {
    lines.push('', 'approvals:')
    for (const a of state.approvals)
      lines.push(
        `  ${a.step ?? a.phase} by ${a.operator} at ${a.at} via ${a.via}: ${a.reason}${approvalProof(a)}`,
      )
  }
  for (const w of state.warnings) lines.push(`warning: ${w}`)
  return `${lines.join('\n')}\n`
}
