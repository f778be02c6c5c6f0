// A real StepContext for step tests: a real AbortController, a real clock (setTimeout) unless a test
// passes its own sleep, and a redactor that replaces secret values as the engine's does.
import type { Progress, StepContext } from '../../src/steps/contract.ts'

export interface StepContextOptions {
  workdir: string
  stepId?: string
  dryRun?: boolean
  /** Values the redactor replaces with ***. */
  secrets?: string[]
  approve?: StepContext['approve']
  check?: StepContext['check']
  sleep?: StepContext['sleep']
  /** Runs inside recordUndo, before it resolves (to observe ordering against the step's work). */
  onRecordUndo?: (undo: unknown) => void | Promise<void>
}

export interface TestStepContext {
  ctx: StepContext
  progress: Progress[]
  undo: unknown[]
  abort(reason?: unknown): void
}

export function createStepContext(options: StepContextOptions): TestStepContext {
  const controller = new AbortController()
  const progress: Progress[] = []
  const undo: unknown[] = []
  const secrets = [...(options.secrets ?? [])].sort((a, b) => b.length - a.length)
  const ctx: StepContext = {
    runId: 'test-run',
    stepId: options.stepId ?? 'step',
    dryRun: options.dryRun ?? false,
    signal: controller.signal,
    workdir: options.workdir,
    progress: (update) => progress.push(update),
    async recordUndo(data) {
      await options.onRecordUndo?.(data)
      undo.push(data)
    },
    redact: (text) => secrets.reduce((out, secret) => out.replaceAll(secret, '***'), text),
    sleep: options.sleep ?? ((ms) => sleepOn(controller.signal, ms)),
    approve: options.approve ?? (() => Promise.reject(new Error('no approver in this test'))),
    check: options.check ?? ((id) => Promise.reject(new Error(`no check for ${id} in this test`))),
  }
  return { ctx, progress, undo, abort: (reason) => controller.abort(reason) }
}

function sleepOn(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
