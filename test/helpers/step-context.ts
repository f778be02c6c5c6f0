// A real StepContext for step tests: a real AbortController, a real clock (setTimeout) unless a test
// passes its own sleep, and a redactor that replaces secret values as the engine's does.
import { SqlConnections } from '../../src/clients/sql.ts'
import type { StartedCommand } from '../../src/engine/events.ts'
import type { Target } from '../../src/runbook/model.ts'
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
  /** The runbook's targets, resolved (ctx.target, ctx.sql). */
  targets?: Record<string, Target>
  /** Durable progress from an earlier attempt (ctx.checkpoints). */
  checkpoints?: unknown[]
  /** Runs inside recordUndo, before it resolves (to observe ordering against the step's work). */
  onRecordUndo?: (undo: unknown) => void | Promise<void>
}

export interface TestStepContext {
  ctx: StepContext
  progress: Progress[]
  /** What the step warned about (ctx.warn), in order. */
  warnings: string[]
  undo: unknown[]
  checkpoints: unknown[]
  /** The commands the step journaled as started. */
  commands: StartedCommand[]
  abort(reason?: unknown): void
  /** Closes the SQL pools the step opened. */
  close(): Promise<void>
}

export function createStepContext(options: StepContextOptions): TestStepContext {
  const controller = new AbortController()
  const progress: Progress[] = []
  const warnings: string[] = []
  const undo: unknown[] = []
  const secrets = [...(options.secrets ?? [])].sort((a, b) => b.length - a.length)
  const checkpoints = [...(options.checkpoints ?? [])]
  const targets = options.targets ?? {}
  const commands: StartedCommand[] = []
  const redact = (text: string) => secrets.reduce((out, secret) => out.replaceAll(secret, '***'), text)
  const sql = new SqlConnections(redact)
  const ctx = {
    runId: 'test-run',
    stepId: options.stepId ?? 'step',
    dryRun: options.dryRun ?? false,
    signal: controller.signal,
    workdir: options.workdir,
    progress: (update: Progress) => progress.push(update),
    warn: (message: string) => warnings.push(redact(message)),
    async recordUndo(data: unknown) {
      await options.onRecordUndo?.(data)
      undo.push(data)
    },
    async checkpoint(data: unknown) {
      checkpoints.push(data)
    },
    get checkpoints() {
      return checkpoints
    },
    async recordCommand(command: StartedCommand) {
      commands.push(command)
      return { ended: () => {} }
    },
    sql: (name: string) => sql.connect(name, targets[name]?.sql),
    target: (name: string) => {
      const target = targets[name]
      if (!target) throw new Error(`no target ${name} in this test`)
      return target
    },
    redact,
    sleep: options.sleep ?? ((ms: number) => sleepOn(controller.signal, ms)),
    approve: options.approve ?? (() => Promise.reject(new Error('no approver in this test'))),
    check: options.check ?? ((id: string) => Promise.reject(new Error(`no check for ${id} in this test`))),
  } as StepContext
  return {
    ctx,
    progress,
    warnings,
    undo,
    checkpoints,
    commands,
    abort: (reason) => controller.abort(reason),
    close: () => sql.destroy(),
  }
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
