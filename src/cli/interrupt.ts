import type { Interrupt } from '../engine/run-context.js'
import { endLiveProcessGroups } from '../steps/process/process-group.js'

/**
 * Ctrl-C once: start no new step and pause when the running ones end. Twice: abort them through
 * their signals. A hang-up (a dropped SSH session) is Ctrl-C twice: no one is left to press it
 * again. The process keeps running until the engine has journaled the pause.
 */
export function interruptOnCtrlC(
  notify: (message: string) => void,
): Interrupt & { dispose(): Promise<void> } {
  const controller = new AbortController()
  let presses = 0
  const abort = (reason: string) => {
    presses = Math.max(presses, 2)
    controller.abort(new Error(reason))
  }
  const onSigint = () => {
    presses++
    if (presses === 1)
      notify('stopping: no new steps start; running steps finish (Ctrl-C again to abort them)')
    else {
      notify('aborting the running steps')
      abort('aborted by the operator (Ctrl-C twice)')
    }
  }
  const onHangup = () => {
    // The terminal is gone: a write to it fails, and must not end switchyard before its commands.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
    notify('the terminal hung up (SIGHUP): aborting the running steps')
    abort('aborted: the terminal hung up (SIGHUP)')
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  process.on('SIGHUP', onHangup)
  return {
    get stopRequested() {
      return presses > 0
    },
    signal: controller.signal,
    /** Waits until every command is gone (SIGKILL after its grace), then lets Ctrl-C go. */
    dispose: async () => {
      // A step the engine stopped waiting for may still be ending its command: it ends before we exit.
      await endLiveProcessGroups()
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
      process.off('SIGHUP', onHangup)
    },
  }
}
