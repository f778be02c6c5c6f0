import { Writable } from 'node:stream'
import {
  DefaultRenderer,
  figures,
  Listr,
  ListrDefaultRendererLogLevels,
  ListrLogger,
  type ListrRendererFactory,
  type ListrTask,
  ProcessOutput,
  SilentRenderer,
  SimpleRenderer,
  Spinner,
  TestRenderer,
} from 'listr2'
import type { JournalEvent } from '../engine/events.js'
import type { EngineEvent, Observer, RunOutcome } from '../engine/observer.js'
import { applyEvent, type RunState } from '../engine/state.js'
import type { Phase, Runbook, Step } from '../runbook/model.js'
import { coloursFor, type Paint } from './ansi.js'
import { compensationOrder } from './compensation-order.js'
import { type Deferred, deferred } from './deferred.js'
import { doneBefore } from './done-before.js'
import { TaskSlot, type TaskWrapper } from './listr-slot.js'
import type { PromptHost, PromptSubject } from './prompt-host.js'
import { indexRunbook, type RunbookIndex } from './runbook-index.js'
import { between, elapsed } from './time.js'
import {
  changeLine,
  errorText,
  outcomeLines,
  pointAtShownErrors,
  progressText,
  rehearsalCheckLines,
  skipMessage,
  skipMessageFromState,
  survivorEndText,
  survivorText,
} from './wording.js'

export interface ListrRendererOptions {
  stream?: Writable & { isTTY?: boolean }
  /** Left alone while listr2 draws (it takes over `stream`), so an engine crash still shows. */
  errorStream?: Writable
  env?: NodeJS.ProcessEnv
  /** `default` draws on a terminal; `test` logs listr2's task events as JSON lines; `silent` draws nothing. */
  renderer?: 'default' | 'test' | 'silent'
}

type Task = ListrTask<unknown, ListrRendererFactory, ListrRendererFactory>

/** What a step's line says besides its name, gathered from its events. */
interface StepView {
  attempt: number
  startedAt?: string
  approvedBy?: string
  changes?: string[]
  progress?: string
  retryMessage?: string
  notes: string[]
  /** Drawn under the step's name for the rest of the run, and again in the summary at the end. */
  warnings: string[]
}

interface Rollback {
  to: string
  slot: TaskSlot
  undo: Map<string, TaskSlot>
  /** Steps whose compensation-started arrived: a step-compensated without it had nothing to undo. */
  begun: Set<string>
  ended: Deferred<void>
}

/** On a terminal: phases as listr2 parent tasks, steps as their children, moved only by engine events. */
export function createListrRenderer(options: ListrRendererOptions = {}): Observer & PromptHost {
  return new ListrView(options)
}

class ListrView implements Observer, PromptHost {
  private readonly stream: Writable & { isTTY?: boolean }
  private readonly errorStream: Writable
  private readonly paint: Paint
  private readonly renderer: NonNullable<ListrRendererOptions['renderer']>
  private index: RunbookIndex | undefined
  private state: RunState | undefined
  private readonly phases = new Map<string, TaskSlot>()
  private readonly steps = new Map<string, TaskSlot>()
  private readonly views = new Map<string, StepView>()
  private readonly phaseApprovals = new Map<string, string>()
  private readonly rollbackSlot = new TaskSlot(undefined)
  private rollback: Rollback | undefined
  private currentPhase: string | undefined
  private readonly warnings: string[] = []
  /** Commands left running by a killed switchyard: their end is worth a notice, others' is not. */
  private readonly survivors = new Set<number>()
  /** Step errors drawn under their step: a warning that quotes one points there instead. */
  private readonly shownErrors = new Set<string>()
  private drawing: Promise<void> | undefined
  private drawn = false

  constructor(options: ListrRendererOptions) {
    this.stream = options.stream ?? process.stdout
    this.errorStream = options.errorStream ?? (options.stream ? this.stream : process.stderr)
    this.paint = coloursFor(this.stream, options.env ?? process.env)
    this.renderer = options.renderer ?? 'default'
  }

  start(runbook: Runbook, state: RunState): void {
    this.index = indexRunbook(runbook)
    this.state = structuredClone(state)
    for (const approval of state.approvals)
      if (!approval.step) this.phaseApprovals.set(approval.phase, approval.operator)
    const tasks: Task[] = runbook.phases.map((phase) => this.phaseTask(phase, state))
    tasks.push({
      // No title until a rollback starts: listr2 draws nothing for a task without one.
      task: async (_ctx, wrapper) => {
        this.rollbackSlot.attach(wrapper)
        await this.rollbackSlot.started
        const rollback = this.rollback
        if (!rollback) return this.rollbackSlot.settle()
        return wrapper.newListr(
          [
            ...[...rollback.undo.values()].map((slot) => this.slotTask(slot)),
            // Untitled, so never drawn: holds the task open until the rollback's end retitles it.
            { task: () => rollback.ended.promise },
          ],
          { concurrent: true, exitOnError: false },
        )
      },
    })
    this.drawing = this.draw(tasks)
  }

  event(event: EngineEvent): void {
    if (!this.index) {
      if (event.type === 'notice' && event.level === 'warning') this.warnings.push(event.message)
      return
    }
    if ('seq' in event) this.journalEvent(event)
    else if (event.type === 'step-progress') {
      const undo = this.rollback?.undo.get(event.step)
      if (undo) return undo.setOutput(`${undo.currentTitle}: ${progressText(event)}`)
      const view = this.views.get(event.step)
      if (!view) return
      view.progress = progressText(event)
      this.redrawOutput(event.step)
    } else this.notice(event.message, event.level === 'warning')
  }

  async finish(outcome: RunOutcome): Promise<void> {
    this.closePhases()
    this.closeRollback('not undone')
    if (!this.rollback) this.rollbackSlot.finish({ kind: 'done' })
    for (const slot of this.phases.values()) slot.release()
    await this.drawing
    const lines = [
      '',
      ...this.warnings.map((warning) =>
        this.paint.yellow(`warning: ${pointAtShownErrors(warning, this.shownErrors)}`),
      ),
      ...outcomeLines(outcome, this.paint),
    ]
    await new Promise<void>((resolve) => this.stream.write(`${lines.join('\n')}\n`, () => resolve()))
  }

  async prompt<T>(about: PromptSubject, ask: (output: Writable) => Promise<T>): Promise<T> {
    const slot = this.drawing && !this.drawn ? this.promptSlot(about) : undefined
    if (!slot || !this.drawing) return ask(this.stream)
    // Not yet drawn (its phase waits for the one before): wait for it, but not past listr2's end.
    const drawnInTime = await Promise.race([slot.attached.then(() => true), this.drawing.then(() => false)])
    return drawnInTime ? slot.prompt(ask) : ask(this.stream)
  }

  // ---------- the task tree ----------

  private phaseTask(phase: Phase, state: RunState): Task {
    const slot = new TaskSlot(this.phaseTitle(phase))
    this.phases.set(phase.id, slot)
    const phaseState = state.phases[phase.id]?.status
    const children = phase.steps.map((step) => this.stepSlot(step, state, phaseState === 'completed'))
    if (phaseState !== undefined && phaseState !== 'pending') slot.run()
    if (phaseState === 'completed') this.markCompleted(phase.id)
    else if (phaseState !== undefined && phaseState !== 'pending') this.currentPhase = phase.id
    return {
      title: this.phaseTitle(phase),
      task: async (_ctx, wrapper) => {
        slot.attach(wrapper)
        await slot.started
        if (slot.ending) return slot.settle()
        return wrapper.newListr(
          [
            ...children.map((child) => this.slotTask(child)),
            // Untitled, so never drawn: keeps the phase open until the run ends, so a rollback can re-mark it.
            { task: () => slot.held },
          ],
          // The engine decides what really runs at once; listr2 only needs to let every task wait.
          { concurrent: true, exitOnError: false },
        )
      },
    }
  }

  private stepSlot(step: Step, state: RunState, phaseCompleted: boolean): TaskSlot {
    const s = state.steps[step.id]
    const view: StepView = { attempt: 0, notes: [], warnings: [...(s?.warnings ?? [])] }
    this.views.set(step.id, view)
    const slot = new TaskSlot(this.stepTitle(step.id))
    this.steps.set(step.id, slot)
    if (!s || !(doneBefore(s) || phaseCompleted)) return slot
    // Settled before this invocation: shown at once, never waited for.
    if (s.status === 'skipped') slot.finish({ kind: 'skipped', reason: skipMessageFromState(s.skipReason) })
    else if (s.status === 'failed' && s.continued) {
      view.notes.push(this.paint.yellow(`failed, continued: ${s.error?.message ?? 'no message'}`))
      slot.setTitle(this.stepTitle(step.id))
      slot.finish({ kind: 'done' })
    } else if (s.status === 'applied' || s.status === 'rehearsed') {
      // Before this invocation: a resume, or the rollback command, starts from the journal.
      view.notes.push(this.paint.dim('done earlier'))
      slot.setTitle(this.stepTitle(step.id))
      slot.finish({ kind: 'done' })
    } else slot.finish({ kind: 'skipped', reason: 'not run' })
    return slot
  }

  private slotTask(slot: TaskSlot): Task {
    return {
      title: slot.currentTitle,
      task: async (_ctx, wrapper: TaskWrapper) => {
        slot.attach(wrapper)
        await slot.settle()
      },
      rendererOptions: this.state?.dryRun
        ? // A dry run's point is its plan: keep each step's changes on screen after it is rehearsed.
          { outputBar: true, persistentOutput: true }
        : { bottomBar: 1, persistentOutput: false },
    }
  }

  private async draw(tasks: Task[]): Promise<void> {
    const logger = new ListrLogger({
      useIcons: this.renderer !== 'test',
      processOutput: new ProcessOutput(
        this.stream as NodeJS.WriteStream,
        // listr2 replaces write() on both streams while it draws; give it a stand-in for stderr.
        forwardTo(this.errorStream) as NodeJS.WriteStream,
      ),
    })
    const list = new Listr<unknown, ListrRendererFactory, ListrRendererFactory>(tasks, {
      // Every phase stays open until the run ends (the engine, not listr2, orders them).
      concurrent: true,
      exitOnError: false,
      // Ctrl-C belongs to the engine (it pauses the run); listr2's handler would exit the process.
      registerSignalListeners: false,
      renderer:
        this.renderer === 'test'
          ? TestRenderer
          : this.renderer === 'silent'
            ? SilentRenderer
            : DefaultRenderer,
      rendererOptions:
        this.renderer === 'test'
          ? { logger, task: ['title', 'path', 'isCompleted', 'isSkipped', 'hasFailed'] }
          : {
              logger,
              spinner: new DetachedSpinner(),
              // A finished phase folds to one line unless something in it failed; a dry run keeps its plans.
              collapseSubtasks: !this.state?.dryRun,
              // Keep the step's name, with the reason or error under it.
              collapseSkips: false,
              // listr2 marks such a skip ⚠, which reads as trouble; a step or phase not run is ↓.
              icon: { [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: figures.arrowDown },
              collapseErrors: false,
              showErrorMessage: true,
              suffixRetries: true,
              formatOutput: 'wrap',
            },
      fallbackRenderer: SimpleRenderer,
      fallbackRendererOptions: { logger },
    })
    try {
      await list.run()
    } catch {
      // exitOnError is off, so only a renderer fault lands here; finish() still prints the outcome.
    } finally {
      this.drawn = true
    }
  }

  // ---------- events ----------

  private journalEvent(event: JournalEvent): void {
    if (this.state && event.type !== 'run-started') {
      try {
        applyEvent(this.state, event)
      } catch {
        // The engine's own fold has accepted it already; a renderer must not be the one to fail.
      }
    }
    switch (event.type) {
      case 'phase-started':
        this.currentPhase = event.phase
        this.phases.get(event.phase)?.run()
        return
      case 'phase-completed':
        this.closeSteps(event.phase)
        this.markCompleted(event.phase)
        return
      case 'approval-granted': {
        if (event.step) {
          const view = this.views.get(event.step)
          if (view) view.approvedBy = event.operator
          this.retitle(event.step)
          return
        }
        this.phaseApprovals.set(event.phase, event.operator)
        const phase = this.index?.phase(event.phase)
        if (phase) this.phases.get(event.phase)?.setTitle(this.phaseTitle(phase))
        return
      }
      case 'step-started': {
        const view = this.views.get(event.step)
        if (!view) return
        const phase = this.index?.place(event.step)?.phase.id
        if (phase) this.phases.get(phase)?.run()
        view.attempt = event.attempt
        view.startedAt ??= event.at
        view.progress = undefined
        view.retryMessage = undefined
        this.retitle(event.step)
        this.steps.get(event.step)?.run()
        this.redrawOutput(event.step)
        return
      }
      case 'step-planned': {
        const view = this.views.get(event.step)
        if (!view) return
        view.changes = event.changes.length > 0 ? event.changes.map(changeLine) : ['no change needed']
        this.redrawOutput(event.step)
        return
      }
      case 'step-applied':
      case 'step-rehearsed': {
        const view = this.views.get(event.step)
        if (!view) return
        const took = between(view.startedAt, event.at)
        if (event.type === 'step-applied' && event.alreadyDone)
          view.notes.push(this.paint.dim('already done'))
        if (took !== undefined) view.notes.push(this.paint.dim(elapsed(took)))
        if (event.type === 'step-rehearsed' && event.check) {
          const { verdict, detail } = rehearsalCheckLines(event.check, this.paint)
          view.changes = [...(view.changes ?? []), verdict, ...detail]
        }
        view.progress = undefined
        view.retryMessage = undefined
        this.retitle(event.step)
        this.redrawOutput(event.step)
        this.steps.get(event.step)?.finish({ kind: 'done' })
        return
      }
      case 'step-failed': {
        const view = this.views.get(event.step)
        const slot = this.steps.get(event.step)
        if (!view || !slot) return
        if (event.willRetry) {
          view.retryMessage = `attempt ${event.attempt} failed: ${event.error.message}; retrying`
          view.progress = undefined
          slot.retrying(event.attempt, event.error.message)
          this.redrawOutput(event.step)
          return
        }
        // continue_on_error: step-continued follows; show the step as passed over, the error once.
        if (this.index?.place(event.step)?.step.continueOnError)
          return this.continued(event.step, event.error)
        this.shownErrors.add(event.error.message)
        slot.finish({ kind: 'failed', message: errorText(event.error) })
        return
      }
      case 'step-continued':
        this.continued(event.step, this.state?.steps[event.step]?.error)
        return
      case 'step-warning': {
        this.warnings.push(`${this.index?.label(event.step) ?? event.step}: ${event.message}`)
        this.views.get(event.step)?.warnings.push(event.message)
        this.retitle(event.step)
        return
      }
      case 'step-skipped':
        this.steps.get(event.step)?.finish({ kind: 'skipped', reason: skipMessage(event) })
        return
      case 'run-paused':
      case 'run-failed':
      case 'run-completed':
        this.closePhases()
        return
      case 'rollback-started':
        this.startRollback(event.to, event.force)
        return
      case 'compensation-started':
        this.rollback?.begun.add(event.step)
        this.undoSlot(event.step)?.run()
        return
      case 'step-compensated': {
        const slot = this.undoSlot(event.step)
        if (slot && !this.rollback?.begun.has(event.step))
          slot.setTitle(`${slot.currentTitle} ${this.paint.dim('nothing to undo')}`)
        slot?.finish({ kind: 'done' })
        return
      }
      case 'manual-undo-confirmed': {
        const slot = this.undoSlot(event.step)
        slot?.setTitle(
          `${slot.currentTitle} ${this.paint.dim(`undone by hand, confirmed by ${event.operator}`)}`,
        )
        slot?.finish({ kind: 'done' })
        return
      }
      case 'compensation-failed':
        this.undoSlot(event.step)?.finish({ kind: 'failed', message: errorText(event.error) })
        return
      case 'rollback-completed':
        this.rollback?.slot.setTitle(this.paint.green(`rolled back to ${event.to}`))
        this.closeRollback('nothing to undo')
        this.markRolledBack(event.to)
        return
      case 'lock-broken':
        this.notice(`the run's lock was broken by ${event.by}`, true)
        return
      case 'command-survivor':
        this.survivors.add(event.pid)
        this.notice(survivorText(event), true)
        return
      case 'command-ended':
        if (this.survivors.has(event.pid)) this.notice(survivorEndText(event), false)
        return
      case 'journal-torn-line':
        this.notice(`journal line ${event.line} was torn by a crash and ignored`, true)
        return
      default:
        return
    }
  }

  private continued(step: string, error: { message: string } | undefined): void {
    const view = this.views.get(step)
    const slot = this.steps.get(step)
    if (!view || !slot || slot.ending) return
    view.notes.push(this.paint.yellow(`failed, continued: ${error?.message ?? 'no message'}`))
    view.progress = undefined
    view.retryMessage = undefined
    this.retitle(step)
    this.redrawOutput(step)
    slot.finish({ kind: 'done' })
  }

  /** Notices show live under the phase (or rollback) at work; warnings are printed again at the end. */
  private notice(message: string, warning: boolean): void {
    if (warning) this.warnings.push(message)
    const quoted = pointAtShownErrors(message, this.shownErrors)
    const text = warning ? this.paint.yellow(`warning: ${quoted}`) : quoted
    const slot = this.rollback?.slot ?? (this.currentPhase ? this.phases.get(this.currentPhase) : undefined)
    slot?.setOutput(text)
  }

  private startRollback(to: string, force: boolean): void {
    this.closePhases()
    if (this.rollback || !this.state || !this.index) return
    const undo = new Map<string, TaskSlot>()
    for (const step of compensationOrder(this.index, this.state, to)) {
      const place = this.index.place(step)
      undo.set(step, new TaskSlot(`undo ${place?.step.name ?? step}`))
    }
    this.rollback = { to, slot: this.rollbackSlot, undo, begun: new Set(), ended: deferred() }
    this.rollbackSlot.setTitle(
      this.paint.yellow(`rollback to ${to}${force ? ' (forced past the point of no return)' : ''}`),
    )
    this.rollbackSlot.run()
  }

  private undoSlot(step: string): TaskSlot | undefined {
    const slot = this.rollback?.undo.get(step)
    if (!slot)
      this.rollback?.slot.setOutput(`${this.index?.label(step) ?? step}: not in the expected undo order`)
    return slot
  }

  // ---------- closing what the engine will not finish ----------

  /** The run stopped: phases it did not reach, and steps it did not run, say so; a phase cut short is not ✔. */
  private closePhases(): void {
    for (const [id, slot] of this.phases) {
      if (slot.isWaiting) slot.finish({ kind: 'skipped', reason: 'not run' })
      else if (!slot.ending) {
        this.closeSteps(id)
        if (!slot.phaseMark) this.markStopped(id, slot)
      }
    }
  }

  /** A finished phase folds to one line: its steps' warnings stay visible under it. */
  private markCompleted(phaseId: string): void {
    const phase = this.index?.phase(phaseId)
    const slot = this.phases.get(phaseId)
    if (!phase || !slot) return
    const warnings = phase.steps.flatMap((step) =>
      (this.views.get(step.id)?.warnings ?? []).map((w) =>
        this.paint.yellow(`\n  ${step.name ?? step.id}: warning: ${w}`),
      ),
    )
    if (warnings.length > 0) slot.setTitle(this.phaseTitle(phase) + warnings.join(''))
    slot.markPhase({ kind: 'completed' })
  }

  /** A phase the run left part-way says so in its title: failed if a step failed, else how far it got. */
  private markStopped(phaseId: string, slot: TaskSlot): void {
    const phase = this.index?.phase(phaseId)
    if (!phase) return
    const states = phase.steps.map((step) => this.state?.steps[step.id])
    const failed = states.some((s) => s?.status === 'failed' && !s.continued)
    const reason = `${failed ? 'failed' : 'stopped'}: ${states.filter(doneBefore).length} of ${phase.steps.length} steps finished`
    slot.setTitle(`${this.phaseTitle(phase)} ${this.paint.yellow(`(${reason})`)}`)
    slot.markPhase(failed ? { kind: 'failed' } : { kind: 'stopped', reason })
  }

  /** Every phase after the rollback point that had started is marked rolled back, not left ✔. */
  private markRolledBack(to: string): void {
    const order = this.index?.phaseOrder() ?? []
    const cut = to === 'start' ? 0 : order.indexOf(to) + 1
    for (const id of order.slice(cut)) {
      const slot = this.phases.get(id)
      const phase = this.index?.phase(id)
      if (!slot || !phase || slot.isWaiting || slot.ending) continue
      slot.setTitle(`${this.phaseTitle(phase)} ${this.paint.yellow(`(rolled back to ${to})`)}`)
      slot.markPhase({ kind: 'rolled-back' })
    }
  }

  /** Steps still open say what the journal knows: an earlier failure or skip, else that they never ran. */
  private closeSteps(phaseId: string): void {
    for (const step of this.index?.phase(phaseId)?.steps ?? []) {
      const slot = this.steps.get(step.id)
      if (!slot || slot.ending) continue
      const s = this.state?.steps[step.id]
      if (s?.status === 'failed' && s.error) {
        this.shownErrors.add(s.error.message)
        slot.finish({ kind: 'failed', message: errorText(s.error) })
      } else if (s?.status === 'skipped')
        slot.finish({ kind: 'skipped', reason: skipMessageFromState(s.skipReason) })
      else slot.finish({ kind: 'skipped', reason: slot.isWaiting ? 'not run' : 'did not finish' })
    }
  }

  private closeRollback(reason: string): void {
    for (const slot of this.rollback?.undo.values() ?? [])
      if (!slot.ending) slot.finish({ kind: 'skipped', reason: slot.isWaiting ? reason : 'did not finish' })
    this.rollback?.ended.resolve()
  }

  // ---------- titles and output ----------

  private phaseTitle(phase: Phase): string {
    const parts = [phase.name ?? phase.id]
    if (phase.pointOfNoReturn) parts.push(this.paint.red('(point of no return)'))
    const approvedBy = this.phaseApprovals.get(phase.id)
    if (phase.approval)
      parts.push(
        approvedBy ? this.paint.dim(`(approved by ${approvedBy})`) : this.paint.yellow('(approval required)'),
      )
    return parts.join(' ')
  }

  private stepTitle(stepId: string): string {
    const step = this.index?.place(stepId)?.step
    const view = this.views.get(stepId)
    const parts = [step?.name ?? stepId]
    if (step) parts.push(this.paint.dim(step.uses))
    if (view && view.attempt > 1)
      parts.push(this.paint.dim(`attempt ${view.attempt}/${step?.retry.attempts}`))
    if (view?.approvedBy) parts.push(this.paint.dim(`approved by ${view.approvedBy}`))
    const warnings = (view?.warnings ?? []).map((w) => `\n${this.paint.yellow(`warning: ${w}`)}`)
    return [...parts, ...(view?.notes ?? [])].join(' ') + warnings.join('')
  }

  private retitle(stepId: string): void {
    this.steps.get(stepId)?.setTitle(this.stepTitle(stepId))
  }

  /** A dry run shows each step's planned changes; a real run shows its progress or why it retries. */
  private redrawOutput(stepId: string): void {
    const view = this.views.get(stepId)
    const slot = this.steps.get(stepId)
    if (!view || !slot) return
    if (this.state?.dryRun) {
      slot.setOutput([...(view.changes ?? []), view.progress ?? ''].filter(Boolean).join('\n'))
      return
    }
    // The bottom bar is shared by every running step: each line says whose it is.
    const line = view.retryMessage ?? view.progress
    const name = this.index?.place(stepId)?.step.name ?? stepId
    slot.setOutput(line ? `${name}: ${line}` : '')
  }

  private promptSlot(about: PromptSubject): TaskSlot | undefined {
    if (about.kind === 'phase') return this.phases.get(about.id)
    const undo = this.rollback?.undo.get(about.id)
    if (undo && !undo.ending) return undo
    const step = this.steps.get(about.id)
    if (step && !step.ending) return step
    if (this.rollback) return this.rollback.slot
    const phase = this.index?.place(about.id)?.phase.id
    return phase ? this.phases.get(phase) : undefined
  }
}

/** A stream that passes every write on: listr2 may swap its write() without touching the real one. */
function forwardTo(target: Writable): Writable {
  return new Writable({
    write(chunk, encoding, callback) {
      target.write(chunk, encoding, () => callback())
    },
  })
}

/** listr2's spinner, minus the hold on the event loop: a run that dies without finish() still exits. */
class DetachedSpinner extends Spinner {
  override start(cb?: () => void, interval?: number): void {
    super.start(cb, interval)
    ;(Reflect.get(this, 'id') as NodeJS.Timeout | undefined)?.unref()
  }
}
