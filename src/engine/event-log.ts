import type { Runbook } from '../runbook/model.js'
import type { JournalEvent, NewEvent } from './events.js'
import type { Journal } from './journal.js'
import type { EngineEvent, Observer } from './observer.js'
import type { Redactor } from './secrets.js'
import { applyEvent, foldJournal, type RunState } from './state.js'

/** Where a run's events go: the durable journal, or memory for a dry run (which writes nothing). */
export interface EventSink {
  append(event: NewEvent): Promise<JournalEvent>
  close(): Promise<void>
}

export class MemorySink implements EventSink {
  private seq = 0

  async append(event: NewEvent): Promise<JournalEvent> {
    return { seq: ++this.seq, at: new Date().toISOString(), ...event } as JournalEvent
  }

  async close(): Promise<void> {}
}

export const journalSink = (journal: Journal): EventSink => ({
  append: (event) => journal.append(event),
  close: () => journal.close(),
})

/**
 * The one path every event takes: redacted, made durable, folded into the live state, shown.
 * The live state is the same fold `status` computes from the file, so the two cannot disagree.
 */
export class RunLog {
  private constructor(
    private readonly sink: EventSink,
    private readonly redactor: Redactor,
    private readonly observer: Observer,
    readonly state: RunState,
  ) {}

  static async start(
    sink: EventSink,
    redactor: Redactor,
    observer: Observer,
    first: Extract<NewEvent, { type: 'run-started' }>,
    runbook: Runbook,
  ): Promise<RunLog> {
    const event = await sink.append(redactor.value(first))
    const log = new RunLog(sink, redactor, observer, foldJournal([event]))
    observer.start(runbook, log.state)
    observer.event(event)
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

  async record(event: NewEvent): Promise<JournalEvent> {
    const full = await this.sink.append(this.redactor.value(event))
    applyEvent(this.state, full)
    this.observer.event(full)
    return full
  }

  /** Progress and notices: shown, never journaled. */
  show(event: Exclude<EngineEvent, JournalEvent>): void {
    this.observer.event(this.redactor.value(event))
  }

  close(): Promise<void> {
    return this.sink.close()
  }
}
