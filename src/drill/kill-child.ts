// The cli-killed fault: switchyard's own CLI runs the runbook as a child process (pointed at this
// process's sandbox), and is killed with SIGKILL the moment its journal says the step started.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { EngineEvent } from '../engine/observer.js'
import { SwitchyardError } from '../errors.js'
import type { Injection } from './injections.js'
import type { DrillOptions } from './run-drill.js'
import { type FaultTrigger, faultTrigger } from './trigger.js'

/** The drill killed the holder itself, so it knows it is gone: it breaks the lock as `unlock --force` would. */
async function breakKilledLock(options: DrillOptions, pid: number | undefined): Promise<void> {
  const [{ readLock }, { breakLock }, { currentOperator }] = await Promise.all([
    import('../engine/lock.js'),
    import('../engine/break-lock.js'),
    import('../engine/engine.js'),
  ])
  const holder = readLock(options.stateDir, options.runbook.name)
  if (holder && holder.pid === pid) await breakLock(options.stateDir, holder, currentOperator(), 'SIGKILL')
}

export async function runUntilKilled(
  options: DrillOptions,
  fire: (injection: Injection) => () => void,
): Promise<{ runId: string; trigger: FaultTrigger }> {
  // The same entry this drill was started with (bin/run.js, or bin/dev.js in development).
  const entry = process.argv[1] as string
  const child = spawn(
    process.execPath,
    [
      entry,
      'run',
      options.runbook.file,
      ...options.paramArgs,
      '--state-dir',
      options.stateDir,
      '--yes',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
  )
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const trigger = faultTrigger(options.injections, (injection) => {
    child.kill('SIGKILL')
    process.stderr.write(
      `drill: killed switchyard (pid ${child.pid}) with SIGKILL as ${injection.step.phase}.${injection.step.id} started\n`,
    )
    return fire(injection)
  })
  let runId: string | undefined
  for await (const line of createInterface({ input: child.stdout })) {
    let event: EngineEvent
    try {
      event = JSON.parse(line) as EngineEvent
    } catch {
      continue
    }
    if (event.type === 'run-started') runId = event.runId
    trigger.onEvent(event)
  }
  const { code, signal } = await exited
  if (signal === 'SIGKILL') await breakKilledLock(options, child.pid)
  if (!runId)
    throw new SwitchyardError(
      `the drill's switchyard run ended before it started a run (exit ${code ?? signal})`,
      { hint: 'its error is above; run the same runbook with switchyard run --sandbox to see it alone' },
    )
  return { runId, trigger }
}
