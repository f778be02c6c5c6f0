import { performance } from 'node:perf_hooks'

/** How often awake time advances, and the most one tick may add. */
const TICK_MS = 50
const MOST_PER_TICK = 2 * TICK_MS

/**
 * Milliseconds this process was able to answer: the sandbox's servers and its customers share one
 * event loop, so a stall of the loop (a busy machine, a synchronous start-up) must not count as a
 * server keeping customers waiting, as wall-clock time would.
 */
export function awakeTime() {
  let awake = 0
  let last = performance.now()
  const listeners = new Set<(awake: number) => void>()
  const timer = setInterval(() => {
    const now = performance.now()
    awake += Math.min(now - last, MOST_PER_TICK)
    last = now
    for (const listener of listeners) listener(awake)
  }, TICK_MS)
  timer.unref()
  return {
    now: () => awake,
    onTick: (listener: (awake: number) => void) => listeners.add(listener),
    stop: () => clearInterval(timer),
  }
}
