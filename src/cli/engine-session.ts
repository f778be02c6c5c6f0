import type { RunOutcome } from '../engine/observer.js'
import type { Interrupt } from '../engine/run-context.js'
import type { chooseRenderer } from '../render/index.js'
import { interruptOnCtrlC } from './interrupt.js'

type Renderer = Awaited<ReturnType<typeof chooseRenderer>>

/** A renderer and a Ctrl-C handler for one engine call; both are released when it returns. */
export async function withEngineSession(
  json: boolean,
  work: (renderer: Renderer, interrupt: Interrupt) => Promise<RunOutcome>,
): Promise<RunOutcome> {
  const { chooseRenderer } = await import('../render/index.js')
  const renderer = await chooseRenderer({ json, stream: process.stdout, env: process.env })
  const interrupt = interruptOnCtrlC((message) =>
    renderer.event({ type: 'notice', level: 'warning', message }),
  )
  try {
    return await work(renderer, interrupt)
  } catch (error) {
    // Let the renderer give the screen back (listr2 holds stdout while it draws) before the error prints.
    await renderer
      .finish({ runId: '', status: 'failed', exitCode: 1, message: 'stopped by the error below', next: [] })
      .catch(() => {})
    throw error
  } finally {
    await interrupt.dispose()
  }
}
