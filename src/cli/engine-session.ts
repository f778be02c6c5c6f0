import type { Observer, RunOutcome } from '../engine/observer.js'
import type { Interrupt } from '../engine/run-context.js'
import { interruptOnCtrlC } from './interrupt.js'

/** A renderer and a Ctrl-C handler for one engine call; both are released when it returns. */
export async function withEngineSession(
  json: boolean,
  work: (observer: Observer, interrupt: Interrupt) => Promise<RunOutcome>,
): Promise<RunOutcome> {
  const { chooseRenderer } = await import('../render/index.js')
  const observer = await chooseRenderer({ json, stream: process.stdout, env: process.env })
  const interrupt = interruptOnCtrlC((message) =>
    observer.event({ type: 'notice', level: 'warning', message }),
  )
  try {
    return await work(observer, interrupt)
  } finally {
    interrupt.dispose()
  }
}
