import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, beforeEach } from 'node:test'
import { type AwsSandbox, sandboxEnv, startAwsSandbox } from '../../src/sandbox/aws/index.ts'
import { startSwitchyard, tempDir, writeRunbook } from './cli.ts'

/**
 * One sandbox AWS endpoint for a test file, started before its tests and closed after, with the
 * CLI pointed at it the way an operator would: by environment only.
 */
export function useAwsSandbox(prefix: string, options: { freshPerTest?: boolean } = {}) {
  const scratch = tempDir(prefix)
  let sandbox: AwsSandbox | undefined
  let workspaces = 0
  before(async () => {
    sandbox = await startAwsSandbox()
  })
  after(async () => {
    await sandbox?.close()
    scratch.cleanup()
  })
  // Each test asserts on the requests it caused, and starts without another test's faults pending.
  if (options.freshPerTest)
    beforeEach(() => {
      sandbox?.log.clear()
      sandbox?.faults.clear()
    })
  const running = (): AwsSandbox => {
    if (!sandbox) throw new Error('the sandbox starts in before(); use it inside a test')
    return sandbox
  }
  return {
    get sandbox() {
      return running()
    },
    /** Runs the built CLI in `dir` against the sandbox (short AWS backoff, so retries are quick). */
    switchyard(dir: string, args: string[], env: Record<string, string> = {}) {
      return startSwitchyard(dir, args, {
        ...sandboxEnv(running().url),
        AWS_REGION: 'us-east-1',
        SWITCHYARD_AWS_BACKOFF_MS: '20',
        ...env,
      }).done
    },
    /** A fresh folder holding `runbook.yaml`. */
    workspace(runbook: string): string {
      const dir = join(scratch.dir, `w${++workspaces}`)
      mkdirSync(dir, { recursive: true })
      writeRunbook(dir, runbook)
      return dir
    },
  }
}
