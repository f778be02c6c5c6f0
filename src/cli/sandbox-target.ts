import { readFileSync } from 'node:fs'
import { AwsNotConfiguredError } from '../clients/aws.js'
import { DEFAULT_STATE_DIR } from '../engine/state-dir.js'
import { invocation } from '../invocation.js'
import type { Runbook } from '../runbook/model.js'
import type { DemoPlatform } from '../sandbox/demo-platform.js'
import { readSandboxRecord, startSandboxForCommand } from './sandbox-session.js'

/**
 * Runs a command's engine work against the sandbox when `--sandbox` asks for one (started here,
 * stopped after). Without it, AWS not set up while a sandbox runs here, or for a runbook made for
 * the sandbox, most likely means `sandbox env` was forgotten in this terminal: the hint says so first.
 */
export async function withSandbox<T>(
  context: { start: boolean; stateDir: string; runbook: Runbook },
  work: (platform?: DemoPlatform) => Promise<T>,
): Promise<T> {
  const sandbox = context.start ? await startSandboxForCommand() : undefined
  try {
    return await work(sandbox)
  } catch (error) {
    if (sandbox || !(error instanceof AwsNotConfiguredError)) throw error
    const why = sandboxRunning(context.stateDir) ?? (await madeForSandbox(context.runbook))
    if (!why) throw error
    const stateDir = context.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${context.stateDir}`
    throw new AwsNotConfiguredError(
      error.message,
      `${why}: point this terminal at it with eval "$(${invocation()} sandbox env${stateDir})" and run this ` +
        `again, or add --sandbox to start one for this command alone; for real AWS, ${error.hint}`,
      error,
    )
  } finally {
    await sandbox?.close()
  }
}

function sandboxRunning(stateDir: string): string | undefined {
  let pid: number
  try {
    pid = readSandboxRecord(stateDir).pid
  } catch {
    return undefined
  }
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: the process is there, another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined
  }
  return `a sandbox is running (sandbox up, pid ${pid}), but this terminal is not pointed at it`
}

async function madeForSandbox(runbook: Runbook): Promise<string | undefined> {
  const { DEMO_ENV, DEMO_PLATFORM } = await import('../sandbox/demo-platform.js')
  const text = readFileSync(runbook.file, 'utf8')
  const readsSandbox = Object.values(DEMO_ENV).some((name) => text.includes(name))
  const demoZone = Object.values(runbook.paramValues).includes(DEMO_PLATFORM.zone)
  return readsSandbox || demoZone ? `runbook ${runbook.name} is set up for the sandbox` : undefined
}
