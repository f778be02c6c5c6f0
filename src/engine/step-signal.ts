/**
 * The signal a step runs under: aborted by its timeout or by the run's interrupt. Disposed when
 * the step ends, so neither the timer nor a listener on the run's signal outlives it (Node 20's
 * AbortSignal.any and AbortSignal.timeout keep both for as long as the run, or the timeout, lasts).
 */
export function stepSignal(parent: AbortSignal, timeoutMs: number) {
  const controller = new AbortController()
  let timedOut = false
  const onParent = () => controller.abort(parent.reason)
  if (parent.aborted) onParent()
  else parent.addEventListener('abort', onParent, { once: true })
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error(`timed out after ${timeoutMs}ms`))
  }, timeoutMs)
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer)
      parent.removeEventListener('abort', onParent)
    },
  }
}
