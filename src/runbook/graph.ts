import type { Diagnostics } from './diagnostics.js'
import type { PhaseDocument, RunbookDocument } from './schema.js'
import { didYouMean } from './suggest.js'
import type { YamlValue } from './yaml-source.js'

/** Where each step lives: its phase and its index, for messages and upstream checks. */
export interface StepIndex {
  phaseOf: Map<string, string>
  phaseOrder: Map<string, number>
  /** Per step: its needs, as written (string or list) normalised to a list. */
  needsOf: Map<string, string[]>
}

export const needsList = (needs: string | string[] | undefined): string[] =>
  needs === undefined ? [] : typeof needs === 'string' ? [needs] : needs

/**
 * Checks ids and `needs`: duplicates, unknown or cross-phase needs, cycles (named in full).
 * Returns an index for the later checks; steps with duplicate ids keep their first place.
 */
export function checkGraph(runbook: RunbookDocument, doc: YamlValue, diags: Diagnostics): StepIndex {
  const index: StepIndex = { phaseOf: new Map(), phaseOrder: new Map(), needsOf: new Map() }
  const stepPlace = new Map<string, () => string>()

  runbook.phases.forEach((phase, p) => {
    if (index.phaseOrder.has(phase.id)) {
      const first = index.phaseOrder.get(phase.id) as number
      // An empty id stands for one the schema refused already (missing, not a string): no duplicate.
      if (phase.id !== '')
        diags.error(
          doc.source,
          doc.offsetOf(['phases', p, 'id']),
          `duplicate phase id '${phase.id}' (also phases[${first}], line ${line(doc, ['phases', first, 'id'])})`,
          'phase ids name rollback points and must be unique',
        )
    } else index.phaseOrder.set(phase.id, p)

    phase.steps.forEach((step, s) => {
      if (step.id === '') return // refused by the schema already; nothing can refer to it
      if (stepPlace.has(step.id)) {
        diags.error(
          doc.source,
          doc.offsetOf(['phases', p, 'steps', s, 'id']),
          `duplicate step id '${step.id}' (also ${stepPlace.get(step.id)?.()})`,
          'step ids are unique across the whole runbook: steps.<id> refers to one step',
        )
        return
      }
      // Described only if a duplicate turns up: positions cost a full parse on the quick path.
      stepPlace.set(
        step.id,
        () => `${phase.id}.${step.id}, line ${line(doc, ['phases', p, 'steps', s, 'id'])}`,
      )
      index.phaseOf.set(step.id, phase.id)
      index.needsOf.set(step.id, needsList(step.needs))
    })
  })

  runbook.phases.forEach((phase, p) => {
    checkNeeds(phase, p, index, doc, diags)
  })
  return index
}

function checkNeeds(
  phase: PhaseDocument,
  p: number,
  index: StepIndex,
  doc: YamlValue,
  diags: Diagnostics,
): void {
  const local = phase.steps.map((s) => s.id)
  phase.steps.forEach((step, s) => {
    const needs = needsList(step.needs)
    needs.forEach((need, n) => {
      const at = () =>
        doc.offsetOf(
          typeof step.needs === 'string'
            ? ['phases', p, 'steps', s, 'needs']
            : ['phases', p, 'steps', s, 'needs', n],
        )
      const owner = index.phaseOf.get(need)
      if (need === step.id) {
        diags.error(doc.source, at(), `step '${step.id}' needs itself`)
      } else if (owner === undefined) {
        diags.error(
          doc.source,
          at(),
          `needs '${need}': no step has that id`,
          didYouMean(
            need,
            local.filter((id) => id !== step.id),
          ),
        )
      } else if (owner !== phase.id) {
        const later = (index.phaseOrder.get(owner) ?? 0) > p
        diags.error(
          doc.source,
          at(),
          `needs '${need}': that step is in phase '${owner}', not '${phase.id}'`,
          later
            ? `phase '${owner}' runs after '${phase.id}'; move one of the steps`
            : `phases already run in order, so '${need}' is done before '${phase.id}' starts: remove it from needs`,
        )
      }
    })
  })

  for (const cycle of findCycles(phase, index)) {
    const s = phase.steps.findIndex((step) => step.id === cycle[0])
    diags.error(
      doc.source,
      doc.offsetOf(['phases', p, 'steps', s, 'needs']),
      `needs form a cycle: ${describeCycle(cycle)}`,
      'a step cannot wait, directly or through others, for itself',
    )
  }
}

/** `a -> b -> c -> a`; a long cycle shows its ends and how many steps it holds. */
function describeCycle(cycle: string[]): string {
  const first = cycle[0] as string
  if (cycle.length <= 12) return [...cycle, first].join(' -> ')
  return `${[...cycle.slice(0, 5), '...', ...cycle.slice(-3), first].join(' -> ')} (${cycle.length} steps)`
}

/**
 * Each elementary cycle reported once, starting from its earliest step in the file. Depth-first
 * with an explicit stack: a chain of thousands of needs must not exhaust the call stack.
 */
function findCycles(phase: PhaseDocument, index: StepIndex): string[][] {
  const order = new Map(phase.steps.map((s, i) => [s.id, i]))
  const state = new Map<string, 'visiting' | 'done'>()
  const cycles: string[][] = []
  const seen = new Set<string>()
  const path: string[] = []
  const frames: Array<{ id: string; needs: string[]; next: number }> = []
  const enter = (id: string): void => {
    state.set(id, 'visiting')
    path.push(id)
    frames.push({ id, needs: index.needsOf.get(id) ?? [], next: 0 })
  }

  for (const step of phase.steps) {
    if (state.has(step.id) || !index.phaseOf.has(step.id)) continue
    enter(step.id)
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as (typeof frames)[number]
      const need = frame.needs[frame.next++]
      if (need === undefined) {
        frames.pop()
        path.pop()
        state.set(frame.id, 'done')
        continue
      }
      if (!order.has(need) || need === frame.id) continue
      if (state.get(need) === 'visiting') {
        const cycle = path.slice(path.lastIndexOf(need))
        const first = cycle.reduce((a, b) => ((order.get(a) ?? 0) <= (order.get(b) ?? 0) ? a : b))
        const start = cycle.indexOf(first)
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)]
        const key = [...rotated].sort().join(',')
        if (!seen.has(key)) {
          seen.add(key)
          cycles.push(rotated)
        }
      } else if (!state.has(need)) enter(need)
    }
  }
  return cycles
}

/**
 * Whether `stepId` may read the outputs of `candidate`: any step of an earlier phase, or, in its
 * own phase, one it needs directly or through others.
 */
export function isUpstream(candidate: string, stepId: string, index: StepIndex): boolean {
  const phase = index.phaseOf.get(stepId)
  const other = index.phaseOf.get(candidate)
  if (phase === undefined || other === undefined) return false
  if (other !== phase) return (index.phaseOrder.get(other) ?? 0) < (index.phaseOrder.get(phase) ?? 0)
  const seen = new Set<string>()
  const pending = [...(index.needsOf.get(stepId) ?? [])]
  while (pending.length > 0) {
    const id = pending.pop() as string
    if (id === candidate) return true
    if (seen.has(id) || index.phaseOf.get(id) !== phase) continue
    seen.add(id)
    pending.push(...(index.needsOf.get(id) ?? []))
  }
  return false
}

function line(doc: YamlValue, path: Array<string | number>): number {
  return doc.source.position(doc.offsetOf(path)).line
}
