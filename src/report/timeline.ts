import type { JournalEvent } from '../engine/events.js'
import type { Runbook } from '../runbook/model.js'
import { describeCheckpoint } from './values.js'

/** `work`: a step or phase at it; `stage`: a part of a step between its checkpoints (a shift's stage and bake); `undo`: rollback at work. */
export type BarKind = 'work' | 'stage' | 'failed' | 'skipped' | 'undo' | 'rollback'

export interface Bar {
  /** Epoch milliseconds. */
  start: number
  end: number
  kind: BarKind
  label: string
}

/** A moment on a row: an approval given, a pause, a manual undo confirmed. */
export interface Mark {
  at: number
  kind: 'approval' | 'pause' | 'manual-undo'
  label: string
}

export interface TimelineRow {
  id: string
  level: 'phase' | 'step' | 'rollback'
  phase: string
  bars: Bar[]
  marks: Mark[]
}

export interface Timeline {
  start: number
  end: number
  rows: TimelineRow[]
}

interface Open {
  start: number
  label: string
}

/**
 * The run's Gantt, from the journal's timestamps alone: each phase and step as bars (one per attempt
 * or undo), a step's checkpoints as stages inside it, approvals and pauses as marks. A process that
 * died leaves its bars open; the next invocation closes them at the last event the dead one journaled.
 */
export function buildTimeline(events: readonly JournalEvent[], runbook: Runbook): Timeline {
  const rows = new Map<string, TimelineRow>()
  for (const phase of runbook.phases) {
    rows.set(`phase:${phase.id}`, { id: phase.id, level: 'phase', phase: phase.id, bars: [], marks: [] })
    for (const step of phase.steps)
      rows.set(`step:${step.id}`, { id: step.id, level: 'step', phase: phase.id, bars: [], marks: [] })
  }
  const open = new Map<string, Open>()
  const lastCheckpoint = new Map<string, number>()
  const start = Date.parse(events[0]?.at ?? new Date(0).toISOString())
  let last = start

  const rowOf = (key: string): TimelineRow => {
    let row = rows.get(key)
    if (!row) {
      const [level, id = key] = key.split(':') as [TimelineRow['level'], string]
      row = { id, level, phase: '', bars: [], marks: [] }
      rows.set(key, row)
    }
    return row
  }
  const begin = (key: string, at: number, label = '') => {
    if (!open.has(key)) open.set(key, { start: at, label })
  }
  const close = (key: string, at: number, kind: BarKind, label?: string) => {
    const was = open.get(key)
    if (!was) return
    open.delete(key)
    rowOf(key).bars.push({ start: was.start, end: at, kind, label: label ?? was.label })
  }
  const closeAll = (at: number, kind: BarKind) => {
    for (const key of [...open.keys()]) close(key, at, key.startsWith('rollback:') ? 'rollback' : kind)
  }

  for (const event of events) {
    const at = Date.parse(event.at)
    switch (event.type) {
      case 'run-resumed':
        closeAll(last, 'work')
        break
      case 'phase-started':
        begin(`phase:${event.phase}`, at)
        break
      case 'phase-completed':
        close(`phase:${event.phase}`, at, 'work', 'completed')
        break
      case 'approval-granted':
        rowOf(event.step ? `step:${event.step}` : `phase:${event.phase}`).marks.push({
          at,
          kind: 'approval',
          label: `approved by ${event.operator}`,
        })
        break
      case 'step-started':
        begin(`step:${event.step}`, at, `attempt ${event.attempt}`)
        lastCheckpoint.set(event.step, at)
        break
      case 'step-checkpoint': {
        const from = lastCheckpoint.get(event.step) ?? at
        rowOf(`step:${event.step}`).bars.push({
          start: from,
          end: at,
          kind: 'stage',
          label: describeCheckpoint(event.data),
        })
        lastCheckpoint.set(event.step, at)
        break
      }
      case 'step-applied':
        close(`step:${event.step}`, at, 'work', event.alreadyDone ? 'already done' : 'applied')
        break
      case 'step-rehearsed':
        close(`step:${event.step}`, at, 'work', 'rehearsed')
        break
      case 'step-failed':
        close(`step:${event.step}`, at, 'failed', event.error.message)
        break
      case 'step-skipped':
        if (open.has(`step:${event.step}`)) close(`step:${event.step}`, at, 'skipped', 'skipped')
        else rowOf(`step:${event.step}`).bars.push({ start: at, end: at, kind: 'skipped', label: 'skipped' })
        break
      case 'compensation-started':
        begin(`step:${event.step}`, at, 'undo')
        break
      case 'step-compensated':
        close(`step:${event.step}`, at, 'undo', 'undone')
        break
      case 'compensation-failed':
        close(`step:${event.step}`, at, 'failed', `undo failed: ${event.error.message}`)
        break
      case 'manual-undo-confirmed':
        rowOf(`step:${event.step}`).marks.push({
          at,
          kind: 'manual-undo',
          label: `undone by hand, confirmed by ${event.operator}`,
        })
        break
      case 'rollback-started':
        closeAll(at, 'work')
        begin(`rollback:to ${event.to}`, at, `rollback to ${event.to}`)
        break
      case 'rollback-completed':
        close(`rollback:to ${event.to}`, at, 'rollback')
        break
      case 'run-paused':
        for (const key of open.keys())
          if (key.startsWith('phase:'))
            rowOf(key).marks.push({ at, kind: 'pause', label: `paused: ${event.reason}` })
        closeAll(at, 'work')
        break
      case 'run-failed':
        closeAll(at, 'failed')
        break
      case 'run-completed':
      case 'run-abandoned':
        closeAll(at, 'work')
        break
    }
    last = at
  }
  closeAll(last, 'work')
  return { start, end: Math.max(last, start + 1), rows: [...rows.values()] }
}
