import type { Writable } from 'node:stream'
import { type ListrRendererFactory, ListrTaskEventType, ListrTaskState, type ListrTaskWrapper } from 'listr2'
import { type Deferred, deferred } from './deferred.js'

export type TaskWrapper = ListrTaskWrapper<unknown, ListrRendererFactory, ListrRendererFactory>

/**
 * How a phase shows once its steps are settled, while its task stays open: a later rollback can
 * still turn a completed phase into a rolled-back one.
 */
export type PhaseMark =
  | { kind: 'completed' }
  | { kind: 'rolled-back' }
  | { kind: 'stopped'; reason: string }
  | { kind: 'failed' }

const MARK_STATE: Record<PhaseMark['kind'], ListrTaskState> = {
  completed: ListrTaskState.COMPLETED,
  'rolled-back': ListrTaskState.ROLLED_BACK,
  stopped: ListrTaskState.SKIPPED,
  failed: ListrTaskState.FAILED,
}

/** How a task ends on screen: listr2 only shows what the engine already decided. */
export type Ending =
  | { kind: 'done' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; message: string }

/**
 * One listr2 task as the engine's events describe it. Events may arrive before listr2 has started
 * the task (phases start in order, and a resumed run's steps are settled at once), so the slot
 * keeps the state and draws it whenever the task is attached.
 */
export class TaskSlot {
  private wrapper: TaskWrapper | undefined
  private activity: 'waiting' | 'running' | 'retrying' = 'waiting'
  private retry: { count: number; message: string } | undefined
  private prompting = false
  private end: Ending | undefined
  private mark: PhaseMark | undefined
  private readonly released: Deferred<void> = deferred()
  private readonly attachedTo: Deferred<TaskWrapper> = deferred()
  private readonly leftWaiting: Deferred<void> = deferred()
  private readonly ended: Deferred<Ending> = deferred()

  constructor(
    private title: string | undefined,
    private output = '',
  ) {}

  get currentTitle(): string | undefined {
    return this.title
  }

  get ending(): Ending | undefined {
    return this.end
  }

  get isWaiting(): boolean {
    return this.activity === 'waiting' && !this.end
  }

  /** Resolves once listr2 has started the task and it is drawn. */
  get attached(): Promise<void> {
    return this.attachedTo.promise.then(() => undefined)
  }

  /** Resolves when the engine starts the task, or ends it without starting. */
  get started(): Promise<void> {
    return this.leftWaiting.promise
  }

  get phaseMark(): PhaseMark | undefined {
    return this.mark
  }

  /** A phase's mark, drawn at once and kept (listr2 would mark a finished parent ✔ whatever it held). */
  markPhase(mark: PhaseMark): void {
    this.mark = mark
    this.leftWaiting.resolve()
    this.draw()
  }

  /** Resolves once `release()` lets the phase's task close (at the end of the run). */
  get held(): Promise<void> {
    return this.released.promise
  }

  release(): void {
    this.released.resolve()
  }

  /** Called first thing in the listr2 task function. */
  attach(wrapper: TaskWrapper): void {
    this.wrapper = wrapper
    this.draw()
    this.attachedTo.resolve(wrapper)
  }

  setTitle(title: string): void {
    this.title = title
    this.draw()
  }

  setOutput(output: string): void {
    this.output = output
    this.draw()
  }

  run(): void {
    if (this.end) return
    this.activity = 'running'
    this.leftWaiting.resolve()
    this.draw()
  }

  retrying(count: number, message: string): void {
    if (this.end) return
    this.activity = 'retrying'
    this.retry = { count, message }
    this.leftWaiting.resolve()
    this.draw()
  }

  finish(ending: Ending): void {
    if (this.end) return
    this.end = ending
    this.draw()
    this.leftWaiting.resolve()
    this.ended.resolve(ending)
  }

  /** The end of the listr2 task function: resolve to complete, skip, or throw to fail. */
  async settle(): Promise<void> {
    const ending = await this.ended.promise
    const task = this.wrapper?.task
    if (!task) return
    if (ending.kind === 'failed') throw new Error(ending.message)
    if (ending.kind === 'skipped') {
      // As TaskWrapper.skip does, without its printf-style formatting of '%' in the reason.
      task.state$ = ListrTaskState.SKIPPED
      task.message$ = { skip: ending.reason }
      return
    }
    // listr2 completes a task that is STARTED (or RETRY) when its function returns.
    if (!task.isStarted() && !task.isRetrying()) task.state$ = ListrTaskState.STARTED
  }

  /** Draws a question in listr2's prompt area, under this task, and restores the task after. */
  async prompt<T>(ask: (output: Writable) => Promise<T>): Promise<T> {
    const wrapper = await this.attachedTo.promise
    this.prompting = true
    wrapper.task.state$ = ListrTaskState.PROMPT
    try {
      return await ask(wrapper.stdout(ListrTaskEventType.PROMPT))
    } finally {
      this.prompting = false
      wrapper.task.state$ = ListrTaskState.PROMPT_COMPLETED
      this.draw()
    }
  }

  /** Task setters, not TaskWrapper's: those format '%' like printf, and progress says "40%". */
  private draw(): void {
    const task = this.wrapper?.task
    if (task && this.mark && !task.isClosed()) return this.drawMark(task, this.mark)
    // A finished task is drawn from listr2's cache; output sent to it can crash the renderer.
    if (!task || task.hasFinalized() || task.isClosed()) return
    if (this.title !== undefined && task.title !== this.title) task.title$ = this.title
    if (!this.prompting && !this.end) {
      const wanted =
        this.activity === 'waiting'
          ? ListrTaskState.WAITING
          : this.activity === 'retrying'
            ? ListrTaskState.RETRY
            : ListrTaskState.STARTED
      if (wanted === ListrTaskState.RETRY && this.retry && task.retry?.count !== this.retry.count) {
        task.retry = { count: this.retry.count, error: new Error(this.retry.message) }
        task.message$ = { retry: task.retry }
      }
      // listr2 marks every task STARTED when its turn comes; the engine, not listr2, says when a
      // step really starts, so a task goes back to WAITING until then.
      if (task.state !== wanted) task.state$ = wanted
    }
    // After the state: entering RETRY clears the renderer's output buffer.
    if ((task.output ?? '') !== this.output) task.output$ = this.output
  }

  private drawMark(task: TaskWrapper['task'], mark: PhaseMark): void {
    if (this.title !== undefined && task.title !== this.title) task.title$ = this.title
    if (mark.kind === 'stopped' && task.message.skip !== mark.reason) task.message$ = { skip: mark.reason }
    if (task.state !== MARK_STATE[mark.kind]) task.state$ = MARK_STATE[mark.kind]
  }
}
