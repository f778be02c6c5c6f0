import type { NewEvent, Who } from './events.js'
import { stateStoreAt } from './state-store/store.js'

/** Journals one event to a run no command is driving (an abandon, a drill's result), under the runbook's lock. */
export async function appendUnderLock(options: {
  stateDir: string
  runId: string
  runbook: string
  who: Who
  command: string
  event: NewEvent
}): Promise<void> {
  const store = stateStoreAt(options.stateDir)
  const lease = await store.acquireLock({
    ...options.who,
    runId: options.runId,
    runbook: options.runbook,
    since: new Date().toISOString(),
    command: options.command,
  })
  try {
    const { journal } = await store.openJournal(options.runId, lease)
    try {
      await journal.append(options.event).durable
    } finally {
      await journal.close()
    }
  } finally {
    await lease.release()
  }
}
