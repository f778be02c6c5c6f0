// `--inject FAULT@STEP`: read against the catalog and the runbook, refused with the choices when wrong.
import { InvalidInputError } from '../errors.js'
import type { Runbook, Step } from '../runbook/model.js'
import { didYouMean } from '../runbook/suggest.js'
import { type DrillFault, FAULTS, faultNamed, fitsStep } from './faults.js'

export interface Injection {
  fault: DrillFault
  step: Step
}

const list = (items: string[]) => (items.length > 0 ? items.join(', ') : 'none')

/** The drills to run: one with every fault, or with `each`, one per fault. */
export function readInjections(values: readonly string[], runbook: Runbook, each = false): Injection[][] {
  if (values.length === 0)
    throw new InvalidInputError('--inject: a drill needs at least one fault', {
      hint: 'add --inject FAULT@STEP; switchyard drill --faults lists the faults',
    })
  const steps = runbook.phases.flatMap((p) => p.steps)
  const injections = values.map((value) => readOne(value, steps, runbook.name))
  if (each) return injections.map((injection) => [injection])
  const killed = injections.filter((i) => i.fault.kind === 'process')
  if (killed.length > 0 && injections.length > 1)
    throw new InvalidInputError('--inject: cli-killed cannot be combined with other faults in one drill', {
      hint: 'run one drill with --inject cli-killed@STEP and another with the other faults, or add --each',
    })
  return [injections]
}

function readOne(value: string, steps: Step[], runbook: string): Injection {
  const at = value.lastIndexOf('@')
  const [name, stepId] = at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)]
  const fault = faultNamed(name)
  if (!fault) {
    const names = FAULTS.map((f) => f.name)
    const guess = didYouMean(name, names)
    throw new InvalidInputError(`--inject ${value}: no fault is named '${name}'`, {
      hint: `${guess ? `${guess} ` : ''}faults: ${names.join(', ')}`,
    })
  }
  const fitting = steps.filter((s) => fitsStep(fault, s.uses)).map((s) => s.id)
  const choices = `${fault.name} fits these steps of ${runbook}: ${list(fitting)}`
  if (at < 0 || stepId === '')
    throw new InvalidInputError(`--inject ${value}: expected FAULT@STEP`, { hint: choices })
  const step = steps.find((s) => s.id === stepId)
  if (!step) {
    const guess = didYouMean(stepId, fitting)
    throw new InvalidInputError(`--inject ${value}: ${runbook} has no step '${stepId}'`, {
      hint: `${guess ? `${guess} ` : ''}${choices}`,
    })
  }
  if (!fitsStep(fault, step.uses))
    throw new InvalidInputError(
      `--inject ${value}: ${fault.name} cannot be injected at ${step.id} (a ${step.uses} step)`,
      { hint: choices },
    )
  return { fault, step }
}
