import type { Phase, Runbook, Step } from '../runbook/model.js'

export interface StepPlace {
  step: Step
  phase: Phase
}

/** Events name steps by id only (ids are unique across a runbook); renderers need the step and its phase. */
export interface RunbookIndex {
  place(stepId: string): StepPlace | undefined
  phase(phaseId: string): Phase | undefined
  /** Phase ids in the order they run. */
  phaseOrder(): string[]
  /** `phase.step`, as operators and diagnostics name a step; the bare id for a step the runbook lacks. */
  label(stepId: string): string
}

export function indexRunbook(runbook: Runbook): RunbookIndex {
  const places = new Map<string, StepPlace>()
  const phases = new Map<string, Phase>()
  for (const phase of runbook.phases) {
    phases.set(phase.id, phase)
    for (const step of phase.steps) places.set(step.id, { step, phase })
  }
  return {
    place: (stepId) => places.get(stepId),
    phase: (phaseId) => phases.get(phaseId),
    phaseOrder: () => [...phases.keys()],
    label: (stepId) => {
      const place = places.get(stepId)
      return place ? `${place.phase.id}.${stepId}` : stepId
    },
  }
}
