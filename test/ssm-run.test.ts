import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type AwsSandbox,
  type CommandResponder,
  type CommandResult,
  sandboxEnv,
  startAwsSandbox,
} from '../src/sandbox/aws/index.ts'
import { type CliResult, journalEvents, startSwitchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('ssm-run')
let sandbox: AwsSandbox
let n = 0
const removals: Array<() => void> = []

before(async () => {
  sandbox = await startAwsSandbox()
})
after(async () => {
  await sandbox.close()
  scratch.cleanup()
})
beforeEach(() => sandbox.log.clear())
afterEach(() => {
  for (const remove of removals.splice(0)) remove()
})

/** Another engineer may rebuild dist/ meanwhile: a start-up that finds a file missing is tried again. */
const transientBuild = (r: CliResult) =>
  r.code !== 0 && /ERR_MODULE_NOT_FOUND|Cannot find module|ENOENT[^\n]*dist/.test(r.stderr)

async function switchyard(dir: string, args: string[], url = sandbox.url) {
  for (let attempt = 1; ; attempt++) {
    const result = await startSwitchyard(dir, args, sandboxEnv(url)).done
    if (!transientBuild(result) || attempt === 10) return result
    await sleep(1000)
  }
}

/**
 * A proxy in front of the sandbox that asks for pages of `pageSize` invocations, as real SSM may
 * answer fewer than MaxResults: with at most 50 instances per command, a page of 50 holds them all.
 */
async function smallPagesProxy(pageSize: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    let body = Buffer.concat(chunks).toString('utf8')
    if (String(req.headers['x-amz-target']).endsWith('.ListCommandInvocations'))
      body = JSON.stringify({ ...JSON.parse(body), MaxResults: pageSize })
    const headers = { ...req.headers } as Record<string, string>
    delete headers['content-length']
    delete headers.host
    const answer = await fetch(new URL(req.url ?? '/', sandbox.url), { method: req.method, headers, body })
    res.writeHead(answer.status, Object.fromEntries(answer.headers))
    res.end(Buffer.from(await answer.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Instances that answer with `answer`; other tests' instances fall through to other responders. */
function instances(
  count: number,
  answer: (id: string, parameters: Record<string, string[]>) => CommandResult,
) {
  const ids = Array.from({ length: count }, () => sandbox.world.ec2.addInstance().id)
  const mine = new Set(ids)
  const responder: CommandResponder = (id, _document, parameters) =>
    mine.has(id) ? answer(id, parameters) : undefined
  removals.push(sandbox.world.ssm.respond(responder))
  return ids
}

/** A runbook with one ssm.run step; `with` is written as JSON, which YAML reads as it is. */
function workspace(step: Record<string, unknown>, extra = ''): string {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir, { recursive: true })
  writeRunbook(
    dir,
    `version: 1
name: ssm-${n}
phases:
  - id: main
    steps:
      - id: remote
        uses: ssm.run
${extra}        with: ${JSON.stringify({ poll: '200ms', ...step })}
`,
  )
  return dir
}

const outputsOf = (dir: string) =>
  journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === 'remote')?.outputs as
    | { instances: Record<string, { status: string; exitCode: number; output: string }>; commands: string[] }
    | undefined

const ok = (stdout: string, durationMs = 300): CommandResult => ({ stdout, exitCode: 0, durationMs })

/** The values a PowerShell or shell prologue sets, decoded as the instance would decode them. */
function decodedValues(commands: string[]): Record<string, string> {
  const text = commands.join('\n')
  const values: Record<string, string> = {}
  for (const [, name, b64] of text.matchAll(
    /^\$(\w+) = \[Text\.Encoding\]::Unicode\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\)$/gm,
  ))
    values[name as string] = Buffer.from(b64 as string, 'base64').toString('utf16le')
  for (const [, name, b64] of text.matchAll(
    /^(\w+)="\$\(printf %s '([A-Za-z0-9+/=]*)' \| base64 -d; printf x\)"/gm,
  ))
    values[name as string] = Buffer.from(b64 as string, 'base64').toString('utf8')
  return values
}

describe('ssm.run', () => {
  test('runs the script on every instance and outputs each one’s status, exit code and output', async () => {
    const ids = instances(3, (id) => ok(`hello from ${id}\n`))
    const dir = workspace({ instances: ids, script: 'Write-Output "hello from $env:COMPUTERNAME"' })
    const plan = await switchyard(dir, ['plan', 'runbook.yaml'])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.match(plan.stdout, /run AWS-RunPowerShellScript on 3 instances: Write-Output "hello from/)
    assert.match(plan.stdout, /1 of them not undone by rollback/)

    const run = await switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const outputs = outputsOf(dir)
    for (const id of ids)
      assert.deepEqual(outputs?.instances[id], {
        status: 'Success',
        exitCode: 0,
        output: `hello from ${id}\n`,
      })
    const sent = sandbox.log.of('ssm', 'SendCommand')
    assert.equal(sent.length, 1)
    assert.equal(
      (sent[0]?.params as { DocumentName?: string } | undefined)?.DocumentName,
      'AWS-RunPowerShellScript',
    )
  })

  test('reaches an on-premises server registered with SSM (mi-...) as it reaches an EC2 instance', async () => {
    const onPrem = 'mi-0a1b2c3d4e5f60718'
    sandbox.world.ssm.addManagedInstance(onPrem, 'DC01')
    removals.push(sandbox.world.ssm.respond((id) => (id === onPrem ? ok('DC01 here\n') : undefined)))
    const dir = workspace({ instances: [onPrem], script: 'hostname', idempotent: true })
    const run = await switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(outputsOf(dir)?.instances[onPrem], {
      status: 'Success',
      exitCode: 0,
      output: 'DC01 here\n',
    })
  })

  test('one failing instance fails the step, naming it with its exit code and output tail', async () => {
    let sick = ''
    const ids = instances(3, (id) =>
      id === sick
        ? { stdout: 'copying...', stderr: 'disk D: is full', exitCode: 3, durationMs: 200 }
        : ok('fine'),
    )
    sick = ids[1] as string
    const run = await switchyard(workspace({ instances: ids, script: 'Copy-Item a b' }), [
      'run',
      'runbook.yaml',
    ])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, /AWS-RunPowerShellScript failed on 1 of 3 instances/)
    assert.match(run.stdout, new RegExp(`${sick}: Failed, exit code 3`))
    assert.match(run.stdout, /disk D: is full/)
    for (const id of ids.filter((id) => id !== sick)) assert.doesNotMatch(run.stdout, new RegExp(`${id}: `))
  })

  test('120 instances: three SendCommand calls of at most 50, polled with paginated ListCommandInvocations only', async () => {
    const ids = instances(120, (id) => ok(id, 200 + (Number.parseInt(id.slice(-2), 16) % 8) * 100))
    const dir = workspace({ instances: ids, script: 'hostname' })
    const proxy = await smallPagesProxy(20)
    const run = await switchyard(dir, ['run', 'runbook.yaml'], proxy.url).finally(proxy.close)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const sent = sandbox.log
      .of('ssm', 'SendCommand')
      .map((c) => (c.params as { InstanceIds: string[] }).InstanceIds)
    assert.deepEqual(
      sent.map((batch) => batch.length),
      [50, 50, 20],
    )
    assert.deepEqual(sent.flat().sort(), [...ids].sort())
    const lists = sandbox.log
      .of('ssm', 'ListCommandInvocations')
      .map((c) => c.params as Record<string, unknown>)
    assert.ok(lists.length >= 3)
    assert.ok(lists.every((p) => p.Details === true && typeof p.CommandId === 'string'))
    assert.ok(
      lists.some((p) => typeof p.NextToken === 'string'),
      'the pages after the first were read',
    )
    for (const commandId of new Set(lists.map((p) => p.CommandId as string))) {
      const reads = lists.filter((p) => p.CommandId === commandId)
      const polls = reads.filter((p) => p.NextToken === undefined).length
      const pages = Math.ceil((sandbox.world.ssm.command(commandId)?.invocations.length ?? 0) / 20)
      assert.equal(reads.length, polls * pages, `each poll of ${commandId} read all ${pages} pages`)
    }
    assert.deepEqual(sandbox.log.of('ssm', 'GetCommandInvocation'), [])
    assert.equal(Object.keys(outputsOf(dir)?.instances ?? {}).length, 120)
  })

  const hostile = {
    quote: "'; Remove-Item -Recurse C:\\ ; '",
    subshell: '$(rm -rf /)',
    mixed: '`"\'$x\n\\ ; echo pwned #\n\n',
    unicode: 'zürich – 東京',
  }

  for (const document of ['AWS-RunPowerShellScript', 'AWS-RunShellScript']) {
    test(`values reach the script verbatim with ${document}, never concatenated into it`, async () => {
      const received: Array<Record<string, string>> = []
      const commands: string[][] = []
      const ids = instances(2, (_id, parameters) => {
        commands.push(parameters.commands ?? [])
        received.push(decodedValues(parameters.commands ?? []))
        return ok('done')
      })
      const script = document === 'AWS-RunShellScript' ? 'echo "$quote"' : 'Write-Output $quote'
      const run = await switchyard(workspace({ instances: ids, document, script, values: hostile }), [
        'run',
        'runbook.yaml',
      ])
      assert.equal(run.code, 0, run.stdout + run.stderr)
      assert.equal(received.length, 2)
      for (const values of received) assert.deepEqual(values, hostile)
      for (const lines of commands) {
        assert.equal(lines.at(-1), script, 'the script follows the prologue unchanged')
        for (const value of Object.values(hostile))
          assert.ok(
            !lines.join('\n').includes(value),
            `${JSON.stringify(value)} is not in the commands as such`,
          )
      }
    })
  }

  test('run --dry-run makes zero mutating calls and sends nothing', async () => {
    const ids = instances(2, () => ok('never'))
    const dry = await switchyard(workspace({ instances: ids, script: 'Restart-Service W3SVC' }), [
      'run',
      'runbook.yaml',
      '--dry-run',
    ])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stdout, /run AWS-RunPowerShellScript on 2 instances: Restart-Service W3SVC/)
    assert.deepEqual(sandbox.log.mutating(), [])
    assert.deepEqual(sandbox.log.of('ssm', 'SendCommand'), [])
  })

  test('an instance that runs past timeout ends TimedOut and fails the step', async () => {
    let slow = ''
    const ids = instances(2, (id) => (id === slow ? ok('still going', 60_000) : ok('quick', 100)))
    slow = ids[0] as string
    const run = await switchyard(workspace({ instances: ids, script: 'Start-Sleep 60', timeout: '1s' }), [
      'run',
      'runbook.yaml',
    ])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    // TimedOut, not Success: it did not wait the script's 60 s out.
    assert.match(run.stdout, new RegExp(`${slow}: TimedOut, exit code -1`))
    const sent = sandbox.log.of('ssm', 'SendCommand')[0]?.params as { Parameters: Record<string, string[]> }
    assert.deepEqual(sent.Parameters.executionTimeout, ['1'])
  })

  test('rollback runs the rollback script on the same instances, the same way', async () => {
    const scripts: string[] = []
    const ids = instances(2, (_id, parameters) => {
      scripts.push(parameters.commands?.at(-1) ?? '')
      return ok('done', 100)
    })
    const dir = workspace({
      instances: ids,
      script: 'Stop-Service W3SVC',
      rollback: { script: 'Start-Service W3SVC' },
    })
    const plan = await switchyard(dir, ['plan', 'runbook.yaml'])
    assert.match(plan.stdout, /0 of them not undone by rollback/)
    assert.equal((await switchyard(dir, ['run', 'runbook.yaml'])).code, 0)
    const back = await switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(scripts, [
      'Stop-Service W3SVC',
      'Stop-Service W3SVC',
      'Start-Service W3SVC',
      'Start-Service W3SVC',
    ])
  })

  test('a step timeout stops the polling and says the commands keep running on AWS', async () => {
    const ids = instances(1, () => ok('slow', 60_000))
    const run = await switchyard(
      workspace({ instances: ids, script: 'Start-Sleep 60' }, '        timeout: 1s\n'),
      ['run', 'runbook.yaml'],
    )
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(
      run.stdout,
      /timed out after 1s \(last: 0\/1 done, 0 failed; SSM keeps running them if this stops \(command [0-9a-f-]{36}\)/,
    )
  })
})
