import type { NewEvent } from '../engine/events.js'
import type { DemoPlatform } from '../sandbox/demo-platform.js'
import type { LoadSummary } from '../sandbox/load/index.js'

/** `--load RPS`: customers hit the sandbox's platform while the engine works; their tally is journaled last and printed. */
export async function withSandboxLoad<T>(
  platform: DemoPlatform | undefined,
  rps: number | undefined,
  work: (closingEvents?: () => Promise<NewEvent[]>) => Promise<T>,
): Promise<T> {
  if (!platform || rps === undefined) return work()
  const { startDemoLoad } = await import('../sandbox/load/index.js')
  const load = startDemoLoad(platform, rps)
  let stopped: Promise<LoadSummary> | undefined
  const stop = () => {
    stopped ??= load.stop()
    return stopped
  }
  try {
    return await work(async () => [{ type: 'sandbox-load', summary: await stop() }])
  } finally {
    process.stderr.write(`sandbox load: ${describeLoad(await stop())}\n`)
  }
}

/** "1200 requests, 3 failed (3 × HTTP 503 from http://127.0.1.11:18080/health)". */
export function describeLoad(summary: LoadSummary): string {
  const reasons = Object.entries(summary.reasons).map(([reason, count]) => `${count} × ${reason}`)
  return `${summary.total} requests, ${summary.failed} failed${reasons.length ? ` (${reasons.join('; ')})` : ''}`
}
