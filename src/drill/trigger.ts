// Fires each injected fault when its step starts (or first reports progress), and notes when
// switchyard noticed: the first step failing after a fault.
import type { EngineEvent } from '../engine/observer.js'
import type { Heal } from './faults.js'
import type { Injection } from './injections.js'

export interface FaultRecord {
  name: string
  step: string
  /** Wall-clock milliseconds. */
  injectedAt?: number
  detectedAt?: number
  /** Why it never fired (its step was skipped, or the fault could not be set up). */
  notFired?: string
  heal?: Heal
}

export interface FaultTrigger {
  readonly faults: FaultRecord[]
  /** True once switchyard has noticed a fault: the drill, as an operator would, stops retrying. */
  readonly detected: boolean
  onEvent(event: EngineEvent): void
  healAll(): void
}

/** `fire` does what the fault does; it returns how to undo it (a process fault has nothing to undo). */
export function faultTrigger(
  injections: readonly Injection[],
  fire: (injection: Injection) => Heal,
  now: () => number = Date.now,
): FaultTrigger {
  const faults: FaultRecord[] = injections.map((i) => ({ name: i.fault.name, step: i.step.id }))
  const started = new Set<string>()
  let detected = false

  const fireOne = (injection: Injection, record: FaultRecord) => {
    record.injectedAt = now()
    try {
      record.heal = fire(injection)
    } catch (error) {
      record.notFired = `could not be set up: ${(error as Error).message}`
      delete record.injectedAt
    }
  }

  return {
    faults,
    get detected() {
      return detected
    },
    onEvent(event) {
      injections.forEach((injection, n) => {
        const record = faults[n] as FaultRecord
        if (record.injectedAt !== undefined || record.notFired) return
        const mine = 'step' in event && event.step === injection.step.id
        if (!mine) return
        if (event.type === 'step-started') started.add(injection.step.id)
        if (event.type === 'step-skipped')
          record.notFired = `step ${injection.step.id} was skipped (${event.reason})`
        const due =
          injection.fault.firesOn === 'start'
            ? event.type === 'step-started'
            : event.type === 'step-progress' && !event.milestone && started.has(injection.step.id)
        if (due) fireOne(injection, record)
      })
      if (event.type !== 'step-failed') return
      const at = now()
      for (const record of faults)
        if (record.injectedAt !== undefined && record.detectedAt === undefined) {
          record.detectedAt = at
          detected = true
        }
    },
    healAll() {
      for (const record of faults) {
        record.heal?.()
        delete record.heal
      }
    },
  }
}
