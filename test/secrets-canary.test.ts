// Canary secrets through every step type against the demo platform, in this process: the flagship runbook
// (its SQL and LDAP passwords, read from the sandbox's SSM) and a runbook that puts a canary into every
// free-text field the other step types send. What AWS, SNS and SQL Server received is then searched for
// any form of the canaries outside the fields meant to carry them.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { LoggedCall } from '../src/sandbox/aws/index.ts'
import { DEMO_PLATFORM, type DemoPlatform, startDemoPlatform } from '../src/sandbox/demo-platform.ts'
import { allBytes, type CliResult, root, startSwitchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const CANARY = 'canary-Zq7x-secret-4401'
const CANARY_PARAMETER = '/canary/token'
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:giftcard-cutover'

const scratch = tempDir('secrets-canary')
let platform: DemoPlatform
let canaryHost = ''
/** Every SQL batch the SQL Server instances received, as text. */
const sqlBatches: string[] = []

before(async () => {
  platform = await startDemoPlatform({ fixedPorts: false, seedingBytesPerSecond: 2 * 1024 ** 3 })
  platform.aws.world.ssm.putParameter(CANARY_PARAMETER, CANARY, { type: 'SecureString' })
  canaryHost = platform.aws.world.ec2.addInstance({ tags: { Name: 'canary-host' }, platform: 'linux' }).id
  // The host's script echoes the value it was given, as a careless script would.
  platform.aws.world.ssm.respond((id) =>
    id === canaryHost ? { stdout: `token is ${CANARY}\n`, exitCode: 0, durationMs: 0 } : undefined,
  )
  // The SQL stand-in consults its fault list before each batch: a place to read every batch it receives.
  const world = platform.sql.world
  const takeConnectionDrop = world.takeConnectionDrop.bind(world)
  world.takeConnectionDrop = (instance: string, sql: string) => {
    sqlBatches.push(sql)
    return takeConnectionDrop(instance, sql)
  }
})
after(async () => {
  await platform?.close()
  scratch.cleanup()
})

const cli = (args: string[]) => startSwitchyard(scratch.dir, args, { ...platform.env, AWS_PROFILE: '' }).done

/** The forms a canary could travel in: as is, and base64 as the CLI encodes values for scripts. */
const formsOf = (value: string) => [
  value,
  Buffer.from(value, 'utf8').toString('base64'),
  Buffer.from(value, 'utf16le').toString('base64'),
]
const canaries = [CANARY, DEMO_PLATFORM.sql.password, DEMO_PLATFORM.ldap.password]
const carriesCanary = (text: string) => canaries.flatMap(formsOf).some((form) => text.includes(form))

/**
 * The only request fields meant to carry a secret: the script an operator gave ssm.run (its values
 * travel base64 in the prologue). Reading an SSM SecureString carries the secret in the answer, a SQL
 * login in the TDS login packet and an LDAP bind in the bind request: none of those is a request field here.
 */
function withoutLegitimateFields(call: LoggedCall): unknown {
  if (call.service !== 'ssm' || call.operation !== 'SendCommand') return call.params
  const { Parameters, ...rest } = call.params as { Parameters?: Record<string, unknown> }
  const { commands: _script, ...other } = Parameters ?? {}
  return { ...rest, Parameters: other }
}

const canaryRunbook = `version: 1
name: canary
params: { host: { required: true } }
secrets: { token: { from: "ssm:${CANARY_PARAMETER}" } }
notify: { topic: "${TOPIC}", on: [failed] }
targets:
  aws-web: { ec2: { tags: { Role: web, Env: prod } } }
phases:
  - id: everything
    steps:
      - id: ready
        uses: ec2.wait-status
        with: { instances: "\${{ targets.aws-web.instances }}", poll: 100ms }
      - id: alarms
        uses: cloudwatch.alarm
        with: { alarms: [giftcard-5xx] }
      - id: confirm
        uses: approve
        with: { message: "Go ahead with \${{ secrets.token }}?" }
      - id: note
        uses: noop
        with: { message: "note \${{ secrets.token }}", outputs: { said: "\${{ secrets.token }}" } }
      - id: hold
        uses: wait
        with: { duration: 10ms, reason: "holding for \${{ secrets.token }}" }
      - id: local
        uses: exec
        with: { command: sh, args: [-c, 'echo "local $T"'], env: { T: "\${{ secrets.token }}" } }
      - id: careless
        uses: exec
        continue_on_error: true
        with: { command: sh, args: [-c, 'echo "oops $T" >&2; exit 1'], env: { T: "\${{ secrets.token }}" } }
      - id: snapshot
        uses: ec2.snapshot
        with: { instances: "\${{ targets.aws-web.instances }}", description: "before \${{ secrets.token }}" }
      - id: remote
        uses: ssm.run
        with:
          instances: ["\${{ params.host }}"]
          document: AWS-RunShellScript
          script: 'echo "token is $token"'
          values: { token: "\${{ secrets.token }}" }
          poll: 100ms
      - id: weights
        uses: route53.weights
        with: { zone: ${DEMO_PLATFORM.zone}, record: { name: www.gift.example, type: CNAME }, weights: { onprem: 10, aws: 90 } }
      - id: tell
        uses: sns.notify
        with: { topic: "${TOPIC}", subject: "done \${{ secrets.token }}", message: "message \${{ secrets.token }}" }
`

describe('canary secrets through every step type', () => {
  const results: Record<string, CliResult> = {}

  before(async () => {
    const flagshipParams = [
      ['sql_onprem', platform.addresses.sql['SQL-ONPREM-1']],
      ['sql_aws', platform.addresses.sql['SQL-AWS-1']],
      ['sql_onprem_2', platform.addresses.sql['SQL-ONPREM-2']],
      ['web_health_url', platform.addresses.webHealthUrl],
      ['bake', '200ms'],
      ['gate_poll', '100ms'],
      ['sql_poll', '200ms'],
      ...Object.entries({ dc_onprem_url: 'dc-onprem-1', dc_aws_url: 'dc-aws-1' }).flatMap(([param, dc]) => {
        const url = platform.addresses.dcs[dc]?.url
        return url ? [[param, url]] : []
      }),
    ].flatMap(([name, value]) => ['-p', `${name}=${value}`])
    const flagship = join(root, 'runbooks', 'giftcard-cutover.yaml')
    const sandboxParams = join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml')
    results.flagship = await cli(['run', flagship, '--params', sandboxParams, ...flagshipParams, '--yes'])
    writeRunbook(scratch.dir, canaryRunbook, 'canary.yaml')
    results.plan = await cli(['plan', 'canary.yaml', '-p', `host=${canaryHost}`, '--out', 'canary.plan.json'])
    results.canary = await cli(['run', 'canary.yaml', '-p', `host=${canaryHost}`, '--yes', '--json'])
    results.status = await cli(['status', '--json'])
  })

  test('every runbook ran to the end', () => {
    for (const [name, result] of Object.entries(results))
      assert.equal(result.code, 0, `${name}: ${result.stdout.slice(-3000)}${result.stderr}`)
  })

  test('no AWS request carries a secret outside the fields meant for it', () => {
    const calls = platform.aws.log.calls
    assert.ok(
      calls.some((c) => c.operation === 'CreateSnapshots') && calls.some((c) => c.operation === 'Publish'),
    )
    const leaks = calls.filter((call) => carriesCanary(JSON.stringify(withoutLegitimateFields(call))))
    assert.deepEqual(
      leaks.map((c) => `${c.service} ${c.operation}: ${JSON.stringify(c.params)}`),
      [],
    )
    const sent = calls.filter((c) => c.operation === 'SendCommand' && carriesCanary(JSON.stringify(c.params)))
    assert.equal(
      sent.length,
      1,
      'the canary did travel, in the one field meant for it: the script ssm.run sends',
    )
    const described = calls.filter((c) => c.operation === 'CreateSnapshots')
    for (const call of described) assert.match(JSON.stringify(call.params), /before \*\*\*/)
  })

  test('no SNS subject or message carries a secret; both are redacted', () => {
    const messages = platform.aws.world.sns.messages
    for (const m of messages) assert.ok(!carriesCanary(`${m.subject}\n${m.message}`), JSON.stringify(m))
    assert.ok(messages.some((m) => m.subject === 'done ***' && m.message === 'message ***'))
    const failure = messages.find((m) => m.subject?.startsWith('switchyard step-failed: careless'))
    assert.match(failure?.message ?? '', /oops \*\*\*/, 'the notify hook told of the failure, redacted')
  })

  test('no SQL batch carries a secret (the password travels only in the login)', () => {
    assert.ok(sqlBatches.length > 0)
    assert.deepEqual(sqlBatches.filter(carriesCanary), [])
  })

  test('no output of the CLI, no saved plan and no journal holds a secret', () => {
    for (const [name, result] of Object.entries(results))
      assert.ok(!carriesCanary(result.stdout + result.stderr), `${name} shows a secret`)
    assert.ok(!carriesCanary(readFileSync(join(scratch.dir, 'canary.plan.json'), 'utf8')))
    assert.ok(!carriesCanary(allBytes(join(scratch.dir, '.switchyard'))))
    assert.match(results.canary?.stdout ?? '', /token is \*\*\*/, "the host's echo is shown redacted")
  })
})
