import { AsyncLocalStorage } from 'node:async_hooks'

/** Which step is calling, carried through async calls so shared clients can name it. */
export interface StepScope {
  step: string
  dryRun: boolean
  /** Reports "throttled, retrying in 2.1s" as the step's progress. */
  progress(message: string): void
}

export const stepScope = new AsyncLocalStorage<StepScope>()
