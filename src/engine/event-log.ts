import type { Runbook } from '../runbook/model.js'
import type { JournalEvent, NewEvent } from './events.js'
import type { Journal } from './journal.js'
import { journalWriteFailure } from './journal-write-error.js'
import type { EngineEvent, Observer } from './observer.js'
import type { Redactor } from './redaction.js'
import { applyEvent, foldJournal, type RunState } from './state.js'

/** Where a run's events go: the durable journal, or memory for a dry run (which writes nothing). */
export interface EventSink {
  append(event: NewEvent): { event: JournalEvent; durable: Promise<void> }
  close(): Promise<void>
  /** Where the events go, for an operator reading why a write failed. */
  readonly where: string
}

export class MemorySink implements EventSink {
  private seq = 0
  readonly where = 'memory'

  append(event: NewEvent): { event: JournalEvent; durable: Promise<void> } {
    return {
      event: { seq: ++this.seq, at: new Date().toISOString(), ...event } as JournalEvent,
      durable: Promise.resolve(),
    }
  }

  async close(): Promise<void> {}
}

export const journalSink = (journal: Journal): EventSink => ({
  append: (event) => journal.append(event),
  close: () => journal.close(),
  where: journal.path,
})

/**
 * The one path every event takes: made durable, folded into the live state, shown. The journal
 * keeps ids, params and undo data as they are (they are the run's data) and only the free text a
 * step or an error produced redacted; what is shown is redacted again for a person.
 * The live state is the same fold `status` computes from the file, so the two cannot disagree.
 */
export class RunLog {
  /** Step outputs as expressions read them (`steps.<id>.outputs`), kept current event by event. */
  readonly outputs: Record<string, { outputs: Record<string, unknown> }> = {}
  private writeFailure: unknown
  private lastDurable: Promise<void> = Promise.resolve()

  private constructor(
    private readonly sink: EventSink,
    readonly redactor: Redactor,
    private readonly observer: Observer,
    readonly state: RunState,
  ) {
    for (const [id, s] of Object.entries(state.steps))
      if (s.outputs) this.outputs[id] = { outputs: s.outputs }
  }

  static async start(
    sink: EventSink,
    redactor: Redactor,
    observer: Observer,
    first: Extract<NewEvent, { type: 'run-started' }>,
    runbook: Runbook,
  ): Promise<RunLog> {
    const { event, durable } = sink.append(redactor.forJournal(first))
    await durable.catch((error) => {
      throw journalWriteFailure(sink.where, first.runId, error)
    })
    const log = new RunLog(sink, redactor, observer, foldJournal([event]))
    observer.start(runbook, log.state)
    observer.event(redactor.forDisplay(event))
    return log
  }

  static resume(
    sink: EventSink,
    redactor: Redactor,
    observer: Observer,
    events: JournalEvent[],
    runbook: Runbook,
  ): RunLog {
    const log = new RunLog(sink, redactor, observer, foldJournal(events))
    observer.start(runbook, log.state)
    return log
  }

  /**
   * Journals an event and folds it into the live state at once. Durability is awaited only where a
   * side effect follows (`record`); elsewhere (`note`) the event rides in the next batch, and any
   * later durable event implies it is on disk too. That is what keeps a chain of steps at about
   * one fsync per step.
   */
  note(event: NewEvent): JournalEvent {
    if (this.writeFailure) throw this.writeFailure
    const { event: full, durable } = this.sink.append(this.redactor.forJournal(event))
    this.lastDurable = durable.catch((error) => {
      this.writeFailure ??= journalWriteFailure(this.sink.where, this.state.runId, error)
    })
    applyEvent(this.state, full)
    if (full.type === 'step-applied' || full.type === 'step-rehearsed')
      this.outputs[full.step] = { outputs: full.outputs }
    this.observer.event(this.redactor.forDisplay(full))
    return full
  }

  /** Journals an event and waits until it, and every event before it, is on disk. */
  async record(event: NewEvent): Promise<JournalEvent> {
    const full = this.note(event)
    await this.lastDurable
    if (this.writeFailure) throw this.writeFailure
    return full
  }

  /** Each step's latest progress message: a timeout says what the step was last waiting on. */
  readonly lastProgress = new Map<string, string>()

  /** Progress and notices: shown, never journaled. */
  show(event: Exclude<EngineEvent, JournalEvent>): void {
    const shown = this.redactor.forDisplay(event)
    if (shown.type === 'step-progress' && shown.message) this.lastProgress.set(shown.step, shown.message)
    this.observer.event(shown)
  }

  async close(): Promise<void> {
    await this.sink.close()
    if (this.writeFailure) throw this.writeFailure
  }
}
