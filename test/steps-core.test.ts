// The four core step types against the real world: real processes (sh, node, sleep), real files in
// temp folders, a real AbortController and clock. Params go through each type's own schema first,
// as the engine's would.
import assert from 'node:assert/strict'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { SwitchyardError } from '../src/errors.ts'
import type { StepContext } from '../src/steps/contract.ts'
import { approve, approveParams } from '../src/steps/core/approve.ts'
import { approveStep } from '../src/steps/core/approve-step.ts'
import { type ExecParams, exec, execParams } from '../src/steps/core/exec.ts'
import { execStep } from '../src/steps/core/exec-step.ts'
import { noop, noopParams } from '../src/steps/core/noop.ts'
import { noopStep } from '../src/steps/core/noop-step.ts'
import { wait, waitParams } from '../src/steps/core/wait.ts'
import { waitStep } from '../src/steps/core/wait-step.ts'
import { groupExists } from '../src/steps/process/process-table.ts'
import { runCommand } from '../src/steps/process/run-command.ts'
import { waitUntil } from './helpers/cli.ts'
import { createStepContext, type StepContextOptions } from './helpers/step-context.ts'

const root = mkdtempSync(join(tmpdir(), 'switchyard-steps-'))
after(() => rmSync(root, { recursive: true, force: true }))

let counter = 0
/** A fresh folder standing for the runbook's folder (realpath: macOS tmpdir is a symlink). */
function workdir(): string {
  const dir = join(root, `case-${++counter}`)
  mkdirSync(dir)
  return realpathSync(dir)
}

function context(options: Partial<StepContextOptions> = {}) {
  return createStepContext({ workdir: options.workdir ?? workdir(), ...options })
}

function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
}

function check(ctx: StepContext, params: ExecParams): Promise<void> {
  assert.ok(execStep.check)
  return execStep.check(ctx, params)
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof SwitchyardError, `expected a SwitchyardError, got ${String(error)}`)
    return error
  }
  assert.fail('expected the promise to reject')
}

/** Gone, or a zombie waiting for a reaper that is not ours: either way no longer running. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
}

const plain = { exitCode: 0, stderr: '' }

describe('exec', () => {
  test('captures the exit code, stdout and stderr of a real process, trimming one final newline', async () => {
    const { ctx } = context()
    const params = execParams.parse({
      command: 'sh',
      args: ['-c', 'printf "out\\n\\n"; printf "err\\n" >&2'],
    })
    const plan = await execStep.plan(ctx, params)
    assert.deepEqual(await execStep.apply(ctx, params, plan), { exitCode: 0, stdout: 'out\n', stderr: 'err' })
  })

  test('a non-zero exit fails with the command line, the exit code and the last lines of stderr', async () => {
    const { ctx } = context()
    const script = 'for i in $(seq 1 30); do echo "line $i" >&2; done; echo "to stdout"; exit 4'
    const params = execParams.parse({ command: 'sh', args: ['-c', script] })
    const error = await failure(execStep.apply(ctx, params, { changes: [] }))
    assert.match(error.message, /^`sh -c 'for i in .*exit 4'` exited with code 4; stderr ends with:\n/)
    assert.match(error.message, /^ {2}line 21$/m)
    assert.match(error.message, /^ {2}line 30$/m)
    assert.doesNotMatch(error.message, /^ {2}line 20$/m)
    assert.doesNotMatch(error.message, /^ {2}to stdout$/m)
    assert.equal(error.exitCode, 1)
  })

  test('success_codes decide which exit codes succeed', async () => {
    const { ctx } = context()
    const three = execParams.parse({ command: 'sh', args: ['-c', 'exit 3'], success_codes: [0, 3] })
    assert.deepEqual(await execStep.apply(ctx, three, { changes: [] }), {
      exitCode: 3,
      stdout: '',
      stderr: '',
    })
    const zero = execParams.parse({ command: 'true', success_codes: [3] })
    const error = await failure(execStep.apply(ctx, zero, { changes: [] }))
    assert.equal(error.message, '`true` exited with code 0 (success: 3)')
  })

  test('shell: true runs command as one /bin/sh line', async () => {
    const { ctx } = context()
    const params = execParams.parse({ command: 'echo $((2 + 3)) | tr 5 F && echo "$HOME"', shell: true })
    const outputs = await execStep.apply(ctx, params, { changes: [] })
    assert.deepEqual(outputs, { ...plain, stdout: `F\n${process.env.HOME}` })
  })

  test('without a shell, args reach the program literally: spaces, quotes, $(...), globs, ;', async () => {
    const dir = workdir()
    const script = join(dir, 'write-args.mjs')
    writeFileSync(
      script,
      "import { writeFileSync } from 'node:fs'\nwriteFileSync(process.argv[2], JSON.stringify(process.argv.slice(3)))\n",
    )
    writeFileSync(join(dir, 'decoy.txt'), '')
    const tricky = [
      'two words',
      "it's",
      '"double"',
      '$(touch pwned)',
      '`touch pwned2`',
      '*',
      '; touch pwned3',
      '',
      '$HOME',
    ]
    const out = join(dir, 'args.json')
    const { ctx } = context({ workdir: dir })
    const params = execParams.parse({ command: process.execPath, args: [script, out, ...tricky] })
    await execStep.apply(ctx, params, { changes: [] })
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), tricky)
    for (const name of ['pwned', 'pwned2', 'pwned3']) assert.equal(existsSync(join(dir, name)), false)
  })

  test('env is merged over the environment; cwd (relative to the workdir) and input are honoured', async () => {
    const dir = workdir()
    mkdirSync(join(dir, 'sub'))
    const { ctx } = context({ workdir: dir })
    const params = execParams.parse({
      command: 'sh',
      args: ['-c', 'echo "$GREETING"; echo "$PATH"; pwd; cat'],
      env: { GREETING: 'hello there' },
      cwd: 'sub',
      input: 'from stdin\n',
    })
    const outputs = await execStep.apply(ctx, params, { changes: [] })
    assert.equal(outputs.stdout, ['hello there', process.env.PATH, join(dir, 'sub'), 'from stdin'].join('\n'))
  })

  test('stdin is empty when there is no input, so a command reading it does not hang', async () => {
    const { ctx } = context()
    const outputs = await execStep.apply(ctx, execParams.parse({ command: 'cat' }), { changes: [] })
    assert.deepEqual(outputs, { ...plain, stdout: '' })
  })

  test('a command starting with ./ is found from the workdir, even when cwd is elsewhere', async () => {
    const dir = workdir()
    mkdirSync(join(dir, 'scripts'))
    mkdirSync(join(dir, 'elsewhere'))
    writeScript(join(dir, 'scripts', 'where.sh'), 'echo "ran in $(pwd)"')
    const { ctx } = context({ workdir: dir })
    const params = execParams.parse({ command: './scripts/where.sh', cwd: 'elsewhere' })
    const outputs = await execStep.apply(ctx, params, { changes: [] })
    assert.equal(outputs.stdout, `ran in ${join(dir, 'elsewhere')}`)

    const missing = execParams.parse({ command: './scripts/missing.sh' })
    const error = await failure(execStep.apply(ctx, missing, { changes: [] }))
    assert.match(error.message, /^`\.\/scripts\/missing\.sh` could not start: .*not found/)
    assert.match(error.hint ?? '', new RegExp(`runbook's folder, ${dir}`))
  })

  test('stdout keeps only its last 64 KiB, saying how many bytes were cut', async () => {
    const { ctx } = context()
    const program = "process.stdout.write('x'.repeat(1024 * 1024) + '\\nEND\\n')"
    const outputs = await execStep.apply(
      ctx,
      execParams.parse({ command: process.execPath, args: ['-e', program] }),
      {
        changes: [],
      },
    )
    const stdout = String(outputs.stdout)
    const total = 1024 * 1024 + 5
    const marker = `[... ${total - 64 * 1024} bytes cut]\n`
    assert.ok(stdout.startsWith(marker), stdout.slice(0, 60))
    assert.ok(stdout.endsWith('x\nEND'))
    assert.equal(Buffer.byteLength(stdout) - Buffer.byteLength(marker), 64 * 1024 - 1)
  })

  test('an aborted step has killed its process by the time it fails', async () => {
    const { ctx, abort, commands } = context()
    const running = execStep.apply(ctx, execParams.parse({ command: 'sleep', args: ['30'] }), { changes: [] })
    await waitUntil(() => commands.length === 1)
    abort(new Error('timed out after 200ms'))
    const error = await failure(running)
    assert.equal(groupExists(commands[0]?.pgid as number), false, 'nothing of the command is left')
    assert.equal(
      error.message,
      '`sleep 30` was stopped (timed out after 200ms); its processes were terminated',
    )
  })

  test("an aborted shell step kills the shell's children too", async () => {
    const dir = workdir()
    const { ctx, abort } = context({ workdir: dir })
    const params = execParams.parse({ command: 'sleep 30 & echo $! > child.pid; wait', shell: true })
    const running = execStep.apply(ctx, params, { changes: [] })
    const pidFile = join(dir, 'child.pid')
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'))
    const child = Number(readFileSync(pidFile, 'utf8'))
    assert.ok(isRunning(child))
    abort(new Error('timed out'))
    await failure(running)
    assert.equal(isRunning(child), false, `sleep (pid ${child}) ended with the step`)
  })

  test('a process group that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const dir = workdir()
    const { ctx, abort, commands } = context({ workdir: dir })
    const running = runCommand(
      ctx,
      { command: 'trap "" TERM; touch ignoring-term; sleep 30 & wait; wait', shell: true },
      { forceKillAfterMs: 300 },
    )
    // Abort only once the shell ignores SIGTERM: before its trap is set, SIGTERM alone would end it.
    await waitUntil(() => commands.length === 1 && existsSync(join(dir, 'ignoring-term')))
    const started = Date.now()
    abort(new Error('timed out'))
    await failure(running)
    assert.ok(Date.now() - started >= 250, 'it had its grace period')
    assert.equal(groupExists(commands[0]?.pgid as number), false, 'then SIGKILL ended it')
  })

  test('a process killed by a signal fails naming the signal', async () => {
    const { ctx } = context()
    const params = execParams.parse({ command: 'echo "going down" >&2; kill -9 $$', shell: true })
    const error = await failure(execStep.apply(ctx, params, { changes: [] }))
    assert.equal(
      error.message,
      '`echo "going down" >&2; kill -9 $$` was killed by SIGKILL; stderr ends with:\n  going down',
    )
  })

  test('a step already aborted starts nothing', async () => {
    const dir = workdir()
    const { ctx, abort } = context({ workdir: dir })
    abort(new Error('cancelled'))
    const error = await failure(
      execStep.apply(ctx, execParams.parse({ command: 'touch', args: ['made'] }), { changes: [] }),
    )
    assert.equal(error.message, '`touch made` was not started (cancelled)')
    assert.equal(existsSync(join(dir, 'made')), false)
  })

  test('secrets are redacted from outputs, progress, the plan and error messages', async () => {
    const secret = 's3cr3t-T0ken'
    const { ctx, progress } = context({ secrets: [secret] })
    const ok = execParams.parse({
      command: 'sh',
      args: ['-c', `echo "token=${secret}"; echo "err ${secret}" >&2`],
    })
    assert.deepEqual(await execStep.apply(ctx, ok, { changes: [] }), {
      exitCode: 0,
      stdout: 'token=***',
      stderr: 'err ***',
    })
    assert.ok(progress.length > 0)
    for (const p of progress) assert.doesNotMatch(p.message ?? '', /s3cr3t/)

    const plan = await execStep.plan(ctx, ok)
    assert.doesNotMatch(JSON.stringify(plan), /s3cr3t/)
    assert.match(plan.changes[0]?.target ?? '', /token=\*\*\*/)

    const bad = execParams.parse({ command: 'sh', args: ['-c', `echo "denied for ${secret}" >&2; exit 2`] })
    const error = await failure(execStep.apply(ctx, bad, { changes: [] }))
    assert.doesNotMatch(error.message, /s3cr3t/)
    assert.match(error.message, /denied for \*\*\*/)
  })

  test('a secret across the 64 KiB cut is redacted whole, not left half-visible', async () => {
    const secret = 'ABCDEFGHIJ0123456789'
    const { ctx } = context({ secrets: [secret] })
    // The secret starts 10 bytes before the kept window and ends inside it.
    const program = `process.stdout.write('y'.repeat(100000) + '${secret}' + 'z'.repeat(64 * 1024 - 10))`
    const outputs = await execStep.apply(
      ctx,
      execParams.parse({ command: process.execPath, args: ['-e', program] }),
      {
        changes: [],
      },
    )
    assert.doesNotMatch(String(outputs.stdout), /0123456789/)
  })

  test('progress shows the latest output line, at most about five times a second', async () => {
    const { ctx, progress } = context()
    const program =
      'let i = 0; const t = setInterval(() => { console.log(`line ${++i}`); if (i === 50) clearInterval(t) }, 20)'
    await execStep.apply(ctx, execParams.parse({ command: process.execPath, args: ['-e', program] }), {
      changes: [],
    })
    assert.ok(progress.length >= 3 && progress.length <= 8, `${progress.length} updates`)
    for (const p of progress) assert.match(p.message ?? '', /^line \d+$/)
  })

  test('apply records its undo marker before the process starts', async () => {
    const dir = workdir()
    const marker = join(dir, 'order.log')
    const { ctx, undo } = context({
      workdir: dir,
      onRecordUndo: async () => {
        await delay(100)
        await appendFile(marker, 'undo recorded\n')
      },
    })
    const params = execParams.parse({
      command: 'sh',
      args: ['-c', 'echo "process ran" >> order.log'],
      rollback: { command: 'sh', args: ['-c', 'echo "rolled back" >> order.log'] },
    })
    await execStep.apply(ctx, params, { changes: [] })
    assert.equal(readFileSync(marker, 'utf8'), 'undo recorded\nprocess ran\n')
    assert.deepEqual(undo, [{ rollback: true }])
  })

  test('apply records no undo when there is no rollback command', async () => {
    const { ctx, undo } = context()
    await execStep.apply(ctx, execParams.parse({ command: 'true' }), { changes: [] })
    assert.deepEqual(undo, [])
  })

  test('compensate runs the rollback command, and nothing when apply recorded no undo', async () => {
    const dir = workdir()
    const { ctx } = context({ workdir: dir })
    const params = execParams.parse({
      command: 'true',
      rollback: {
        command: 'echo "rolled back in $PWD with $MODE" > rollback.log',
        shell: true,
        env: { MODE: 'undo' },
      },
    })
    await execStep.compensate?.(ctx, params, [])
    assert.equal(existsSync(join(dir, 'rollback.log')), false)
    await execStep.compensate?.(ctx, params, [{ rollback: true }])
    assert.equal(readFileSync(join(dir, 'rollback.log'), 'utf8'), `rolled back in ${dir} with undo\n`)
  })

  test('a failing rollback fails compensate with its exit code', async () => {
    const { ctx } = context()
    const params = execParams.parse({
      command: 'true',
      rollback: { command: 'echo nope >&2; exit 7', shell: true },
    })
    const error = await failure(execStep.compensate?.(ctx, params, [{ rollback: true }]) ?? Promise.resolve())
    assert.match(error.message, /^`echo nope >&2; exit 7` exited with code 7; stderr ends with:\n {2}nope$/)
  })

  test('plan names the command line, quoted for a shell, and marks it manual without a rollback', async () => {
    const { ctx } = context()
    const params = execParams.parse({ command: './scripts/lb.sh', args: ['disable', 'web 01', "it's"] })
    const target = "./scripts/lb.sh disable 'web 01' 'it'\\''s'"
    assert.deepEqual(await execStep.plan(ctx, params), {
      changes: [{ action: 'run', target, summary: `run ${target}`, manualUndo: true }],
    })
    const reversible = execParams.parse({ command: 'true', rollback: { command: 'false' } })
    assert.deepEqual(await execStep.plan(ctx, reversible), {
      changes: [{ action: 'run', target: 'true', summary: 'run true' }],
    })
  })

  test('check refuses unless the step is idempotent, and re-runs the command when it is', async () => {
    const dir = workdir()
    const { ctx } = context({ workdir: dir })
    const once = execParams.parse({ command: 'sh', args: ['-c', 'echo ran >> runs.log'] })
    const refused = await failure(check(ctx, once))
    assert.match(refused.message, /cannot serve as a check: it is not marked idempotent/)
    assert.match(refused.hint ?? '', /idempotent: true/)
    assert.equal(existsSync(join(dir, 'runs.log')), false)

    const probe = execParams.parse({ command: 'sh', args: ['-c', 'echo ran >> runs.log'], idempotent: true })
    await check(ctx, probe)
    await check(ctx, probe)
    assert.equal(readFileSync(join(dir, 'runs.log'), 'utf8'), 'ran\nran\n')
    const failing = execParams.parse({ command: 'false', idempotent: true })
    assert.match((await failure(check(ctx, failing))).message, /exited with code 1/)
  })

  test('has no verify, so nothing runs the command a second time after apply', () => {
    assert.equal(execStep.verify, undefined)
  })

  test('a dry run never runs the command', async () => {
    const dir = workdir()
    const { ctx } = context({ workdir: dir, dryRun: true })
    const params = execParams.parse({ command: 'touch', args: ['made'] })
    assert.equal((await execStep.plan(ctx, params)).changes.length, 1)
    assert.match((await failure(execStep.apply(ctx, params, { changes: [] }))).message, /in a dry run/)
    assert.equal(existsSync(join(dir, 'made')), false)
  })
})

describe('wait', () => {
  test('takes exactly one of duration or until, and interval only with until', () => {
    const message = (value: unknown) => waitParams.safeParse(value).error?.issues.map((i) => i.message)
    assert.deepEqual(message({}), [
      'a wait needs duration (a fixed time, e.g. 5m) or until (a step whose check must pass)',
    ])
    assert.deepEqual(message({ duration: '5m', until: 'health' }), [
      'a wait takes duration or until, not both',
    ])
    assert.deepEqual(message({ duration: '5m', interval: '5s' }), [
      'interval is the time between checks of until; a wait for a duration has none',
    ])
    assert.equal(waitParams.safeParse({ until: 'health', interval: '5s' }).success, true)
    assert.equal(waitParams.safeParse({ duration: '5m', reason: 'drain' }).success, true)
  })

  test('plan describes the wait', async () => {
    const { ctx } = context()
    assert.deepEqual(
      await waitStep.plan(ctx, waitParams.parse({ duration: '5m', reason: 'let caches drain' })),
      {
        changes: [{ action: 'wait', target: '5m', summary: 'wait 5m (let caches drain)' }],
      },
    )
    assert.deepEqual(await waitStep.plan(ctx, waitParams.parse({ until: 'health' })), {
      changes: [
        { action: 'wait', target: 'health', summary: 'wait until health passes, checking every 10s' },
      ],
    })
  })

  test('a duration counts down on the engine clock, one second at a time', async () => {
    const slept: number[] = []
    const { ctx, progress } = context({ sleep: async (ms) => void slept.push(ms) })
    const outputs = await waitStep.apply(ctx, waitParams.parse({ duration: '2500ms', reason: 'draining' }), {
      changes: [],
    })
    assert.deepEqual(outputs, {})
    assert.deepEqual(slept, [1000, 1000, 500])
    assert.deepEqual(progress, [
      { percent: 0, message: 'draining: 3s left' },
      { percent: 40, message: 'draining: 2s left' },
      { percent: 80, message: 'draining: 1s left' },
      { percent: 100, message: 'draining: done' },
    ])
  })

  test('a duration wait stops when the step is aborted', async () => {
    const { ctx, abort } = context()
    const waiting = waitStep.apply(ctx, waitParams.parse({ duration: '1h' }), { changes: [] })
    abort(new Error('cancelled by the operator'))
    const error = await failure(waiting)
    assert.equal(error.message, 'stopped waiting with 1h00m00s of 1h00m00s left')
    assert.equal((error.cause as Error).message, 'cancelled by the operator')
  })

  test('until polls the check every interval until it passes, reporting attempts and the last failure', async () => {
    const checked: string[] = []
    const slept: number[] = []
    const { ctx, progress } = context({
      sleep: async (ms) => void slept.push(ms),
      check: async (id) => {
        checked.push(id)
        if (checked.length < 3) throw new Error(`health answered 503 (call ${checked.length})`)
        return { result: 'passes' }
      },
    })
    const outputs = await waitStep.apply(ctx, waitParams.parse({ until: 'health', interval: '2s' }), {
      changes: [],
    })
    assert.deepEqual(outputs, { attempts: 3 })
    assert.deepEqual(checked, ['health', 'health', 'health'])
    assert.deepEqual(slept, [2000, 2000])
    assert.deepEqual(
      progress.map((p) => p.message),
      [
        'health not passing yet (check 1): health answered 503 (call 1)',
        'health not passing yet (check 2): health answered 503 (call 2)',
        'health passed (check 3)',
      ],
    )
  })

  test('rollback finds nothing to put back', async () => {
    const { ctx } = context()
    assert.ok(waitStep.compensate, 'rollback compensates every reversible step that planned a change')
    await waitStep.compensate(ctx, waitParams.parse({ duration: '5m' }), [])
  })

  test('until gives up when aborted, naming the last failure', async () => {
    let checks = 0
    const t = context({
      check: async () => {
        // The step's timeout fires during the second check, however long a check takes.
        if (++checks === 2) t.abort(new Error('timed out'))
        throw new Error('replica lag 40s')
      },
    })
    const waiting = waitStep.apply(t.ctx, waitParams.parse({ until: 'lag', interval: '1s' }), { changes: [] })
    const error = await failure(waiting)
    assert.equal(
      error.message,
      'stopped waiting for lag to pass after 2 checks; the last check said: replica lag 40s',
    )
  })
})

describe('approve', () => {
  test('plan asks for the approval; apply passes the request to ctx.approve and outputs who approved', async () => {
    const requests: unknown[] = []
    const { ctx } = context({
      approve: async (request) => {
        requests.push(request)
        return { operator: 'alice', reason: 'change CHG0041234 approved' }
      },
    })
    const params = approveParams.parse({ message: 'Shift traffic to AWS?', approvers: ['alice', 'bob'] })
    assert.deepEqual(await approveStep.plan(ctx, params), {
      changes: [{ action: 'approve', target: 'alice, bob', summary: 'Shift traffic to AWS?' }],
    })
    assert.deepEqual(await approveStep.apply(ctx, params, { changes: [] }), {
      approvedBy: 'alice',
      reason: 'change CHG0041234 approved',
    })
    assert.deepEqual(requests, [{ message: 'Shift traffic to AWS?', approvers: ['alice', 'bob'] }])
  })

  test('rollback finds nothing to put back', async () => {
    const { ctx } = context()
    assert.ok(approveStep.compensate, 'rollback compensates every reversible step that planned a change')
    await approveStep.compensate(ctx, approveParams.parse({ message: 'Go?' }), [])
  })

  test('a refused approval fails the step with the engine error', async () => {
    const { ctx } = context()
    await assert.rejects(
      approveStep.apply(ctx, approveParams.parse({ message: 'Go?' }), { changes: [] }),
      /no approver/,
    )
  })
})

describe('noop', () => {
  test('plans no change and outputs its outputs param', async () => {
    const { ctx, progress } = context()
    const params = noopParams.parse({ message: 'Change CHG1 opened', outputs: { change: 'CHG1', n: 2 } })
    assert.deepEqual(await noopStep.plan(ctx, params), { changes: [], outputs: { change: 'CHG1', n: 2 } })
    assert.deepEqual(await noopStep.apply(ctx, params, { changes: [] }), { change: 'CHG1', n: 2 })
    assert.deepEqual(progress, [{ message: 'Change CHG1 opened' }])
    assert.deepEqual(await noopStep.apply(ctx, noopParams.parse({}), { changes: [] }), {})
  })
})

describe('step definitions', () => {
  test('load() brings in each implementation', async () => {
    assert.equal(await exec.load(), execStep)
    assert.equal(await wait.load(), waitStep)
    assert.equal(await approve.load(), approveStep)
    assert.equal(await noop.load(), noopStep)
  })
})
