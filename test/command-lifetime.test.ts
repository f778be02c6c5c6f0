// A command a step starts never outlives switchyard unnoticed: through the built CLI, with real
// process groups, real signals and the real journal.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { groupExists, processStartTime } from '../src/steps/process/process-table.ts'
import {
  journalEvents,
  lines,
  scratchSpace,
  startSwitchyard,
  switchyard,
  waitUntil,
  writeRunbook,
} from './helpers/cli.ts'

const { workspace, cleanup } = scratchSpace('commands')
after(cleanup)

const oneStep = (step: string, phase = '') => `version: 1
name: lifetime
phases:
  - id: work
${phase}    steps:
${step}`

/** The command's own pid, as the command wrote it, once it has. */
const pidIn = (dir: string) => Number(readFileSync(join(dir, 'pid'), 'utf8'))

/** A runbook whose one step runs `command` in a shell, with any further keys of the step and of its `with`. */
const shellStep = (id: string, command: string, keys: { step?: string[]; with?: string[] } = {}) =>
  oneStep(
    [
      `      - id: ${id}`,
      '        uses: exec',
      ...(keys.step ?? []).map((line) => `        ${line}`),
      '        with:',
      '          shell: true',
      `          command: "${command}"`,
      ...(keys.with ?? []).map((line) => `          ${line}`),
      '',
    ].join('\n'),
  )

const commandStarted = (dir: string) => journalEvents(dir).find((e) => e.type === 'command-started')

describe('commands do not outlive switchyard', { timeout: 120_000 }, () => {
  test('a dropped SSH session (SIGHUP) stops the whole command group, SIGKILL for what ignores SIGTERM, before switchyard exits', async () => {
    const dir = workspace()
    // The shell and its child both ignore SIGTERM (an ignored signal is inherited).
    writeRunbook(dir, shellStep('copy', "trap '' TERM; echo $$ > pid; sleep 600 & echo $! > child; wait"))
    const run = startSwitchyard(dir, ['run', 'runbook.yaml'])
    await waitUntil(() => existsSync(join(dir, 'child')) && lines(join(dir, 'child')).length > 0)
    const pgid = pidIn(dir)
    assert.ok(groupExists(pgid), 'the command runs')

    run.child.kill('SIGHUP')
    const result = await run.done
    assert.equal(groupExists(pgid), false, 'nothing of the command is left once switchyard has exited')
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout + result.stderr, /hung up \(SIGHUP\)/)
    const started = commandStarted(dir)
    assert.equal(started?.pid, pgid, 'the command was journaled with its pid')
    assert.equal(started?.pgid, pgid)
    assert.equal(started?.step, 'copy')
  })

  test('a timed-out command that ignores SIGTERM gets SIGKILL before switchyard exits', async () => {
    const dir = workspace()
    writeRunbook(
      dir,
      shellStep('stuck', "trap '' TERM; echo $$ > pid; while :; do sleep 1; done", {
        step: ['timeout: 1s', 'retry: { attempts: 1 }'],
      }),
    )
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, /timed out after 1s/)
    assert.equal(groupExists(pidIn(dir)), false, 'the command was killed, not left running')
  })

  for (const stop of ['a step timeout', 'Ctrl-C twice'] as const)
    test(`after ${stop}, a command that ignores SIGTERM is gone and journaled as killed before the lock is released`, async () => {
      const dir = workspace()
      writeRunbook(
        dir,
        shellStep('stuck', "trap '' TERM; echo $$ > pid; exec sleep 600", {
          step: [`timeout: ${stop === 'a step timeout' ? '1s' : '10m'}`, 'retry: { attempts: 1 }'],
        }),
      )
      // One process, a child of switchyard (the ignored SIGTERM survives exec): no orphan is left
      // for init to reap, so ESRCH means the command is gone, not that a zombie was reaped.
      const lockFile = join(dir, '.switchyard', 'locks', 'lifetime.lock')
      const run = startSwitchyard(dir, ['run', 'runbook.yaml'])
      await waitUntil(
        () => existsSync(join(dir, 'pid')) && lines(join(dir, 'pid')).length > 0,
        'the command to start',
      )
      const pgid = pidIn(dir)
      if (stop === 'Ctrl-C twice') {
        run.child.kill('SIGINT')
        await waitUntil(() => run.output().includes('Ctrl-C again'), 'the first Ctrl-C to be heard')
        run.child.kill('SIGINT')
      }
      await waitUntil(() => !existsSync(lockFile), 'the lock to be released')
      assert.throws(
        () => process.kill(-pgid, 0),
        { code: 'ESRCH' },
        'no process of the command is left once the lock is free',
      )
      const result = await run.done
      assert.notEqual(result.code, 0, result.stdout + result.stderr)
      const events = journalEvents(dir)
      const ended = events.findIndex((e) => e.type === 'command-ended' && e.pid === pgid)
      assert.equal(events[ended]?.how, 'killed', 'the journal has how the command ended')
      const failed = events.findIndex((e) => e.type === 'step-failed' && e.step === 'stuck')
      assert.ok(ended < failed, 'before the step was journaled as failed')
    })

  test('a retry after a timeout starts only once the attempt it replaces has ended', async () => {
    const dir = workspace()
    // An attempt holds a directory while it runs and takes a moment to let go of it on SIGTERM;
    // the attempt after the one that let go succeeds at once.
    writeRunbook(
      dir,
      shellStep(
        'slow',
        "mkdir held || { echo overlap >> log; exit 9; }; echo attempt >> log; if [ -e let-go ]; then rmdir held; exit 0; fi; trap 'sleep 0.2; touch let-go; rmdir held; exit 1' TERM; while :; do sleep 0.1; done",
        { step: ['timeout: 2s', 'retry: { attempts: 2, backoff: 1ms }'] },
      ),
    )
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(lines(join(dir, 'log')), ['attempt', 'attempt'], 'two attempts, one after the other')
  })

  test('after kill -9, resume waits for the command left running and only then runs the idempotent step again', async () => {
    const dir = workspace()
    // `held` exists while a copy runs: a second copy started alongside would fail with exit 9.
    writeRunbook(
      dir,
      shellStep(
        'copy',
        'mkdir held || exit 9; echo $$ > pid; echo copy >> log; while [ ! -e release ]; do sleep 0.05; done; rmdir held',
        { with: ['idempotent: true'] },
      ),
    )
    const first = startSwitchyard(dir, ['run', 'runbook.yaml'])
    await waitUntil(() => lines(join(dir, 'log')).length === 1 && existsSync(join(dir, 'pid')))
    await waitUntil(() => commandStarted(dir) !== undefined)
    first.child.kill('SIGKILL')
    await first.done
    const pgid = pidIn(dir)
    assert.ok(groupExists(pgid), 'the command outlived the killed switchyard')
    assert.equal(
      commandStarted(dir)?.startTime,
      processStartTime(pgid),
      'the journal holds the start time the kernel reports for it',
    )

    assert.equal(switchyard(dir, ['unlock', 'lifetime', '--force']).code, 0)
    const resumed = startSwitchyard(dir, ['resume'])
    await waitUntil(() => /outlived the switchyard that started it; waiting/.test(resumed.output()))
    assert.deepEqual(lines(join(dir, 'log')), ['copy'], 'no second copy while the first one runs')
    writeFileSync(join(dir, 'release'), '')
    const result = await resumed.done
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(lines(join(dir, 'log')), ['copy', 'copy'], 'then the step ran again, once')
    assert.match(result.stdout, /command \(pid \d+\) ended by itself/)
    const events = journalEvents(dir)
    const survivor = events.find((e) => e.type === 'command-survivor')
    assert.equal(survivor?.action, 'wait')
    assert.equal(survivor?.pid, pgid)
    const ended = events.find((e) => e.type === 'command-ended' && e.pid === pgid)
    assert.equal(ended?.how, 'exited')
  })

  test('after kill -9, rollback stops the command left running before its undo runs', async () => {
    const dir = workspace()
    // Its output goes to a file: with switchyard dead, a write to its pipe would end it (SIGPIPE).
    writeRunbook(
      dir,
      shellStep(
        'shift',
        "exec 2>> errors; trap 'echo terminated >> log; exit 143' TERM; echo $$ > pid; echo started >> log; while :; do sleep 0.05; done",
        { with: ['rollback: { shell: true, command: "echo undone >> log" }'] },
      ),
    )
    const first = startSwitchyard(dir, ['run', 'runbook.yaml'])
    await waitUntil(() => existsSync(join(dir, 'pid')) && lines(join(dir, 'log')).length === 1)
    await waitUntil(() => commandStarted(dir) !== undefined)
    first.child.kill('SIGKILL')
    await first.done
    const pgid = pidIn(dir)
    assert.ok(groupExists(pgid), 'the command outlived the killed switchyard')

    assert.equal(switchyard(dir, ['unlock', 'lifetime', '--force']).code, 0)
    const result = switchyard(dir, ['rollback', '--to', 'start'])
    assert.match(
      result.stdout,
      /outlived the switchyard that started it; stopping it before anything is undone/,
    )
    assert.deepEqual(
      lines(join(dir, 'log')),
      ['started', 'terminated', 'undone'],
      result.stdout + result.stderr,
    )
    assert.equal(groupExists(pgid), false)
    const survivor = journalEvents(dir).find((e) => e.type === 'command-survivor')
    assert.equal(survivor?.action, 'stop')
  })
})
