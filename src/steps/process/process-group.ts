const live = new Set<number>()
let exitHookInstalled = false

/** Whether commands run in their own process group, so stopping one stops its children too. */
export const usesProcessGroups = process.platform !== 'win32'

/** Signals every process in the group led by `pid`; quiet when the group is already gone. */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/**
 * Remembers a running group so it is ended if switchyard exits first: a detached group is out of
 * reach of execa's own cleanup.
 */
export function trackProcessGroup(pid: number): () => void {
  if (!exitHookInstalled) {
    process.once('exit', () => {
      for (const group of live) signalProcessGroup(group, 'SIGTERM')
    })
    exitHookInstalled = true
  }
  live.add(pid)
  return () => live.delete(pid)
}
