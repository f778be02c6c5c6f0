import type { Interrupt } from '../engine/run-context.js'

/**
 * Ctrl-C once: start no new step and pause when the running ones end. Twice: abort them through
 * their signals. The process keeps running until the engine has journaled the pause.
 */
export function interruptOnCtrlC(notify: (message: string) => void): Interrupt & { dispose(): void } {
  const controller = new AbortController()
  let presses = 0
  const onSigint = () => {
    presses++
    if (presses === 1)
      notify('stopping: no new steps start; running steps finish (Ctrl-C again to abort them)')
    else {
      notify('aborting the running steps')
      controller.abort(new Error('aborted by the operator (Ctrl-C twice)'))
    }
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  return {
    get stopRequested() {
      return presses > 0
    },
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
    },
  }
}
